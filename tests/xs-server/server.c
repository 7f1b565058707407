/* server.c: connections, the poll() loop and the handling of each request
 * type, with xenstored 4.17's replies and errors. */
#include "server.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "control.h"
#include "parse.h"
#include "path.h"
#include "store.h"
#include "util.h"

/* A client that stops reading (watch events pile up) is dropped past this. */
#define OUTPUT_MAX (16u << 20)

/* xenstored's quotas for unprivileged domains. */
#define QUOTA_TRANSACTIONS 10
#define QUOTA_WATCHES 128

#define CONTROL_ARGS_MAX 16

static const char *const special_paths[] = { "@introduceDomain", "@releaseDomain" };

static void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
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

static void reply_error(struct conn *c, const struct xsd_sockmsg *req, int errnum)
{
        const char *name = wire_error_name(errnum);

        conn_queue(c, XS_ERROR, req->req_id, req->tx_id, name, strlen(name) + 1);
}

static void reply(struct conn *c, const struct wire_request *req,
                  const void *payload, size_t len)
{
        struct xsd_sockmsg hdr = { .req_id = req->req_id, .tx_id = req->tx_id };

        /* xenstored's send_reply(): what does not fit a message is E2BIG,
         * which makes libxenstore fall back to DIRECTORY_PART */
        if (len > XENSTORE_PAYLOAD_MAX) {
                reply_error(c, &hdr, E2BIG);
                return;
        }
        conn_queue(c, req->type, req->req_id, req->tx_id, payload, len);
}

static void reply_ok(struct conn *c, const struct wire_request *req)
{
        reply(c, req, "OK", 3);
}

static void reply_string(struct conn *c, const struct wire_request *req, const char *s)
{
        reply(c, req, s, strlen(s) + 1);
}

/* ---- watches ---- */

static void send_watch_event(struct conn *c, const struct xs_watch *w, const char *path)
{
        _cleanup_free_ char *payload = NULL;
        size_t len;

        if (watch_event_payload(w, path, c->settings.domid, &payload, &len) < 0) {
                c->dead = true;         /* a lost event would hang its waiter */
                return;
        }
        if (len <= XENSTORE_PAYLOAD_MAX)
                conn_queue(c, XS_WATCH_EVENT, 0, 0, payload, len);
}

static void server_fire(struct server *s, const struct event_list *events)
{
        for (size_t i = 0; i < events->n; i++) {
                const struct xs_event *e = &events->v[i];

                for (struct conn *c = s->conns; c; c = c->next) {
                        if (c->dead || !event_visible_to(e, c->settings.domid))
                                continue;
                        for (struct xs_watch *w = c->watches.head; w; w = w->next)
                                if (watch_matches(w, e))
                                        send_watch_event(c, w, e->path);
                }
        }
}

/* ---- requests ---- */

static bool conn_privileged(const struct conn *c)
{
        return c->settings.domid == 0;
}

static struct xs_tx *conn_find_tx(const struct conn *c, uint32_t id)
{
        for (struct xs_tx *tx = c->txs; tx; tx = tx->next)
                if (tx->id == id)
                        return tx;
        return NULL;
}

static void conn_drop_tx(struct conn *c, struct xs_tx *tx)
{
        for (struct xs_tx **p = &c->txs; *p; p = &(*p)->next)
                if (*p == tx) {
                        *p = tx->next;
                        c->n_txs--;
                        break;
                }
        tx_free(tx);
}

static void conn_drop_all_tx(struct conn *c)
{
        while (c->txs)
                conn_drop_tx(c, c->txs);
}

/* A store operation of connection C, in TX or on the live tree. */
struct operation {
        struct store_view view;
        struct event_list events;       /* of a change outside a transaction */
        struct server *server;
        bool in_tx;
};

static void operation_begin(struct operation *op, struct server *s, struct xs_tx *tx)
{
        *op = (struct operation) { .server = s, .in_tx = tx != NULL };
        op->view = (struct store_view) {
                .root = tx ? tx->root : s->root,
                .generation = &s->generation,
                .log = tx ? &tx->log : NULL,
                .events = tx ? &tx->events : &op->events,
        };
}

/* Outside a transaction a change fires its watches at once (before the
 * reply, as xenstored queues them); inside one they wait for the commit. */
static int operation_end(struct operation *op, int r)
{
        if (r >= 0 && !op->in_tx)
                server_fire(op->server, &op->events);
        event_list_clear(&op->events);
        return r;
}

static int handle_read(struct server *s, struct conn *c, const struct wire_request *req,
                       struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        struct operation op;
        struct xs_node *node;
        int r;

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_get_node(&op.view, c->settings.domid, path,
                                              PERM_READ, &node));
        if (r < 0)
                return r;
        reply(c, req, node->value, node->value_len);
        return 0;
}

static int handle_directory(struct server *s, struct conn *c, const struct wire_request *req,
                            struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL, *list = NULL;
        struct operation op;
        struct xs_node *node;
        size_t len = 0;
        int r;

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_get_node(&op.view, c->settings.domid, path,
                                              PERM_READ, &node));
        if (r < 0)
                return r;

        list = malloc(node_children_len(node) + 1);
        if (!list)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_children; i++) {
                size_t l = strlen(node->children[i]->name) + 1;

                memcpy(list + len, node->children[i]->name, l);
                len += l;
        }
        reply(c, req, list, len);
        return 0;
}

/* DIRECTORY_PART: the generation, then the children list from a byte
 * offset, as much as fits; the list's end is marked by an extra NUL. */
static int handle_directory_part(struct server *s, struct conn *c,
                                 const struct wire_request *req, struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL, *children = NULL, *out = NULL;
        size_t children_len = 0, chunk = 0, gen_len, max;
        struct operation op;
        struct xs_node *node;
        uint32_t offset;
        char gen[24];
        int r;

        if (parse_u32(req->argv[1], 10, &offset) < 0)
                return -EINVAL;
        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_get_node(&op.view, c->settings.domid, path,
                                              PERM_READ, &node));
        if (r < 0)
                return r;

        children = malloc(node_children_len(node) + 1);
        if (!children)
                return -ENOMEM;
        for (size_t i = 0; i < node->n_children; i++) {
                size_t l = strlen(node->children[i]->name) + 1;

                memcpy(children + children_len, node->children[i]->name, l);
                children_len += l;
        }

        gen_len = (size_t)snprintf(gen, sizeof(gen), "%" PRIu64, node->generation) + 1;
        max = XENSTORE_PAYLOAD_MAX - gen_len - 1;
        while (offset < children_len && chunk < children_len - offset) {
                size_t l = strlen(children + offset + chunk) + 1;

                if (chunk + l > max)
                        break;
                chunk += l;
        }

        out = malloc(gen_len + chunk + 1);
        if (!out)
                return -ENOMEM;
        memcpy(out, gen, gen_len);
        if (chunk)
                memcpy(out + gen_len, children + offset, chunk);
        if (offset >= children_len || offset + chunk == children_len)
                out[gen_len + chunk++] = '\0';
        reply(c, req, out, gen_len + chunk);
        return 0;
}

static int handle_write(struct server *s, struct conn *c, const struct wire_request *req,
                        struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        struct operation op;
        int r;

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_write(&op.view, c->settings.domid, path,
                                           req->data, req->data_len));
        if (r < 0)
                return r;
        reply_ok(c, req);
        return 0;
}

static int handle_mkdir_rm(struct server *s, struct conn *c, const struct wire_request *req,
                           struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        struct operation op;
        int r;

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        if (req->type == XS_MKDIR)
                r = store_mkdir(&op.view, c->settings.domid, path);
        else
                r = store_rm(&op.view, c->settings.domid, path);
        r = operation_end(&op, r);
        if (r < 0)
                return r;
        reply_ok(c, req);
        return 0;
}

static struct xs_perms *special_perms(struct server *s, const char *path)
{
        for (size_t i = 0; i < ARRAY_SIZE(special_paths); i++)
                if (streq(path, special_paths[i]))
                        return &s->special_perms[i];
        return NULL;
}

static int reply_perms(struct conn *c, const struct wire_request *req,
                       const struct xs_perms *perms)
{
        _cleanup_free_ char *out = malloc(perms->n * 12);
        size_t len = 0;

        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < perms->n; i++) {
                perm_format(&perms->v[i], out + len);
                len += strlen(out + len) + 1;
        }
        reply(c, req, out, len);
        return 0;
}

static int handle_get_perms(struct server *s, struct conn *c, const struct wire_request *req,
                            struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        struct xs_perms *special;
        struct operation op;
        struct xs_node *node;
        int r;

        if (req->argv[0][0] == '@') {
                special = special_perms(s, req->argv[0]);
                if (!special)
                        return -EINVAL;
                return reply_perms(c, req, special);
        }

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_get_node(&op.view, c->settings.domid, path,
                                              PERM_READ, &node));
        if (r < 0)
                return r;
        return reply_perms(c, req, &node->perms);
}

static int parse_perms(const struct wire_request *req, struct xs_perms *out)
{
        const char *s = wire_next_string(req, req->argv[0]);
        size_t n = 0;

        out->v = calloc(req->argc - 1, sizeof(*out->v));
        if (!out->v)
                return -ENOMEM;
        for (; s; s = wire_next_string(req, s)) {
                if (perm_parse(s, &out->v[n]) < 0) {
                        perms_done(out);
                        return -EINVAL;
                }
                n++;
        }
        out->n = n;
        return 0;
}

static int handle_set_perms(struct server *s, struct conn *c, const struct wire_request *req,
                            struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        _cleanup_(perms_done) struct xs_perms perms = { 0 };
        struct xs_perms *special;
        struct operation op;
        int r;

        r = parse_perms(req, &perms);
        if (r < 0)
                return r;

        if (req->argv[0][0] == '@') {
                unsigned need = PERM_WRITE | PERM_OWNER;

                special = special_perms(s, req->argv[0]);
                if (!special)
                        return -EINVAL;
                if ((perms_access(special, c->settings.domid) & need) != need)
                        return -EACCES;
                perms_done(special);
                *special = perms;
                perms = (struct xs_perms) { 0 };
                reply_ok(c, req);
                return 0;
        }

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_set_perms(&op.view, c->settings.domid, path, &perms));
        if (r < 0)
                return r;
        reply_ok(c, req);
        return 0;
}

static int handle_watch(struct server *s, struct conn *c, const struct wire_request *req)
{
        _cleanup_free_ char *path = NULL;
        struct xs_watch *w;
        bool relative;
        int r;

        r = path_canonicalize_watch(req->argv[0], c->settings.domid, &path, &relative);
        if (r < 0)
                return r;
        if (!conn_privileged(c) && c->watches.n >= QUOTA_WATCHES)
                return -E2BIG;
        r = watch_add(&c->watches, path, req->argv[1], relative, &w);
        if (r < 0)
                return r;
        reply_ok(c, req);
        /* xenstored fires every new watch once, right after the reply */
        send_watch_event(c, w, w->path);
        return 0;
}

static int handle_unwatch(struct server *s, struct conn *c, const struct wire_request *req)
{
        _cleanup_free_ char *path = NULL;
        bool relative;
        int r;

        r = path_canonicalize_watch(req->argv[0], c->settings.domid, &path, &relative);
        if (r < 0)
                return r;
        r = watch_remove(&c->watches, path, req->argv[1]);
        if (r < 0)
                return r;
        reply_ok(c, req);
        return 0;
}

static int handle_transaction_start(struct server *s, struct conn *c,
                                    const struct wire_request *req, struct xs_tx *tx)
{
        char id[16];

        if (tx)
                return -EBUSY;  /* no nesting */
        if (!conn_privileged(c) && c->n_txs >= QUOTA_TRANSACTIONS)
                return -ENOSPC;

        /* ids are per connection, never 0 (no transaction) nor one in use */
        do {
                c->next_tx_id++;
        } while (c->next_tx_id == 0 || conn_find_tx(c, c->next_tx_id));

        tx = tx_new(c->next_tx_id, s->root);
        if (!tx)
                return -ENOMEM;
        tx->next = c->txs;
        c->txs = tx;
        c->n_txs++;

        snprintf(id, sizeof(id), "%" PRIu32, tx->id);
        reply_string(c, req, id);
        return 0;
}

static int handle_transaction_end(struct server *s, struct conn *c,
                                  const struct wire_request *req, struct xs_tx *tx)
{
        struct event_list fired = { 0 };
        const char *arg = req->argv[0];
        int r;

        if (!streq(arg, "T") && !streq(arg, "F"))
                return -EINVAL;
        if (!tx)
                return -ENOENT;

        if (streq(arg, "F")) {
                conn_drop_tx(c, tx);
                reply_ok(c, req);
                return 0;
        }

        if (c->settings.eagain_commits > 0) {
                c->settings.eagain_commits--;
                conn_log(s, c, "fault: commit of transaction %" PRIu32 " refused", tx->id);
                conn_drop_tx(c, tx);
                return -EAGAIN;
        }

        r = tx_commit(tx, s->root, &s->generation, &fired);
        conn_drop_tx(c, tx);
        if (r >= 0)
                server_fire(s, &fired);
        event_list_clear(&fired);
        if (r < 0)
                return r;
        reply_ok(c, req);
        return 0;
}

static int handle_get_domain_path(struct conn *c, const struct wire_request *req)
{
        char path[sizeof("/local/domain/4294967295")];
        uint32_t domid;

        if (parse_u32(req->argv[0], 10, &domid) < 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/local/domain/%" PRIu32, domid);
        reply_string(c, req, path);
        return 0;
}

static int handle_is_domain_introduced(struct conn *c, const struct wire_request *req)
{
        uint32_t domid;

        if (parse_u32(req->argv[0], 10, &domid) < 0)
                return -EINVAL;
        /* no guests here: only dom0 is known */
        reply_string(c, req, domid == 0 ? "T" : "F");
        return 0;
}

static int handle_reset_watches(struct conn *c, const struct wire_request *req)
{
        watch_list_clear(&c->watches);
        conn_drop_all_tx(c);
        reply_ok(c, req);
        return 0;
}

static int handle_control(struct server *s, struct conn *c, const struct wire_request *req)
{
        _cleanup_free_ char *text = NULL;
        char *argv[CONTROL_ARGS_MAX];
        unsigned argc = 0;
        int r;

        if (!conn_privileged(c))
                return -EACCES;
        for (const char *a = req->argv[0]; a; a = wire_next_string(req, a)) {
                if (argc == ARRAY_SIZE(argv))
                        return -EINVAL;
                argv[argc++] = (char *)a;
        }
        r = control_execute(s, argc, argv, &text);
        if (r < 0)
                return r;
        if (text)
                reply_string(c, req, text);
        else
                reply_ok(c, req);
        return 0;
}

static int dispatch(struct server *s, struct conn *c, const struct wire_request *req)
{
        struct xs_tx *tx = NULL;

        /* xenstored ignores tx_id for watches; elsewhere it must name one of
         * this connection's transactions */
        if (req->tx_id != 0 && req->type != XS_WATCH && req->type != XS_UNWATCH) {
                tx = conn_find_tx(c, req->tx_id);
                if (!tx)
                        return -ENOENT;
        }

        switch (req->type) {
        case XS_READ:
                return handle_read(s, c, req, tx);
        case XS_DIRECTORY:
                return handle_directory(s, c, req, tx);
        case XS_DIRECTORY_PART:
                return handle_directory_part(s, c, req, tx);
        case XS_WRITE:
                return handle_write(s, c, req, tx);
        case XS_MKDIR:
        case XS_RM:
                return handle_mkdir_rm(s, c, req, tx);
        case XS_GET_PERMS:
                return handle_get_perms(s, c, req, tx);
        case XS_SET_PERMS:
                return handle_set_perms(s, c, req, tx);
        case XS_WATCH:
                return handle_watch(s, c, req);
        case XS_UNWATCH:
                return handle_unwatch(s, c, req);
        case XS_TRANSACTION_START:
                return handle_transaction_start(s, c, req, tx);
        case XS_TRANSACTION_END:
                return handle_transaction_end(s, c, req, tx);
        case XS_GET_DOMAIN_PATH:
                return handle_get_domain_path(c, req);
        case XS_IS_DOMAIN_INTRODUCED:
                return handle_is_domain_introduced(c, req);
        case XS_RESET_WATCHES:
                return handle_reset_watches(c, req);
        case XS_CONTROL:
                return handle_control(s, c, req);
        case XS_INTRODUCE:
        case XS_RELEASE:
        case XS_RESUME:
        case XS_SET_TARGET:
                /* domain management: only dom0 may, and there are no guests */
                return conn_privileged(c) ? -EINVAL : -EACCES;
        default:
                return -ENOSYS;
        }
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
                 ", drop at %" PRIu64 ", %u EAGAIN commits", c->settings.domid,
                 c->settings.error_at, c->settings.drop_at, c->settings.eagain_commits);
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
        if (c->settings.error_at == c->n_requests) {
                conn_log(s, c, "fault: request %" PRIu64 " (%s) answered %s", c->n_requests,
                         wire_type_name(msg->hdr.type), wire_error_name(c->settings.error_errno));
                reply_error(c, &msg->hdr, c->settings.error_errno);
                return;
        }

        r = wire_parse_request(msg, &req);
        if (r >= 0)
                r = dispatch(s, c, &req);
        if (r < 0) {
                conn_log(s, c, "%s: %s", wire_type_name(msg->hdr.type), wire_error_name(-r));
                reply_error(c, &msg->hdr, -r);
        } else {
                conn_log(s, c, "%s: OK", wire_type_name(msg->hdr.type));
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

        while (!c->dead) {
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
        conn_drop_all_tx(c);
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
