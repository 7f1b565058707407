/* transaction.h: xenstore transactions as Xen's xenstored (4.9 and later)
 * keeps them: no snapshot of the whole store, but a private copy of each node
 * taken when the transaction first touches it, the generation it had then,
 * and the commit that refuses (EAGAIN) if any of those nodes has changed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "tree.h"

struct txlog_entry {
        char *path;
        uint64_t generation;            /* when first accessed; 0: did not exist */
        bool modified;
        struct txlog_entry *next_in_bucket;
};

struct txlog {
        struct txlog_entry **buckets;
        size_t n_buckets;
        struct txlog_entry **entries;   /* in access order, for the commit */
        size_t n, cap;
};

/* Has the transaction touched PATH yet? */
bool txlog_has(const struct txlog *log, const char *path);
/* Record that the transaction saw PATH with GENERATION (first sight counts). */
int txlog_access(struct txlog *log, const char *path, uint64_t generation);
/* Record that it changed PATH, which had GENERATION before (if first seen now). */
int txlog_modify(struct txlog *log, const char *path, uint64_t generation);

struct xs_tx {
        uint32_t id;
        struct xs_node *root;           /* its copies of the nodes it touched, and
                                           childless placeholders for the rest */
        struct txlog log;
        struct event_list events;       /* fired when it commits */
        struct xs_tx *next;
};

/* A transaction on the tree at ROOT (it copies only the root yet). NULL on ENOMEM. */
struct xs_tx *tx_new(uint32_t id, const struct xs_node *root);
void tx_free(struct xs_tx *tx);

/* Apply TX to the tree at *ROOT if nothing it saw has changed there since,
 * giving the changed nodes new generations; -EAGAIN otherwise. Its events
 * are moved to FIRED. TX stays owned by the caller either way. */
int tx_commit(struct xs_tx *tx, struct xs_node *root, uint64_t *generation,
              struct event_list *fired);
