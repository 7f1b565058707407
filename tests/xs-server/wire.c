/* wire.c: framing and payload shapes of xenstore messages. Every length
 * comes from the peer, so each one is checked before it is used. */
#include "wire.h"

#include <string.h>

#include "util.h"

enum payload_shape {
        SHAPE_REFUSED,          /* not a request: ENOSYS, as xenstored */
        SHAPE_ANY,              /* payload ignored */
        SHAPE_ONE,              /* exactly one string, ending the payload */
        SHAPE_TWO,              /* exactly two strings */
        SHAPE_PATH_DATA,        /* a path string, then binary data */
        SHAPE_ONE_OR_MORE,
        SHAPE_TWO_OR_MORE,
};

struct type_info {
        const char *name;
        enum payload_shape shape;
};

static const struct type_info type_table[XS_TYPE_COUNT] = {
        [XS_CONTROL]              = { "CONTROL", SHAPE_ONE_OR_MORE },
        [XS_DIRECTORY]            = { "DIRECTORY", SHAPE_ONE },
        [XS_READ]                 = { "READ", SHAPE_ONE },
        [XS_GET_PERMS]            = { "GET_PERMS", SHAPE_ONE },
        [XS_WATCH]                = { "WATCH", SHAPE_TWO },
        [XS_UNWATCH]              = { "UNWATCH", SHAPE_TWO },
        [XS_TRANSACTION_START]    = { "TRANSACTION_START", SHAPE_ANY },
        [XS_TRANSACTION_END]      = { "TRANSACTION_END", SHAPE_ONE },
        [XS_INTRODUCE]            = { "INTRODUCE", SHAPE_ANY },
        [XS_RELEASE]              = { "RELEASE", SHAPE_ONE },
        [XS_GET_DOMAIN_PATH]      = { "GET_DOMAIN_PATH", SHAPE_ONE },
        [XS_WRITE]                = { "WRITE", SHAPE_PATH_DATA },
        [XS_MKDIR]                = { "MKDIR", SHAPE_ONE },
        [XS_RM]                   = { "RM", SHAPE_ONE },
        [XS_SET_PERMS]            = { "SET_PERMS", SHAPE_TWO_OR_MORE },
        [XS_WATCH_EVENT]          = { "WATCH_EVENT", SHAPE_REFUSED },
        [XS_ERROR]                = { "ERROR", SHAPE_REFUSED },
        [XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED", SHAPE_ONE },
        [XS_RESUME]               = { "RESUME", SHAPE_ONE },
        [XS_SET_TARGET]           = { "SET_TARGET", SHAPE_TWO },
        [XS_RESET_WATCHES]        = { "RESET_WATCHES", SHAPE_ANY },
        [XS_DIRECTORY_PART]       = { "DIRECTORY_PART", SHAPE_TWO },
};

ssize_t wire_frame(const void *buf, size_t len, struct wire_msg *msg)
{
        struct xsd_sockmsg hdr;

        if (len < sizeof(hdr))
                return 0;
        memcpy(&hdr, buf, sizeof(hdr));         /* BUF need not be aligned */
        if (hdr.len > XENSTORE_PAYLOAD_MAX)
                return -EMSGSIZE;
        if (len - sizeof(hdr) < hdr.len)
                return 0;

        msg->hdr = hdr;
        msg->payload = (const char *)buf + sizeof(hdr);
        return (ssize_t)(sizeof(hdr) + hdr.len);
}

unsigned wire_count_strings(const char *p, size_t len)
{
        unsigned n = 0;

        for (size_t i = 0; i < len; i++)
                if (p[i] == '\0')
                        n++;
        return n;
}

const char *wire_next_string(const struct wire_request *req, const char *s)
{
        const char *end = req->payload + req->len;
        const char *nul = memchr(s, '\0', (size_t)(end - s));

        if (!nul || nul + 1 >= end)
                return NULL;
        /* the next one counts only if it is terminated too */
        if (!memchr(nul + 1, '\0', (size_t)(end - nul - 1)))
                return NULL;
        return nul + 1;
}

static bool shape_matches(enum payload_shape shape, const char *payload, size_t len,
                          unsigned argc)
{
        switch (shape) {
        case SHAPE_ANY:
                return true;
        case SHAPE_ONE:
                /* xenstored's onearg(): one NUL, and it is the last byte */
                return argc == 1 && len > 0 && payload[len - 1] == '\0';
        case SHAPE_TWO:
                return argc == 2;
        case SHAPE_PATH_DATA:
        case SHAPE_ONE_OR_MORE:
                return argc >= 1;
        case SHAPE_TWO_OR_MORE:
                return argc >= 2;
        case SHAPE_REFUSED:
                break;
        }
        return false;
}

int wire_parse_request(const struct wire_msg *msg, struct wire_request *req)
{
        const struct type_info *info;
        const char *s;

        if (msg->hdr.type >= XS_TYPE_COUNT)
                return -ENOSYS;
        info = &type_table[msg->hdr.type];
        if (!info->name || info->shape == SHAPE_REFUSED)
                return -ENOSYS;

        *req = (struct wire_request) {
                .type = msg->hdr.type,
                .req_id = msg->hdr.req_id,
                .tx_id = msg->hdr.tx_id,
                .payload = msg->payload,
                .len = msg->hdr.len,
                .argc = wire_count_strings(msg->payload, msg->hdr.len),
        };
        if (!shape_matches(info->shape, req->payload, req->len, req->argc))
                return -EINVAL;

        s = req->argc > 0 ? req->payload : NULL;
        for (unsigned i = 0; s && i < WIRE_ARGV_MAX; i++) {
                req->argv[i] = s;
                s = wire_next_string(req, s);
        }

        if (info->shape == SHAPE_PATH_DATA) {
                size_t path_len = strlen(req->payload) + 1;

                req->data = req->payload + path_len;
                req->data_len = req->len - path_len;
        }
        return 0;
}

const char *wire_error_name(int errnum)
{
        for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++)
                if (xsd_errors[i].errnum == errnum)
                        return xsd_errors[i].errstring;
        return "EINVAL";
}

int wire_error_from_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++)
                if (streq(xsd_errors[i].errstring, name))
                        return xsd_errors[i].errnum;
        return -EINVAL;
}

const char *wire_type_name(uint32_t type)
{
        if (type < XS_TYPE_COUNT && type_table[type].name)
                return type_table[type].name;
        return "UNKNOWN";
}
