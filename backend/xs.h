/* xs.h: the xenstore client ("xsc"). It speaks the wire protocol of
 * <xen/io/xs_wire.h> itself, over xenstored's unix socket or the xenbus
 * device, as libxenstore does (and finds the daemon the same way:
 * XENSTORED_PATH, else XENSTORED_RUNDIR/socket or /var/run/xenstored/socket,
 * else /dev/xen/xenbus or /proc/xen/xenbus), for two reasons: every wait is
 * bounded (libxenstore blocks forever on a hung daemon, and libxl kills a
 * hotplug script after 40 s without saying why), and a helper that runs per
 * event loads no library for it.
 *
 * Operations return 0 or -errno: the daemon's error (-ENOENT, -EACCES,
 * -EAGAIN...), -ETIMEDOUT when no reply came in time, -ECONNRESET when the
 * daemon closed the connection, -EPROTO for a reply that breaks the
 * protocol. After a transport failure the connection is closed and every
 * later request fails with -ENOTCONN until xsc_reconnect().
 *
 * Paths may be relative: xenstored resolves them under the caller's home,
 * /local/domain/DOMID. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reason.h"

typedef uint32_t xsc_txn;
#define XSC_NO_TXN 0

/* The longest wait for one reply, and for all the requests of one run of a
 * helper together (libxl gives the hotplug script 40 s in all). */
#define XSC_REPLY_TIMEOUT_MS 10000
#define XSC_BUDGET_MS        25000
/* and for a whole run of qubes-block, its rechecks and report included */
#define XSC_RUN_MAX_MS       30000
/* How often a transaction is tried before giving up with -EAGAIN: enough
 * for libxl attaching many disks at once, bounded by the budget anyway. */
#define XSC_TRANSACTION_ATTEMPTS 64
/* Watch events kept until read; past this the oldest are dropped and
 * xsc_read_watch() says so (-ENOBUFS once): the caller rescans. */
#define XSC_WATCH_QUEUE_MAX 4096

struct xsc;

/* Connect, with XSC_BUDGET_MS for the requests to come. WHY says which
 * daemon could not be reached. */
int xsc_open(struct xsc **out, struct reason *why);
/* Take FD, a connected socket (IS_SOCKET) or an open xenbus device, as
 * the connection (the fuzz targets feed it their bytes). */
int xsc_open_fd(int fd, bool is_socket, struct xsc **out);
/* A new connection in place of the old one (whose last request's outcome
 * is unknown), with BUDGET_MS for what follows. */
int xsc_reconnect(struct xsc *xs, int budget_ms, struct reason *why);
/* BUDGET_MS more for what follows a failure: on a new connection if the
 * transport failed (the old one is closed then), else on the same one. */
int xsc_renew(struct xsc *xs, int budget_ms, struct reason *why);
void xsc_close(struct xsc *xs);
static inline void xsc_closep(struct xsc **xs)
{
        if (*xs)
                xsc_close(*xs);
}
#define _cleanup_xsc_ __attribute__((cleanup(xsc_closep)))

/* The budget for the requests from now on; BUDGET_MS < 0: none (a resident
 * program, which still waits at most XSC_REPLY_TIMEOUT_MS per reply). */
void xsc_set_budget(struct xsc *xs, int budget_ms);
/* No budget, however set or renewed by xsc_reconnect(), goes past END_MS
 * (deadline.h's clock): one bound for a helper's whole run, qubes-block's
 * rechecks and report after a failure included. */
void xsc_set_end(struct xsc *xs, int64_t end_ms);

/* PATH's value, malloc'd with a NUL added (values may hold NULs; LEN, when
 * not NULL, gets the length). */
int xsc_read(struct xsc *xs, xsc_txn t, const char *path, char **value, size_t *len);
int xsc_write(struct xsc *xs, xsc_txn t, const char *path, const char *value);
/* Remove PATH and everything below it. -ENOENT when its parent is missing. */
int xsc_rm(struct xsc *xs, xsc_txn t, const char *path);
/* Names of PATH's children, a strv (free with strv_free), listed in parts
 * when they do not fit one message. */
int xsc_list(struct xsc *xs, xsc_txn t, const char *path, char ***names);

/* Several requests sent together and their replies read in order (the
 * daemon answers a connection's requests in order): one wait instead of N.
 * Returns 0 when every reply came (each op's R says how it went: 0,
 * -ENOENT...), or the transport's -errno. */
enum xsc_op_type {
        XSC_OP_READ,
        XSC_OP_WRITE,
        XSC_OP_RM,
        XSC_OP_LIST,            /* reply: the names, read them with xsc_op_names() */
};

struct xsc_op {
        enum xsc_op_type type;
        const char *path;
        const char *value;      /* XSC_OP_WRITE */
        int r;                  /* out */
        char *reply;            /* out, XSC_OP_READ, _LIST: malloc'd value (NUL added), NULL on failure */
        size_t len;             /* out: its length */
};

int xsc_batch(struct xsc *xs, xsc_txn t, struct xsc_op *ops, size_t n);
void xsc_ops_clear(struct xsc_op *ops, size_t n);
/* The names a batched XSC_OP_LIST got (a strv). A directory too big for one
 * reply failed the op with -E2BIG: list it with xsc_list(), in parts. */
int xsc_op_names(const struct xsc_op *op, char ***names);

int xsc_transaction_start(struct xsc *xs, xsc_txn *t);
/* Commit (or with ABORT, discard). -EAGAIN: another commit came first. */
int xsc_transaction_end(struct xsc *xs, xsc_txn t, bool abort);

/* Run BODY in a transaction and commit; on -EAGAIN (from the commit or from
 * BODY) start again after a short random backoff, up to
 * XSC_TRANSACTION_ATTEMPTS times. BODY returning < 0 (another error) aborts
 * and that value is returned; >= 0 is returned after the commit. BODY must
 * be repeatable: only xenstore I/O and decisions on what it read. */
typedef int (*xsc_transaction_body)(struct xsc *xs, xsc_txn t, void *userdata);
int xsc_transact(struct xsc *xs, xsc_transaction_body body, void *userdata);

/* Watches, for a resident program: the events arrive on xsc_fd(). */
int xsc_watch(struct xsc *xs, const char *path, const char *token);
int xsc_unwatch(struct xsc *xs, const char *path, const char *token);
/* The next event (path and token malloc'd), waiting up to TIMEOUT_MS
 * (0: only what is there, -1: no bound). -EAGAIN when none came,
 * -ENOBUFS once after events were dropped. */
int xsc_read_watch(struct xsc *xs, int timeout_ms, char **path, char **token);
int xsc_fd(const struct xsc *xs);
