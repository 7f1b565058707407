/* qdb-wire.c: encoding QubesDB requests and checking the daemon's replies.
 * Everything in a reply is untrusted: each field is checked before use. */
#include "qdb-wire.h"

#include <errno.h>
#include <string.h>

#include "util.h"

size_t qdb_wire_encode(uint8_t type, const char *path, const void *data, size_t len,
                       unsigned char *out)
{
        struct qdb_hdr hdr;

        /* zero-filled, so that no byte of our memory goes to the daemon and
         * its echo of the path holds nothing after the NUL */
        memset(&hdr, 0, sizeof(hdr));
        hdr.type = type;
        memcpy(hdr.path, path, strlen(path) + 1);
        hdr.data_len = (uint32_t)len;
        memcpy(out, &hdr, sizeof(hdr));
        if (len)
                memcpy(out + sizeof(hdr), data, len);
        return sizeof(hdr) + len;
}

static bool type_carries_data(uint8_t type)
{
        return type == QDB_RESP_READ || type == QDB_RESP_MULTIREAD;
}

ssize_t qdb_wire_parse(const void *buf, size_t len, struct qdb_msg *msg)
{
        struct qdb_hdr hdr;
        const char *nul;

        if (len < sizeof(hdr))
                return 0;
        memcpy(&hdr, buf, sizeof(hdr));         /* BUF need not be aligned */

        if (hdr.type < QDB_RESP_OK || hdr.type > QDB_RESP_WATCH)
                return -EPROTO;
        /* the daemon copies the path with its NUL; past it the bytes are
         * leftovers of earlier messages and mean nothing */
        nul = memchr(hdr.path, '\0', sizeof(hdr.path));
        if (!nul)
                return -EPROTO;
        if (nul != hdr.path && !qdb_path_is_valid(hdr.path))
                return -EPROTO;
        /* judged before the data arrives: a huge length must not make us wait */
        if (hdr.data_len > (type_carries_data(hdr.type) ? QDB_VALUE_MAX : 0))
                return -EPROTO;
        if (len - sizeof(hdr) < hdr.data_len)
                return 0;

        msg->type = hdr.type;
        memcpy(msg->path, hdr.path, (size_t)(nul - hdr.path) + 1);
        msg->data = (const char *)buf + sizeof(hdr);
        msg->data_len = hdr.data_len;
        if (memchr(msg->data, '\0', msg->data_len))
                return -EPROTO;         /* the daemon stores no value holding one */
        return (ssize_t)(sizeof(hdr) + hdr.data_len);
}

void qdb_exchange_begin(struct qdb_exchange *x, uint8_t request, const char *path)
{
        memset(x, 0, sizeof(*x));
        x->request = request;
        if (path)
                memcpy(x->path, path, strlen(path) + 1);
}

/* A LIST or MULTIREAD message: an entry, or the empty end marker. */
static int take_entry(struct qdb_exchange *x, const struct qdb_msg *msg, int *result)
{
        if (msg->path[0] == '\0') {
                if (msg->data_len != 0)
                        return -EPROTO;
                *result = 0;
                return QDB_STEP_DONE;
        }
        /* the daemon walks its sorted list from the prefix on: anything else
         * means the stream is out of step */
        if (!startswith(msg->path, x->path) || endswith(msg->path, "/") ||
            (x->entries > 0 && strcmp(msg->path, x->last) <= 0))
                return -EPROTO;
        memcpy(x->last, msg->path, strlen(msg->path) + 1);
        x->entries++;
        return QDB_STEP_ENTRY;
}

/* Which replies each request may get, besides ERROR. */
static bool reply_fits(uint8_t request, uint8_t reply)
{
        switch (request) {
        case QDB_CMD_READ:
                return reply == QDB_RESP_READ || reply == QDB_RESP_ERROR_NOENT;
        case QDB_CMD_WRITE:
        case QDB_CMD_WATCH:
                return reply == QDB_RESP_OK;
        case QDB_CMD_RM:
        case QDB_CMD_UNWATCH:
                return reply == QDB_RESP_OK || reply == QDB_RESP_ERROR_NOENT;
        case QDB_CMD_LIST:
                return reply == QDB_RESP_LIST;
        case QDB_CMD_MULTIREAD:
                return reply == QDB_RESP_MULTIREAD;
        default:
                return false;
        }
}

int qdb_exchange_take(struct qdb_exchange *x, const struct qdb_msg *msg, int *result)
{
        if (msg->type == QDB_RESP_WATCH)
                return msg->path[0] ? QDB_STEP_EVENT : -EPROTO;
        if (x->request == QDB_NO_REQUEST)
                return -EPROTO;
        if (msg->type == QDB_RESP_ERROR) {
                /* the daemon refuses a request before answering any of it */
                if (x->entries > 0)
                        return -EPROTO;
                *result = -EREMOTEIO;
                return QDB_STEP_DONE;
        }
        if (!reply_fits(x->request, msg->type))
                return -EPROTO;
        if (x->request == QDB_CMD_LIST || x->request == QDB_CMD_MULTIREAD)
                return take_entry(x, msg, result);

        /* single replies echo the request's path */
        if (!streq(msg->path, x->path))
                return -EPROTO;
        *result = msg->type == QDB_RESP_ERROR_NOENT ? -ENOENT : 0;
        return QDB_STEP_DONE;
}

const char *qdb_wire_type_name(unsigned type)
{
        static const char *const names[] = {
                [QDB_CMD_READ] = "READ",
                [QDB_CMD_WRITE] = "WRITE",
                [QDB_CMD_MULTIREAD] = "MULTIREAD",
                [QDB_CMD_LIST] = "LIST",
                [QDB_CMD_RM] = "RM",
                [QDB_CMD_WATCH] = "WATCH",
                [QDB_CMD_UNWATCH] = "UNWATCH",
                [QDB_RESP_OK] = "RESP_OK",
                [QDB_RESP_ERROR_NOENT] = "RESP_ERROR_NOENT",
                [QDB_RESP_ERROR] = "RESP_ERROR",
                [QDB_RESP_READ] = "RESP_READ",
                [QDB_RESP_MULTIREAD] = "RESP_MULTIREAD",
                [QDB_RESP_LIST] = "RESP_LIST",
                [QDB_RESP_WATCH] = "RESP_WATCH",
        };

        return type < ARRAY_SIZE(names) ? names[type] : "UNKNOWN";
}
