/* wire.h: the xenstore wire protocol of <xen/io/xs_wire.h>: framing of
 * messages, the payload shape of each request type, and errno names.
 *
 * Pure functions over caller-owned buffers and nothing else, so that a fuzz
 * target can feed them arbitrary bytes. */
#pragma once

#include <errno.h>      /* before xs_wire.h: it defines xsd_errors only if EINVAL is known */
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <xen/io/xs_wire.h>

/* The first strings of a payload that the parser hands out directly; the
 * types with more (SET_PERMS, CONTROL) walk the payload with wire_next_string(). */
#define WIRE_ARGV_MAX 4

/* One framed message: the header and hdr.len payload bytes that point into
 * the buffer given to wire_frame(). */
struct wire_msg {
        struct xsd_sockmsg hdr;
        const char *payload;
};

/* One request whose payload has the shape its type demands. */
struct wire_request {
        uint32_t type;
        uint32_t req_id;
        uint32_t tx_id;
        const char *payload;
        size_t len;
        unsigned argc;                  /* NUL-terminated strings in the payload */
        const char *argv[WIRE_ARGV_MAX];/* the first of them */
        const char *data;               /* WRITE: the value after the path */
        size_t data_len;
};

/* Take one message from the start of BUF. Returns the bytes it occupies
 * (header and payload), 0 when more bytes are needed, or -EMSGSIZE when the
 * header announces a payload over XENSTORE_PAYLOAD_MAX: xenstored drops such
 * a client, as nothing it sends afterwards can be trusted to be in frame. */
ssize_t wire_frame(const void *buf, size_t len, struct wire_msg *msg);

/* Check MSG's payload against the shape of its type and fill REQ.
 * -ENOSYS for types a client may not send (unknown, WATCH_EVENT, ERROR),
 * -EINVAL for a payload of the wrong shape (missing NUL, wrong count). */
int wire_parse_request(const struct wire_msg *msg, struct wire_request *req);

/* Number of NUL-terminated strings in P (bytes after the last NUL are not one). */
unsigned wire_count_strings(const char *p, size_t len);

/* The string after S inside the payload of REQ, or NULL after the last one. */
const char *wire_next_string(const struct wire_request *req, const char *s);

/* "ENOENT" for ENOENT: the names xenstored may send; EINVAL for others, as
 * xenstored does with an errno it cannot translate. */
const char *wire_error_name(int errnum);

/* The errno for a name of the xsd_errors table, or -EINVAL. */
int wire_error_from_name(const char *name);

/* The type's name for logs ("READ"), "UNKNOWN" when out of range. */
const char *wire_type_name(uint32_t type);
