/* request.c: the handling of each request type, with xenstored 4.17's
 * replies and errors. */
#include "request.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "parse.h"
#include "path.h"
#include "store.h"
#include "util.h"

/* xenstored's quotas for unprivileged domains. */
#define QUOTA_TRANSACTIONS 10
#define QUOTA_WATCHES 128

#define CONTROL_ARGS_MAX 16

static const char *const special_paths[] = { "@introduceDomain", "@releaseDomain" };

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

void conn_drop_transactions(struct conn *c)
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
                .live = tx ? s->root : NULL,
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

/* The node a reading request names, if the connection may read it. */
static int lookup_readable(struct server *s, struct conn *c, const char *raw,
                           struct xs_tx *tx, struct xs_node **node)
{
        _cleanup_free_ char *path = NULL;
        struct operation op;
        int r;

        r = path_canonicalize(raw, c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        return operation_end(&op, store_get_node(&op.view, c->settings.domid, path,
                                                 PERM_READ, node));
}

/* The names of NODE's children, each with its NUL, as DIRECTORY sends them. */
static char *children_list(const struct xs_node *node, size_t *len)
{
        char *list = malloc(node_children_len(node) + 1);

        *len = 0;
        if (!list)
                return NULL;
        for (size_t i = 0; i < node->n_children; i++) {
                size_t l = strlen(node->children[i]->name) + 1;

                memcpy(list + *len, node->children[i]->name, l);
                *len += l;
        }
        return list;
}

static int handle_read(struct server *s, struct conn *c, const struct wire_request *req,
                       struct xs_tx *tx)
{
        struct xs_node *node;
        int r;

        r = lookup_readable(s, c, req->argv[0], tx, &node);
        if (r < 0)
                return r;
        conn_reply(c, req, node->value, node->value_len);
        return 0;
}

static int handle_directory(struct server *s, struct conn *c, const struct wire_request *req,
                            struct xs_tx *tx)
{
        _cleanup_free_ char *list = NULL;
        struct xs_node *node;
        size_t len;
        int r;

        r = lookup_readable(s, c, req->argv[0], tx, &node);
        if (r < 0)
                return r;
        list = children_list(node, &len);
        if (!list)
                return -ENOMEM;
        conn_reply(c, req, list, len);
        return 0;
}

/* DIRECTORY_PART: the generation, then the children list from a byte
 * offset, as much as fits; the list's end is marked by an extra NUL. */
static int handle_directory_part(struct server *s, struct conn *c,
                                 const struct wire_request *req, struct xs_tx *tx)
{
        _cleanup_free_ char *children = NULL, *out = NULL;
        size_t children_len, chunk = 0, gen_len, max;
        struct xs_node *node;
        uint32_t offset;
        char gen[24];
        int r;

        if (parse_u32(req->argv[1], 10, &offset) < 0)
                return -EINVAL;
        r = lookup_readable(s, c, req->argv[0], tx, &node);
        if (r < 0)
                return r;
        children = children_list(node, &children_len);
        if (!children)
                return -ENOMEM;

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
        conn_reply(c, req, out, gen_len + chunk);
        return 0;
}

/* WRITE, MKDIR, RM */
static int handle_change(struct server *s, struct conn *c, const struct wire_request *req,
                         struct xs_tx *tx)
{
        _cleanup_free_ char *path = NULL;
        uint32_t domid = c->settings.domid;
        struct operation op;
        int r;

        r = path_canonicalize(req->argv[0], domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        if (req->type == XS_WRITE)
                r = store_write(&op.view, domid, path, req->data, req->data_len);
        else if (req->type == XS_MKDIR)
                r = store_mkdir(&op.view, domid, path);
        else
                r = store_rm(&op.view, domid, path);
        r = operation_end(&op, r);
        if (r < 0)
                return r;
        conn_reply_ok(c, req);
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
        conn_reply(c, req, out, len);
        return 0;
}

static int handle_get_perms(struct server *s, struct conn *c, const struct wire_request *req,
                            struct xs_tx *tx)
{
        struct xs_perms *special;
        struct xs_node *node;
        int r;

        if (req->argv[0][0] == '@') {
                special = special_perms(s, req->argv[0]);
                if (!special)
                        return -EINVAL;
                return reply_perms(c, req, special);
        }
        r = lookup_readable(s, c, req->argv[0], tx, &node);
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
                conn_reply_ok(c, req);
                return 0;
        }

        r = path_canonicalize(req->argv[0], c->settings.domid, &path);
        if (r < 0)
                return r;
        operation_begin(&op, s, tx);
        r = operation_end(&op, store_set_perms(&op.view, c->settings.domid, path, &perms));
        if (r < 0)
                return r;
        conn_reply_ok(c, req);
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
        conn_reply_ok(c, req);
        /* xenstored fires every new watch once, right after the reply */
        conn_send_watch_event(c, w, w->path);
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
        conn_reply_ok(c, req);
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
        conn_reply_string(c, req, id);
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
                conn_reply_ok(c, req);
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
        conn_reply_ok(c, req);
        return 0;
}

static int handle_get_domain_path(struct conn *c, const struct wire_request *req)
{
        char path[sizeof("/local/domain/4294967295")];
        uint32_t domid;

        if (parse_u32(req->argv[0], 10, &domid) < 0)
                return -EINVAL;
        snprintf(path, sizeof(path), "/local/domain/%" PRIu32, domid);
        conn_reply_string(c, req, path);
        return 0;
}

static int handle_is_domain_introduced(struct conn *c, const struct wire_request *req)
{
        uint32_t domid;

        if (parse_u32(req->argv[0], 10, &domid) < 0)
                return -EINVAL;
        /* no guests here: only dom0 is known */
        conn_reply_string(c, req, domid == 0 ? "T" : "F");
        return 0;
}

static int handle_reset_watches(struct conn *c, const struct wire_request *req)
{
        watch_list_clear(&c->watches);
        conn_drop_transactions(c);
        conn_reply_ok(c, req);
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
                conn_reply_string(c, req, text);
        else
                conn_reply_ok(c, req);
        return 0;
}

int request_dispatch(struct server *s, struct conn *c, const struct wire_request *req)
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
        case XS_MKDIR:
        case XS_RM:
                return handle_change(s, c, req, tx);
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
