/* server.c: connections, their input and output, the faults armed for them,
 * the fan-out of watch events, and the poll() loop. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control.h"
#include "request.h"
#include "util.h"

/* A client that stops reading (watch events pile up) is dropped past this. */
#define OUTPUT_MAX (16u << 20)
/* Connections taken from one listening socket per round. */
#define ACCEPT_BURST 64

static const char *const kind_names[] = { "rw", "ro", "control" };

void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
{
        va_list ap;

        if (!s->verbose)
                return;
        fprintf(stderr, "qdb-test-server: conn %" PRIu64 " (%s): ", c->seq, kind_names[c->kind]);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* ---- output ---- */

static void conn_flush(struct conn *c)
{
        while (c->fd >= 0 && !c->dead && c->out_sent < c->out_len) {
                ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                c->dead = true;
                        return;
                }
                c->out_sent += (size_t)n;
        }
        if (c->out_sent == c->out_len)
                c->out_len = c->out_sent = 0;
}

void conn_queue(struct conn *c, const void *buf, size_t len)
{
        size_t need = c->out_len + len;

        if (c->dead || len == 0)
                return;
        if (need > OUTPUT_MAX) {
                c->dead = true;
                return;
        }
        if (need > c->out_cap) {
                size_t cap = c->out_cap ? c->out_cap : 4096;
                char *out;

                while (cap < need)
                        cap *= 2;
                out = realloc(c->out, cap);
                if (!out) {
                        c->dead = true;
                        return;
                }
                c->out = out;
                c->out_cap = cap;
        }
        memcpy(c->out + c->out_len, buf, len);
        c->out_len = need;
}

void conn_queue_echo(struct conn *c, const unsigned char *req, uint8_t type)
{
        unsigned char hdr[WIRE_HDR_SIZE];

        memcpy(hdr, req, sizeof(hdr));
        wire_set_type(hdr, type);
        wire_set_data_len(hdr, 0);
        conn_queue(c, hdr, sizeof(hdr));
}

void conn_queue_event(struct conn *c, const char *path)
{
        unsigned char hdr[WIRE_HDR_SIZE] = { 0 };

        if (c->stalled)
                return;
        wire_set_type(hdr, WIRE_RESP_WATCH);
        memcpy(hdr + WIRE_OFF_PATH, path, strnlen(path, WIRE_PATH_SIZE - 1));
        conn_queue(c, hdr, sizeof(hdr));
}

void conn_inject_event(struct conn *c, const char *request_path)
{
        if (c->settings.watch_path[0])
                conn_queue_event(c, c->settings.watch_path);
        else
                conn_queue_event(c, wire_path_is_valid(request_path) ? request_path : "/");
}

/* ---- watches ---- */

static bool watch_matches(const struct watch *w, const char *path)
{
        if (endswith(w->path, "/"))
                return startswith(path, w->path);
        return streq(w->path, path);
}

void server_fire(struct server *s, const char *path)
{
        for (struct conn *c = s->conns; c; c = c->next) {
                if (c->dead || c->kind == CONN_CONTROL)
                        continue;
                for (struct watch *w = c->watches; w; w = w->next)
                        if (watch_matches(w, path))
                                conn_queue_event(c, path);
        }
}

/* ---- faults ---- */

static uint8_t normal_reply(uint8_t request)
{
        switch (request) {
        case WIRE_READ:
                return WIRE_RESP_READ;
        case WIRE_LIST:
                return WIRE_RESP_LIST;
        case WIRE_MULTIREAD:
                return WIRE_RESP_MULTIREAD;
        default:
                return WIRE_RESP_OK;
        }
}

/* In place of the reply to RAW: a message no daemon sends. */
static void queue_corrupt(struct conn *c, const unsigned char *raw, enum corruption kind)
{
        static const char other[] = "/not-the-request";
        uint8_t request = wire_get_type(raw);
        unsigned char hdr[WIRE_HDR_SIZE];
        char *field = (char *)hdr + WIRE_OFF_PATH;
        uint32_t len = 0;

        memcpy(hdr, raw, sizeof(hdr));
        wire_set_type(hdr, normal_reply(request));
        switch (kind) {
        case CORRUPT_TYPE:
                wire_set_type(hdr, 42);
                break;
        case CORRUPT_PATH:
                memset(field, 'x', WIRE_PATH_SIZE);
                break;
        case CORRUPT_LENGTH:
                wire_set_type(hdr, WIRE_RESP_READ);
                len = 1u << 20;         /* announced, never sent */
                break;
        case CORRUPT_ECHO:
                memset(field, 0, WIRE_PATH_SIZE);
                memcpy(field, other, sizeof(other));
                break;
        case CORRUPT_NUL:
                wire_set_type(hdr, WIRE_RESP_READ);
                len = 3;
                break;
        case CORRUPT_REPLY:
                wire_set_type(hdr, request == WIRE_LIST ? WIRE_RESP_READ : WIRE_RESP_LIST);
                break;
        case CORRUPT_NONE:
                return;
        }
        wire_set_data_len(hdr, len);
        conn_queue(c, hdr, sizeof(hdr));
        if (kind == CORRUPT_NUL)
                conn_queue(c, "a\0b", 3);
}

/* One whole message of a client, with the faults armed for its number. */
static void handle_message(struct server *s, struct conn *c, unsigned char *raw, const char *data)
{
        const struct conn_settings *f = &c->settings;
        uint64_t n = ++c->n_requests;
        bool terminated = wire_terminate_path(raw);
        const char *path = wire_path(raw);
        size_t before = c->out_len, reply_at;

        s->n_requests++;
        if (f->drop_at == n) {
                conn_log(s, c, "fault: dropping the connection at request %" PRIu64, n);
                conn_flush(c);          /* earlier replies still count */
                c->dead = true;
                return;
        }
        if (f->stall_at == n) {
                conn_log(s, c, "fault: request %" PRIu64 " stalls the connection", n);
                c->stalled = true;
                return;
        }
        if (f->error_at == n) {
                conn_log(s, c, "fault: request %" PRIu64 " answered ERROR", n);
                conn_queue_echo(c, raw, WIRE_RESP_ERROR);
                return;
        }
        if (f->watch_before_at == n || f->watch_amid_at == n)
                conn_inject_event(c, path);
        reply_at = c->out_len;

        request_handle(s, c, raw, terminated, data);

        if (f->corrupt_at == n) {
                conn_log(s, c, "fault: request %" PRIu64 " gets a corrupt reply", n);
                c->out_len = reply_at;
                queue_corrupt(c, raw, f->corrupt);
        }
        /* a daemon that dies after doing the work: the client cannot know */
        if (f->lose_at == n) {
                conn_log(s, c, "fault: request %" PRIu64 " done, reply lost, closing", n);
                c->out_len = before;
                conn_flush(c);
                c->dead = true;
        }
}

/* ---- input ---- */

static bool conn_reads(const struct conn *c)
{
        return !c->dead && !c->closing && !c->stalled;
}

/* Bytes of BUF that belong to the message being gathered in c->in. */
static size_t take_bytes(struct conn *c, const unsigned char *buf, size_t len)
{
        size_t want, n;

        if (c->in_len < WIRE_HDR_SIZE)
                want = WIRE_HDR_SIZE - c->in_len;
        else
                want = WIRE_HDR_SIZE + wire_get_data_len(c->in) - c->in_len;
        n = len < want ? len : want;
        memcpy(c->in + c->in_len, buf, n);
        c->in_len += n;
        return n;
}

/* Handle the message in c->in if it is whole. Data over the limit is not
 * kept: the daemon reads it away and then answers ERROR. */
static void message_complete(struct server *s, struct conn *c)
{
        uint32_t data_len;

        if (c->in_len < WIRE_HDR_SIZE || c->skip_left > 0)
                return;
        data_len = wire_get_data_len(c->in);
        if (data_len > WIRE_DATA_MAX) {
                if (c->in_len == WIRE_HDR_SIZE) {
                        c->skip_left = data_len;
                        c->in_len++;            /* marks the skip as begun */
                        return;
                }
                handle_message(s, c, c->in, NULL);
        } else if (c->in_len == WIRE_HDR_SIZE + data_len) {
                handle_message(s, c, c->in, (const char *)c->in + WIRE_HDR_SIZE);
        } else {
                return;
        }
        c->in_len = 0;
}

static void client_receive(struct server *s, struct conn *c, const unsigned char *buf, size_t len)
{
        while (len > 0 && conn_reads(c)) {
                size_t n;

                if (c->skip_left > 0) {
                        n = len < c->skip_left ? len : (size_t)c->skip_left;
                        c->skip_left -= n;
                } else {
                        n = take_bytes(c, buf, len);
                }
                buf += n;
                len -= n;
                message_complete(s, c);
        }
}

/* A control connection: one line, its reply, then closed. */
static void control_receive(struct server *s, struct conn *c, const unsigned char *buf,
                            size_t len)
{
        _cleanup_free_ char *reply = NULL;
        size_t room = sizeof(c->in) - c->in_len - 1;
        char *nl;

        if (!conn_reads(c))
                return;
        memcpy(c->in + c->in_len, buf, len < room ? len : room);
        c->in_len += len < room ? len : room;
        c->in[c->in_len] = '\0';
        nl = strchr((char *)c->in, '\n');
        if (!nl && c->in_len < sizeof(c->in) - 1)
                return;
        if (nl)
                *nl = '\0';
        conn_log(s, c, "%s", nl ? (char *)c->in : "(line too long)");
        reply = control_run(s, nl ? (char *)c->in : NULL);
        if (!reply) {
                c->dead = true;
                return;
        }
        conn_log(s, c, "%.*s", (int)strcspn(reply, "\n"), reply);
        conn_queue(c, reply, strlen(reply));
        c->closing = true;
}

void conn_receive(struct server *s, struct conn *c, const void *buf, size_t len)
{
        if (c->kind == CONN_CONTROL)
                control_receive(s, c, buf, len);
        else
                client_receive(s, c, buf, len);
}

static void conn_input(struct server *s, struct conn *c)
{
        unsigned char buf[4096];
        ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

        if (n < 0) {
                if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
                        c->dead = true;
                return;
        }
        if (n == 0) {
                c->dead = true;
                return;
        }
        conn_receive(s, c, buf, (size_t)n);
}

/* ---- connections ---- */

static void conn_free(struct conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        while (c->watches) {
                struct watch *w = c->watches;

                c->watches = w->next;
                free(w);
        }
        free(c->out);
        free(c);
}

struct conn *server_add_conn(struct server *s, int fd, enum conn_kind kind)
{
        struct conn *c = calloc(1, sizeof(*c)), **tail;

        if (!c)
                return NULL;
        c->fd = fd;
        c->kind = kind;
        c->seq = ++s->accept_seq;
        if (kind != CONN_CONTROL && s->pending.armed && c->seq > s->pending.after_seq) {
                c->settings = s->pending.settings;
                s->pending.armed = false;
                conn_log(s, c, "takes the armed faults");
        }
        for (tail = &s->conns; *tail; tail = &(*tail)->next)
                ;
        *tail = c;
        conn_log(s, c, "accepted");
        return c;
}

/* Every connection waiting on LISTEN_FD, up to a burst. */
static void server_accept(struct server *s, enum conn_kind kind)
{
        for (unsigned i = 0; s->listen_fd[kind] >= 0 && i < ACCEPT_BURST; i++) {
                int fd = accept4(s->listen_fd[kind], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                            errno != ECONNABORTED)
                                fprintf(stderr, "qdb-test-server: accept: %s\n", strerror(errno));
                        return;
                }
                if (!server_add_conn(s, fd, kind)) {
                        close(fd);
                        return;
                }
        }
}

static void server_reap(struct server *s)
{
        for (struct conn **p = &s->conns; *p;) {
                struct conn *c = *p;

                if (c->closing && c->out_len == 0)
                        c->dead = true;         /* its last words are out */
                if (!c->dead) {
                        p = &c->next;
                        continue;
                }
                *p = c->next;
                conn_log(s, c, "closed after %" PRIu64 " requests", c->n_requests);
                conn_free(c);
        }
}

void server_init(struct server *s, int rw_fd, int ro_fd, int control_fd)
{
        *s = (struct server) { .listen_fd = { rw_fd, ro_fd, control_fd } };
}

void server_done(struct server *s)
{
        while (s->conns) {
                struct conn *c = s->conns;

                s->conns = c->next;
                conn_free(c);
        }
        store_clear(&s->store);
}

struct conn_settings *server_arm(struct server *s)
{
        if (!s->pending.armed)
                s->pending.settings = (struct conn_settings) { 0 };
        s->pending.armed = true;
        s->pending.after_seq = s->accept_seq;
        return &s->pending.settings;
}

static short conn_poll_events(const struct conn *c)
{
        short events = c->out_len > c->out_sent ? POLLOUT : 0;

        /* a stalled connection is not read: only its hang-up is seen */
        return conn_reads(c) ? events | POLLIN : events;
}

/* One round: wait, then serve what is ready. 1 when STOP_FD fired. */
static int server_round(struct server *s, int stop_fd, struct pollfd **fds, size_t *cap)
{
        size_t n = 4, i;
        struct conn *c;

        for (c = s->conns; c; c = c->next)
                n++;
        if (n > *cap) {
                struct pollfd *v = reallocarray(*fds, n, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                *fds = v;
                *cap = n;
        }
        (*fds)[0] = (struct pollfd) { .fd = stop_fd, .events = POLLIN };
        for (i = 0; i < 3; i++)         /* a listener of -1 is ignored by poll() */
                (*fds)[i + 1] = (struct pollfd) { .fd = s->listen_fd[i], .events = POLLIN };
        for (i = 4, c = s->conns; c; c = c->next, i++)
                (*fds)[i] = (struct pollfd) { .fd = c->fd, .events = conn_poll_events(c) };

        if (poll(*fds, n, -1) < 0)
                return errno == EINTR ? 0 : -errno;
        if ((*fds)[0].revents)
                return 1;

        /* the connections polled are the first n - 4: new ones come after */
        for (i = 4, c = s->conns; c && i < n; c = c->next, i++) {
                if (!((*fds)[i].revents & (POLLIN | POLLHUP | POLLERR)))
                        continue;
                if (c->stalled)
                        c->dead = true;         /* only its hang-up is seen */
                else
                        conn_input(s, c);
        }
        /* a request may queue events on any connection: flush them all */
        for (c = s->conns; c; c = c->next)
                conn_flush(c);
        server_reap(s);
        /* every listener, ready or not, and client sockets first: a client
         * that connected before a control command's connection is then
         * accepted before the command runs, and does not take its faults */
        server_accept(s, CONN_RW);
        server_accept(s, CONN_RO);
        server_accept(s, CONN_CONTROL);
        return 0;
}

int server_run(struct server *s, int stop_fd)
{
        _cleanup_free_ struct pollfd *fds = NULL;
        size_t cap = 0;

        for (;;) {
                int r = server_round(s, stop_fd, &fds, &cap);

                if (r != 0)
                        return r < 0 ? r : 0;
        }
}
