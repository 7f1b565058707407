/* transaction.c: transactions on private copies of the nodes they touch,
 * committed only if none of those nodes has changed meanwhile. */
#include "transaction.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "util.h"

static uint64_t hash_path(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */

        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
        return h;
}

static struct txlog_entry *txlog_find(const struct txlog *log, const char *path)
{
        struct txlog_entry *e;

        if (!log->n_buckets)
                return NULL;
        e = log->buckets[hash_path(path) % log->n_buckets];
        for (; e; e = e->next_in_bucket)
                if (streq(e->path, path))
                        return e;
        return NULL;
}

static int txlog_rehash(struct txlog *log, size_t n_buckets)
{
        struct txlog_entry **buckets = calloc(n_buckets, sizeof(*buckets));

        if (!buckets)
                return -ENOMEM;
        for (size_t i = 0; i < log->n; i++) {
                struct txlog_entry *e = log->entries[i];
                size_t b = hash_path(e->path) % n_buckets;

                e->next_in_bucket = buckets[b];
                buckets[b] = e;
        }
        free(log->buckets);
        log->buckets = buckets;
        log->n_buckets = n_buckets;
        return 0;
}

static int txlog_add(struct txlog *log, const char *path, uint64_t generation,
                     struct txlog_entry **out)
{
        struct txlog_entry *e;
        size_t b;
        int r;

        if (log->n == log->cap) {
                size_t cap = log->cap ? log->cap * 2 : 16;
                struct txlog_entry **v = realloc(log->entries, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                log->entries = v;
                log->cap = cap;
        }
        if (log->n >= log->n_buckets) {
                r = txlog_rehash(log, log->n_buckets ? log->n_buckets * 4 : 64);
                if (r < 0)
                        return r;
        }

        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->path = strdup(path);
        if (!e->path) {
                free(e);
                return -ENOMEM;
        }
        e->generation = generation;
        b = hash_path(path) % log->n_buckets;
        e->next_in_bucket = log->buckets[b];
        log->buckets[b] = e;
        log->entries[log->n++] = e;
        *out = e;
        return 0;
}

bool txlog_has(const struct txlog *log, const char *path)
{
        return txlog_find(log, path) != NULL;
}

int txlog_access(struct txlog *log, const char *path, uint64_t generation)
{
        struct txlog_entry *e;

        if (txlog_find(log, path))
                return 0;
        return txlog_add(log, path, generation, &e);
}

int txlog_modify(struct txlog *log, const char *path, uint64_t generation)
{
        struct txlog_entry *e = txlog_find(log, path);

        if (!e) {
                int r = txlog_add(log, path, generation, &e);

                if (r < 0)
                        return r;
        }
        e->modified = true;
        return 0;
}

static void txlog_done(struct txlog *log)
{
        for (size_t i = 0; i < log->n; i++) {
                free(log->entries[i]->path);
                free(log->entries[i]);
        }
        free(log->entries);
        free(log->buckets);
        *log = (struct txlog) { 0 };
}

struct xs_tx *tx_new(uint32_t id, const struct xs_node *root)
{
        struct xs_tx *tx = calloc(1, sizeof(*tx));

        if (!tx)
                return NULL;
        tx->id = id;
        tx->root = node_copy(root);
        if (!tx->root) {
                free(tx);
                return NULL;
        }
        return tx;
}

void tx_free(struct xs_tx *tx)
{
        if (!tx)
                return;
        node_free(tx->root);
        txlog_done(&tx->log);
        event_list_clear(&tx->events);
        free(tx);
}

static unsigned path_depth(const char *path)
{
        unsigned depth = 0;

        if (streq(path, "/"))
                return 0;
        for (; *path; path++)
                depth += *path == '/';
        return depth;
}

static int compare_depth(const void *a, const void *b)
{
        const struct txlog_entry *const *x = a, *const *y = b;
        unsigned dx = path_depth((*x)->path), dy = path_depth((*y)->path);

        return dx < dy ? -1 : dx > dy;
}

static bool tx_is_current(const struct xs_tx *tx, struct xs_node *root)
{
        for (size_t i = 0; i < tx->log.n; i++) {
                const struct txlog_entry *e = tx->log.entries[i];
                const struct xs_node *now = tree_lookup(root, e->path);

                if ((now ? now->generation : 0) != e->generation)
                        return false;
        }
        return true;
}

/* Make the node at PATH in ROOT a copy of SRC (without children). */
static int apply_node(struct xs_node *root, const char *path, const struct xs_node *src,
                      uint64_t generation)
{
        struct xs_node *dst = tree_lookup(root, path);
        int r;

        if (!dst) {
                _cleanup_free_ char *parent_path = strndup(path, path_parent_len(path));
                struct xs_node *parent;

                if (!parent_path)
                        return -ENOMEM;
                /* parents come first, and unchanged ones were checked above */
                parent = tree_lookup(root, parent_path);
                if (!parent)
                        return -EIO;
                dst = node_new(src->name, strlen(src->name), &src->perms);
                if (!dst)
                        return -ENOMEM;
                r = node_attach(parent, dst);
                if (r < 0) {
                        node_free(dst);
                        return r;
                }
        } else {
                struct xs_perms perms;

                r = perms_copy(&perms, &src->perms);
                if (r < 0)
                        return r;
                perms_done(&dst->perms);
                dst->perms = perms;
        }
        dst->generation = generation;
        return node_set_value(dst, src->value, src->value_len);
}

int tx_commit(struct xs_tx *tx, struct xs_node *root, uint64_t *generation,
              struct event_list *fired)
{
        _cleanup_free_ struct txlog_entry **present = NULL;
        size_t n_present = 0;
        int r;

        if (!tx_is_current(tx, root))
                return -EAGAIN;

        present = malloc((tx->log.n + 1) * sizeof(*present));
        if (!present)
                return -ENOMEM;

        /* what the transaction removed goes first... */
        for (size_t i = 0; i < tx->log.n; i++) {
                struct txlog_entry *e = tx->log.entries[i];
                struct xs_node *gone;

                if (!e->modified)
                        continue;
                if (tree_lookup(tx->root, e->path)) {
                        present[n_present++] = e;
                        continue;
                }
                gone = tree_lookup(root, e->path);
                if (gone && gone->parent) {
                        node_detach(gone);
                        node_free(gone);
                }
        }

        /* ...then what it created or changed, parents before children */
        qsort(present, n_present, sizeof(*present), compare_depth);
        for (size_t i = 0; i < n_present; i++) {
                const struct xs_node *src = tree_lookup(tx->root, present[i]->path);

                r = apply_node(root, present[i]->path, src, ++*generation);
                if (r < 0)
                        return r;
        }

        event_list_clear(fired);
        *fired = tx->events;
        tx->events = (struct event_list) { 0 };
        return 0;
}
