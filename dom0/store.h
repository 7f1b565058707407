/* store.h: dom0's xenstore access through libxenstore: reads that keep the
 * length (a value may hold NULs), listings, transactions retried on EAGAIN.
 * Every function returns 0 or a negative errno (-ENOENT: no such node). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "util.h"

#define STORE_TX_ATTEMPTS 32    /* commits refused with EAGAIN before giving up */

static inline void store_closep(struct xs_handle **h)
{
        if (*h)
                xs_close(*h);
}
#define _cleanup_store_ _cleanup_(store_closep)

/* A listing: N names, freed with one free() of the array. */
struct store_list {
        char **names;
        unsigned n;
};

static inline void store_list_done(struct store_list *l)
{
        free(l->names);
        l->names = NULL;
        l->n = 0;
}

int store_open(struct xs_handle **out);

/* The value at PATH (malloc'ed, NUL-terminated beyond *LEN). */
int store_read(struct xs_handle *h, xs_transaction_t t, const char *path,
               char **value, size_t *len);
/* The children of PATH. */
int store_list(struct xs_handle *h, xs_transaction_t t, const char *path,
               struct store_list *out);

/* Runs FN(h, t, userdata) in a transaction and commits; when the commit
 * is refused with EAGAIN (a node it read changed), runs FN again, at most
 * STORE_TX_ATTEMPTS times. FN's negative result aborts the transaction. */
int store_transact(struct xs_handle *h,
                   int (*fn)(struct xs_handle *h, xs_transaction_t t, void *userdata),
                   void *userdata);

/* /local/domain/DOMID + SUFFIX (which starts with '/' or is empty). */
int store_domain_path(uint32_t domid, const char *suffix, char *out, size_t size);
