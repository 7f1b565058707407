/* xs.c: the xenstore client on the wire protocol, with bounded waits. */
#include "xs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <stdint.h>
#include <time.h>
#include <xen/io/xs_wire.h>

#include "deadline.h"
#include "log.h"
#include "parse.h"
#include "util.h"

#define XSC_MESSAGE_MAX (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)

struct xsc_event {
        char *path, *token;
};

struct xsc {
        int fd;
        bool is_socket;
        uint32_t next_req_id;
        int64_t deadline_ms;            /* CLOCK_MONOTONIC; 0: none */
        int64_t end_ms;                 /* no budget goes past it; 0: none */
        unsigned char in[2 * XSC_MESSAGE_MAX];
        size_t in_len;
        struct xsc_event *events;       /* a FIFO: [events_head, n_events) */
        size_t n_events, events_head, events_allocated;
        bool events_dropped;
};

/* ------------------------------------------------------------ connecting */

/* PATH is a unix socket (xenstored's) or the xenbus device, as libxenstore
 * decides by stat(). */
static int connect_path(struct xsc *xs, const char *path)
{
        struct stat st;
        int fd;

        if (stat(path, &st) < 0)
                return negative_errno();
        xs->is_socket = S_ISSOCK(st.st_mode);
        /* a daemon whose listen queue is full is waited for as for a reply */
        fd = xs->is_socket ? unix_connect(path, xs->deadline_ms ? xs->deadline_ms : deadline_after(XSC_REPLY_TIMEOUT_MS))
                           : open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return fd == -1 ? negative_errno() : fd;
        xs->fd = fd;
        return 0;
}

static int xsc_connect(struct xsc *xs, struct reason *why)
{
        const char *env = getenv("XENSTORED_PATH"), *rundir = getenv("XENSTORED_RUNDIR");
        char socket_path[PATH_MAX];
        const char *candidates[3];
        size_t n = 0;
        int r = -ENOENT, first = 0;

        if (env) {
                candidates[n++] = env;
        } else {
                if (path_join(socket_path, sizeof(socket_path), rundir ? rundir : "/var/run/xenstored",
                              "socket") == 0)
                        candidates[n++] = socket_path;
                candidates[n++] = access("/dev/xen/xenbus", F_OK) == 0 ? "/dev/xen/xenbus" : "/proc/xen/xenbus";
        }
        xs->in_len = 0;
        for (size_t i = 0; i < n; i++) {
                r = connect_path(xs, candidates[i]);
                if (r == 0)
                        return 0;
                if (!first && r != -ENOENT)
                        first = r;      /* a daemon that is there but refuses says more than one that is not */
        }
        if (first)
                r = first;
        return reason_set_errno(why, r, "cannot connect to xenstore (%s%s%s)", candidates[0],
                                n > 1 ? " or " : "", n > 1 ? candidates[n - 1] : "");
}

int xsc_open(struct xsc **out, struct reason *why)
{
        struct xsc *xs = calloc(1, sizeof(*xs));
        int r;

        if (!xs)
                return reason_set_errno(why, -ENOMEM, "cannot connect to xenstore");
        xs->fd = -1;
        xsc_set_budget(xs, XSC_BUDGET_MS);
        r = xsc_connect(xs, why);
        if (r < 0) {
                free(xs);
                return r;
        }
        xsc_set_budget(xs, XSC_BUDGET_MS);
        *out = xs;
        return 0;
}

int xsc_open_fd(int fd, bool is_socket, struct xsc **out)
{
        struct xsc *xs = calloc(1, sizeof(*xs));

        if (!xs)
                return -ENOMEM;
        xs->fd = fd;
        xs->is_socket = is_socket;
        xsc_set_budget(xs, XSC_BUDGET_MS);
        *out = xs;
        return 0;
}

static void xsc_disconnect(struct xsc *xs)
{
        closep(&xs->fd);
        xs->fd = -1;
        xs->in_len = 0;
}

int xsc_reconnect(struct xsc *xs, int budget_ms, struct reason *why)
{
        xsc_disconnect(xs);
        xsc_set_budget(xs, budget_ms);
        return xsc_connect(xs, why);
}

int xsc_renew(struct xsc *xs, int budget_ms, struct reason *why)
{
        if (xs->fd < 0)
                return xsc_reconnect(xs, budget_ms, why);
        xsc_set_budget(xs, budget_ms);
        return 0;
}

static void events_clear(struct xsc *xs)
{
        for (size_t i = xs->events_head; i < xs->n_events; i++) {
                free(xs->events[i].path);
                free(xs->events[i].token);
        }
        free(xs->events);
        xs->events = NULL;
        xs->n_events = xs->events_head = xs->events_allocated = 0;
}

void xsc_close(struct xsc *xs)
{
        xsc_disconnect(xs);
        events_clear(xs);
        free(xs);
}

void xsc_set_budget(struct xsc *xs, int budget_ms)
{
        xs->deadline_ms = budget_ms < 0 ? 0 : now_ms() + budget_ms;
        if (xs->end_ms && (!xs->deadline_ms || xs->deadline_ms > xs->end_ms))
                xs->deadline_ms = xs->end_ms;
}

void xsc_set_end(struct xsc *xs, int64_t end_ms)
{
        xs->end_ms = end_ms;
        if (!xs->deadline_ms || xs->deadline_ms > end_ms)
                xs->deadline_ms = end_ms;
}

int xsc_fd(const struct xsc *xs)
{
        return xs->fd;
}

/* ------------------------------------------------------------- transport */

/* Wait until FD is ready for EVENTS, at most the reply timeout and what is
 * left of the budget (TIMEOUT_MS overrides both when >= 0). */
static int xsc_wait(struct xsc *xs, short events, int timeout_ms)
{
        struct pollfd p = { .fd = xs->fd, .events = events };
        int wait = timeout_ms >= 0 ? timeout_ms : XSC_REPLY_TIMEOUT_MS;
        int n;

        if (timeout_ms < 0 && xs->deadline_ms) {
                int64_t left = xs->deadline_ms - now_ms();

                if (left <= 0)
                        return -ETIMEDOUT;
                if (left < wait)
                        wait = (int)left;
        }
        do
                n = poll(&p, 1, wait);
        while (n < 0 && errno == EINTR);    /* a signal does not restart the bound: good enough */
        if (n < 0)
                return negative_errno();
        return n == 0 ? -ETIMEDOUT : 0;
}

static int xsc_send_all(struct xsc *xs, const unsigned char *buf, size_t len)
{
        while (len > 0) {
                ssize_t n = xs->is_socket ? send(xs->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT)
                                          : write(xs->fd, buf, len);
                int r;

                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                        r = xsc_wait(xs, POLLOUT, -1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? negative_errno() : -ECONNRESET;
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* Fill the input buffer with at least one more byte. */
static int xsc_fill(struct xsc *xs, int timeout_ms)
{
        ssize_t n;
        int r;

        for (;;) {
                r = xsc_wait(xs, POLLIN, timeout_ms);
                if (r < 0)
                        return r;
                n = read(xs->fd, xs->in + xs->in_len, sizeof(xs->in) - xs->in_len);
                if (n > 0) {
                        xs->in_len += (size_t)n;
                        return 0;
                }
                if (n == 0)
                        return -ECONNRESET;
                if (errno != EINTR && errno != EAGAIN)
                        return negative_errno();
        }
}

/* The next whole message: its header, and its payload copied into a
 * malloc'd buffer with a NUL added. */
static int xsc_next_message(struct xsc *xs, int timeout_ms, struct xsd_sockmsg *hdr, char **body)
{
        size_t total;
        int r;

        while (xs->in_len < sizeof(*hdr))
                if ((r = xsc_fill(xs, timeout_ms)) < 0)
                        return r;
        memcpy(hdr, xs->in, sizeof(*hdr));
        if (hdr->len > XENSTORE_PAYLOAD_MAX)
                return -EPROTO;
        total = sizeof(*hdr) + hdr->len;
        while (xs->in_len < total)
                if ((r = xsc_fill(xs, timeout_ms)) < 0)
                        return r;
        *body = malloc(hdr->len + 1);
        if (!*body)
                return -ENOMEM;
        memcpy(*body, xs->in + sizeof(*hdr), hdr->len);
        (*body)[hdr->len] = '\0';
        memmove(xs->in, xs->in + total, xs->in_len - total);
        xs->in_len -= total;
        return 0;
}

/* A watch event's payload is "PATH\0TOKEN\0". */
static int xsc_queue_event(struct xsc *xs, const char *body, size_t len)
{
        size_t path_len = strnlen(body, len);
        struct xsc_event e;

        if (path_len == len)
                return -EPROTO;
        if (xs->n_events - xs->events_head >= XSC_WATCH_QUEUE_MAX) {
                free(xs->events[xs->events_head].path);
                free(xs->events[xs->events_head].token);
                xs->events_head++;
                xs->events_dropped = true;
        }
        if (xs->events_head > 0 && xs->events_head * 2 >= xs->n_events) {
                memmove(xs->events, xs->events + xs->events_head,
                        (xs->n_events - xs->events_head) * sizeof(*xs->events));
                xs->n_events -= xs->events_head;
                xs->events_head = 0;
        }
        if (ARRAY_RESERVE(xs->events, xs->events_allocated, xs->n_events + 1) < 0)
                return -ENOMEM;
        e.path = strdup(body);
        e.token = strndup(body + path_len + 1, len - path_len - 1);
        if (!e.path || !e.token) {
                free(e.path);
                free(e.token);
                return -ENOMEM;
        }
        xs->events[xs->n_events++] = e;
        return 0;
}

static int error_from_string(const char *s)
{
        for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++)
                if (streq(s, xsd_errors[i].errstring))
                        return -xsd_errors[i].errnum;
        return -EIO;
}

static const char *type_name(uint32_t type)
{
        static const char *const names[] = {
                [XS_READ] = "read", [XS_WRITE] = "write", [XS_RM] = "rm",
                [XS_DIRECTORY] = "directory", [XS_DIRECTORY_PART] = "directory-part",
                [XS_TRANSACTION_START] = "transaction-start", [XS_TRANSACTION_END] = "transaction-end",
                [XS_WATCH] = "watch", [XS_UNWATCH] = "unwatch",
        };

        return type < ARRAY_SIZE(names) && names[type] ? names[type] : "request";
}

/* Build one request message in MSG (header and payload). */
static int build_message(unsigned char *msg, uint32_t type, uint32_t req_id, xsc_txn t, const struct iovec *parts,
                         size_t n_parts, size_t *total)
{
        struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = t };
        size_t len = 0;

        for (size_t i = 0; i < n_parts; i++) {
                if (parts[i].iov_len > XENSTORE_PAYLOAD_MAX - len)
                        return -E2BIG;
                memcpy(msg + sizeof(hdr) + len, parts[i].iov_base, parts[i].iov_len);
                len += parts[i].iov_len;
        }
        hdr.len = (uint32_t)len;
        memcpy(msg, &hdr, sizeof(hdr));
        *total = sizeof(hdr) + len;
        return 0;
}

/* The reply to request REQ_ID of TYPE (watch events on the way are
 * queued). A transport failure is returned as TRANSPORT (and closes the
 * connection); the daemon's error as the return value. */
static int receive_reply(struct xsc *xs, uint32_t type, uint32_t req_id, char **reply, size_t *reply_len,
                         int *transport)
{
        struct xsd_sockmsg got;
        char *body = NULL;
        int r;

        for (;;) {
                r = xsc_next_message(xs, -1, &got, &body);
                if (r < 0 || got.type != XS_WATCH_EVENT)
                        break;
                r = xsc_queue_event(xs, body, got.len);
                free(body);
                body = NULL;
                if (r < 0)
                        break;
        }
        if (r == 0 && got.req_id != req_id)
                r = -EPROTO;
        if (r == 0 && got.type == XS_ERROR) {
                r = error_from_string(body);
                free(body);
                return r;
        }
        if (r == 0 && got.type != type)
                r = -EPROTO;
        if (r < 0) {
                free(body);
                log_debug("xenstore %s: %s: connection closed", type_name(type), strerror(-r));
                xsc_disconnect(xs);
                *transport = r;
                return r;
        }
        if (reply) {
                *reply = body;
                if (reply_len)
                        *reply_len = got.len;
        } else {
                free(body);
        }
        return 0;
}

/* One request and its reply. */
static int xsc_request(struct xsc *xs, uint32_t type, xsc_txn t, const struct iovec *parts, size_t n_parts,
                       char **reply, size_t *reply_len)
{
        unsigned char msg[XSC_MESSAGE_MAX];
        uint32_t req_id = ++xs->next_req_id;
        size_t total;
        int r, transport = 0;

        if (xs->fd < 0)
                return -ENOTCONN;
        r = build_message(msg, type, req_id, t, parts, n_parts, &total);
        if (r < 0)
                return r;
        r = xsc_send_all(xs, msg, total);
        if (r < 0) {
                xsc_disconnect(xs);
                return r;
        }
        r = receive_reply(xs, type, req_id, reply, reply_len, &transport);
        log_debug("xenstore %s %s: %s", type_name(type), n_parts ? (const char *)parts[0].iov_base : "",
                  r < 0 ? strerror(-r) : "ok");
        return r;
}

#define STRING_PART(s) { .iov_base = (void *)(s), .iov_len = strlen(s) + 1 }

/* ----------------------------------------------------------- operations */

int xsc_read(struct xsc *xs, xsc_txn t, const char *path, char **value, size_t *len)
{
        struct iovec parts[] = { STRING_PART(path) };

        return xsc_request(xs, XS_READ, t, parts, 1, value, len);
}

int xsc_write(struct xsc *xs, xsc_txn t, const char *path, const char *value)
{
        struct iovec parts[] = { STRING_PART(path), { .iov_base = (void *)value, .iov_len = strlen(value) } };

        return xsc_request(xs, XS_WRITE, t, parts, 2, NULL, NULL);
}

int xsc_rm(struct xsc *xs, xsc_txn t, const char *path)
{
        struct iovec parts[] = { STRING_PART(path) };

        return xsc_request(xs, XS_RM, t, parts, 1, NULL, NULL);
}

static uint32_t op_wire_type(enum xsc_op_type type)
{
        switch (type) {
        case XSC_OP_READ:
                return XS_READ;
        case XSC_OP_WRITE:
                return XS_WRITE;
        case XSC_OP_LIST:
                return XS_DIRECTORY;
        case XSC_OP_RM:
                break;
        }
        return XS_RM;
}

int xsc_batch(struct xsc *xs, xsc_txn t, struct xsc_op *ops, size_t n)
{
        _cleanup_free_ unsigned char *out = NULL;
        _cleanup_free_ size_t *ends = NULL;
        size_t used = 0;
        uint32_t first_id = xs->next_req_id + 1;
        int r = 0, transport = 0;

        if (n == 0)
                return 0;
        if (xs->fd < 0)
                return -ENOTCONN;
        out = malloc(n * XSC_MESSAGE_MAX);
        ends = calloc(n, sizeof(*ends));
        if (!out || !ends)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct iovec parts[2] = { STRING_PART(ops[i].path) };
                size_t n_parts = 1, total;

                if (ops[i].type == XSC_OP_WRITE) {
                        parts[1] = (struct iovec){ (void *)ops[i].value, strlen(ops[i].value) };
                        n_parts = 2;
                }
                ops[i].reply = NULL;
                r = build_message(out + used, op_wire_type(ops[i].type), first_id + (uint32_t)i, t, parts,
                                  n_parts, &total);
                if (r < 0)
                        return r;
                used += total;
                ends[i] = used;
        }
        xs->next_req_id += (uint32_t)n;
        /* All at once on a socket. Not on the xenbus device: it takes one
         * message per write, and Linux sends a request's body to xenstored
         * from the file's one buffer later, so a request written before the
         * last one went out overwrites it (real xenstored then answered
         * EINVAL or ENOMEM to our writes in a domU): one at a time there. */
        if (xs->is_socket && (r = xsc_send_all(xs, out, used)) < 0) {
                xsc_disconnect(xs);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                size_t start = i ? ends[i - 1] : 0;

                if (transport) {
                        ops[i].r = transport;
                        continue;
                }
                if (!xs->is_socket && (r = xsc_send_all(xs, out + start, ends[i] - start)) < 0) {
                        xsc_disconnect(xs);
                        transport = ops[i].r = r;
                        continue;
                }
                ops[i].r = receive_reply(xs, op_wire_type(ops[i].type), first_id + (uint32_t)i,
                                         ops[i].type == XSC_OP_READ || ops[i].type == XSC_OP_LIST ? &ops[i].reply : NULL,
                                         &ops[i].len, &transport);
                log_debug("xenstore %s %s: %s (batched)", type_name(op_wire_type(ops[i].type)), ops[i].path,
                          ops[i].r < 0 ? strerror(-ops[i].r) : "ok");
        }
        return transport;
}

void xsc_ops_clear(struct xsc_op *ops, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(ops[i].reply);
                ops[i].reply = NULL;
        }
}

/* "a\0b\0" (each name NUL-terminated) appended to *NAMES. */
static int names_append(char ***names, const char *data, size_t len)
{
        for (size_t off = 0; off < len;) {
                size_t n = strnlen(data + off, len - off);
                int r;

                if (off + n == len)
                        return -EPROTO;         /* a name without its NUL */
                if (n > 0 && (r = strv_extend(names, data + off)) < 0)
                        return r;
                off += n + 1;
        }
        return 0;
}

/* A directory too big for one reply, in parts: each reply starts with the
 * node's generation (a change restarts the listing) and the last part ends
 * with an extra NUL. */
static int xsc_list_in_parts(struct xsc *xs, xsc_txn t, const char *path, char ***out)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *data = NULL;
        char generation[32] = "", offset[24];
        size_t len = 0;

        for (unsigned rounds = 0; rounds < 1024; rounds++) {
                _cleanup_free_ char *reply = NULL;
                size_t reply_len, gen_len, part_len;
                char *grown;
                int r;

                snprintf(offset, sizeof(offset), "%zu", len);
                struct iovec parts[] = { STRING_PART(path), STRING_PART(offset) };
                r = xsc_request(xs, XS_DIRECTORY_PART, t, parts, 2, &reply, &reply_len);
                if (r < 0)
                        return r;
                gen_len = strnlen(reply, reply_len);
                if (gen_len == reply_len || gen_len >= sizeof(generation))
                        return -EPROTO;
                if (len > 0 && !streq(generation, reply)) {
                        len = 0;                /* changed meanwhile: from the start */
                        continue;
                }
                memcpy(generation, reply, gen_len + 1);
                part_len = reply_len - gen_len - 1;
                grown = realloc(data, len + part_len + 1);
                if (!grown)
                        return -ENOMEM;
                data = grown;
                memcpy(data + len, reply + gen_len + 1, part_len);
                len += part_len;
                if (part_len == 0 || len <= 1 || data[len - 2] == '\0') {
                        int r2 = names_append(&names, data, len > 0 ? len - 1 : 0);

                        if (r2 < 0)
                                return r2;
                        if (!names && (names = calloc(1, sizeof(char *))) == NULL)
                                return -ENOMEM;
                        *out = TAKE_PTR(names);
                        return 0;
                }
        }
        return -EPROTO;
}

int xsc_op_names(const struct xsc_op *op, char ***out)
{
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (op->type != XSC_OP_LIST || op->r < 0 || !op->reply)
                return op->r < 0 ? op->r : -EINVAL;
        r = names_append(&names, op->reply, op->len);
        if (r < 0)
                return r;
        if (!names && (names = calloc(1, sizeof(char *))) == NULL)
                return -ENOMEM;
        *out = TAKE_PTR(names);
        return 0;
}

int xsc_list(struct xsc *xs, xsc_txn t, const char *path, char ***out)
{
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *reply = NULL;
        struct iovec parts[] = { STRING_PART(path) };
        size_t len;
        int r;

        r = xsc_request(xs, XS_DIRECTORY, t, parts, 1, &reply, &len);
        if (r == -E2BIG)
                return xsc_list_in_parts(xs, t, path, out);
        if (r < 0)
                return r;
        r = names_append(&names, reply, len);
        if (r < 0)
                return r;
        if (!names && (names = calloc(1, sizeof(char *))) == NULL)
                return -ENOMEM;
        *out = TAKE_PTR(names);
        return 0;
}

int xsc_transaction_start(struct xsc *xs, xsc_txn *t)
{
        struct iovec parts[] = { STRING_PART("") };
        _cleanup_free_ char *reply = NULL;
        uint32_t id;
        int r;

        r = xsc_request(xs, XS_TRANSACTION_START, XSC_NO_TXN, parts, 1, &reply, NULL);
        if (r < 0)
                return r;
        if (parse_u32(reply, 10, &id) < 0 || id == XSC_NO_TXN)
                return -EPROTO;
        *t = id;
        return 0;
}

int xsc_transaction_end(struct xsc *xs, xsc_txn t, bool abort)
{
        struct iovec parts[] = { STRING_PART(abort ? "F" : "T") };

        return xsc_request(xs, XS_TRANSACTION_END, t, parts, 1, NULL, NULL);
}

/* Writers racing on the same nodes spread out instead of colliding in
 * lockstep: a short random wait, growing with the attempt. */
static void xsc_backoff(unsigned attempt)
{
        static uint64_t state;
        unsigned max_us = 200u << (attempt < 6 ? attempt : 6);
        struct timespec ts = { 0, 0 };

        if (!state) {
                struct timespec now;

                clock_gettime(CLOCK_MONOTONIC, &now);
                state = ((uint64_t)getpid() << 32) ^ (uint64_t)now.tv_nsec ^ 0x9e3779b97f4a7c15u;
        }
        state ^= state << 13;           /* xorshift64 */
        state ^= state >> 7;
        state ^= state << 17;
        ts.tv_nsec = (long)((state % max_us) + 50) * 1000L;
        nanosleep(&ts, NULL);
}

int xsc_transact(struct xsc *xs, xsc_transaction_body body, void *userdata)
{
        for (unsigned attempt = 0; attempt < XSC_TRANSACTION_ATTEMPTS; attempt++) {
                xsc_txn t;
                int r, end;

                r = xsc_transaction_start(xs, &t);
                if (r == -EAGAIN) {
                        xsc_backoff(attempt);
                        continue;
                }
                if (r < 0)
                        return r;
                r = body(xs, t, userdata);
                end = xsc_transaction_end(xs, t, r < 0);
                if (r < 0 && r != -EAGAIN)
                        return r;
                if (r >= 0 && end == 0)
                        return r;
                if (r >= 0 && end != -EAGAIN)
                        return end;
                xsc_backoff(attempt);
        }
        return -EAGAIN;
}

/* --------------------------------------------------------------- watches */

int xsc_watch(struct xsc *xs, const char *path, const char *token)
{
        struct iovec parts[] = { STRING_PART(path), STRING_PART(token) };

        return xsc_request(xs, XS_WATCH, XSC_NO_TXN, parts, 2, NULL, NULL);
}

int xsc_unwatch(struct xsc *xs, const char *path, const char *token)
{
        struct iovec parts[] = { STRING_PART(path), STRING_PART(token) };

        return xsc_request(xs, XS_UNWATCH, XSC_NO_TXN, parts, 2, NULL, NULL);
}

int xsc_read_watch(struct xsc *xs, int timeout_ms, char **path, char **token)
{
        struct xsd_sockmsg hdr;
        char *body;
        int r;

        if (xs->events_dropped) {
                xs->events_dropped = false;
                return -ENOBUFS;
        }
        while (xs->events_head == xs->n_events) {
                if (xs->fd < 0)
                        return -ENOTCONN;
                r = xsc_next_message(xs, timeout_ms < 0 ? INT_MAX : timeout_ms, &hdr, &body);
                if (r == -ETIMEDOUT)
                        return -EAGAIN;         /* a part of a message may wait in the buffer */
                if (r < 0) {
                        xsc_disconnect(xs);
                        return r;
                }
                r = hdr.type == XS_WATCH_EVENT ? xsc_queue_event(xs, body, hdr.len) : -EPROTO;
                free(body);
                if (r == -EPROTO)               /* a reply nobody asked for */
                        xsc_disconnect(xs);
                if (r < 0)
                        return r;
        }
        *path = xs->events[xs->events_head].path;
        *token = xs->events[xs->events_head].token;
        xs->events_head++;
        return 0;
}
