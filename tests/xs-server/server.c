/* server.c: connections, their input and output, the faults armed for them,
 * the fan-out of watch events, and the poll() loop. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "request.h"
#include "util.h"

/* A client that stops reading (watch events pile up) is dropped past this. */
#define OUTPUT_MAX (16u << 20)

void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
{
        va_list ap;

        if (!s->verbose)
                return;
        fprintf(stderr, "xs-test-server: conn %" PRIu64 ": ", c->seq);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* ---- output ---- */

static void conn_flush(struct conn *c)
{
        while (!c->dead && c->out_sent < c->out_len) {
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
        c->out_len = c->out_sent = 0;
}

static void conn_queue(struct conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                       const void *payload, size_t len)
{
        struct xsd_sockmsg hdr = {
                .type = type, .req_id = req_id, .tx_id = tx_id, .len = (uint32_t)len,
        };
        size_t need = c->out_len + sizeof(hdr) + len;

        if (c->dead)
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
        memcpy(c->out + c->out_len, &hdr, sizeof(hdr));
        if (len)
                memcpy(c->out + c->out_len + sizeof(hdr), payload, len);
        c->out_len = need;
}

void conn_reply_error(struct conn *c, const struct xsd_sockmsg *req, int errnum)
{
        const char *name = wire_error_name(errnum);

        conn_queue(c, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1);
}

void conn_reply(struct conn *c, const struct wire_request *req,
                  const void *payload, size_t len)
{
        struct xsd_sockmsg hdr = { .req_id = req->req_id, .tx_id = req->tx_id };

        /* xenstored's send_reply(): what does not fit a message is E2BIG,
         * which makes libxenstore fall back to DIRECTORY_PART */
        if (len > XENSTORE_PAYLOAD_MAX) {
                conn_reply_error(c, &hdr, E2BIG);
                return;
        }
        conn_queue(c, req->type, req->req_id, req->tx_id, payload, len);
}

void conn_reply_ok(struct conn *c, const struct wire_request *req)
{
        conn_reply(c, req, "OK", 3);
}

void conn_reply_string(struct conn *c, const struct wire_request *req, const char *s)
{
        conn_reply(c, req, s, strlen(s) + 1);
}

/* ---- watches ---- */

void conn_send_watch_event(struct conn *c, const struct xs_watch *w, const char *path)
{
        _cleanup_free_ char *payload = NULL;
        size_t len;

        if (c->stalled)
                return;         /* a hung daemon sends no events either */
        if (watch_event_payload(w, path, c->settings.domid, &payload, &len) < 0) {
                c->dead = true;         /* a lost event would hang its waiter */
                return;
        }
        if (len <= XENSTORE_PAYLOAD_MAX)
                conn_queue(c, XS_WATCH_EVENT, 0, 0, payload, len);
}

void server_fire(struct server *s, const struct event_list *events)
{
        for (size_t i = 0; i < events->n; i++) {
                const struct xs_event *e = &events->v[i];

                for (struct conn *c = s->conns; c; c = c->next) {
                        if (c->dead || !event_visible_to(e, c->settings.domid))
                                continue;
                        for (struct xs_watch *w = c->watches.head; w; w = w->next)
                                if (watch_matches(w, e))
                                        conn_send_watch_event(c, w, e->path);
                }
        }
}

int server_fire_special(struct server *s, const char *name)
{
        static const char *const names[] = { "@introduceDomain", "@releaseDomain" };
        struct event_list events = { 0 };
        int r = -EINVAL;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (streq(name, names[i]))
                        r = event_list_add(&events, name, true, &s->special_perms[i], NULL);
        if (r >= 0)
                server_fire(s, &events);
        event_list_clear(&events);
        return r;
}

/* Settings armed by a control command go to the first connection accepted
 * after it whose first request is not itself a control command, so that
 * several `xenstore-control` calls can arm one connection together. */
static void conn_take_pending(struct server *s, struct conn *c, uint32_t first_type)
{
        if (!s->pending.armed || first_type == XS_CONTROL || c->seq <= s->pending.after_seq)
                return;
        c->settings = s->pending.settings;
        s->pending.armed = false;
        conn_log(s, c, "takes armed settings: domain %" PRIu32 ", error at %" PRIu64
                 ", drop at %" PRIu64 ", lose at %" PRIu64 ", stall at %" PRIu64 ", %u EAGAIN commits",
                 c->settings.domid, c->settings.error_at, c->settings.drop_at, c->settings.lose_at,
                 c->settings.stall_at, c->settings.eagain_commits);
}

static void handle_message(struct server *s, struct conn *c, const struct wire_msg *msg)
{
        struct wire_request req;
        int r;

        s->n_requests++;
        c->n_requests++;
        if (!c->started) {
                c->started = true;
                conn_take_pending(s, c, msg->hdr.type);
        }

        if (c->settings.drop_at == c->n_requests) {
                conn_log(s, c, "fault: dropping connection at request %" PRIu64, c->n_requests);
                conn_flush(c);          /* earlier replies still count */
                c->dead = true;
                return;
        }
        if (c->settings.stall_at == c->n_requests) {
                conn_log(s, c, "fault: request %" PRIu64 " and all after it stay unanswered", c->n_requests);
                c->stalled = true;
                return;
        }
        if (c->settings.error_at == c->n_requests) {
                conn_log(s, c, "fault: request %" PRIu64 " (%s) answered %s", c->n_requests,
                         wire_type_name(msg->hdr.type), wire_error_name(c->settings.error_errno));
                conn_reply_error(c, &msg->hdr, c->settings.error_errno);
                return;
        }

        size_t out_before = c->out_len;

        r = wire_parse_request(msg, &req);
        if (r >= 0)
                r = request_dispatch(s, c, &req);
        if (r < 0) {
                conn_log(s, c, "%s: %s", wire_type_name(msg->hdr.type), wire_error_name(-r));
                conn_reply_error(c, &msg->hdr, -r);
        } else {
                conn_log(s, c, "%s: OK", wire_type_name(msg->hdr.type));
        }

        /* a daemon that dies after doing the work: the client cannot know */
        if (c->settings.lose_at == c->n_requests) {
                conn_log(s, c, "fault: request %" PRIu64 " done, reply lost, connection closed",
                         c->n_requests);
                c->out_len = out_before;
                conn_flush(c);
                c->dead = true;
        }
}

static void conn_input(struct server *s, struct conn *c)
{
        size_t off = 0;
        ssize_t n;

        n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
        if (n < 0) {
                if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
                        c->dead = true;
                return;
        }
        if (n == 0) {
                c->dead = true;
                return;
        }
        c->in_len += (size_t)n;

        while (!c->dead && !c->stalled) {
                struct wire_msg msg;
                ssize_t used = wire_frame(c->in + off, c->in_len - off, &msg);

                if (used < 0) {
                        /* as xenstored: a client that oversteps the limit is dropped */
                        conn_log(s, c, "payload over %d bytes, closing", XENSTORE_PAYLOAD_MAX);
                        c->dead = true;
                        return;
                }
                if (used == 0)
                        break;
                handle_message(s, c, &msg);
                off += (size_t)used;
        }
        if (c->stalled)
                off = c->in_len;        /* a hung daemon reads nothing more */
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
}

/* ---- connections ---- */

static void conn_free(struct conn *c)
{
        /* what is queued still goes out if the socket takes it now */
        if (c->out_len > c->out_sent && !c->dead)
                conn_flush(c);
        close(c->fd);
        watch_list_clear(&c->watches);
        conn_drop_transactions(c);
        free(c->out);
        free(c);
}

static int server_accept(struct server *s)
{
        struct conn *c, **tail;
        int fd;

        fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
                return (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) ? 0 : -errno;

        c = calloc(1, sizeof(*c));
        if (!c) {
                close(fd);
                return -ENOMEM;
        }
        c->fd = fd;
        c->seq = ++s->accept_seq;
        for (tail = &s->conns; *tail; tail = &(*tail)->next)
                ;
        *tail = c;
        conn_log(s, c, "accepted");
        return 0;
}

static void server_reap(struct server *s)
{
        for (struct conn **p = &s->conns; *p;) {
                struct conn *c = *p;

                if (!c->dead) {
                        p = &c->next;
                        continue;
                }
                *p = c->next;
                conn_log(s, c, "closed after %" PRIu64 " requests", c->n_requests);
                conn_free(c);
        }
}

int server_init(struct server *s, int listen_fd)
{
        static const struct xs_perm dom0_only = { .domid = 0, .access = PERM_NONE };
        static const char *const initial[] = { "/local/domain/0", "/tool" };
        const struct xs_perms perms = { .v = (struct xs_perm *)&dom0_only, .n = 1 };
        struct event_list ignored = { 0 };
        struct store_view view;
        int r = 0;

        *s = (struct server) { .listen_fd = listen_fd };
        s->root = node_new("", 0, &perms);
        if (!s->root)
                return -ENOMEM;
        view = (struct store_view) {
                .root = s->root, .generation = &s->generation, .events = &ignored,
        };
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(initial); i++)
                r = store_mkdir(&view, 0, initial[i]);
        for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(s->special_perms); i++)
                r = perms_copy(&s->special_perms[i], &perms);
        event_list_clear(&ignored);
        if (r < 0)
                server_done(s);
        return r;
}

void server_done(struct server *s)
{
        while (s->conns) {
                struct conn *c = s->conns;

                s->conns = c->next;
                conn_free(c);
        }
        node_free(s->root);
        s->root = NULL;
        for (size_t i = 0; i < ARRAY_SIZE(s->special_perms); i++)
                perms_done(&s->special_perms[i]);
}

struct conn_settings *server_arm(struct server *s)
{
        if (!s->pending.armed)
                s->pending.settings = (struct conn_settings) { 0 };
        s->pending.armed = true;
        s->pending.after_seq = s->accept_seq;
        return &s->pending.settings;
}

int server_dump(struct server *s, FILE *f)
{
        return tree_dump(s->root, f);
}

int server_run(struct server *s, int stop_fd)
{
        _cleanup_free_ struct pollfd *fds = NULL;
        size_t cap = 0;

        for (;;) {
                size_t n = 2, i;
                struct conn *c;

                for (c = s->conns; c; c = c->next)
                        n++;
                if (n > cap) {
                        struct pollfd *v = realloc(fds, n * sizeof(*v));

                        if (!v)
                                return -ENOMEM;
                        fds = v;
                        cap = n;
                }

                fds[0] = (struct pollfd) { .fd = stop_fd, .events = POLLIN };
                fds[1] = (struct pollfd) { .fd = s->listen_fd, .events = POLLIN };
                for (i = 2, c = s->conns; c; c = c->next, i++)
                        fds[i] = (struct pollfd) {
                                .fd = c->fd,
                                .events = POLLIN | (c->out_len > c->out_sent ? POLLOUT : 0),
                        };

                if (poll(fds, n, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (fds[0].revents)
                        return 0;

                /* the connections polled are the first n - 2: new ones come after */
                for (i = 2, c = s->conns; c && i < n; c = c->next, i++) {
                        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
                                conn_input(s, c);
                }
                /* a request may queue events on any connection: flush them all */
                for (c = s->conns; c; c = c->next)
                        conn_flush(c);
                server_reap(s);

                if (fds[1].revents & POLLIN) {
                        int r = server_accept(s);

                        if (r < 0)
                                fprintf(stderr, "xs-test-server: accept: %s\n", strerror(-r));
                }
        }
}
