/* qdb.h: a QubesDB client: one connection to the local daemon's socket,
 * requests answered in order, watch events kept for later, every wait
 * bounded (shared/SPEC.md §6).
 *
 * The module never logs. Each call returns 0 (or what it says) or a negative
 * errno, and the caller says what failed on which path. Besides the errors
 * each call names, every call that talks to the daemon may return:
 *
 *   -ETIMEDOUT   no complete answer within the connection's timeout
 *   -ECONNRESET  the daemon closed the connection (it had gone, dropped us,
 *                or a message of ours made it hang up)
 *   -EPIPE       the daemon was gone when the request was sent
 *   -EPROTO      the daemon sent something the protocol does not allow
 *   -EREMOTEIO   the daemon answered ERROR: it refused the request and gives
 *                no reason (a change on the read-only socket, a request it
 *                finds malformed)
 *   -ENOMEM
 *   -ENOTCONN    an earlier call failed with -ETIMEDOUT, -ECONNRESET, -EPIPE,
 *                -EPROTO or -ENOMEM (or another -errno of the socket): the
 *                stream is out of step with the daemon, whose answer to the
 *                earlier request may still come. Close and open a new one.
 *                Watches die with the connection: set them again and rescan.
 *
 * -ENOENT and -EREMOTEIO leave the connection usable. A request whose
 * answer was lost may or may not have been carried out.
 *
 * Paths and values are checked before anything is sent: a call refused
 * with -EINVAL, -ENAMETOOLONG or -EMSGSIZE sent nothing. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define QDB_PATH_MAX 64         /* a path has fewer than 64 bytes */
#define QDB_VALUE_MAX 3071      /* max bytes of a value */

/* Watch events kept while the caller is busy with requests; past it the
 * newest are dropped and qdb_next_watch_event() says so. */
#define QDB_EVENT_QUEUE_MAX 256

struct qdb;

struct qdb_entry {
        char *path;
        char *value;            /* NUL-terminated */
        size_t len;             /* of value, without the NUL */
};

/* Connect to the daemon at SOCKET_PATH (QUBES_QUBESDB_SOCKET, configure.h).
 * TIMEOUT_MS (> 0) bounds each later call as a whole, connecting included.
 * -ENOENT when there is no socket, -ECONNREFUSED when nobody listens,
 * -EINVAL for TIMEOUT_MS <= 0. */
int qdb_open(const char *socket_path, int timeout_ms, struct qdb **out);

/* The same on a connected stream socket FD (a socketpair in tests), which
 * the connection owns from then on, also on failure, and makes
 * non-blocking. */
int qdb_open_fd(int fd, int timeout_ms, struct qdb **out);

void qdb_close(struct qdb *db);
static inline void qdb_closep(struct qdb **db)
{
        if (*db)
                qdb_close(*db);
}
#define _cleanup_qdb_ __attribute__((cleanup(qdb_closep)))

/* The daemon's rules for a path in a request: fewer than QDB_PATH_MAX
 * bytes, a leading '/', then only [a-zA-Z0-9_/.:@-]. A trailing '/' is
 * allowed (a prefix or a subtree), except for a write. */
bool qdb_path_is_valid(const char *path);
/* At most QDB_VALUE_MAX bytes, no NUL. */
bool qdb_value_is_valid(const char *value, size_t len);

/* The value at PATH, malloc'd and NUL-terminated, into *VALUE; its length
 * into *LEN unless LEN is NULL. -ENOENT when there is none. */
int qdb_read(struct qdb *db, const char *path, char **value, size_t *len);

/* Set PATH to LEN bytes of VALUE (fires the watches on PATH, even for an
 * unchanged value). PATH must not end in '/' (-EINVAL: the daemon would
 * refuse it and hang up). -EMSGSIZE for a value over QDB_VALUE_MAX, -EINVAL
 * for one holding a NUL. */
int qdb_write(struct qdb *db, const char *path, const char *value, size_t len);

/* Remove PATH; "P/" removes every entry below P/ (not P itself) and fires
 * the watches matching "P/" once. -ENOENT when nothing was removed. */
int qdb_rm(struct qdb *db, const char *path);

/* The paths that start with the string PREFIX ("/a" matches "/ab" too; "/"
 * matches all), in ascending byte order: one malloc'd block holding the
 * NULL-terminated array and the strings; free() it only. No match: 0
 * entries, not an error. */
int qdb_list(struct qdb *db, const char *prefix, char ***paths, size_t *count);

/* The same with each entry's value: one malloc'd block of COUNT entries
 * and a zeroed one after them; free() it only. */
int qdb_multiread(struct qdb *db, const char *prefix, struct qdb_entry **entries,
                  size_t *count);

/* Watch PATH: an event for every write to exactly PATH and for its RM; a
 * PATH ending in '/' watches by prefix. The entry need not exist. Each
 * registration gives its own event: watching twice gives two per change. */
int qdb_watch(struct qdb *db, const char *path);
/* Drop one registration of PATH. -ENOENT when there was none. Events of it
 * may still arrive. */
int qdb_unwatch(struct qdb *db, const char *path);

/* The path of the next watch event, malloc'd, into *PATH: one kept while a
 * request waited for its answer, else one arriving within TIMEOUT_MS (0:
 * only what has arrived; < 0: no limit). -ETIMEDOUT when none (the
 * connection stays usable). -ENOBUFS, once, when events were dropped
 * because more than QDB_EVENT_QUEUE_MAX waited: rescan what is watched.
 * Events kept before a call failed are still handed out, then -ENOTCONN. */
int qdb_next_watch_event(struct qdb *db, int timeout_ms, char **path);

/* The socket, for poll(POLLIN) in a resident program. Events may already
 * wait inside the connection: call qdb_next_watch_event(db, 0, ...) until
 * -ETIMEDOUT after any call, before polling again. */
int qdb_fd(const struct qdb *db);
