/* store.h: where the device entries are published for dom0 (SPEC §0, §6):
 * xenstore on a plain Xen host, QubesDB in a Qubes qube. The policies
 * produce entries (a name and key/value pairs under a subtree); a store
 * writes them, and is the only module that knows where they go.
 *
 * Every change of a subtree ends with its trigger, an empty write to the
 * subtree root, which is what dom0 watches: on xenstore in the same
 * transaction as the entries, on QubesDB (which has no transactions) after
 * the leaves, under a lock in the runtime dir. A change that changes
 * nothing writes nothing, trigger included. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"

#define STORE_BLOCK_SUBTREE "qubes-block-devices"
#define STORE_USB_SUBTREE   "qubes-usb-devices"

enum store_choice {
        STORE_AUTO,             /* QubesDB when its socket exists, else xenstore */
        STORE_XENSTORE,
        STORE_QUBESDB,
};

struct store;

/* Open the store CHOICE names. -errno with WHY when it cannot be reached. */
int store_open(enum store_choice choice, struct store **out, struct reason *why);
void store_close(struct store *s);
static inline void store_closep(struct store **s)
{
        if (*s)
                store_close(*s);
}
#define _cleanup_store_ __attribute__((cleanup(store_closep)))

/* "xenstore" or "QubesDB", for messages. */
const char *store_name(const struct store *s);

/* The connection's fd, for a resident program to poll: it becomes readable
 * only when the daemon closes it (the store went away). */
int store_fd(const struct store *s);

struct store_value {
        const char *key;
        const char *value;
};

/* One update of one subtree: entries put and dropped by an update function
 * (run again from the start when a xenstore transaction conflicts, so it
 * must only decide and call these), then one trigger if anything changed. */
struct store_batch;
typedef int (*store_update_fn)(struct store_batch *b, void *userdata, struct reason *why);

/* Run FN on SUBTREE. Returns what FN returned (>= 0), or -errno with WHY. */
int store_update(struct store *s, const char *subtree, store_update_fn fn, void *userdata, struct reason *why);

/* In an update: make entry NAME hold VALUES (its other keys are left
 * alone: connected-to, x-pid, busy belong to others). Every path and value
 * is checked against the store's limits before anything is written: an
 * entry the store cannot hold is refused whole (-EINVAL or -ENAMETOOLONG
 * with WHY), never half-written. 1 when something was written, 0 when all
 * was equal already. */
int store_batch_put(struct store_batch *b, const char *name, const struct store_value *values, size_t n,
                    struct reason *why);
/* Whether entry NAME = VALUES fits the store's limits (what put checks
 * first): 0, or -EINVAL / -ENAMETOOLONG with WHY. */
int store_batch_check(struct store_batch *b, const char *name, const struct store_value *values, size_t n,
                      struct reason *why);
/* In an update: remove entry NAME, all its keys. 1 removed, 0 there was none. */
int store_batch_drop(struct store_batch *b, const char *name, struct reason *why);
/* In an update: the names of the entries there now (a strv). */
int store_batch_list(struct store_batch *b, char ***names, struct reason *why);

/* One entry dropped in an update of its own. */
int store_drop_entry(struct store *s, const char *subtree, const char *name, struct reason *why);

/* Whether an update's failure R was the connection's (the store is to be
 * reached again), not an answer to the request (-EACCES, -EINVAL...). */
bool store_error_is_lost(int r);
