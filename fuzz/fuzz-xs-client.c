/* fuzz-xs-client.c: our xenstore client (backend/xs.c) on any byte stream a
 * daemon may send, through a socketpair that holds the bytes and then ends.
 * Whatever comes, a call returns 0 or a negative errno (never hangs: the
 * stream ends), a value it returns is NUL-terminated at its length, and a
 * transport failure leaves the connection closed (-ENOTCONN after). One
 * oracle, written here from xs_wire.h: a READ answered by one well-formed
 * reply of type READ echoing the request id gives exactly its payload.
 *
 * Input: a byte choosing the call (read, list, a batch of three, a
 * transaction, a watch then events), then the daemon's bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

#include "fuzz-util.h"
#include "util.h"
#include "xs.h"

#define STREAM_MAX 65536        /* fits a socketpair's buffer */

static bool allowed(int r)
{
        return r == 0 || r == -EPROTO || r == -ECONNRESET || r == -ENOTCONN || r == -ENOMEM || r == -EAGAIN ||
               r == -ENOBUFS || (r < 0 && r > -4096);
}

/* The oracle: the first message a READ with request id 1 should be answered by. */
static bool plain_read_reply(const uint8_t *d, size_t n, const char **value, size_t *len)
{
        struct xsd_sockmsg hdr;

        if (n < sizeof(hdr))
                return false;
        memcpy(&hdr, d, sizeof(hdr));
        if (hdr.type != XS_READ || hdr.req_id != 1 || hdr.len > XENSTORE_PAYLOAD_MAX || n < sizeof(hdr) + hdr.len)
                return false;
        *value = (const char *)d + sizeof(hdr);
        *len = hdr.len;
        return true;
}

static void run(struct xsc *xs, uint8_t call, const uint8_t *stream, size_t n)
{
        char *value = NULL, *path = NULL, *token = NULL;
        char **names = NULL;
        size_t len = 0;
        xsc_txn t;
        int r;

        switch (call % 5) {
        case 0: {
                const char *want;
                size_t want_len;

                r = xsc_read(xs, XSC_NO_TXN, "a/b", &value, &len);
                FUZZ_CHECK(allowed(r), "read gave %d", r);
                if (r == 0)
                        FUZZ_CHECK(value[len] == '\0', "value not NUL-terminated");
                if (plain_read_reply(stream, n, &want, &want_len))
                        FUZZ_CHECK(r == 0 && len == want_len && memcmp(value, want, len) == 0,
                                   "a plain READ reply gave %d", r);
                break;
        }
        case 1:
                r = xsc_list(xs, XSC_NO_TXN, "a", &names);
                FUZZ_CHECK(allowed(r), "list gave %d", r);
                if (r == 0)
                        for (char **p = names; *p; p++)
                                FUZZ_CHECK(**p != '\0', "an empty name listed");
                break;
        case 2: {
                struct xsc_op ops[] = {
                        { .type = XSC_OP_READ, .path = "a" },
                        { .type = XSC_OP_WRITE, .path = "b", .value = "v" },
                        { .type = XSC_OP_RM, .path = "c" },
                };

                r = xsc_batch(xs, XSC_NO_TXN, ops, ARRAY_SIZE(ops));
                FUZZ_CHECK(allowed(r), "batch gave %d", r);
                for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
                        FUZZ_CHECK(allowed(ops[i].r), "op %zu gave %d", i, ops[i].r);
                        if (ops[i].reply)
                                FUZZ_CHECK(ops[i].reply[ops[i].len] == '\0', "batched value not terminated");
                }
                xsc_ops_clear(ops, ARRAY_SIZE(ops));
                break;
        }
        case 3:
                r = xsc_transaction_start(xs, &t);
                FUZZ_CHECK(allowed(r), "transaction start gave %d", r);
                if (r == 0) {
                        FUZZ_CHECK(t != XSC_NO_TXN, "transaction 0 accepted");
                        r = xsc_write(xs, t, "x", "1");
                        FUZZ_CHECK(allowed(r), "write gave %d", r);
                        r = xsc_transaction_end(xs, t, false);
                        FUZZ_CHECK(allowed(r), "commit gave %d", r);
                }
                break;
        default:
                r = xsc_watch(xs, "w", "tok");
                FUZZ_CHECK(allowed(r), "watch gave %d", r);
                for (int i = 0; i < 64; i++) {
                        r = xsc_read_watch(xs, 0, &path, &token);
                        FUZZ_CHECK(allowed(r), "read_watch gave %d", r);
                        if (r != 0)
                                break;
                        FUZZ_CHECK(path && token, "an event without path or token");
                        free(path);
                        free(token);
                        path = token = NULL;
                }
                break;
        }
        free(value);
        value = NULL;
        strv_free(names);
        /* a transport failure closes the connection */
        r = xsc_read(xs, XSC_NO_TXN, "after", &value, NULL);
        FUZZ_CHECK(allowed(r), "read after gave %d", r);
        free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct xsc *xs = NULL;
        int sv[2];

        fuzz_begin(data, size);
        if (size < 1 || size - 1 > STREAM_MAX)
                return FUZZ_REJECT;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        if (size > 1 && write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
                abort();
        /* the daemon says no more, but takes our requests: every wait ends */
        if (shutdown(sv[1], SHUT_WR) < 0 || xsc_open_fd(sv[0], true, &xs) < 0)
                abort();
        xsc_set_budget(xs, 1000);
        run(xs, data[0], data + 1, size - 1);
        xsc_close(xs);
        close(sv[1]);
        return 0;
}
