/* qdb-wire.h: the QubesDB wire protocol as the client sees it (SPEC §6): the
 * message header, the message types, encoding a request, and checking what
 * the daemon sends back, message by message and against the request it
 * answers.
 *
 * Pure functions over caller-owned memory, no I/O, so that a fuzz target and
 * the unit tests can feed them any bytes; qdb.c does the socket work. */
#pragma once

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "qdb.h"

enum qdb_msg_type {
        QDB_CMD_READ = 0,
        QDB_CMD_WRITE = 1,
        QDB_CMD_MULTIREAD = 2,
        QDB_CMD_LIST = 3,
        QDB_CMD_RM = 4,
        QDB_CMD_WATCH = 5,
        QDB_CMD_UNWATCH = 6,
        QDB_RESP_OK = 7,
        QDB_RESP_ERROR_NOENT = 8,
        QDB_RESP_ERROR = 9,
        QDB_RESP_READ = 10,
        QDB_RESP_MULTIREAD = 11,
        QDB_RESP_LIST = 12,
        QDB_RESP_WATCH = 13,
};

/* No request: what qdb_exchange_take() is given outside a request, where
 * only watch events may come. */
#define QDB_NO_REQUEST 0xff

/* Host byte order, natural alignment, exactly as the daemon declares it. */
struct qdb_hdr {
        uint8_t type;
        char path[QDB_PATH_MAX];        /* NUL-terminated in what we send; in
                                         * replies, bytes after the first NUL
                                         * are whatever the daemon left there */
        uint32_t data_len;
};

/* The layout the daemon reads and writes: 72 bytes wherever uint32_t is
 * 4-aligned (every Linux ABI Qubes runs on). */
static_assert(offsetof(struct qdb_hdr, type) == 0, "qdb_hdr.type at 0");
static_assert(offsetof(struct qdb_hdr, path) == 1, "qdb_hdr.path at 1");
static_assert(offsetof(struct qdb_hdr, data_len) == 68, "qdb_hdr.data_len at 68");
static_assert(sizeof(struct qdb_hdr) == 72, "qdb_hdr is 72 bytes");

/* The longest message the daemon may send: a header and a value. */
#define QDB_MSG_MAX (sizeof(struct qdb_hdr) + QDB_VALUE_MAX)

/* One message from the daemon, checked by qdb_wire_parse(). */
struct qdb_msg {
        uint8_t type;
        char path[QDB_PATH_MAX];        /* up to the header's first NUL */
        const char *data;               /* inside the parsed buffer; no NUL in it */
        size_t data_len;
};

/* Encode a request of TYPE for PATH with LEN bytes of DATA into OUT (at
 * least QDB_MSG_MAX bytes): the header, zero-filled past the path, then the
 * data. Returns the bytes to send. PATH and DATA must have been checked:
 * the caller uses qdb_check_path() and qdb_check_value(). */
size_t qdb_wire_encode(uint8_t type, const char *path, const void *data, size_t len,
                       unsigned char *out);

/* Take one message from the start of BUF. Returns the bytes it occupies, 0
 * when more are needed, or -EPROTO when it cannot come from the daemon: a
 * type that is no reply, a path field without NUL or with a path that is not
 * valid, data on a type that carries none, more than QDB_VALUE_MAX bytes of
 * data (refused from the header alone, before waiting for them), or a NUL
 * in the data. */
ssize_t qdb_wire_parse(const void *buf, size_t len, struct qdb_msg *msg);

/* The state of one request while its answer comes in. */
struct qdb_exchange {
        uint8_t request;                /* QDB_CMD_*, or QDB_NO_REQUEST */
        char path[QDB_PATH_MAX];        /* the request's path */
        char last[QDB_PATH_MAX];        /* LIST, MULTIREAD: the last entry so far */
        size_t entries;
};

void qdb_exchange_begin(struct qdb_exchange *x, uint8_t request, const char *path);

enum qdb_step {
        QDB_STEP_EVENT = 1,     /* a watch event: queue msg->path, read on */
        QDB_STEP_ENTRY,         /* one entry of LIST/MULTIREAD: keep it, read on */
        QDB_STEP_DONE,          /* the answer is complete; see *result */
};

/* Judge MSG as the next message of exchange X. Returns a qdb_step, or
 * -EPROTO for a message that cannot come now: a reply type the request does
 * not get, an echoed path that is not the request's, an entry that does not
 * start with the prefix or is not above the previous one, an ERROR after
 * entries, anything but an event outside a request. With QDB_STEP_DONE,
 * *RESULT is 0 (READ: the value is MSG's data), -ENOENT (ERROR_NOENT) or
 * -EREMOTEIO (ERROR). */
int qdb_exchange_take(struct qdb_exchange *x, const struct qdb_msg *msg, int *result);

/* "READ" for QDB_CMD_READ, "RESP_WATCH" for QDB_RESP_WATCH; "UNKNOWN". */
const char *qdb_wire_type_name(unsigned type);
