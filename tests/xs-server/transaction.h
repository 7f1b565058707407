/* transaction.h: xenstore transactions: a private copy of the tree, the nodes
 * the transaction read or changed with the generation each had when it first
 * looked, and the commit that refuses (EAGAIN) if any of them has changed. */
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

/* Record that the transaction saw PATH with GENERATION (first sight counts). */
int txlog_access(struct txlog *log, const char *path, uint64_t generation);
/* Record that it changed PATH, which had GENERATION before (if first seen now). */
int txlog_modify(struct txlog *log, const char *path, uint64_t generation);

struct xs_tx {
        uint32_t id;
        struct xs_node *root;           /* the transaction's copy of the tree */
        struct txlog log;
        struct event_list events;       /* fired when it commits */
        struct xs_tx *next;
};

/* A transaction working on a copy of ROOT. NULL on ENOMEM. */
struct xs_tx *tx_new(uint32_t id, const struct xs_node *root);
void tx_free(struct xs_tx *tx);

/* Apply TX to the tree at *ROOT if nothing it saw has changed there since,
 * giving the changed nodes new generations; -EAGAIN otherwise. Its events
 * are moved to FIRED. TX stays owned by the caller either way. */
int tx_commit(struct xs_tx *tx, struct xs_node *root, uint64_t *generation,
              struct event_list *fired);
