/* test-xs.c: the xenstore client module on the real libxenstore, against the
 * test server (run under tests/with-xenstore): relative paths, missing nodes,
 * transactions retried on EAGAIN and bounded, a body's error aborting, and a
 * new connection after the old one broke. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <xenstore.h>

#include "check.h"
#include "log.h"
#include "util.h"
#include "xs.h"

static char base[48];           /* relative to dom0's home */

static const char *path_of(const char *sub)
{
        static char buf[4][128];
        static unsigned next;
        char *p = buf[next++ % 4];

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

static void test_write_read_list_rm_relative_to_the_home(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        _cleanup_free_ char **names = NULL;
        unsigned n = 0;
        size_t len = 0;

        CHECK_INT_EQ(xsc_open(&xs), 0);
        CHECK_INT_EQ(xsc_write(xs, XBT_NULL, path_of("a/key"), "value"), 0);
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, path_of("a/key"), &value, &len), 0);
        CHECK_STR_EQ(value, "value");
        CHECK_INT_EQ(len, 5);
        CHECK_INT_EQ(xsc_list(xs, XBT_NULL, path_of("a"), &names, &n), 0);
        CHECK_INT_EQ(n, 1);
        CHECK_STR_EQ(names[0], "key");
        CHECK_INT_EQ(xsc_rm(xs, XBT_NULL, path_of("a")), 0);
        free(value);
        value = NULL;
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, path_of("a/key"), &value, NULL), -ENOENT);
}

static void test_missing_nodes_are_enoent_and_not_logged(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        _cleanup_free_ char **names = NULL;
        unsigned n;

        CHECK_INT_EQ(xsc_open(&xs), 0);
        log_error(-EIO, "marker");
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, path_of("none"), &value, NULL), -ENOENT);
        CHECK_INT_EQ(xsc_list(xs, XBT_NULL, path_of("none"), &names, &n), -ENOENT);
        CHECK_INT_EQ(xsc_rm(xs, XBT_NULL, path_of("none/deeper")), -ENOENT);
        CHECK_STR_EQ(log_last_error(), "marker");
}

struct counted {
        unsigned calls;
        int result;
        const char *path;
};

static int counting_body(struct xsc *xs, xs_transaction_t t, void *userdata)
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
        CHECK_INT_EQ(xsc_open(&xs), 0);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), 0);
        CHECK_INT_EQ(c.calls, 4);
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, c.path, &value, NULL), 0);
        CHECK_STR_EQ(value, "1");
}

static void test_endless_conflicts_give_up_after_the_bound(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        struct counted c = { .path = path_of("never") };

        CHECK(arm("fault", "eagain", "1000"));
        CHECK_INT_EQ(xsc_open(&xs), 0);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), -EAGAIN);
        CHECK_INT_EQ(c.calls, XSC_TRANSACTION_ATTEMPTS);
        CHECK(strstr(log_last_error(), "kept conflicting"));
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, c.path, &value, NULL), -ENOENT);
}

static void test_body_error_aborts_and_is_returned(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;
        struct counted c = { .path = path_of("aborted"), .result = -EINVAL };

        CHECK_INT_EQ(xsc_open(&xs), 0);
        CHECK_INT_EQ(xsc_transact(xs, counting_body, &c), -EINVAL);
        CHECK_INT_EQ(c.calls, 1);
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, c.path, &value, NULL), -ENOENT);
}

static void test_reconnect_replaces_a_broken_connection(void)
{
        _cleanup_xsc_ struct xsc *xs = NULL;
        _cleanup_free_ char *value = NULL;

        CHECK(arm("fault", "drop", "2"));
        CHECK_INT_EQ(xsc_open(&xs), 0);
        CHECK_INT_EQ(xsc_write(xs, XBT_NULL, path_of("before"), "1"), 0);
        CHECK(xsc_write(xs, XBT_NULL, path_of("dropped"), "1") < 0);
        CHECK_INT_EQ(xsc_reconnect(xs), 0);
        CHECK_INT_EQ(xsc_write(xs, XBT_NULL, path_of("after"), "1"), 0);
        CHECK_INT_EQ(xsc_read(xs, XBT_NULL, path_of("dropped"), &value, NULL), -ENOENT);
}

int main(int argc, char *argv[])
{
        struct xs_handle *h;
        int failed;

        (void)argc;
        log_init(argv[0]);
        snprintf(base, sizeof(base), "xs-unit-%d", (int)getpid());
        RUN(test_write_read_list_rm_relative_to_the_home);
        RUN(test_missing_nodes_are_enoent_and_not_logged);
        RUN(test_transaction_is_retried_on_eagain);
        RUN(test_endless_conflicts_give_up_after_the_bound);
        RUN(test_body_error_aborts_and_is_returned);
        RUN(test_reconnect_replaces_a_broken_connection);
        failed = check_summary();

        h = xs_open(0);
        if (h) {
                xs_rm(h, XBT_NULL, base);
                xs_close(h);
        }
        return failed;
}
