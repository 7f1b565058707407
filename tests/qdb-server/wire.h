/* wire.h: the QubesDB protocol as the test server speaks it (SPEC §6): the
 * header, the message types, the daemon's rules for paths and values.
 *
 * Written apart from the client's backend/qdb-wire.h on purpose: the server
 * is what the client is tested against, so a mistake shared by both would
 * never show. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_PATH_SIZE 64       /* the header's path field; a path is shorter */
#define WIRE_DATA_MAX 3071      /* a value's bytes at most */

enum wire_type {
        WIRE_READ, WIRE_WRITE, WIRE_MULTIREAD, WIRE_LIST, WIRE_RM, WIRE_WATCH, WIRE_UNWATCH,
        WIRE_RESP_OK, WIRE_RESP_ERROR_NOENT, WIRE_RESP_ERROR, WIRE_RESP_READ,
        WIRE_RESP_MULTIREAD, WIRE_RESP_LIST, WIRE_RESP_WATCH,
};

/* The header as the daemon's C declares it: host order, natural alignment.
 * Messages are handled as raw bytes at these offsets, so that what a client
 * put in the padding and after the path's NUL is echoed as the daemon does. */
struct wire_hdr {
        uint8_t type;
        char path[WIRE_PATH_SIZE];
        uint32_t data_len;
};

#define WIRE_HDR_SIZE sizeof(struct wire_hdr)
#define WIRE_OFF_TYPE offsetof(struct wire_hdr, type)
#define WIRE_OFF_PATH offsetof(struct wire_hdr, path)
#define WIRE_OFF_DATA_LEN offsetof(struct wire_hdr, data_len)

_Static_assert(WIRE_HDR_SIZE == 72 && WIRE_OFF_PATH == 1 && WIRE_OFF_DATA_LEN == 68,
               "the daemon's header is 72 bytes: type 0, path 1..64, data_len 68");

/* The fields of raw header bytes. */
uint8_t wire_get_type(const unsigned char *raw);
uint32_t wire_get_data_len(const unsigned char *raw);
void wire_set_type(unsigned char *raw, uint8_t type);
void wire_set_data_len(unsigned char *raw, uint32_t len);

/* As the daemon does first with every message: set the path field's last
 * byte to NUL (replies echo it so). Whether the field held a NUL before. */
bool wire_terminate_path(unsigned char *raw);
/* The path of a header that wire_terminate_path() has seen. */
const char *wire_path(const unsigned char *raw);

/* The daemon's rule: fewer than 64 bytes, a leading '/' (so no leading '-'),
 * only [a-zA-Z0-9_/.:@-]. A trailing '/' passes here; a write refuses it. */
bool wire_path_is_valid(const char *path);

bool wire_type_is_request(unsigned type);
/* "READ", "RESP_OK", ...; "UNKNOWN". */
const char *wire_type_name(unsigned type);
