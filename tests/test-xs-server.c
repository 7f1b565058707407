/* test-xs-server.c: the xenstore test server's suite, through the real
 * libxenstore (run under tests/with-xenstore).
 *
 * The suite also runs against a real xenstored (in a Xen dom0): with
 * XS_TEST_REAL_DAEMON=1 the tests that need the test server's control
 * commands (faults, dump, as-domain) or raw socket access are skipped. All
 * data lives below /local/domain/0/xs-test-PID and is removed at the end. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenstore.h>
#include <xen/io/xs_wire.h>

#include "check.h"
#include "util.h"

/* long enough for a loaded machine, short enough to fail a hung test fast */
#define EVENT_TIMEOUT_MS 5000

static bool real_daemon;
static char base[64];           /* /local/domain/0/xs-test-PID */
static char rel_base[32];       /* the same, relative to dom0's home */
static struct xs_handle *ctl;   /* dom0 connection for setup and checks */

static void xs_closep(struct xs_handle **h)
{
        if (*h)
                xs_close(*h);
}
#define _cleanup_xs_ _cleanup_(xs_closep)

/* ---- helpers ---- */

/* BASE/SUB; a few results stay valid at once. */
static const char *P(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *P(const char *fmt, ...)
{
        static char ring[8][4200];
        static unsigned next;
        char *buf = ring[next++ % ARRAY_SIZE(ring)];
        int n = snprintf(buf, sizeof(ring[0]), "%s/", base);
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf + n, sizeof(ring[0]) - (size_t)n, fmt, ap);
        va_end(ap);
        return buf;
}

/* The same path relative to dom0's home. */
static const char *R(const char *sub)
{
        static char ring[4][256];
        static unsigned next;
        char *buf = ring[next++ % ARRAY_SIZE(ring)];

        snprintf(buf, sizeof(ring[0]), "%s/%s", rel_base, sub);
        return buf;
}

static struct xs_handle *conn_open(void)
{
        return xs_open(0);
}

/* The value at PATH as a string (free it), or NULL with errno. */
static char *get(struct xs_handle *h, xs_transaction_t t, const char *path)
{
        unsigned len;

        return xs_read(h, t, path, &len);
}

static bool put(struct xs_handle *h, xs_transaction_t t, const char *path, const char *value)
{
        return xs_write(h, t, path, value, (unsigned)strlen(value));
}

/* Does reading PATH fail with ERR? */
static bool read_fails(struct xs_handle *h, const char *path, int err)
{
        _cleanup_free_ char *v = get(h, XBT_NULL, path);

        return !v && errno == err;
}

/* The next watch event of H within the timeout ([XS_WATCH_PATH] and
 * [XS_WATCH_TOKEN]; free it), or NULL. */
static char **next_event(struct xs_handle *h)
{
        struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
        unsigned n;

        if (poll(&p, 1, EVENT_TIMEOUT_MS) <= 0)
                return NULL;
        return xs_read_watch(h, &n);
}

/* Is the next event of H for PATH with TOKEN? Says what came otherwise. */
static bool expect_event(struct xs_handle *h, const char *path, const char *token)
{
        _cleanup_free_ char **ev = next_event(h);

        if (!ev) {
                fprintf(stderr, "  no event, expected %s (%s)\n", path, token);
                return false;
        }
        if (!streq(ev[XS_WATCH_PATH], path) || !streq(ev[XS_WATCH_TOKEN], token)) {
                fprintf(stderr, "  event %s (%s), expected %s (%s)\n", ev[XS_WATCH_PATH],
                        ev[XS_WATCH_TOKEN], path, token);
                return false;
        }
        return true;
}

/* A watch on PATH, its initial event consumed. */
static bool watch(struct xs_handle *h, const char *path, const char *token)
{
        return xs_watch(h, path, token) && expect_event(h, path, token);
}

/* Run a control command on the setup connection: its reply (free it), or
 * NULL with errno. ARGS end with NULL. */
static char *control(const char *cmd, ...)
{
        char args[512];
        size_t len = 0;
        va_list ap;

        va_start(ap, cmd);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *)) {
                size_t l = strlen(a) + 1;

                if (len + l > sizeof(args))
                        abort();
                memcpy(args + len, a, l);
                len += l;
        }
        va_end(ap);
        return xs_control_command(ctl, cmd, args, (unsigned)len);
}

static bool control_ok(const char *cmd, ...) __attribute__((sentinel));
static bool control_ok(const char *cmd, ...)
{
        const char *a[4] = { 0 };
        _cleanup_free_ char *reply = NULL;
        va_list ap;

        va_start(ap, cmd);
        for (size_t i = 0; i < ARRAY_SIZE(a); i++) {
                a[i] = va_arg(ap, const char *);
                if (!a[i])
                        break;
        }
        va_end(ap);
        reply = control(cmd, a[0], a[1], a[2], a[3], NULL);
        return reply && streq(reply, "OK");
}

static bool set_perms(struct xs_handle *h, const char *path, unsigned n,
                      const struct xs_permissions *perms)
{
        return xs_set_permissions(h, XBT_NULL, path, (struct xs_permissions *)perms, n);
}

/* Tests of what only the test server has (control commands, as-domain, raw
 * socket access) do not run against a real xenstored. */
static unsigned skipped;
#define RUN_SERVER_ONLY(test)                                                  \
        do {                                                                   \
                if (real_daemon) {                                             \
                        printf("SKIP %s\n", #test);                            \
                        skipped++;                                             \
                } else {                                                       \
                        RUN(test);                                             \
                }                                                              \
        } while (0)

/* ---- reading and writing ---- */

static void test_write_then_read_returns_value(void)
{
        _cleanup_free_ char *v = NULL;

        CHECK(put(ctl, XBT_NULL, P("rw/key"), "value"));
        v = get(ctl, XBT_NULL, P("rw/key"));
        CHECK_STR_EQ(v, "value");
}

static void test_read_of_missing_node_fails_enoent(void)
{
        CHECK(read_fails(ctl, P("missing/node"), ENOENT));
}

static void test_write_creates_missing_parents_with_empty_values(void)
{
        _cleanup_free_ char *a = NULL, *b = NULL, *c = NULL;

        CHECK(put(ctl, XBT_NULL, P("deep/a/b/c"), "x"));
        a = get(ctl, XBT_NULL, P("deep/a"));
        b = get(ctl, XBT_NULL, P("deep/a/b"));
        c = get(ctl, XBT_NULL, P("deep/a/b/c"));
        CHECK_STR_EQ(a, "");
        CHECK_STR_EQ(b, "");
        CHECK_STR_EQ(c, "x");
}

static void test_binary_value_round_trips(void)
{
        static const char value[] = { 'a', '\0', '\\', '\n', (char)0xff };
        _cleanup_free_ char *v = NULL;
        unsigned len;

        CHECK(xs_write(ctl, XBT_NULL, P("binary"), value, sizeof(value)));
        v = xs_read(ctl, XBT_NULL, P("binary"), &len);
        CHECK(v);
        CHECK_INT_EQ(len, sizeof(value));
        CHECK(memcmp(v, value, sizeof(value)) == 0);
}

/* A message carries at most 4096 bytes: path, its NUL and the value. */
static void test_value_filling_a_message_round_trips(void)
{
        _cleanup_free_ char *big = NULL, *v = NULL;
        const char *path = P("full-message");
        size_t fits = XENSTORE_PAYLOAD_MAX - strlen(path) - 1;
        unsigned len;

        big = malloc(fits + 1);
        CHECK(big);
        memset(big, 'v', fits + 1);
        CHECK(xs_write(ctl, XBT_NULL, path, big, (unsigned)fits));
        v = xs_read(ctl, XBT_NULL, path, &len);
        CHECK(v);
        CHECK_INT_EQ(len, fits);
        CHECK(!xs_write(ctl, XBT_NULL, path, big, (unsigned)fits + 1));
        CHECK_INT_EQ(errno, E2BIG);
}

static void test_mkdir_creates_node_and_keeps_existing_value(void)
{
        _cleanup_free_ char *created = NULL, *kept = NULL;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("mkdir/new/node")));
        created = get(ctl, XBT_NULL, P("mkdir/new/node"));
        CHECK_STR_EQ(created, "");

        CHECK(put(ctl, XBT_NULL, P("mkdir/old"), "keep"));
        CHECK(xs_mkdir(ctl, XBT_NULL, P("mkdir/old")));
        kept = get(ctl, XBT_NULL, P("mkdir/old"));
        CHECK_STR_EQ(kept, "keep");
}

static void test_rm_removes_subtree(void)
{
        _cleanup_free_ char *parent = NULL;

        CHECK(put(ctl, XBT_NULL, P("rm/a/b/c"), "x"));
        CHECK(put(ctl, XBT_NULL, P("rm/a/d"), "y"));
        CHECK(xs_rm(ctl, XBT_NULL, P("rm/a")));
        CHECK(read_fails(ctl, P("rm/a/b/c"), ENOENT));
        CHECK(read_fails(ctl, P("rm/a/d"), ENOENT));
        CHECK(read_fails(ctl, P("rm/a"), ENOENT));
        parent = get(ctl, XBT_NULL, P("rm"));
        CHECK_STR_EQ(parent, "");
}

static void test_rm_of_missing_node_with_existing_parent_succeeds(void)
{
        CHECK(xs_mkdir(ctl, XBT_NULL, P("rm-missing")));
        CHECK(xs_rm(ctl, XBT_NULL, P("rm-missing/none")));
}

static void test_rm_of_missing_parent_fails_enoent(void)
{
        CHECK(!xs_rm(ctl, XBT_NULL, P("rm-no-parent/none/x")));
        CHECK_INT_EQ(errno, ENOENT);
}

static bool list_has(char **list, unsigned n, const char *name)
{
        for (unsigned i = 0; i < n; i++)
                if (streq(list[i], name))
                        return true;
        return false;
}

static void test_directory_lists_children(void)
{
        _cleanup_free_ char **list = NULL;
        unsigned n;

        CHECK(put(ctl, XBT_NULL, P("dir/b"), "1"));
        CHECK(put(ctl, XBT_NULL, P("dir/a"), "2"));
        CHECK(put(ctl, XBT_NULL, P("dir/c/deeper"), "3"));
        list = xs_directory(ctl, XBT_NULL, P("dir"), &n);
        CHECK(list);
        CHECK_INT_EQ(n, 3);
        CHECK(list_has(list, n, "a") && list_has(list, n, "b") && list_has(list, n, "c"));
}

static void test_directory_of_missing_node_fails_enoent(void)
{
        unsigned n;

        CHECK(!xs_directory(ctl, XBT_NULL, P("dir-missing"), &n));
        CHECK_INT_EQ(errno, ENOENT);
}

/* More names than one message holds: libxenstore gets E2BIG for DIRECTORY
 * and pages through DIRECTORY_PART. */
static void test_large_directory_is_listed_in_parts(void)
{
        _cleanup_free_ char **list = NULL;
        enum { N = 200 };
        char name[64];
        unsigned n;

        for (unsigned i = 0; i < N; i++)
                CHECK(xs_mkdir(ctl, XBT_NULL, P("bigdir/child-with-a-rather-long-name-%03u", i)));
        list = xs_directory(ctl, XBT_NULL, P("bigdir"), &n);
        CHECK(list);
        CHECK_INT_EQ(n, N);
        for (unsigned i = 0; i < N; i++) {
                snprintf(name, sizeof(name), "child-with-a-rather-long-name-%03u", i);
                CHECK(list_has(list, n, name));
        }
        CHECK(xs_rm(ctl, XBT_NULL, P("bigdir")));
}

static void test_get_domain_path(void)
{
        _cleanup_free_ char *path = xs_get_domain_path(ctl, 7);

        CHECK_STR_EQ(path, "/local/domain/7");
}

static void test_relative_path_resolves_below_dom0_home(void)
{
        _cleanup_free_ char *v = NULL;

        CHECK(put(ctl, XBT_NULL, R("relative/x"), "rel"));
        v = get(ctl, XBT_NULL, P("relative/x"));
        CHECK_STR_EQ(v, "rel");
}

static void test_initial_tree_is_a_dom0_hosts(void)
{
        static const char *const paths[] = {
                "/", "/local", "/local/domain", "/local/domain/0", "/tool",
        };

        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                _cleanup_free_ char *v = get(ctl, XBT_NULL, paths[i]);

                CHECK(v);
        }
}

static void test_invalid_paths_fail_einval(void)
{
        const char *bad[] = {
                P("double//slash"), P("trailing/"), P("space here"), P("colon:x"),
                P("dot.x"), "", "@introduceDomain",
        };

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (!read_fails(ctl, bad[i], EINVAL)) {
                        fprintf(stderr, "  read of '%s' did not fail with EINVAL\n", bad[i]);
                        CHECK(false);
                }
                CHECK(!put(ctl, XBT_NULL, bad[i], "x"));
                CHECK_INT_EQ(errno, EINVAL);
        }
}

/* xenstored counts a path's length after /local/domain/N/: 2048 at most. */
static void test_path_length_limit(void)
{
        const size_t home_len = strlen("/local/domain/0/");
        char longest[2200], too_long[2300];
        size_t fill;

        snprintf(longest, sizeof(longest), "%s/long/", base);
        fill = 2048 - (strlen(longest) - home_len);
        memset(longest + strlen(longest), 'x', fill);
        longest[home_len + 2048] = '\0';
        snprintf(too_long, sizeof(too_long), "%sy", longest);

        CHECK(put(ctl, XBT_NULL, longest, "fits"));
        CHECK(!put(ctl, XBT_NULL, too_long, "too long"));
        CHECK_INT_EQ(errno, EINVAL);
        CHECK(xs_rm(ctl, XBT_NULL, P("long")));
}

/* ---- permissions ---- */

static void test_permissions_are_set_and_read_back(void)
{
        static const struct xs_permissions perms[] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = 5, .perms = XS_PERM_READ },
                { .id = 6, .perms = XS_PERM_WRITE },
                { .id = 7, .perms = XS_PERM_READ | XS_PERM_WRITE },
        };
        _cleanup_free_ struct xs_permissions *got = NULL;
        unsigned n;

        CHECK(put(ctl, XBT_NULL, P("perms/node"), ""));
        CHECK(set_perms(ctl, P("perms/node"), ARRAY_SIZE(perms), perms));
        got = xs_get_permissions(ctl, XBT_NULL, P("perms/node"), &n);
        CHECK(got);
        CHECK_INT_EQ(n, ARRAY_SIZE(perms));
        for (unsigned i = 0; i < n; i++) {
                CHECK_INT_EQ(got[i].id, perms[i].id);
                CHECK_INT_EQ(got[i].perms, perms[i].perms);
        }
}

static void test_new_node_inherits_parent_permissions(void)
{
        static const struct xs_permissions perms[] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = 5, .perms = XS_PERM_READ },
        };
        _cleanup_free_ struct xs_permissions *got = NULL;
        unsigned n;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("inherit")));
        CHECK(set_perms(ctl, P("inherit"), ARRAY_SIZE(perms), perms));
        CHECK(put(ctl, XBT_NULL, P("inherit/child/grandchild"), "x"));
        got = xs_get_permissions(ctl, XBT_NULL, P("inherit/child/grandchild"), &n);
        CHECK(got);
        CHECK_INT_EQ(n, 2);
        CHECK_INT_EQ(got[1].id, 5);
        CHECK_INT_EQ(got[1].perms, XS_PERM_READ);
}

/* ---- watches ---- */

static void test_watch_fires_once_when_set(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(xs_watch(h, P("watch-initial"), "tok"));
        CHECK(expect_event(h, P("watch-initial"), "tok"));
}

static void test_watch_fires_for_changes_from_another_connection(void)
{
        _cleanup_xs_ struct xs_handle *watcher = conn_open(), *writer = conn_open();

        CHECK(watcher && writer);
        CHECK(watch(watcher, P("watch-other"), "tok"));
        CHECK(put(writer, XBT_NULL, P("watch-other/sub/x"), "1"));
        CHECK(expect_event(watcher, P("watch-other/sub/x"), "tok"));
        CHECK(put(writer, XBT_NULL, P("watch-other"), "2"));
        CHECK(expect_event(watcher, P("watch-other"), "tok"));
}

static void test_watch_ignores_sibling_with_common_prefix(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(watch(h, P("prefix/b"), "tok"));
        CHECK(put(ctl, XBT_NULL, P("prefix/bc"), "not watched"));
        CHECK(put(ctl, XBT_NULL, P("prefix/b/marker"), "watched"));
        /* the next event must be the marker's, not /a/bc's */
        CHECK(expect_event(h, P("prefix/b/marker"), "tok"));
}

static void test_relative_watch_reports_relative_paths(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(xs_watch(h, R("watch-rel"), "tok"));
        CHECK(expect_event(h, R("watch-rel"), "tok"));
        CHECK(put(ctl, XBT_NULL, P("watch-rel/x"), "1"));
        CHECK(expect_event(h, R("watch-rel/x"), "tok"));
}

static void test_rm_fires_watches_on_removed_nodes(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(put(ctl, XBT_NULL, P("watch-rm/a/b"), "x"));
        CHECK(watch(h, P("watch-rm/a/b"), "descendant"));
        CHECK(watch(h, P("watch-rm"), "top"));
        CHECK(xs_rm(ctl, XBT_NULL, P("watch-rm/a")));
        /* xenstored removes children first */
        CHECK(expect_event(h, P("watch-rm/a/b"), "descendant"));
        CHECK(expect_event(h, P("watch-rm/a"), "top"));
}

static void test_unwatch_stops_events(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(watch(h, P("unwatch"), "tok"));
        CHECK(xs_unwatch(h, P("unwatch"), "tok"));
        CHECK(put(ctl, XBT_NULL, P("unwatch/x"), "1"));
        CHECK(xs_watch(h, P("unwatch-marker"), "marker"));
        CHECK(expect_event(h, P("unwatch-marker"), "marker"));
}

static void test_unwatch_of_unknown_watch_fails_enoent(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(!xs_unwatch(h, P("never-watched"), "tok"));
        CHECK_INT_EQ(errno, ENOENT);
}

static void test_duplicate_watch_fails_eexist(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(watch(h, P("watch-twice"), "tok"));
        CHECK(!xs_watch(h, P("watch-twice"), "tok"));
        CHECK_INT_EQ(errno, EEXIST);
}

static void test_special_watch_paths_are_accepted(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();

        CHECK(h);
        CHECK(watch(h, "@introduceDomain", "intro"));
        CHECK(watch(h, "@releaseDomain", "release"));
}

static void test_fire_special_reaches_its_watches(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();
        _cleanup_free_ char *reply = NULL;

        CHECK(h);
        CHECK(watch(h, "@introduceDomain", "intro"));
        CHECK(watch(h, "@releaseDomain", "release"));
        reply = control("fire", "@releaseDomain", NULL);
        CHECK_STR_EQ(reply, "OK");
        CHECK(expect_event(h, "@releaseDomain", "release"));
        free(reply);
        reply = control("fire", "@introduceDomain", NULL);
        CHECK_STR_EQ(reply, "OK");
        CHECK(expect_event(h, "@introduceDomain", "intro"));
}

static void test_fire_of_other_name_fails_einval(void)
{
        _cleanup_free_ char *reply = control("fire", "@otherEvent", NULL);

        CHECK(!reply);
        CHECK_INT_EQ(errno, EINVAL);
        reply = control("fire", "/local", NULL);
        CHECK(!reply);
        CHECK_INT_EQ(errno, EINVAL);
}

/* ---- transactions ---- */

static void test_transaction_sees_own_writes_and_others_do_not(void)
{
        _cleanup_xs_ struct xs_handle *other = conn_open();
        _cleanup_free_ char *inside = NULL, *after = NULL;
        xs_transaction_t t;

        CHECK(other);
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, t, P("tx-iso/x"), "1"));
        inside = get(ctl, t, P("tx-iso/x"));
        CHECK_STR_EQ(inside, "1");
        CHECK(read_fails(other, P("tx-iso/x"), ENOENT));
        CHECK(read_fails(ctl, P("tx-iso/x"), ENOENT));
        CHECK(xs_transaction_end(ctl, t, false));
        after = get(other, XBT_NULL, P("tx-iso/x"));
        CHECK_STR_EQ(after, "1");
}

/* Xen's xenstored (since 4.9) keeps no snapshot of the whole store: a
 * transaction copies a node when it first reads or writes it, and its commit
 * fails when one of those nodes has changed since. */
static void test_transaction_reads_a_node_as_it_was_at_first_access(void)
{
        _cleanup_free_ char *first = NULL, *second = NULL, *now = NULL;
        xs_transaction_t t;

        CHECK(put(ctl, XBT_NULL, P("tx-first/x"), "before"));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, XBT_NULL, P("tx-first/x"), "after"));
        first = get(ctl, t, P("tx-first/x"));
        CHECK_STR_EQ(first, "after");
        CHECK(put(ctl, XBT_NULL, P("tx-first/x"), "later"));
        second = get(ctl, t, P("tx-first/x"));
        CHECK_STR_EQ(second, "after");
        CHECK(put(ctl, t, P("tx-first/y"), "1"));
        CHECK(!xs_transaction_end(ctl, t, false));
        CHECK_INT_EQ(errno, EAGAIN);
        CHECK(read_fails(ctl, P("tx-first/y"), ENOENT));
        now = get(ctl, XBT_NULL, P("tx-first/x"));
        CHECK_STR_EQ(now, "later");
}

static void test_transaction_sees_a_node_created_after_it_started(void)
{
        _cleanup_free_ char *v = NULL;
        xs_transaction_t t;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-late")));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, XBT_NULL, P("tx-late/deep/new"), "v"));
        v = get(ctl, t, P("tx-late/deep/new"));
        CHECK_STR_EQ(v, "v");
        CHECK(xs_transaction_end(ctl, t, true));
}

static void test_transaction_lists_children_as_at_first_access(void)
{
        _cleanup_free_ char **first = NULL, **second = NULL;
        unsigned n1 = 0, n2 = 0;
        xs_transaction_t t;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-dir")));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, XBT_NULL, P("tx-dir/a"), "1"));
        first = xs_directory(ctl, t, P("tx-dir"), &n1);
        CHECK(first);
        CHECK_INT_EQ(n1, 1);
        CHECK_STR_EQ(first[0], "a");
        CHECK(put(ctl, XBT_NULL, P("tx-dir/b"), "2"));
        second = xs_directory(ctl, t, P("tx-dir"), &n2);
        CHECK(second);
        CHECK_INT_EQ(n2, 1);
        CHECK(xs_transaction_end(ctl, t, true));
}

/* A change made outside before the transaction first touched the node is no
 * conflict: the transaction never saw the older value. */
static void test_transaction_commits_over_a_change_made_before_it_looked(void)
{
        _cleanup_free_ char *v = NULL;
        xs_transaction_t t;

        CHECK(put(ctl, XBT_NULL, P("tx-unseen/x"), "0"));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, XBT_NULL, P("tx-unseen/x"), "outside"));
        CHECK(put(ctl, t, P("tx-unseen/x"), "inside"));
        CHECK(xs_transaction_end(ctl, t, false));
        v = get(ctl, XBT_NULL, P("tx-unseen/x"));
        CHECK_STR_EQ(v, "inside");
}

static void test_transaction_conflict_fails_eagain(void)
{
        _cleanup_xs_ struct xs_handle *other = conn_open();
        _cleanup_free_ char *v = NULL;
        xs_transaction_t t;

        CHECK(other);
        CHECK(put(ctl, XBT_NULL, P("tx-conflict/x"), "0"));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        v = get(ctl, t, P("tx-conflict/x"));
        CHECK_STR_EQ(v, "0");
        CHECK(put(other, XBT_NULL, P("tx-conflict/x"), "changed"));
        CHECK(put(ctl, t, P("tx-conflict/y"), "1"));
        CHECK(!xs_transaction_end(ctl, t, false));
        CHECK_INT_EQ(errno, EAGAIN);
        CHECK(read_fails(ctl, P("tx-conflict/y"), ENOENT));
}

static void test_transaction_conflict_on_node_that_did_not_exist(void)
{
        _cleanup_xs_ struct xs_handle *other = conn_open();
        xs_transaction_t t;

        CHECK(other);
        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-absent")));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        {
                _cleanup_free_ char *v = get(ctl, t, P("tx-absent/new"));

                CHECK(!v && errno == ENOENT);
        }
        CHECK(put(other, XBT_NULL, P("tx-absent/new"), "appeared"));
        CHECK(xs_mkdir(ctl, t, P("tx-absent-elsewhere")));
        CHECK(!xs_transaction_end(ctl, t, false));
        CHECK_INT_EQ(errno, EAGAIN);
}

static void test_transactions_on_disjoint_nodes_both_commit(void)
{
        _cleanup_xs_ struct xs_handle *other = conn_open();
        _cleanup_free_ char *a = NULL, *b = NULL;
        xs_transaction_t t1, t2;

        CHECK(other);
        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-disjoint/a")));
        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-disjoint/b")));
        t1 = xs_transaction_start(ctl);
        t2 = xs_transaction_start(other);
        CHECK(t1 != XBT_NULL && t2 != XBT_NULL);
        CHECK(put(ctl, t1, P("tx-disjoint/a/x"), "1"));
        CHECK(put(other, t2, P("tx-disjoint/b/x"), "2"));
        CHECK(xs_transaction_end(other, t2, false));
        CHECK(xs_transaction_end(ctl, t1, false));
        a = get(ctl, XBT_NULL, P("tx-disjoint/a/x"));
        b = get(ctl, XBT_NULL, P("tx-disjoint/b/x"));
        CHECK_STR_EQ(a, "1");
        CHECK_STR_EQ(b, "2");
}

static void test_transaction_abort_discards_writes(void)
{
        xs_transaction_t t = xs_transaction_start(ctl);
        _cleanup_free_ char *kept = NULL;

        CHECK(t != XBT_NULL);
        CHECK(put(ctl, t, P("tx-abort/x"), "1"));
        CHECK(xs_rm(ctl, t, P("rw")));
        CHECK(xs_transaction_end(ctl, t, true));
        CHECK(read_fails(ctl, P("tx-abort/x"), ENOENT));
        kept = get(ctl, XBT_NULL, P("rw/key"));
        CHECK_STR_EQ(kept, "value");
}

static void test_transaction_rm_and_recreate_commits(void)
{
        _cleanup_free_ char *kept = NULL, *fresh = NULL;
        xs_transaction_t t;

        CHECK(put(ctl, XBT_NULL, P("tx-rm/old/deep"), "old"));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(xs_rm(ctl, t, P("tx-rm/old")));
        CHECK(put(ctl, t, P("tx-rm/old/new"), "new"));
        CHECK(xs_transaction_end(ctl, t, false));
        CHECK(read_fails(ctl, P("tx-rm/old/deep"), ENOENT));
        fresh = get(ctl, XBT_NULL, P("tx-rm/old/new"));
        CHECK_STR_EQ(fresh, "new");
        kept = get(ctl, XBT_NULL, P("tx-rm"));
        CHECK_STR_EQ(kept, "");
}

static void test_transaction_events_fire_at_commit(void)
{
        _cleanup_xs_ struct xs_handle *watcher = conn_open();
        xs_transaction_t t;

        CHECK(watcher);
        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-events/in")));
        CHECK(xs_mkdir(ctl, XBT_NULL, P("tx-events/out")));
        CHECK(watch(watcher, P("tx-events"), "tok"));
        t = xs_transaction_start(ctl);
        CHECK(t != XBT_NULL);
        CHECK(put(ctl, t, P("tx-events/in/x"), "1"));
        CHECK(put(ctl, XBT_NULL, P("tx-events/out/marker"), "1"));
        /* nothing from the open transaction before the marker */
        CHECK(expect_event(watcher, P("tx-events/out/marker"), "tok"));
        CHECK(xs_transaction_end(ctl, t, false));
        CHECK(expect_event(watcher, P("tx-events/in/x"), "tok"));
}

static void test_transaction_end_of_unknown_id_fails_enoent(void)
{
        CHECK(!xs_transaction_end(ctl, 0x7fff1234, false));
        CHECK_INT_EQ(errno, ENOENT);
}

/* ---- test server only: domains and permissions (as-domain) ---- */

/* A connection acting as domain DOMID, whose home exists and is its own. */
static struct xs_handle *open_as_domain(unsigned domid)
{
        const struct xs_permissions own = { .id = domid, .perms = XS_PERM_NONE };
        char home[32], id[16];

        snprintf(home, sizeof(home), "/local/domain/%u", domid);
        snprintf(id, sizeof(id), "%u", domid);
        if (!xs_mkdir(ctl, XBT_NULL, home) || !set_perms(ctl, home, 1, &own))
                return NULL;
        if (!control_ok("as-domain", id, NULL))
                return NULL;
        return conn_open();
}

static void test_domain_relative_paths_resolve_below_its_home(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *v = NULL;

        h = open_as_domain(5);
        CHECK(h);
        CHECK(put(h, XBT_NULL, "data/x", "from-5"));
        v = get(ctl, XBT_NULL, "/local/domain/5/data/x");
        CHECK_STR_EQ(v, "from-5");
}

static void test_domain_cannot_read_dom0_node(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;

        CHECK(put(ctl, XBT_NULL, P("secret"), "s"));
        h = open_as_domain(5);
        CHECK(h);
        CHECK(read_fails(h, P("secret"), EACCES));
        /* nor learn that a node does not exist */
        CHECK(read_fails(h, P("secret-missing"), EACCES));
        CHECK(!put(h, XBT_NULL, P("secret"), "overwritten"));
        CHECK_INT_EQ(errno, EACCES);
}

static void test_domain_access_follows_its_permission_entry(void)
{
        static const struct xs_permissions read_only[] = {
                { .id = 0, .perms = XS_PERM_NONE }, { .id = 5, .perms = XS_PERM_READ },
        };
        static const struct xs_permissions read_write[] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = 5, .perms = XS_PERM_READ | XS_PERM_WRITE },
        };
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *r = NULL;

        CHECK(put(ctl, XBT_NULL, P("shared/ro"), "r"));
        CHECK(put(ctl, XBT_NULL, P("shared/rw"), "w"));
        CHECK(set_perms(ctl, P("shared/ro"), 2, read_only));
        CHECK(set_perms(ctl, P("shared/rw"), 2, read_write));
        h = open_as_domain(5);
        CHECK(h);
        r = get(h, XBT_NULL, P("shared/ro"));
        CHECK_STR_EQ(r, "r");
        CHECK(!put(h, XBT_NULL, P("shared/ro"), "x"));
        CHECK_INT_EQ(errno, EACCES);
        CHECK(put(h, XBT_NULL, P("shared/rw"), "x"));
}

static void test_node_created_by_domain_is_owned_by_it(void)
{
        static const struct xs_permissions dropbox[] = {
                { .id = 0, .perms = XS_PERM_NONE },
                { .id = 5, .perms = XS_PERM_READ | XS_PERM_WRITE },
        };
        static const struct xs_permissions give_away[] = { { .id = 0, .perms = XS_PERM_NONE } };
        _cleanup_free_ struct xs_permissions *got = NULL;
        _cleanup_xs_ struct xs_handle *h = NULL;
        unsigned n;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("dropbox")));
        CHECK(set_perms(ctl, P("dropbox"), 2, dropbox));
        h = open_as_domain(5);
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("dropbox/mine"), "x"));
        got = xs_get_permissions(ctl, XBT_NULL, P("dropbox/mine"), &n);
        CHECK(got);
        CHECK_INT_EQ(n, 2);
        CHECK_INT_EQ(got[0].id, 5);
        /* only dom0 may hand a node to another owner */
        CHECK(!set_perms(h, P("dropbox/mine"), 1, give_away));
        CHECK_INT_EQ(errno, EPERM);
}

static void test_domain_watch_reports_only_what_it_may_read(void)
{
        static const struct xs_permissions readable[] = {
                { .id = 0, .perms = XS_PERM_NONE }, { .id = 5, .perms = XS_PERM_READ },
        };
        _cleanup_xs_ struct xs_handle *h = NULL;

        CHECK(xs_mkdir(ctl, XBT_NULL, P("watch-perms/open")));
        CHECK(set_perms(ctl, P("watch-perms/open"), 2, readable));
        h = open_as_domain(5);
        CHECK(h);
        CHECK(watch(h, P("watch-perms"), "tok"));
        CHECK(put(ctl, XBT_NULL, P("watch-perms/closed/x"), "dom0 only"));
        CHECK(put(ctl, XBT_NULL, P("watch-perms/open"), "for 5"));
        /* the first event is the readable node's */
        CHECK(expect_event(h, P("watch-perms/open"), "tok"));
}

static void test_domain_may_not_send_control_commands(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *reply = NULL;

        h = open_as_domain(5);
        CHECK(h);
        /* a connection opening with a control command would not take the
         * armed domain: start with something else */
        CHECK(read_fails(h, "missing", ENOENT));
        reply = xs_control_command(h, "requests", NULL, 0);
        CHECK(!reply);
        CHECK_INT_EQ(errno, EACCES);
}

/* ---- test server only: faults ---- */

static void test_fault_error_answers_nth_request(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *third = NULL;

        CHECK(control_ok("fault", "error", "2", "EIO", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("fault-error/a"), "1"));
        CHECK(read_fails(h, P("fault-error/a"), EIO));
        third = get(h, XBT_NULL, P("fault-error/a"));
        CHECK_STR_EQ(third, "1");
}

static void test_fault_error_request_is_not_executed(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;

        CHECK(control_ok("fault", "error", "1", "ENOSPC", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(!put(h, XBT_NULL, P("fault-not-done"), "1"));
        CHECK_INT_EQ(errno, ENOSPC);
        CHECK(read_fails(ctl, P("fault-not-done"), ENOENT));
}

static void test_fault_drop_closes_connection_at_nth_request(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *first = NULL;

        CHECK(control_ok("fault", "drop", "2", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("fault-drop/first"), "1"));
        CHECK(!put(h, XBT_NULL, P("fault-drop/second"), "2"));
        CHECK(read_fails(ctl, P("fault-drop/second"), ENOENT));
        first = get(ctl, XBT_NULL, P("fault-drop/first"));
        CHECK_STR_EQ(first, "1");
}

static void test_fault_lose_carries_out_nth_request_unanswered(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *second = NULL;

        CHECK(control_ok("fault", "lose", "2", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("fault-lose/first"), "1"));
        CHECK(!put(h, XBT_NULL, P("fault-lose/second"), "2"));
        second = get(ctl, XBT_NULL, P("fault-lose/second"));
        CHECK_STR_EQ(second, "2");
}

static bool commit_one(struct xs_handle *h, const char *path)
{
        xs_transaction_t t = xs_transaction_start(h);

        if (t == XBT_NULL || !put(h, t, path, "1"))
                return false;
        return xs_transaction_end(h, t, false);
}

static void test_fault_eagain_refuses_first_commits(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *v = NULL;

        CHECK(control_ok("fault", "eagain", "2", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(!commit_one(h, P("fault-eagain/1")));
        CHECK_INT_EQ(errno, EAGAIN);
        CHECK(!commit_one(h, P("fault-eagain/2")));
        CHECK_INT_EQ(errno, EAGAIN);
        CHECK(commit_one(h, P("fault-eagain/3")));
        CHECK(read_fails(ctl, P("fault-eagain/1"), ENOENT));
        v = get(ctl, XBT_NULL, P("fault-eagain/3"));
        CHECK_STR_EQ(v, "1");
}

/* Each xenstore-control call is a connection of its own: commands armed by
 * several calls all go to the next connection that is not one. */
static void test_armed_settings_stack_across_control_connections(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *v = NULL;
        const char *cmds[][4] = {
                { "as-domain", "6" }, { "fault", "error", "2", "EIO" },
        };

        CHECK(xs_mkdir(ctl, XBT_NULL, "/local/domain/6"));
        for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
                _cleanup_xs_ struct xs_handle *c = conn_open();
                _cleanup_free_ char *reply = NULL;
                char args[64];
                size_t len = 0;

                CHECK(c);
                for (size_t j = 1; j < 4 && cmds[i][j]; j++)
                        len += (size_t)sprintf(args + len, "%s", cmds[i][j]) + 1;
                reply = xs_control_command(c, cmds[i][0], args, (unsigned)len);
                CHECK_STR_EQ(reply, "OK");
        }
        h = conn_open();
        CHECK(h);
        /* domain 6 may not write its home (dom0 owns it here), so EACCES... */
        CHECK(!put(h, XBT_NULL, "x", "1"));
        CHECK_INT_EQ(errno, EACCES);
        /* ...and the second request is the armed fault */
        CHECK(read_fails(h, "x", EIO));
        v = xs_get_domain_path(h, 6);
        CHECK_STR_EQ(v, "/local/domain/6");
}

static void test_fault_clear_disarms(void)
{
        _cleanup_xs_ struct xs_handle *h = NULL;

        CHECK(control_ok("fault", "error", "1", "EIO", NULL));
        CHECK(control_ok("fault", "clear", NULL));
        h = conn_open();
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("fault-clear"), "1"));
}

/* ---- test server only: control commands ---- */

static void test_requests_counts_every_message(void)
{
        _cleanup_free_ char *before = NULL, *after = NULL;
        _cleanup_xs_ struct xs_handle *h = NULL;
        _cleanup_free_ char *v = NULL;

        before = control("requests", NULL);
        CHECK(before);
        h = conn_open();
        CHECK(h);
        CHECK(put(h, XBT_NULL, P("counted"), "1"));
        v = get(h, XBT_NULL, P("counted"));
        CHECK(v);
        after = control("requests", NULL);
        CHECK(after);
        /* two from h, and the second "requests" counts itself */
        CHECK_INT_EQ(strtoull(after, NULL, 10) - strtoull(before, NULL, 10), 3);
}

static void test_dump_lists_tree_in_name_order(void)
{
        static const char value[] = "back\\slash\nnl\x01";
        _cleanup_free_ char *dump = NULL, *expected = NULL;

        CHECK(put(ctl, XBT_NULL, P("dump/b/y"), "2"));
        CHECK(xs_write(ctl, XBT_NULL, P("dump/a"), value, sizeof(value) - 1));
        CHECK(put(ctl, XBT_NULL, P("dump/b/x"), "3"));
        dump = control("dump", NULL);
        CHECK(dump);
        CHECK(asprintf(&expected,
                       "%1$s/dump=\n"
                       "%1$s/dump/a=back\\\\slash\\x0anl\\x01\n"
                       "%1$s/dump/b=\n"
                       "%1$s/dump/b/x=3\n"
                       "%1$s/dump/b/y=2\n", base) > 0);
        if (!strstr(dump, expected))
                fprintf(stderr, "  dump:\n%s\n  lacks:\n%s", dump, expected);
        CHECK(strstr(dump, expected));
        CHECK(startswith(dump, "/=\n/local=\n/local/domain=\n/local/domain/0=\n"));
}

static void test_dump_writes_file(void)
{
        char file[] = "/tmp/xs-test-dump.XXXXXX";
        _cleanup_free_ char *text = NULL, *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t len = 0;
        int fd;

        CHECK(put(ctl, XBT_NULL, P("dump-file/k"), "v"));
        fd = mkstemp(file);
        CHECK(fd >= 0);
        close(fd);
        text = control("dump", file, NULL);
        f = fopen(file, "re");
        unlink(file);
        CHECK_STR_EQ(text, "OK");
        CHECK(f);
        CHECK(asprintf(&line, "%s/dump-file/k=v\n", base) > 0);
        {
                _cleanup_free_ char *content = NULL;

                CHECK(getdelim(&content, &len, '\0', f) > 0);
                CHECK(strstr(content, line));
                CHECK(startswith(content, "/=\n"));
        }
}

static void test_dump_reply_larger_than_a_message_fails_e2big(void)
{
        _cleanup_free_ char *dump = NULL;

        for (unsigned i = 0; i < 100; i++)
                CHECK(put(ctl, XBT_NULL, P("dump-big/node-%03u", i), "a value of some length"));
        dump = control("dump", NULL);
        CHECK(!dump);
        CHECK_INT_EQ(errno, E2BIG);
        CHECK(xs_rm(ctl, XBT_NULL, P("dump-big")));
}

static void test_unknown_control_command_fails_einval(void)
{
        _cleanup_free_ char *reply = NULL;

        reply = control("no-such-command", NULL);
        CHECK(!reply);
        CHECK_INT_EQ(errno, EINVAL);
}

/* ---- test server only: malformed input on a raw socket ---- */

static int raw_connect(void)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        const char *path = getenv("XENSTORED_PATH");
        int fd;

        if (!path || strlen(path) >= sizeof(addr.sun_path))
                return -1;
        strcpy(addr.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static bool raw_send(int fd, uint32_t type, uint32_t req_id, uint32_t len_field,
                     const void *payload, size_t len)
{
        struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .len = len_field };

        return send(fd, &hdr, sizeof(hdr), MSG_NOSIGNAL) == (ssize_t)sizeof(hdr) &&
               (len == 0 || send(fd, payload, len, MSG_NOSIGNAL) == (ssize_t)len);
}

static bool recv_all(int fd, void *buf, size_t len)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        while (len > 0) {
                ssize_t n;

                if (poll(&p, 1, EVENT_TIMEOUT_MS) <= 0)
                        return false;
                n = recv(fd, buf, len, 0);
                if (n <= 0)
                        return false;
                buf = (char *)buf + n;
                len -= (size_t)n;
        }
        return true;
}

/* The next message on FD: its header, and its payload NUL-terminated in BUF. */
static bool raw_recv(int fd, struct xsd_sockmsg *hdr, char buf[static XENSTORE_PAYLOAD_MAX + 1])
{
        if (!recv_all(fd, hdr, sizeof(*hdr)) || hdr->len > XENSTORE_PAYLOAD_MAX)
                return false;
        if (!recv_all(fd, buf, hdr->len))
                return false;
        buf[hdr->len] = '\0';
        return true;
}

/* Is the connection closed by the server (EOF rather than a timeout)? */
static bool raw_closed(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char c;

        return poll(&p, 1, EVENT_TIMEOUT_MS) == 1 && recv(fd, &c, 1, 0) == 0;
}

static bool server_still_answers(void)
{
        _cleanup_xs_ struct xs_handle *h = conn_open();
        _cleanup_free_ char *v = h ? get(h, XBT_NULL, "/local") : NULL;

        return v != NULL;
}

/* A hung daemon: the connection stays open, the stalled request and every
 * later one go unanswered, and other connections are still served. */
static void test_fault_stall_leaves_nth_request_and_later_unanswered(void)
{
        struct xsd_sockmsg hdr;
        char buf[XENSTORE_PAYLOAD_MAX + 1];
        struct pollfd p;
        _cleanup_close_ int fd = -1;

        CHECK(control_ok("fault", "stall", "2", NULL));
        fd = raw_connect();
        CHECK(fd >= 0);
        CHECK(raw_send(fd, XS_READ, 1, 7, "/local", 7));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_READ);
        CHECK(raw_send(fd, XS_WRITE, 2, 14, "/stalled\0value", 14));
        CHECK(raw_send(fd, XS_READ, 3, 7, "/local", 7));
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        CHECK_INT_EQ(poll(&p, 1, 300), 0);      /* no reply, and not closed either */
        CHECK(read_fails(ctl, "/stalled", ENOENT));
        CHECK(server_still_answers());
}


static void test_raw_unknown_type_fails_enosys(void)
{
        _cleanup_close_ int fd = -1;
        char buf[XENSTORE_PAYLOAD_MAX + 1];
        struct xsd_sockmsg hdr;

        fd = raw_connect();
        CHECK(fd >= 0);
        CHECK(raw_send(fd, 999, 42, 0, NULL, 0));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_ERROR);
        CHECK_INT_EQ(hdr.req_id, 42);
        CHECK_STR_EQ(buf, "ENOSYS");
        /* a client may not send what only the daemon sends */
        CHECK(raw_send(fd, XS_WATCH_EVENT, 43, 4, "a\0b", 4));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.req_id, 43);
        CHECK_STR_EQ(buf, "ENOSYS");
}

static void test_raw_payload_without_nul_fails_einval(void)
{
        _cleanup_close_ int fd = -1;
        char buf[XENSTORE_PAYLOAD_MAX + 1];
        struct xsd_sockmsg hdr;

        fd = raw_connect();
        CHECK(fd >= 0);
        CHECK(raw_send(fd, XS_READ, 1, 6, "/local", 6));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_ERROR);
        CHECK_STR_EQ(buf, "EINVAL");
        /* an extra string after the path is wrong too */
        CHECK(raw_send(fd, XS_READ, 2, 9, "/local\0x", 9));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_STR_EQ(buf, "EINVAL");
        CHECK(raw_send(fd, XS_WATCH, 3, 2, "/", 2));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_STR_EQ(buf, "EINVAL");
        /* and the connection still serves a good request */
        CHECK(raw_send(fd, XS_READ, 4, 7, "/local", 7));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_READ);
        CHECK_INT_EQ(hdr.req_id, 4);
}

static void test_raw_oversized_payload_closes_connection(void)
{
        _cleanup_close_ int fd = -1;

        fd = raw_connect();
        CHECK(fd >= 0);
        CHECK(raw_send(fd, XS_WRITE, 1, XENSTORE_PAYLOAD_MAX + 1, NULL, 0));
        CHECK(raw_closed(fd));
        CHECK(server_still_answers());
}

static void test_raw_garbage_does_not_stop_server(void)
{
        for (unsigned round = 0; round < 32; round++) {
                _cleanup_close_ int fd = raw_connect();
                uint8_t junk[700];
                uint32_t x = 2463534242u + round;

                CHECK(fd >= 0);
                for (size_t i = 0; i < sizeof(junk); i++) {
                        x ^= x << 13;   /* xorshift: varied, repeatable */
                        x ^= x >> 17;
                        x ^= x << 5;
                        junk[i] = (uint8_t)x;
                }
                /* small lengths now and then, so some messages get through */
                for (size_t i = 12; i + 4 <= sizeof(junk); i += 97)
                        memcpy(junk + i, &(uint32_t){ x % 64 }, 4);
                send(fd, junk, (size_t)(round * 21) % sizeof(junk) + 1, MSG_NOSIGNAL);
        }
        /* a truncated header, then the peer goes away */
        {
                _cleanup_close_ int fd = raw_connect();

                CHECK(fd >= 0);
                send(fd, "\x02\x00\x00", 3, MSG_NOSIGNAL);
        }
        CHECK(server_still_answers());
}

static void test_raw_reset_watches_removes_watches(void)
{
        char buf[XENSTORE_PAYLOAD_MAX + 1], watch_req[128];
        _cleanup_close_ int fd = -1;
        struct xsd_sockmsg hdr;
        int len;

        fd = raw_connect();
        CHECK(fd >= 0);
        len = snprintf(watch_req, sizeof(watch_req), "%s", P("reset-watches")) + 1;
        memcpy(watch_req + len, "tok", 4);
        CHECK(raw_send(fd, XS_WATCH, 1, (uint32_t)len + 4, watch_req, (size_t)len + 4));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_WATCH);
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_WATCH_EVENT);
        CHECK(raw_send(fd, XS_RESET_WATCHES, 2, 1, "", 1));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_RESET_WATCHES);
        CHECK(put(ctl, XBT_NULL, P("reset-watches/x"), "1"));
        /* the next message is the reply to this read, not an event */
        CHECK(raw_send(fd, XS_READ, 3, 7, "/local", 7));
        CHECK(raw_recv(fd, &hdr, buf));
        CHECK_INT_EQ(hdr.type, XS_READ);
}

/* ---- main ---- */

static void cleanup_test_data(void)
{
        xs_rm(ctl, XBT_NULL, base);
        if (!real_daemon) {
                xs_rm(ctl, XBT_NULL, "/local/domain/5");
                xs_rm(ctl, XBT_NULL, "/local/domain/6");
        }
}

int main(void)
{
        const char *real = getenv("XS_TEST_REAL_DAEMON");

        real_daemon = real && streq(real, "1");
        snprintf(rel_base, sizeof(rel_base), "xs-test-%d", (int)getpid());
        snprintf(base, sizeof(base), "/local/domain/0/%s", rel_base);

        ctl = xs_open(0);
        if (!ctl) {
                fprintf(stderr, "cannot connect to xenstore (XENSTORED_PATH=%s): %s\n",
                        getenv("XENSTORED_PATH") ?: "", strerror(errno));
                return 1;
        }
        cleanup_test_data();

        /* first, while the tree is small enough for a dump reply */
        RUN_SERVER_ONLY(test_dump_lists_tree_in_name_order);

        RUN(test_write_then_read_returns_value);
        RUN(test_read_of_missing_node_fails_enoent);
        RUN(test_write_creates_missing_parents_with_empty_values);
        RUN(test_binary_value_round_trips);
        RUN(test_value_filling_a_message_round_trips);
        RUN(test_mkdir_creates_node_and_keeps_existing_value);
        RUN(test_rm_removes_subtree);
        RUN(test_rm_of_missing_node_with_existing_parent_succeeds);
        RUN(test_rm_of_missing_parent_fails_enoent);
        RUN(test_directory_lists_children);
        RUN(test_directory_of_missing_node_fails_enoent);
        RUN(test_large_directory_is_listed_in_parts);
        RUN(test_get_domain_path);
        RUN(test_relative_path_resolves_below_dom0_home);
        RUN(test_initial_tree_is_a_dom0_hosts);
        RUN(test_invalid_paths_fail_einval);
        RUN(test_path_length_limit);

        RUN(test_permissions_are_set_and_read_back);
        RUN(test_new_node_inherits_parent_permissions);

        RUN(test_watch_fires_once_when_set);
        RUN(test_watch_fires_for_changes_from_another_connection);
        RUN(test_watch_ignores_sibling_with_common_prefix);
        RUN(test_relative_watch_reports_relative_paths);
        RUN(test_rm_fires_watches_on_removed_nodes);
        RUN(test_unwatch_stops_events);
        RUN(test_unwatch_of_unknown_watch_fails_enoent);
        RUN(test_duplicate_watch_fails_eexist);
        RUN(test_special_watch_paths_are_accepted);

        RUN(test_transaction_sees_own_writes_and_others_do_not);
        RUN(test_transaction_reads_a_node_as_it_was_at_first_access);
        RUN(test_transaction_sees_a_node_created_after_it_started);
        RUN(test_transaction_lists_children_as_at_first_access);
        RUN(test_transaction_commits_over_a_change_made_before_it_looked);
        RUN(test_transaction_conflict_fails_eagain);
        RUN(test_transaction_conflict_on_node_that_did_not_exist);
        RUN(test_transactions_on_disjoint_nodes_both_commit);
        RUN(test_transaction_abort_discards_writes);
        RUN(test_transaction_rm_and_recreate_commits);
        RUN(test_transaction_events_fire_at_commit);
        RUN(test_transaction_end_of_unknown_id_fails_enoent);

        RUN_SERVER_ONLY(test_domain_relative_paths_resolve_below_its_home);
        RUN_SERVER_ONLY(test_domain_cannot_read_dom0_node);
        RUN_SERVER_ONLY(test_domain_access_follows_its_permission_entry);
        RUN_SERVER_ONLY(test_node_created_by_domain_is_owned_by_it);
        RUN_SERVER_ONLY(test_domain_watch_reports_only_what_it_may_read);
        RUN_SERVER_ONLY(test_domain_may_not_send_control_commands);

        RUN_SERVER_ONLY(test_fault_error_answers_nth_request);
        RUN_SERVER_ONLY(test_fault_error_request_is_not_executed);
        RUN_SERVER_ONLY(test_fault_drop_closes_connection_at_nth_request);
        RUN_SERVER_ONLY(test_fault_lose_carries_out_nth_request_unanswered);
        RUN_SERVER_ONLY(test_fault_stall_leaves_nth_request_and_later_unanswered);
        RUN_SERVER_ONLY(test_fault_eagain_refuses_first_commits);
        RUN_SERVER_ONLY(test_armed_settings_stack_across_control_connections);
        RUN_SERVER_ONLY(test_fault_clear_disarms);

        RUN_SERVER_ONLY(test_requests_counts_every_message);
        RUN_SERVER_ONLY(test_dump_writes_file);
        RUN_SERVER_ONLY(test_dump_reply_larger_than_a_message_fails_e2big);
        RUN_SERVER_ONLY(test_unknown_control_command_fails_einval);
        RUN_SERVER_ONLY(test_fire_special_reaches_its_watches);
        RUN_SERVER_ONLY(test_fire_of_other_name_fails_einval);

        RUN_SERVER_ONLY(test_raw_unknown_type_fails_enosys);
        RUN_SERVER_ONLY(test_raw_payload_without_nul_fails_einval);
        RUN_SERVER_ONLY(test_raw_oversized_payload_closes_connection);
        RUN_SERVER_ONLY(test_raw_garbage_does_not_stop_server);
        RUN_SERVER_ONLY(test_raw_reset_watches_removes_watches);

        cleanup_test_data();
        xs_close(ctl);
        if (skipped)
                printf("%u tests need xs-test-server and were skipped (XS_TEST_REAL_DAEMON=1)\n",
                       skipped);
        return check_summary();
}
