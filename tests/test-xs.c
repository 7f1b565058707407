/* test-xs.c: our xenstore client on the wire, against the test server (run
 * under tests/with-xenstore; the server is armed with faults through the
 * real libxenstore): relative paths, missing nodes, pipelined requests,
 * directories listed in parts, watch events between a request and its
 * reply, transactions retried on EAGAIN and bounded, a body's error
 * aborting, a broken connection replaced, every wait bounded when the
 * daemon stops answering, and a batch through a stand-in for a domU's
 * /dev/xen/xenbus, which takes one message per write. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/io/xs_wire.h>

#include "check.h"
#include "deadline.h"
#include "util.h"
#include "xs.h"

static char base[48];           /* relative to dom0's home */

static const char *path_of(const char *sub)
{
        static char buf[8][128];
        static unsigned next;
        char *p = buf[next++ % 8];

        snprintf(p, sizeof(buf[0]), "%s/%s", base, sub);
        return p;
}

/* Arm the test server for the next connection (xenstore-control CMD ARGS). */
static bool arm(const char *a, const char *b, const char *c)
{
        struct xs_handle *h = xs_open(0);
        char args[64];
        size_t len = 0;
        char *reply;
        bool ok;

        if (!h)
                return false;
        for (const char *w[] = { b, c, NULL }, **p = w; *p; p++) {
                size_t l = strlen(*p) + 1;

                memcpy(args + len, *p, l);
                len += l;
        }
        reply = xs_control_command(h, a, args, (unsigned)len);
        ok = reply && streq(reply, "OK");
        free(reply);
        xs_close(h);
        return ok;
}

static struct xsc *open_client(void)
{
        struct xsc *xs = NULL;
        struct reason why = REASON_INIT;

        if (xsc_open(&xs, &why) < 0)
                printf("  %s\n", why.text);
        return xs;
}

static void test_write_read_list_rm_relative_to_the_home(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        _cleanup_free_ char *value = NULL;
        _cleanup_strv_free_ char **names = NULL;
        size_t len = 0;

        CHECK(xs);
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("a/key"), "value"), 0);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("a/key"), &value, &len), 0);
        CHECK_STR_EQ(value, "value");
        CHECK_INT_EQ(len, 5);
        CHECK_INT_EQ(xsc_list(xs, XSC_NO_TXN, path_of("a"), &names), 0);
        CHECK_INT_EQ(strv_length(names), 1);
        CHECK_STR_EQ(names[0], "key");
        CHECK_INT_EQ(xsc_rm(xs, XSC_NO_TXN, path_of("a")), 0);
        free(value);
        value = NULL;
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("a/key"), &value, NULL), -ENOENT);
}

static void test_missing_nodes_are_enoent(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        _cleanup_free_ char *value = NULL;
        _cleanup_strv_free_ char **names = NULL;

        CHECK(xs);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("none"), &value, NULL), -ENOENT);
        CHECK_INT_EQ(xsc_list(xs, XSC_NO_TXN, path_of("none"), &names), -ENOENT);
        CHECK_INT_EQ(xsc_rm(xs, XSC_NO_TXN, path_of("none/deeper")), -ENOENT);
        /* the daemon's error leaves the connection usable */
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("after-enoent"), "1"), 0);
}

static void test_batch_sends_together_and_answers_each(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        struct xsc_op ops[] = {
                { .type = XSC_OP_WRITE, .path = path_of("batch/a"), .value = "1" },
                { .type = XSC_OP_READ, .path = path_of("batch/a") },
                { .type = XSC_OP_READ, .path = path_of("batch/none") },
                { .type = XSC_OP_RM, .path = path_of("batch/a") },
                { .type = XSC_OP_READ, .path = path_of("batch/a") },
        };

        CHECK(xs);
        CHECK_INT_EQ(xsc_batch(xs, XSC_NO_TXN, ops, ARRAY_SIZE(ops)), 0);
        CHECK_INT_EQ(ops[0].r, 0);
        CHECK_INT_EQ(ops[1].r, 0);
        CHECK_STR_EQ(ops[1].reply, "1");
        CHECK_INT_EQ(ops[1].len, 1);
        CHECK_INT_EQ(ops[2].r, -ENOENT);
        CHECK(ops[2].reply == NULL);
        CHECK_INT_EQ(ops[3].r, 0);
        CHECK_INT_EQ(ops[4].r, -ENOENT);
        xsc_ops_clear(ops, ARRAY_SIZE(ops));
}

/* A stand-in for a domU's /dev/xen/xenbus between a client and the test
 * server, in a child process. Like the kernel's xenbus_file_write, it takes
 * the first message of each write and drops the rest of that write, and it
 * keeps the message in its one buffer until the request goes out (here 20
 * ms later): a request written before the previous one went out overwrites
 * that one's body, as on Linux. The client's end (a SOCK_SEQPACKET socket:
 * one packet per write) is returned;
 * each reply reaches it as a packet of its own. */
static int xenbus_device_stand_in(pid_t *child)
{
        int pair[2];
        const char *address = getenv("XENSTORED_PATH");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (!address || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                return -1;
        *child = fork();
        if (*child < 0)
                return -1;
        if (*child == 0) {
                static unsigned char in[2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)];
                static unsigned char packet[sizeof(in)];
                size_t in_len = 0;
                int server = socket(AF_UNIX, SOCK_STREAM, 0);

                snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", address);
                if (server < 0 || connect(server, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                        _exit(1);
                close(pair[0]);
                struct xsd_sockmsg pending;
                bool have_pending = false;

                for (;;) {
                        struct pollfd p[2] = { { pair[1], POLLIN, 0 }, { server, POLLIN, 0 } };
                        struct xsd_sockmsg hdr;
                        ssize_t n;
                        int ready = poll(p, 2, have_pending ? 20 : -1);

                        if (ready < 0)
                                _exit(1);
                        if (ready == 0 && have_pending) {
                                /* the request goes out with what the buffer holds now */
                                if (write(server, &pending, sizeof(pending)) < 0 ||
                                    write(server, packet + sizeof(hdr), pending.len) < 0)
                                        _exit(1);
                                have_pending = false;
                                continue;
                        }
                        if (p[0].revents) {
                                n = read(pair[1], packet, sizeof(packet));
                                if (n <= 0)
                                        _exit(0);
                                memcpy(&hdr, packet, sizeof(hdr));
                                /* the earlier request, still queued, goes out with this one's body */
                                if (have_pending && (write(server, &pending, sizeof(pending)) < 0 ||
                                                     write(server, packet + sizeof(hdr), pending.len) < 0))
                                        _exit(1);
                                have_pending = false;
                                /* the first message only, as the kernel does */
                                if ((size_t)n >= sizeof(hdr) + hdr.len) {
                                        pending = hdr;
                                        have_pending = true;
                                }
                        }
                        if (p[1].revents) {
                                n = read(server, in + in_len, sizeof(in) - in_len);
                                if (n <= 0)
                                        _exit(0);
                                in_len += (size_t)n;
                                while (in_len >= sizeof(hdr)) {
                                        size_t total;

                                        memcpy(&hdr, in, sizeof(hdr));
                                        total = sizeof(hdr) + hdr.len;
                                        if (in_len < total)
                                                break;
                                        if (write(pair[1], in, total) < 0)
                                                _exit(1);
                                        memmove(in, in + total, in_len - total);
                                        in_len -= total;
                                }
                        }
                }
        }
        close(pair[1]);
        return pair[0];
}

static void test_batch_through_the_xenbus_device_goes_one_message_per_write(void)
{
        struct xsc *xs = NULL;
        pid_t child;
        int fd = xenbus_device_stand_in(&child);
        struct xsc_op ops[] = {
                { .type = XSC_OP_WRITE, .path = path_of("dev/a"), .value = "1" },
                { .type = XSC_OP_WRITE, .path = path_of("dev/b"), .value = "2" },
                { .type = XSC_OP_READ, .path = path_of("dev/a") },
                { .type = XSC_OP_READ, .path = path_of("dev/b") },
        };
        int r;

        CHECK(fd >= 0);
        CHECK_INT_EQ(xsc_open_fd(fd, false, &xs), 0);
        xsc_set_budget(xs, 2000);       /* a lost request must not hang the test */
        r = xsc_batch(xs, XSC_NO_TXN, ops, ARRAY_SIZE(ops));
        xsc_close(xs);
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
        CHECK_INT_EQ(r, 0);
        CHECK_INT_EQ(ops[0].r, 0);
        CHECK_INT_EQ(ops[1].r, 0);
        CHECK_STR_EQ(ops[2].reply, "1");
        CHECK_STR_EQ(ops[3].reply, "2");
        xsc_ops_clear(ops, ARRAY_SIZE(ops));
}

/* More names than one reply holds (4096 bytes): listed in parts. */
static void test_large_directory_is_listed_in_parts(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        _cleanup_strv_free_ char **names = NULL;
        char sub[64];

        CHECK(xs);
        for (unsigned i = 0; i < 400; i++) {
                snprintf(sub, sizeof(sub), "big/entry-with-a-long-name-%03u", i);
                CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of(sub), ""), 0);
        }
        CHECK_INT_EQ(xsc_list(xs, XSC_NO_TXN, path_of("big"), &names), 0);
        CHECK_INT_EQ(strv_length(names), 400);
        CHECK(strv_contains(names, "entry-with-a-long-name-000"));
        CHECK(strv_contains(names, "entry-with-a-long-name-399"));
        CHECK_INT_EQ(xsc_rm(xs, XSC_NO_TXN, path_of("big")), 0);
}

/* A watch event arriving between a request and its reply is queued for
 * xsc_read_watch, never taken for the reply. */
static void test_watch_events_between_requests_and_replies_are_queued(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        _cleanup_free_ char *path = NULL, *token = NULL, *value = NULL;

        CHECK(xs);
        CHECK_INT_EQ(xsc_watch(xs, path_of("watched"), "tok"), 0);
        /* the event of the registration, then one per write, arrive
         * before the replies that follow */
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("watched"), "1"), 0);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("watched"), &value, NULL), 0);
        CHECK_STR_EQ(value, "1");
        CHECK_INT_EQ(xsc_read_watch(xs, 1000, &path, &token), 0);
        CHECK_STR_EQ(path, path_of("watched"));
        CHECK_STR_EQ(token, "tok");
        free(path);
        free(token);
        path = token = NULL;
        CHECK_INT_EQ(xsc_read_watch(xs, 1000, &path, &token), 0);
        CHECK_STR_EQ(path, path_of("watched"));
        free(path);
        free(token);
        path = token = NULL;
        CHECK_INT_EQ(xsc_read_watch(xs, 0, &path, &token), -EAGAIN);
        CHECK_INT_EQ(xsc_unwatch(xs, path_of("watched"), "tok"), 0);
}

struct counted {
        unsigned calls;
        int result;
        const char *path;
};

static int counting_body(struct xsc *xs, xsc_txn t, void *userdata)
{
        struct counted *c = userdata;
        int r;

        c->calls++;
        r = xsc_write(xs, t, c->path, "1");
        return r < 0 ? r : c->result;
}

static void test_transaction_is_retried_on_eagain(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        struct counted c = { .path = path_of("retried") };

        CHECK(arm("fault", "eagain", "3"));
        xs = open_client();
        CHECK(xs);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), 0);
        CHECK_INT_EQ(c.calls, 4);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, c.path, &value, NULL), 0);
        CHECK_STR_EQ(value, "1");
}

static void test_endless_conflicts_give_up_after_the_bound(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        struct counted c = { .path = path_of("never") };

        CHECK(arm("fault", "eagain", "1000"));
        xs = open_client();
        CHECK(xs);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), -EAGAIN);
        CHECK_INT_EQ(c.calls, XSC_TRANSACTION_ATTEMPTS);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, c.path, &value, NULL), -ENOENT);
}

static void test_body_error_aborts_and_is_returned(void)
{
        _cleanup_xsc_ struct xsc *xs = open_client();
        _cleanup_free_ char *value = NULL;
        struct counted c = { .path = path_of("aborted"), .result = -EINVAL };

        CHECK(xs);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), -EINVAL);
        CHECK_INT_EQ(c.calls, 1);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, c.path, &value, NULL), -ENOENT);
}

static void test_reconnect_replaces_a_broken_connection(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;

        CHECK(arm("fault", "drop", "2"));
        xs = open_client();
        CHECK(xs);
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("before"), "1"), 0);
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("dropped"), "1"), -ECONNRESET);
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("dropped"), "1"), -ENOTCONN);
        CHECK_INT_EQ(xsc_reconnect(xs, XSC_BUDGET_MS, NULL), 0);
        CHECK_INT_EQ(xsc_write(xs, XSC_NO_TXN, path_of("after"), "1"), 0);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("dropped"), &value, NULL), -ENOENT);
}

/* *OUT: a client whose request after its write of NODE the daemon leaves
 * unanswered (for 2 s); the test has failed unless both worked. */
static void open_client_facing_a_stall(const char *node, struct xsc **out)
{
        CHECK(arm("fault", "stall", "2"));
        *out = open_client();
        CHECK(*out);
        CHECK_INT_EQ(xsc_write(*out, XSC_NO_TXN, path_of(node), "1"), 0);
}

/* A read of NODE on XS times out after MIN_MS to MAX_MS. */
static void check_read_times_out(struct xsc *xs, const char *node, int64_t min_ms, int64_t max_ms)
{
        _cleanup_free_ char *value = NULL;
        int64_t start = now_ms(), took;

        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of(node), &value, NULL), -ETIMEDOUT);
        took = now_ms() - start;
        CHECK(took >= min_ms && took < max_ms);
}

/* A hung daemon: the wait ends with the budget, the connection is closed
 * (a late reply must not be taken for the next request's). */
static void test_stalled_daemon_times_out_within_the_budget(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;

        open_client_facing_a_stall("stall-before", &xs);
        CHECK(xs && !check_failed_in_test);
        xsc_set_budget(xs, 300);
        check_read_times_out(xs, "stall-before", 250, 3000);
        CHECK_INT_EQ(xsc_read(xs, XSC_NO_TXN, path_of("stall-before"), &value, NULL), -ENOTCONN);
}

/* One bound for a whole run: a budget renewed by a reconnect (qubes-block's
 * recheck and report after a failure) ends where the run must end. */
static void test_no_budget_goes_past_the_end_of_the_run(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;

        open_client_facing_a_stall("stall-end", &xs);
        CHECK(xs && !check_failed_in_test);
        xsc_set_end(xs, deadline_after(300));
        check_read_times_out(xs, "stall-end", 250, 3000);
        /* the new connection stalls too; its 5 s budget is already over */
        CHECK(arm("fault", "stall", "1"));
        CHECK_INT_EQ(xsc_reconnect(xs, 5000, NULL), 0);
        check_read_times_out(xs, "stall-end", 0, 1000);
}

static void test_unreachable_daemon_is_named(void)
{
        struct xsc *xs = NULL;
        struct reason why = REASON_INIT;
        const char *saved = getenv("XENSTORED_PATH");
        _cleanup_free_ char *copy = saved ? strdup(saved) : NULL;

        setenv("XENSTORED_PATH", "/nonexistent/xenstored-socket", 1);
        CHECK_INT_EQ(xsc_open(&xs, &why), -ENOENT);
        if (copy)
                setenv("XENSTORED_PATH", copy, 1);
        CHECK(strstr(why.text, "cannot connect to xenstore (/nonexistent/xenstored-socket)"));
}

int main(int argc, char *argv[])
{
        struct xs_handle *h;
        int failed;

        (void)argc;
        (void)argv;
        snprintf(base, sizeof(base), "xs-unit-%d", (int)getpid());
        RUN(test_write_read_list_rm_relative_to_the_home);
        RUN(test_missing_nodes_are_enoent);
        RUN(test_batch_sends_together_and_answers_each);
        RUN(test_batch_through_the_xenbus_device_goes_one_message_per_write);
        RUN(test_large_directory_is_listed_in_parts);
        RUN(test_watch_events_between_requests_and_replies_are_queued);
        RUN(test_transaction_is_retried_on_eagain);
        RUN(test_endless_conflicts_give_up_after_the_bound);
        RUN(test_body_error_aborts_and_is_returned);
        RUN(test_reconnect_replaces_a_broken_connection);
        RUN(test_stalled_daemon_times_out_within_the_budget);
        RUN(test_no_budget_goes_past_the_end_of_the_run);
        RUN(test_unreachable_daemon_is_named);
        failed = check_summary();

        h = xs_open(0);
        if (h) {
                xs_rm(h, XBT_NULL, base);
                xs_close(h);
        }
        return failed;
}
