/* store.c: entries and triggers, whatever the store. */
#include "store-impl.h"

#include <stdio.h>

#include "configure.h"
#include "util.h"

int store_open(enum store_choice choice, struct store **out, struct reason *why)
{
        /* a Qubes qube runs qubesdb-daemon; dom0 reads the entries there */
        if (choice == STORE_AUTO)
                choice = access(QUBES_QUBESDB_SOCKET, F_OK) == 0 ? STORE_QUBESDB : STORE_XENSTORE;
        if (choice == STORE_QUBESDB)
                return store_qdb_open(QUBES_QUBESDB_SOCKET, out, why);
        return store_xs_open(out, why);
}

void store_close(struct store *s)
{
        s->ops->close(s);
}

const char *store_name(const struct store *s)
{
        return s->ops->name;
}

int store_fd(const struct store *s)
{
        return s->ops->fd(s);
}

int store_batch_path(const struct store_batch *b, char *buf, size_t size, const char *name, const char *key)
{
        const char *prefix = b->store->ops->path_prefix;
        int n;

        if (!name)
                n = snprintf(buf, size, "%s%s", prefix, b->subtree);
        else if (!key)
                n = snprintf(buf, size, "%s%s/%s", prefix, b->subtree, name);
        else
                n = snprintf(buf, size, "%s%s/%s/%s", prefix, b->subtree, name, key);
        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int store_run_batch(struct store_batch *b, store_update_fn fn, void *userdata, struct reason *why)
{
        char root[STORE_PATH_MAX];
        int r, w;

        b->changed = false;
        r = fn(b, userdata, why);
        if (r < 0 || !b->changed)
                return r;
        store_batch_path(b, root, sizeof(root), NULL, NULL);
        w = b->store->ops->set(b, root, "", why);
        return w < 0 ? w : r;
}

static int entry_paths(const struct store_batch *b, const char *name, const struct store_value *values, size_t n,
                       char paths[][STORE_PATH_MAX], struct reason *why)
{
        const struct store_ops *ops = b->store->ops;
        int r;

        if (n > STORE_ENTRY_KEYS_MAX)
                return reason_set(why, -E2BIG, "entry %s has more than %d keys", name, STORE_ENTRY_KEYS_MAX);
        for (size_t i = 0; i < n; i++) {
                if (store_batch_path(b, paths[i], STORE_PATH_MAX, name, values[i].key) < 0)
                        return reason_set(why, -ENAMETOOLONG, "%s path of %s/%s/%s is too long", ops->name,
                                          b->subtree, name, values[i].key);
                r = ops->check(paths[i], values[i].value, why);
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_batch_check(struct store_batch *b, const char *name, const struct store_value *values, size_t n,
                      struct reason *why)
{
        char paths[STORE_ENTRY_KEYS_MAX][STORE_PATH_MAX];

        return entry_paths(b, name, values, n, paths, why);
}

int store_batch_put(struct store_batch *b, const char *name, const struct store_value *values, size_t n,
                    struct reason *why)
{
        const struct store_ops *ops = b->store->ops;
        char paths[STORE_ENTRY_KEYS_MAX][STORE_PATH_MAX], changed_paths[STORE_ENTRY_KEYS_MAX][STORE_PATH_MAX];
        char *current[STORE_ENTRY_KEYS_MAX] = { 0 };
        const char *changed_values[STORE_ENTRY_KEYS_MAX];
        size_t n_changed = 0;
        int r;

        /* the whole entry fits, or nothing of it is written */
        r = entry_paths(b, name, values, n, paths, why);
        if (r < 0)
                return r;
        /* what is there, in one round trip; then what differs, in one */
        r = ops->get_entry(b, paths, n, current, why);
        for (size_t i = 0; i < n; i++) {
                if (r == 0 && !(current[i] && streq(current[i], values[i].value))) {
                        memcpy(changed_paths[n_changed], paths[i], STORE_PATH_MAX);
                        changed_values[n_changed++] = values[i].value;
                }
                free(current[i]);
        }
        if (r < 0 || n_changed == 0)
                return r;
        if (b->probe)
                return STORE_WOULD_WRITE;
        r = ops->set_many(b, changed_paths, changed_values, n_changed, why);
        if (r < 0)
                return r;
        b->changed = true;
        return 1;
}

int store_batch_drop(struct store_batch *b, const char *name, struct reason *why)
{
        char path[STORE_PATH_MAX];
        int r;

        if (store_batch_path(b, path, sizeof(path), name, NULL) < 0)
                return reason_set(why, -ENAMETOOLONG, "%s path of %s/%s is too long", b->store->ops->name,
                                  b->subtree, name);
        if (b->probe) {
                r = b->store->ops->exists(b, path, why);
                return r > 0 ? STORE_WOULD_WRITE : r;
        }
        r = b->store->ops->drop(b, path, why);
        if (r > 0)
                b->changed = true;
        return r;
}

int store_batch_list(struct store_batch *b, char ***names, struct reason *why)
{
        char path[STORE_PATH_MAX];

        store_batch_path(b, path, sizeof(path), NULL, NULL);
        return b->store->ops->list(b, path, names, why);
}

int store_update(struct store *s, const char *subtree, store_update_fn fn, void *userdata, struct reason *why)
{
        struct store_batch b = { .store = s, .subtree = subtree, .probe = true };
        int r;

        /* reads alone first: most events find their entries as they should
         * be, and then cost no transaction, lock or write */
        r = s->ops->probe(s, &b, fn, userdata, why);
        if (r != STORE_WOULD_WRITE)
                return r;
        b = (struct store_batch){ .store = s, .subtree = subtree };
        return s->ops->update(s, &b, fn, userdata, why);
}

static int drop_one(struct store_batch *b, void *userdata, struct reason *why)
{
        return store_batch_drop(b, userdata, why);
}

int store_drop_entry(struct store *s, const char *subtree, const char *name, struct reason *why)
{
        return store_update(s, subtree, drop_one, (void *)name, why);
}

bool store_error_is_lost(int r)
{
        return r == -ETIMEDOUT || r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE || r == -EPROTO ||
               r == -ECONNREFUSED;
}
