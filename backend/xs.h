/* xs.h: the xenstore client ("xsc"): one libxenstore connection per process,
 * operations that return -errno and log what failed on which node, and
 * transactions retried on EAGAIN.
 *
 * Paths may be relative: xenstored resolves them under the caller's home,
 * /local/domain/DOMID. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <xenstore.h>

struct xsc;

/* How often a transaction is tried before giving up with -EAGAIN: enough for
 * libxl attaching many disks at once, bounded because libxl kills hotplug
 * scripts after 40 s. */
#define XSC_TRANSACTION_ATTEMPTS 64

int xsc_open(struct xsc **out);
void xsc_close(struct xsc *xs);
/* Replace the connection with a new one, after the old one failed and left
 * the outcome of its last request unknown. -errno (logged) when it cannot. */
int xsc_reconnect(struct xsc *xs);
static inline void xsc_closep(struct xsc **xs)
{
        if (*xs)
                xsc_close(*xs);
}
#define _cleanup_xsc_ __attribute__((cleanup(xsc_closep)))

/* Read PATH into a malloc'd NUL-terminated string (values may hold NULs; LEN,
 * when not NULL, receives the length). -ENOENT, not logged, when missing. */
int xsc_read(struct xsc *xs, xs_transaction_t t, const char *path, char **value, size_t *len);
int xsc_write(struct xsc *xs, xs_transaction_t t, const char *path, const char *value);
/* Remove PATH and everything below it. -ENOENT, not logged, when missing. */
int xsc_rm(struct xsc *xs, xs_transaction_t t, const char *path);
/* Names of PATH's children: one malloc'd block (free it only), COUNT entries.
 * -ENOENT, not logged, when PATH is missing. */
int xsc_list(struct xsc *xs, xs_transaction_t t, const char *path, char ***names, unsigned *count);

/* Run BODY inside a transaction; commit; start again on EAGAIN, up to
 * XSC_TRANSACTION_ATTEMPTS times. BODY returning < 0 aborts the transaction
 * and that value is returned. BODY must be idempotent: only xenstore I/O. */
typedef int (*xsc_transaction_body)(struct xsc *xs, xs_transaction_t t, void *userdata);
int xsc_transact(struct xsc *xs, xsc_transaction_body body, void *userdata);

/* The underlying handle, for watches (tests, tools). */
struct xs_handle *xsc_handle(struct xsc *xs);
