/* store-impl.h: what a store implementation provides (store-xs.c,
 * store-qdb.c); store.c holds the logic they share. Not for users of
 * stores: they include store.h. */
#pragma once

#include <errno.h>

#include "store.h"

/* At most this many keys per entry (ours have 3 or 4). */
#define STORE_ENTRY_KEYS_MAX 8
#define STORE_PATH_MAX 256

struct store_ops {
        const char *name;
        /* Run one batch on SUBTREE: begin, call store_run_batch(), which
         * runs FN and writes the trigger, and end; again on conflict. */
        int (*update)(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata,
                      struct reason *why);
        /* Inside a batch; paths are SUBTREE/NAME[/KEY] in the store's own
         * spelling (store_batch_path). The keys PATHS of one entry in one
         * round trip: VALUES[i] NULL when missing. */
        int (*get_entry)(struct store_batch *b, char paths[][STORE_PATH_MAX], size_t n, char **values,
                         struct reason *why);
        int (*set)(struct store_batch *b, const char *path, const char *value, struct reason *why);
        /* PATHS[i] = VALUES[i] for each I, in one round trip where the store can. */
        int (*set_many)(struct store_batch *b, char paths[][STORE_PATH_MAX], const char *const *values, size_t n,
                        struct reason *why);
        /* Remove entry PATH and all below: 1 removed, 0 there was none. */
        int (*drop)(struct store_batch *b, const char *path, struct reason *why);
        /* Whether entry PATH has any key: 1 or 0. */
        int (*exists)(struct store_batch *b, const char *path, struct reason *why);
        /* Run FN with reads alone, outside any transaction or lock (the
         * batch's probe is set): what FN returns, or STORE_WOULD_WRITE as
         * soon as it would change something (then update() does it). */
        int (*probe)(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata,
                     struct reason *why);
        int (*list)(struct store_batch *b, const char *path, char ***names, struct reason *why);
        /* Whether PATH = VALUE fits the store's limits. */
        int (*check)(const char *path, const char *value, struct reason *why);
        void (*close)(struct store *s);
        int (*fd)(const struct store *s);
        const char *path_prefix;        /* "" (relative to the domain's home) or "/" */
};

struct store {
        const struct store_ops *ops;
};

/* A probe's end: FN would write. Never returned by store_update(). */
#define STORE_WOULD_WRITE (-ECANCELED)

struct store_batch {
        struct store *store;
        const char *subtree;
        bool probe;                     /* reads only: the first write ends it */
        bool changed;
        void *context;                  /* the implementation's (a transaction) */
};

/* SUBTREE/NAME[/KEY] as the store spells it. -ENAMETOOLONG. */
int store_batch_path(const struct store_batch *b, char *buf, size_t size, const char *name, const char *key);

/* For update(): FN, then the trigger when anything changed. */
int store_run_batch(struct store_batch *b, store_update_fn fn, void *userdata, struct reason *why);

int store_xs_open(struct store **out, struct reason *why);
int store_qdb_open(const char *socket_path, struct store **out, struct reason *why);
