/* fuzz-xs-wire.c: the xenstore test server's message parser (wire.c) on the
 * bytes a client may send: wire_frame() cuts the stream into messages
 * exactly where their headers say, and refuses an oversized payload;
 * wire_parse_request() accepts a payload only in its type's shape and then
 * hands out strings that lie inside the payload, each NUL-terminated there.
 * Each payload is copied to a buffer of its own size, so that a read past
 * it is a heap overflow ASan reports. The input is the byte stream. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "wire.h"

enum shape { REFUSED, ANY, ONE, TWO, PATH_DATA, ONE_OR_MORE, TWO_OR_MORE };

/* What xenstored 4.17 demands of each request type's payload. */
static enum shape shape_of(uint32_t type)
{
        switch (type) {
        case XS_DIRECTORY: case XS_READ: case XS_GET_PERMS: case XS_TRANSACTION_END:
        case XS_RELEASE: case XS_GET_DOMAIN_PATH: case XS_MKDIR: case XS_RM:
        case XS_IS_DOMAIN_INTRODUCED: case XS_RESUME:
                return ONE;
        case XS_WATCH: case XS_UNWATCH: case XS_SET_TARGET: case XS_DIRECTORY_PART:
                return TWO;
        case XS_TRANSACTION_START: case XS_INTRODUCE: case XS_RESET_WATCHES:
                return ANY;
        case XS_WRITE:
                return PATH_DATA;
        case XS_CONTROL:
                return ONE_OR_MORE;
        case XS_SET_PERMS:
                return TWO_OR_MORE;
        default:                /* WATCH_EVENT, ERROR, the removed RESTRICT, unknown */
                return REFUSED;
        }
}

static bool shape_fits(enum shape shape, const char *payload, size_t len, unsigned nuls)
{
        switch (shape) {
        case ANY:
                return true;
        case ONE:
                return nuls == 1 && len > 0 && payload[len - 1] == '\0';
        case TWO:
                return nuls == 2;
        case PATH_DATA:
        case ONE_OR_MORE:
                return nuls >= 1;
        case TWO_OR_MORE:
                return nuls >= 2;
        case REFUSED:
                break;
        }
        return false;
}

static void check_request(const struct xsd_sockmsg *hdr, const char *payload)
{
        struct wire_msg msg = { .hdr = *hdr, .payload = payload };
        const char *end = payload + hdr->len;
        enum shape shape = shape_of(hdr->type);
        struct wire_request req;
        unsigned nuls = 0, seen;
        int r;

        for (size_t i = 0; i < hdr->len; i++)
                nuls += payload[i] == '\0';
        FUZZ_CHECK(wire_count_strings(payload, hdr->len) == nuls, "count of strings");

        memset(&req, FUZZ_CANARY, sizeof(req));
        r = wire_parse_request(&msg, &req);
        if (shape == REFUSED) {
                FUZZ_CHECK(r == -ENOSYS, "type %u accepted (%d)", hdr->type, r);
                return;
        }
        if (!shape_fits(shape, payload, hdr->len, nuls)) {
                FUZZ_CHECK(r == -EINVAL, "type %s with %u strings in %u bytes: %d",
                           wire_type_name(hdr->type), nuls, hdr->len, r);
                return;
        }
        FUZZ_CHECK(r == 0, "type %s with %u strings in %u bytes refused: %d", wire_type_name(hdr->type),
                   nuls, hdr->len, r);
        FUZZ_CHECK(req.type == hdr->type && req.req_id == hdr->req_id && req.tx_id == hdr->tx_id &&
                   req.payload == payload && req.len == hdr->len && req.argc == nuls, "header fields");

        /* argv: the first strings, each terminated inside the payload, back to back */
        for (unsigned i = 0; i < WIRE_ARGV_MAX; i++) {
                if (i >= nuls) {
                        FUZZ_CHECK(req.argv[i] == NULL, "argv[%u] set with %u strings", i, nuls);
                        continue;
                }
                FUZZ_CHECK(req.argv[i] == (i == 0 ? payload : req.argv[i - 1] + strlen(req.argv[i - 1]) + 1),
                           "argv[%u] misplaced", i);
                FUZZ_CHECK(req.argv[i] >= payload && req.argv[i] < end &&
                           memchr(req.argv[i], '\0', (size_t)(end - req.argv[i])),
                           "argv[%u] not a string inside the payload", i);
        }

        /* wire_next_string() walks exactly the terminated strings */
        seen = 0;
        for (const char *s = req.argc ? req.argv[0] : NULL; s; s = wire_next_string(&req, s)) {
                FUZZ_CHECK(s >= payload && s < end && memchr(s, '\0', (size_t)(end - s)),
                           "string %u outside the payload", seen);
                seen++;
        }
        FUZZ_CHECK(seen == nuls, "walked %u strings of %u", seen, nuls);

        if (shape == PATH_DATA) {
                size_t path_len = strlen(payload) + 1;

                FUZZ_CHECK(req.data == payload + path_len && req.data_len == hdr->len - path_len,
                           "WRITE data misplaced");
        } else {
                FUZZ_CHECK(req.data == NULL && req.data_len == 0, "data set for type %s",
                           wire_type_name(hdr->type));
        }
}

/* Error names go both ways: what the server sends, a client can read back. */
static void check_error_name(int errnum)
{
        const char *name = wire_error_name(errnum);
        int back;

        FUZZ_CHECK(name && name[0] == 'E', "errno %d named '%s'", errnum, name ? name : "(null)");
        back = wire_error_from_name(name);
        FUZZ_CHECK(back > 0 && strcmp(wire_error_name(back), name) == 0,
                   "errno %d -> %s -> %d", errnum, name, back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t off = 0;

        fuzz_begin(data, size);
        if (size >= 2)
                check_error_name(data[0] | data[1] << 8);

        while (off < size) {
                size_t left = size - off;
                struct xsd_sockmsg hdr;
                struct wire_msg msg;
                ssize_t used;
                char *payload;

                used = wire_frame(data + off, left, &msg);
                if (left < sizeof(hdr)) {
                        FUZZ_CHECK(used == 0, "%zu bytes framed (%zd)", left, used);
                        break;
                }
                memcpy(&hdr, data + off, sizeof(hdr));
                if (hdr.len > XENSTORE_PAYLOAD_MAX) {
                        FUZZ_CHECK(used == -EMSGSIZE, "payload of %u bytes framed (%zd)", hdr.len, used);
                        break;
                }
                if (left - sizeof(hdr) < hdr.len) {
                        FUZZ_CHECK(used == 0, "incomplete message framed (%zd)", used);
                        break;
                }
                FUZZ_CHECK(used == (ssize_t)(sizeof(hdr) + hdr.len), "framed %zd bytes of %zu", used,
                           sizeof(hdr) + hdr.len);
                FUZZ_CHECK(memcmp(&msg.hdr, &hdr, sizeof(hdr)) == 0 &&
                           msg.payload == (const char *)data + off + sizeof(hdr), "frame misplaced");
                FUZZ_CHECK(wire_type_name(hdr.type) != NULL, "type %u has no name", hdr.type);

                payload = (char *)fuzz_buffer(hdr.len);
                memcpy(payload, msg.payload, hdr.len);
                check_request(&hdr, payload);
                free(payload);
                off += (size_t)used;
        }
        return 0;
}
