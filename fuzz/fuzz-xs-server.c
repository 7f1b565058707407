/* fuzz-xs-server.c: the xenstore test server's request handling behind the
 * parser (request.c, store.c, transaction.c, tree.c, watch.c, control.c) on
 * a store in memory, with two connections that never touch a socket: dom0
 * and a guest. After each request the queued output is checked: well-framed
 * messages, exactly one reply to the requester (its type or ERROR, with its
 * req_id and tx_id), nothing but watch events elsewhere; a value dom0 writes
 * reads back the same; at the end the tree dump escapes every value.
 *
 * Input: one byte, the guest's domain id (0 makes both privileged), then
 * records: a flags byte (bit 0: connection; bit 1: the transaction id is the
 * last one the connection started), the type, a tx_id byte, a 16-bit
 * little-endian payload length (cut to what is left), the payload. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "request.h"
#include "server.h"
#include "wire.h"

#define RECORD_HEADER 5

struct client {
        struct conn *conn;
        uint32_t last_tx;       /* from the last TRANSACTION_START reply */
};

static struct conn *connect_client(struct server *s, uint32_t domid)
{
        struct conn *c = calloc(1, sizeof(*c)), **tail;

        if (!c)
                abort();
        c->fd = -1;             /* replies stay queued; the harness reads them */
        c->seq = ++s->accept_seq;
        c->started = true;
        c->settings.domid = domid;
        for (tail = &s->conns; *tail; tail = &(*tail)->next)
                ;
        *tail = c;
        return c;
}

/* Walk the messages queued on C. Returns how many are replies (not watch
 * events), and the last of them in *REPLY and *REPLY_PAYLOAD. */
static unsigned check_output(const struct conn *c, struct xsd_sockmsg *reply,
                             const char **reply_payload)
{
        unsigned replies = 0;
        size_t off = 0;

        while (off < c->out_len) {
                struct xsd_sockmsg hdr;
                const char *payload;

                FUZZ_CHECK(c->out_len - off >= sizeof(hdr), "output ends inside a header");
                memcpy(&hdr, c->out + off, sizeof(hdr));
                FUZZ_CHECK(hdr.len <= XENSTORE_PAYLOAD_MAX, "%s of %u bytes queued",
                           wire_type_name(hdr.type), hdr.len);
                FUZZ_CHECK(c->out_len - off - sizeof(hdr) >= hdr.len, "output ends inside a payload");
                payload = c->out + off + sizeof(hdr);
                if (hdr.type == XS_WATCH_EVENT) {
                        FUZZ_CHECK(hdr.len >= 2 && payload[hdr.len - 1] == '\0' &&
                                   wire_count_strings(payload, hdr.len) == 2,
                                   "watch event is not PATH\\0TOKEN\\0");
                } else {
                        replies++;
                        *reply = hdr;
                        *reply_payload = payload;
                }
                if (hdr.type == XS_ERROR)
                        FUZZ_CHECK(hdr.len >= 2 && payload[hdr.len - 1] == '\0' &&
                                   wire_error_from_name(payload) > 0,
                                   "error reply '%.*s' is not an errno name", (int)hdr.len, payload);
                off += sizeof(hdr) + hdr.len;
        }
        return replies;
}

/* Parse and carry out one request as the server's handle_message() does. */
static int run_request(struct server *s, struct conn *c, const struct xsd_sockmsg *hdr,
                       const char *payload, struct wire_request *req)
{
        struct wire_msg msg = { .hdr = *hdr, .payload = payload };
        int r = wire_parse_request(&msg, req);

        if (r >= 0)
                r = request_dispatch(s, c, req);
        if (r < 0)
                conn_reply_error(c, hdr, -r);
        return r;
}

/* `dump FILE` writes wherever FILE says: not from a fuzzer. */
static bool is_dump_to_file(const struct xsd_sockmsg *hdr, const char *payload)
{
        return hdr->type == XS_CONTROL && hdr->len >= 5 && memcmp(payload, "dump", 5) == 0 &&
               wire_count_strings(payload, hdr->len) >= 2;
}

/* What dom0 just wrote reads back the same, in the same transaction. */
static void check_read_back(struct server *s, struct conn *c, const struct wire_request *write)
{
        size_t path_len = strlen(write->argv[0]) + 1;
        struct xsd_sockmsg hdr = {
                .type = XS_READ, .req_id = 0xfeedu, .tx_id = write->tx_id, .len = (uint32_t)path_len,
        };
        struct xsd_sockmsg reply = { 0 };
        struct wire_request req;
        const char *payload = NULL;
        unsigned replies;
        int r;

        r = run_request(s, c, &hdr, write->argv[0], &req);
        FUZZ_CHECK(r == 0, "READ of '%s' just written: %d", write->argv[0], r);
        replies = check_output(c, &reply, &payload);
        FUZZ_CHECK(replies == 1 && reply.type == XS_READ && reply.len == write->data_len &&
                   memcmp(payload, write->data, write->data_len) == 0,
                   "'%s' reads back differently", write->argv[0]);
        c->out_len = 0;
}

static void check_dump(struct server *s)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (!f)
                abort();
        FUZZ_CHECK(server_dump(s, f) == 0, "dump failed");
        fclose(f);
        for (size_t i = 0; i < len; i++)
                FUZZ_CHECK(text[i] == '\n' || (text[i] >= 0x20 && text[i] <= 0x7e),
                           "dump holds byte 0x%02x", (unsigned char)text[i]);
        FUZZ_CHECK(len == 0 || text[len - 1] == '\n', "dump does not end a line");
        free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct client clients[2];
        struct server s;
        uint32_t req_id = 0;
        size_t off = 1;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        if (server_init(&s, -1) < 0)
                abort();
        clients[0] = (struct client) { .conn = connect_client(&s, 0) };
        clients[1] = (struct client) { .conn = connect_client(&s, data[0]) };

        while (size - off >= RECORD_HEADER) {
                const uint8_t *rec = data + off;
                struct client *cl = &clients[rec[0] & 1];
                size_t len = (size_t)(rec[3] | rec[4] << 8);
                struct xsd_sockmsg hdr, reply = { 0 };
                const char *reply_payload = NULL;
                struct wire_request req;
                unsigned replies;
                char *payload;
                int r;

                if (len > size - off - RECORD_HEADER)
                        len = size - off - RECORD_HEADER;
                if (len > XENSTORE_PAYLOAD_MAX)
                        len = XENSTORE_PAYLOAD_MAX;
                hdr = (struct xsd_sockmsg) {
                        .type = rec[1],
                        .req_id = ++req_id,
                        .tx_id = rec[0] & 2 ? cl->last_tx : rec[2],
                        .len = (uint32_t)len,
                };
                payload = (char *)fuzz_buffer(len);
                memcpy(payload, rec + RECORD_HEADER, len);
                off += RECORD_HEADER + len;
                if (is_dump_to_file(&hdr, payload) || cl->conn->dead) {
                        free(payload);
                        continue;
                }

                r = run_request(&s, cl->conn, &hdr, payload, &req);
                for (int i = 0; i < 2; i++) {
                        struct conn *c = clients[i].conn;

                        if (c->dead)
                                continue;
                        replies = check_output(c, &reply, &reply_payload);
                        if (c != cl->conn) {
                                FUZZ_CHECK(replies == 0, "a reply went to the other connection");
                                continue;
                        }
                        FUZZ_CHECK(replies == 1, "%s: %u replies", wire_type_name(hdr.type), replies);
                        FUZZ_CHECK(reply.req_id == hdr.req_id && reply.tx_id == hdr.tx_id &&
                                   (reply.type == hdr.type || reply.type == XS_ERROR),
                                   "%s answered as %s", wire_type_name(hdr.type),
                                   wire_type_name(reply.type));
                        /* a reply too big for a message is E2BIG, as xenstored sends it */
                        FUZZ_CHECK(r < 0 ? reply.type == XS_ERROR :
                                   reply.type != XS_ERROR || strcmp(reply_payload, "E2BIG") == 0,
                                   "%s: %d but answered %s", wire_type_name(hdr.type), r,
                                   wire_type_name(reply.type));
                        if (r == 0 && hdr.type == XS_TRANSACTION_START)
                                cl->last_tx = (uint32_t)strtoul(reply_payload, NULL, 10);
                }
                for (int i = 0; i < 2; i++)
                        clients[i].conn->out_len = 0;   /* as if sent */

                if (r == 0 && hdr.type == XS_WRITE && cl->conn->settings.domid == 0)
                        check_read_back(&s, cl->conn, &req);
                free(payload);
        }

        check_dump(&s);
        server_done(&s);
        return 0;
}
