/* store-xs.c: the entries in xenstore, under this domain's home; an update
 * is one transaction, trigger included. */
#include "store-impl.h"

#include <errno.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "util.h"
#include "xs.h"

struct store_xs {
        struct store base;
        struct xsc *xs;
};

struct xs_update {
        struct store_batch *batch;
        store_update_fn fn;
        void *userdata;
        struct reason *why;
        xsc_txn t;
};

static struct xsc *batch_xs(const struct store_batch *b, xsc_txn *t)
{
        const struct xs_update *u = b->context;

        *t = u->t;
        return ((struct store_xs *)b->store)->xs;
}

/* A conflict restarts the transaction: not worth a reason. */
static int xs_fail(const struct store_batch *b, int r, const char *what, const char *path, struct reason *why)
{
        if (r == -EAGAIN)
                return r;
        /* a domU may not create nodes in its own home: dom0 must (SPEC §0) */
        if (r == -EACCES)
                return reason_set(why, r, "no permission to %s %s in this domain's xenstore home: dom0 has to "
                                  "create %s there, writable by this domain", what, path, b->subtree);
        return reason_set_errno(why, r, "cannot %s xenstore %s", what, path);
}

/* Several requests pipelined; the first failure is the batch's. */
static int xs_many(struct store_batch *b, struct xsc_op *ops, size_t n, const char *what, struct reason *why)
{
        xsc_txn t;
        struct xsc *xs = batch_xs(b, &t);
        int r = xsc_batch(xs, t, ops, n);

        if (r < 0)
                return xs_fail(b, r, what, ops[0].path, why);
        for (size_t i = 0; i < n; i++)
                if (ops[i].r < 0 && !(ops[i].type == XSC_OP_READ && ops[i].r == -ENOENT))
                        return xs_fail(b, ops[i].r, what, ops[i].path, why);
        return 0;
}

static int xs_get_entry(struct store_batch *b, char paths[][STORE_PATH_MAX], size_t n, char **values,
                        struct reason *why)
{
        struct xsc_op ops[STORE_ENTRY_KEYS_MAX];
        int r;

        for (size_t i = 0; i < n; i++)
                ops[i] = (struct xsc_op){ .type = XSC_OP_READ, .path = paths[i] };
        r = xs_many(b, ops, n, "read", why);
        for (size_t i = 0; i < n; i++) {
                /* a NUL inside is never equal to ours: as if missing */
                values[i] = r == 0 && ops[i].r == 0 && strlen(ops[i].reply) == ops[i].len ? ops[i].reply : NULL;
                if (values[i] != ops[i].reply)
                        free(ops[i].reply);
        }
        return r;
}

static int xs_set_many(struct store_batch *b, char paths[][STORE_PATH_MAX], const char *const *values, size_t n,
                       struct reason *why)
{
        struct xsc_op ops[STORE_ENTRY_KEYS_MAX];

        for (size_t i = 0; i < n; i++)
                ops[i] = (struct xsc_op){ .type = XSC_OP_WRITE, .path = paths[i], .value = values[i] };
        return xs_many(b, ops, n, "write", why);
}

static int xs_set(struct store_batch *b, const char *path, const char *value, struct reason *why)
{
        xsc_txn t;
        struct xsc *xs = batch_xs(b, &t);
        int r = xsc_write(xs, t, path, value);

        return r < 0 ? xs_fail(b, r, "write", path, why) : 0;
}

static int xs_exists(struct store_batch *b, const char *path, struct reason *why)
{
        _cleanup_free_ char *value = NULL;
        xsc_txn t;
        struct xsc *xs = batch_xs(b, &t);
        int r = xsc_read(xs, t, path, &value, NULL);

        if (r == -ENOENT)
                return 0;
        return r < 0 ? xs_fail(b, r, "read", path, why) : 1;
}

/* xenstored answers RM of a missing node with success when its parent
 * exists, so existence is read first, or every remove would trigger. */
static int xs_drop(struct store_batch *b, const char *path, struct reason *why)
{
        xsc_txn t;
        struct xsc *xs = batch_xs(b, &t);
        int r = xs_exists(b, path, why);

        if (r <= 0)
                return r;
        r = xsc_rm(xs, t, path);
        if (r < 0 && r != -ENOENT)
                return xs_fail(b, r, "remove", path, why);
        return 1;
}

static int xs_list(struct store_batch *b, const char *path, char ***names, struct reason *why)
{
        xsc_txn t;
        struct xsc *xs = batch_xs(b, &t);
        int r = xsc_list(xs, t, path, names);

        if (r == -ENOENT) {
                *names = calloc(1, sizeof(char *));
                return *names ? 0 : -ENOMEM;
        }
        return r < 0 ? xs_fail(b, r, "list", path, why) : 0;
}

/* xenstored's limits: its path characters, a value and path in one message. */
static int xs_check(const char *path, const char *value, struct reason *why)
{
        if (strspn(path, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_@-") != strlen(path))
                return reason_set(why, -EINVAL, "xenstore cannot hold path %s", path);
        if (strlen(path) + 1 + strlen(value) > XENSTORE_PAYLOAD_MAX)
                return reason_set(why, -ENAMETOOLONG, "xenstore cannot hold the %zu-byte value of %s",
                                  strlen(value), path);
        return 0;
}

static int xs_body(struct xsc *xs, xsc_txn t, void *userdata)
{
        struct xs_update *u = userdata;

        u->t = t;
        return store_run_batch(u->batch, u->fn, u->userdata, u->why);
}

static int xs_update(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata,
                     struct reason *why)
{
        struct xs_update u = { b, fn, userdata, why, XSC_NO_TXN };
        struct xsc *xs = ((struct store_xs *)s)->xs;
        int r;

        /* each update has the whole budget: a resident program makes many */
        xsc_set_budget(xs, XSC_BUDGET_MS);
        b->context = &u;
        r = xsc_transact(xs, xs_body, &u);
        if (r == -EAGAIN)
                return reason_set(why, r, "xenstore transaction on %s kept conflicting after %d attempts",
                                  b->subtree, XSC_TRANSACTION_ATTEMPTS);
        if (r < 0)
                return reason_set_errno(why, r, "cannot update xenstore %s", b->subtree);
        return r;
}

static int xs_probe(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata, struct reason *why)
{
        struct xs_update u = { b, fn, userdata, why, XSC_NO_TXN };

        xsc_set_budget(((struct store_xs *)s)->xs, XSC_BUDGET_MS);
        b->context = &u;
        return store_run_batch(b, fn, userdata, why);
}

static void xs_close(struct store *s)
{
        struct store_xs *x = (struct store_xs *)s;

        xsc_close(x->xs);
        free(x);
}

static int xs_fd(const struct store *s)
{
        return xsc_fd(((const struct store_xs *)s)->xs);
}

static const struct store_ops xs_ops = {
        .name = "xenstore",
        .update = xs_update,
        .probe = xs_probe,
        .get_entry = xs_get_entry,
        .set = xs_set,
        .set_many = xs_set_many,
        .drop = xs_drop,
        .exists = xs_exists,
        .list = xs_list,
        .check = xs_check,
        .close = xs_close,
        .fd = xs_fd,
        .path_prefix = "",
};

int store_xs_open(struct store **out, struct reason *why)
{
        struct store_xs *x = calloc(1, sizeof(*x));
        int r;

        if (!x)
                return reason_set_errno(why, -ENOMEM, "cannot open the xenstore store");
        r = xsc_open(&x->xs, why);
        if (r < 0) {
                free(x);
                return r;
        }
        x->base.ops = &xs_ops;
        *out = &x->base;
        return 0;
}
