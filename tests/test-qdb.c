/* test-qdb.c: the QubesDB client module (backend/qdb.h) against the test
 * server (run under tests/with-qubesdb): every call, missing entries,
 * arguments refused before anything is sent, watch events that come before
 * or amid a reply kept for later, and a daemon that stalls, hangs up, loses
 * a reply or sends what the protocol does not allow. A few replies no server
 * sends are scripted on a socketpair instead. Each test works below a path
 * of its own. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "deadline.h"
#include "qdb-test.h"
#include "qdb.h"
#include "util.h"

#define TIMEOUT_MS 2000
#define SHORT_TIMEOUT_MS 300
/* how late a timed-out call may return on a loaded shared machine */
#define LATE_MS 1500

static struct qdb *open_rw(int timeout_ms)
{
        struct qdb *db = NULL;

        return qdb_open(qdb_test_path("qubesdb.sock"), timeout_ms, &db) == 0 ? db : NULL;
}

static struct qdb *open_ro(void)
{
        struct qdb *db = NULL;

        return qdb_open(qdb_test_path("qubesdb.ro.sock"), TIMEOUT_MS, &db) == 0 ? db : NULL;
}

static int put(struct qdb *db, const char *path, const char *value)
{
        return qdb_write(db, path, value, strlen(value));
}

/* Is PATH's value VALUE (read on a fresh connection)? */
static bool value_is(const char *path, const char *value)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *v = NULL;
        size_t len;

        return db && qdb_read(db, path, &v, &len) == 0 && len == strlen(value) &&
               streq(v, value);
}

static bool missing(const char *path)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *v = NULL;

        return db && qdb_read(db, path, &v, NULL) == -ENOENT;
}

/* Is the next event PATH, within TIMEOUT_MS? */
static bool event_is(struct qdb *db, int timeout_ms, const char *path)
{
        _cleanup_free_ char *ev = NULL;
        int r = qdb_next_watch_event(db, timeout_ms, &ev);

        if (r < 0 || !streq(ev, path)) {
                printf("  event: %s, expected %s\n", r < 0 ? strerror(-r) : ev, path);
                return false;
        }
        return true;
}

static bool no_event(struct qdb *db)
{
        _cleanup_free_ char *ev = NULL;

        return qdb_next_watch_event(db, 200, &ev) == -ETIMEDOUT;
}

/* ---- reading and writing ---- */

static void test_write_then_read_returns_value_and_length(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *v = NULL;
        size_t len = 0;

        CHECK(db);
        CHECK_INT_EQ(put(db, "/rw/key", "value with spaces"), 0);
        CHECK_INT_EQ(qdb_read(db, "/rw/key", &v, &len), 0);
        CHECK_STR_EQ(v, "value with spaces");
        CHECK_INT_EQ(len, 17);
}

static void test_read_of_missing_path_gives_enoent(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        char *v = NULL;

        CHECK(db);
        CHECK_INT_EQ(qdb_read(db, "/missing", &v, NULL), -ENOENT);
        CHECK(v == NULL);
        CHECK_INT_EQ(qdb_read(db, "/missing/", &v, NULL), -ENOENT);
}

static void test_empty_and_longest_values_round_trip(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *empty = NULL, *longest = NULL;
        char big[QDB_VALUE_MAX];
        size_t len = 1;

        CHECK(db);
        memset(big, 'b', sizeof(big));
        CHECK_INT_EQ(qdb_write(db, "/vals/empty", "", 0), 0);
        CHECK_INT_EQ(qdb_write(db, "/vals/long", big, sizeof(big)), 0);
        CHECK_INT_EQ(qdb_read(db, "/vals/empty", &empty, &len), 0);
        CHECK_STR_EQ(empty, "");
        CHECK_INT_EQ(len, 0);
        CHECK_INT_EQ(qdb_read(db, "/vals/long", &longest, &len), 0);
        CHECK_INT_EQ(len, QDB_VALUE_MAX);
        CHECK(memcmp(longest, big, len) == 0 && longest[len] == '\0');
}

static void test_rm_of_path_and_of_subtree(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);

        CHECK(db);
        CHECK_INT_EQ(put(db, "/rm", "self"), 0);
        CHECK_INT_EQ(put(db, "/rm/a", "1"), 0);
        CHECK_INT_EQ(put(db, "/rm/b/c", "2"), 0);
        CHECK_INT_EQ(qdb_rm(db, "/rm/a"), 0);
        CHECK_INT_EQ(qdb_rm(db, "/rm/a"), -ENOENT);
        CHECK_INT_EQ(qdb_rm(db, "/rm/"), 0);
        CHECK_INT_EQ(qdb_rm(db, "/rm/"), -ENOENT);      /* nothing left below */
        CHECK(missing("/rm/b/c"));
        CHECK(value_is("/rm", "self"));
}

static void test_list_gives_matching_paths_in_order(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char **paths = NULL;
        size_t n = 0;

        CHECK(db);
        CHECK_INT_EQ(put(db, "/ls/b", "2"), 0);
        CHECK_INT_EQ(put(db, "/ls/a/x", "3"), 0);
        CHECK_INT_EQ(put(db, "/ls/a", "1"), 0);
        CHECK_INT_EQ(put(db, "/lsx", "4"), 0);
        CHECK_INT_EQ(qdb_list(db, "/ls/", &paths, &n), 0);
        CHECK_INT_EQ(n, 3);
        CHECK_STR_EQ(paths[0], "/ls/a");
        CHECK_STR_EQ(paths[1], "/ls/a/x");
        CHECK_STR_EQ(paths[2], "/ls/b");
        CHECK(paths[3] == NULL);
}

static void test_list_without_match_gives_no_paths(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char **paths = NULL;
        _cleanup_free_ struct qdb_entry *entries = NULL;
        size_t n = 99;

        CHECK(db);
        CHECK_INT_EQ(qdb_list(db, "/nothing/", &paths, &n), 0);
        CHECK_INT_EQ(n, 0);
        CHECK(paths && paths[0] == NULL);
        CHECK_INT_EQ(qdb_multiread(db, "/nothing/", &entries, &n), 0);
        CHECK_INT_EQ(n, 0);
        CHECK(entries && entries[0].path == NULL);
}

static void test_multiread_gives_entries_with_values(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ struct qdb_entry *e = NULL;
        size_t n = 0;

        CHECK(db);
        CHECK_INT_EQ(put(db, "/mr/desc", "Disk (label)"), 0);
        CHECK_INT_EQ(put(db, "/mr/empty", ""), 0);
        CHECK_INT_EQ(put(db, "/mr/size", "1048576"), 0);
        CHECK_INT_EQ(qdb_multiread(db, "/mr/", &e, &n), 0);
        CHECK_INT_EQ(n, 3);
        CHECK_STR_EQ(e[0].path, "/mr/desc");
        CHECK_STR_EQ(e[0].value, "Disk (label)");
        CHECK_INT_EQ(e[0].len, 12);
        CHECK_STR_EQ(e[1].path, "/mr/empty");
        CHECK_STR_EQ(e[1].value, "");
        CHECK_STR_EQ(e[2].value, "1048576");
        CHECK(e[3].path == NULL && e[3].value == NULL);
}

static void test_read_only_socket_reads_and_refuses_changes(void)
{
        _cleanup_qdb_ struct qdb *rw = open_rw(TIMEOUT_MS);
        _cleanup_qdb_ struct qdb *ro = open_ro();
        _cleanup_free_ char *v = NULL;

        CHECK(rw && ro);
        CHECK_INT_EQ(put(rw, "/ro/x", "1"), 0);
        CHECK_INT_EQ(put(ro, "/ro/x", "2"), -EREMOTEIO);
        CHECK_INT_EQ(qdb_rm(ro, "/ro/x"), -EREMOTEIO);
        CHECK_INT_EQ(qdb_read(ro, "/ro/x", &v, NULL), 0);       /* still in step */
        CHECK_STR_EQ(v, "1");
}

/* ---- arguments refused before anything is sent ---- */

static void test_path_and_value_rules(void)
{
        char path[QDB_PATH_MAX + 1];

        CHECK(qdb_path_is_valid("/"));
        CHECK(qdb_path_is_valid("/qubes-block-devices/sda1/desc"));
        CHECK(qdb_path_is_valid("/a_Z.0:9@x-y/"));
        CHECK(!qdb_path_is_valid(""));
        CHECK(!qdb_path_is_valid("relative"));
        CHECK(!qdb_path_is_valid("-/x"));
        CHECK(!qdb_path_is_valid("/sp ace"));
        CHECK(!qdb_path_is_valid("/x*"));
        CHECK(!qdb_path_is_valid("/\xc3\xa9"));
        CHECK(!qdb_path_is_valid(NULL));
        memset(path, 'p', sizeof(path));
        path[0] = '/';
        path[QDB_PATH_MAX - 1] = '\0';
        CHECK(qdb_path_is_valid(path));         /* 63 bytes */
        path[QDB_PATH_MAX - 1] = 'p';
        path[QDB_PATH_MAX] = '\0';
        CHECK(!qdb_path_is_valid(path));        /* 64 */

        CHECK(qdb_value_is_valid("", 0));
        CHECK(qdb_value_is_valid(NULL, 0));
        CHECK(qdb_value_is_valid("a\0b", 1));
        CHECK(!qdb_value_is_valid("a\0b", 3));
}

static void test_bad_arguments_are_refused_before_sending(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char **paths = NULL;
        char long_path[QDB_PATH_MAX + 1], big[QDB_VALUE_MAX + 1];
        char *v = NULL;
        long long before = qdb_test_counter("requests");
        size_t n;

        CHECK(db && before >= 0);
        memset(long_path, 'p', sizeof(long_path) - 1);
        long_path[0] = '/';
        long_path[QDB_PATH_MAX] = '\0';
        memset(big, 'b', sizeof(big));

        CHECK_INT_EQ(qdb_read(db, long_path, &v, NULL), -ENAMETOOLONG);
        CHECK_INT_EQ(qdb_read(db, "relative", &v, NULL), -EINVAL);
        CHECK_INT_EQ(qdb_rm(db, "-x"), -EINVAL);
        CHECK_INT_EQ(qdb_watch(db, "/bad path"), -EINVAL);
        CHECK_INT_EQ(qdb_list(db, "", &paths, &n), -EINVAL);
        CHECK_INT_EQ(put(db, "/dir/", "x"), -EINVAL);   /* the daemon would hang up */
        CHECK_INT_EQ(qdb_write(db, "/big", big, sizeof(big)), -EMSGSIZE);
        CHECK_INT_EQ(qdb_write(db, "/nul", "a\0b", 3), -EINVAL);
        CHECK_INT_EQ(qdb_test_counter("requests"), before);    /* nothing sent */
        CHECK_INT_EQ(put(db, "/after-refusals", "ok"), 0);      /* and still usable */
}

/* ---- watches ---- */

static void test_watch_exact_path_and_prefix(void)
{
        _cleanup_qdb_ struct qdb *w = open_rw(TIMEOUT_MS);
        _cleanup_qdb_ struct qdb *c = open_rw(TIMEOUT_MS);

        CHECK(w && c);
        CHECK_INT_EQ(qdb_watch(w, "/wx/trigger"), 0);
        CHECK_INT_EQ(qdb_watch(w, "/wx/dir/"), 0);
        CHECK(no_event(w));
        CHECK_INT_EQ(put(c, "/wx/trigger", ""), 0);
        CHECK(event_is(w, TIMEOUT_MS, "/wx/trigger"));
        CHECK_INT_EQ(put(c, "/wx/trigger/child", ""), 0);
        CHECK_INT_EQ(put(c, "/wx/dir/a/b", "1"), 0);
        CHECK(event_is(w, TIMEOUT_MS, "/wx/dir/a/b"));
        CHECK_INT_EQ(qdb_rm(c, "/wx/dir/"), 0);
        CHECK(event_is(w, TIMEOUT_MS, "/wx/dir/"));
        CHECK(no_event(w));
}

static void test_watch_registered_twice_gives_two_events_until_unwatched(void)
{
        _cleanup_qdb_ struct qdb *w = open_rw(TIMEOUT_MS);
        _cleanup_qdb_ struct qdb *c = open_rw(TIMEOUT_MS);

        CHECK(w && c);
        CHECK_INT_EQ(qdb_watch(w, "/twice"), 0);
        CHECK_INT_EQ(qdb_watch(w, "/twice"), 0);
        CHECK_INT_EQ(put(c, "/twice", "1"), 0);
        CHECK(event_is(w, TIMEOUT_MS, "/twice"));
        CHECK(event_is(w, TIMEOUT_MS, "/twice"));
        CHECK_INT_EQ(qdb_unwatch(w, "/twice"), 0);
        CHECK_INT_EQ(qdb_unwatch(w, "/twice"), 0);
        CHECK_INT_EQ(qdb_unwatch(w, "/twice"), -ENOENT);
        CHECK_INT_EQ(put(c, "/twice", "2"), 0);
        CHECK(no_event(w));
}

static void test_own_write_event_comes_after_the_call(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);

        CHECK(db);
        CHECK_INT_EQ(qdb_watch(db, "/own"), 0);
        CHECK_INT_EQ(put(db, "/own", "1"), 0);
        CHECK(event_is(db, TIMEOUT_MS, "/own"));
}

static void test_fd_polls_readable_for_an_event(void)
{
        _cleanup_qdb_ struct qdb *w = open_rw(TIMEOUT_MS);
        _cleanup_qdb_ struct qdb *c = open_rw(TIMEOUT_MS);
        struct pollfd p = { .events = POLLIN };

        CHECK(w && c);
        CHECK_INT_EQ(qdb_watch(w, "/polled"), 0);
        p.fd = qdb_fd(w);
        CHECK_INT_EQ(poll(&p, 1, 0), 0);
        CHECK_INT_EQ(put(c, "/polled", "1"), 0);
        CHECK_INT_EQ(poll(&p, 1, TIMEOUT_MS), 1);
        CHECK(event_is(w, 0, "/polled"));
}

static void test_event_wait_times_out_and_keeps_the_connection(void)
{
        _cleanup_qdb_ struct qdb *db = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *ev = NULL;
        int64_t start;

        CHECK(db);
        CHECK_INT_EQ(qdb_next_watch_event(db, 0, &ev), -ETIMEDOUT);
        start = now_ms();
        CHECK_INT_EQ(qdb_next_watch_event(db, SHORT_TIMEOUT_MS, &ev), -ETIMEDOUT);
        CHECK(now_ms() - start >= SHORT_TIMEOUT_MS - 10);
        CHECK(now_ms() - start < SHORT_TIMEOUT_MS + LATE_MS);
        CHECK_INT_EQ(put(db, "/still-usable", "1"), 0);
}

static void test_event_before_reply_is_kept_for_later(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ char *v = NULL;

        CHECK(qdb_test_arm("fault watch-before-reply 2 /injected"));
        db = open_rw(TIMEOUT_MS);
        CHECK(db);
        CHECK_INT_EQ(put(db, "/wbr", "value"), 0);
        CHECK_INT_EQ(qdb_read(db, "/wbr", &v, NULL), 0);        /* request 2 */
        CHECK_STR_EQ(v, "value");
        CHECK(event_is(db, 0, "/injected"));
        CHECK(no_event(db));
}

static void test_events_amid_a_list_are_kept_for_later(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ struct qdb_entry *e = NULL;
        size_t n;

        CHECK(qdb_test_arm("fault watch-amid-reply 3 /amid-event"));
        db = open_rw(TIMEOUT_MS);
        CHECK(db);
        CHECK_INT_EQ(put(db, "/amid/a", "1"), 0);
        CHECK_INT_EQ(put(db, "/amid/b", "2"), 0);
        CHECK_INT_EQ(qdb_multiread(db, "/amid/", &e, &n), 0);
        CHECK_INT_EQ(n, 2);
        CHECK_STR_EQ(e[1].value, "2");
        for (int i = 0; i < 3; i++)     /* before each of the three messages */
                CHECK(event_is(db, 0, "/amid-event"));
        CHECK(no_event(db));
}

static void test_event_queue_is_bounded_and_says_when_it_dropped(void)
{
        _cleanup_qdb_ struct qdb *w = open_rw(TIMEOUT_MS);
        _cleanup_qdb_ struct qdb *c = open_rw(TIMEOUT_MS);
        _cleanup_free_ char *v = NULL, *ev = NULL;

        CHECK(w && c);
        CHECK_INT_EQ(qdb_watch(w, "/flood"), 0);
        for (int i = 0; i < QDB_EVENT_QUEUE_MAX + 20; i++)
                CHECK_INT_EQ(put(c, "/flood", "x"), 0);
        /* every event comes before the reply, more than the queue holds */
        CHECK_INT_EQ(qdb_read(w, "/flood", &v, NULL), 0);
        CHECK_INT_EQ(qdb_next_watch_event(w, 0, &ev), -ENOBUFS);
        for (int i = 0; i < QDB_EVENT_QUEUE_MAX; i++)
                CHECK(event_is(w, 0, "/flood"));
        CHECK_INT_EQ(qdb_next_watch_event(w, 0, &ev), -ETIMEDOUT);
}

/* ---- a daemon that misbehaves ---- */

static void test_stalled_daemon_times_out_near_the_timeout(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ char *v = NULL;
        int64_t start, took;

        CHECK(qdb_test_arm("fault stall 1"));
        db = open_rw(SHORT_TIMEOUT_MS);
        CHECK(db);
        start = now_ms();
        CHECK_INT_EQ(qdb_read(db, "/stalled", &v, NULL), -ETIMEDOUT);
        took = now_ms() - start;
        printf("  timed out after %lld ms (timeout %d ms)\n", (long long)took, SHORT_TIMEOUT_MS);
        CHECK(took >= SHORT_TIMEOUT_MS - 10 && took < SHORT_TIMEOUT_MS + LATE_MS);
        /* a late answer would be taken for the next one's: refused */
        CHECK_INT_EQ(put(db, "/stalled", "x"), -ENOTCONN);
        CHECK_INT_EQ(qdb_next_watch_event(db, 0, &v), -ENOTCONN);
}

static void test_lost_reply_gives_econnreset_though_done(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;

        CHECK(qdb_test_arm("fault lose 2"));
        db = open_rw(TIMEOUT_MS);
        CHECK(db);
        CHECK_INT_EQ(put(db, "/lost/a", "1"), 0);
        CHECK_INT_EQ(put(db, "/lost/b", "2"), -ECONNRESET);
        CHECK(value_is("/lost/b", "2"));
        CHECK_INT_EQ(put(db, "/lost/c", "3"), -ENOTCONN);
}

static void test_dropped_connection_gives_econnreset_not_done(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ char **paths = NULL;
        size_t n;

        CHECK(qdb_test_arm("fault drop 1"));
        db = open_rw(TIMEOUT_MS);
        CHECK(db);
        CHECK_INT_EQ(put(db, "/dropped", "1"), -ECONNRESET);
        CHECK(missing("/dropped"));
        CHECK_INT_EQ(qdb_list(db, "/", &paths, &n), -ENOTCONN);
}

static void test_error_reply_gives_eremoteio_and_stays_in_step(void)
{
        _cleanup_qdb_ struct qdb *db = NULL;

        CHECK(qdb_test_arm("fault error 1"));
        db = open_rw(TIMEOUT_MS);
        CHECK(db);
        CHECK_INT_EQ(qdb_watch(db, "/err"), -EREMOTEIO);
        CHECK_INT_EQ(put(db, "/err", "1"), 0);
}

/* The result of a READ (or a LIST for "list") of /c/ answered malformed. */
static int corrupt_call(const char *kind, bool list)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ char *v = NULL;
        _cleanup_free_ char **paths = NULL;
        size_t n;
        int r;

        if (!qdb_test_arm("fault corrupt 1 %s", kind))
                return 1;
        db = open_rw(TIMEOUT_MS);
        if (!db)
                return 1;
        r = list ? qdb_list(db, "/c/", &paths, &n) : qdb_read(db, "/c/x", &v, NULL);
        return r == -EPROTO && put(db, "/c/x", "") == -ENOTCONN ? r : 1;
}

static void test_malformed_replies_give_eproto(void)
{
        static const char *const kinds[] = { "type", "path", "length", "echo", "nul", "reply" };
        int64_t start = now_ms();

        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                printf("  corrupt %s\n", kinds[i]);
                CHECK_INT_EQ(corrupt_call(kinds[i], false), -EPROTO);
                CHECK_INT_EQ(corrupt_call(kinds[i], true), -EPROTO);
        }
        /* judged at once, not after waiting for 1 MiB that never comes */
        CHECK(now_ms() - start < TIMEOUT_MS);
}

static void test_connect_to_missing_or_dead_socket_fails(void)
{
        char dir[80], path[128];
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        struct qdb *db = NULL;
        int fd;

        CHECK(check_scratch_dir(dir, sizeof(dir), "qdb") == 0);
        snprintf(path, sizeof(path), "%s/none.sock", dir);
        CHECK_INT_EQ(qdb_open(path, TIMEOUT_MS, &db), -ENOENT);

        /* a socket file nobody listens on: a daemon that died */
        CHECK((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/dead.sock", dir) <
              sizeof(addr.sun_path));
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK(fd >= 0);
        CHECK(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0);
        close(fd);
        CHECK_INT_EQ(qdb_open(addr.sun_path, TIMEOUT_MS, &db), -ECONNREFUSED);
        CHECK_INT_EQ(qdb_open(addr.sun_path, 0, &db), -EINVAL);
        CHECK(db == NULL);
        CHECK(check_scratch_remove(dir) == 0);
}

/* ---- replies scripted on a socketpair ---- */

/* A client on one end of a socketpair whose other end is *DAEMON. */
static struct qdb *fake_daemon(int *daemon, int timeout_ms)
{
        struct qdb *db = NULL;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return NULL;
        *daemon = sv[1];
        if (qdb_open_fd(sv[0], timeout_ms, &db) < 0) {
                close(sv[1]);
                return NULL;
        }
        return db;
}

/* A message as the daemon lays it out (SPEC §6 offsets). */
static bool script(int fd, uint8_t type, const char *path, const char *data, uint32_t len)
{
        unsigned char buf[72 + 64] = { 0 };

        buf[0] = type;
        memcpy(buf + 1, path, strlen(path));
        memcpy(buf + 68, &len, sizeof(len));
        memcpy(buf + 72, data, len);
        return send(fd, buf, 72 + len, MSG_NOSIGNAL) == (ssize_t)(72 + len);
}

static void test_gone_daemon_gives_epipe_without_sigpipe(void)
{
        _cleanup_close_ int daemon = -1;
        _cleanup_qdb_ struct qdb *db = NULL;

        signal(SIGPIPE, SIG_DFL);               /* it would kill us */
        db = fake_daemon(&daemon, TIMEOUT_MS);
        CHECK(db);
        close(TAKE_FD(daemon));
        CHECK_INT_EQ(put(db, "/gone", "1"), -EPIPE);
        CHECK_INT_EQ(put(db, "/gone", "1"), -ENOTCONN);
}

static void test_cut_inside_a_message_gives_econnreset(void)
{
        _cleanup_close_ int daemon = -1;
        _cleanup_qdb_ struct qdb *db = NULL;
        unsigned char partial[30] = { 10 };
        char *v = NULL;

        db = fake_daemon(&daemon, TIMEOUT_MS);
        CHECK(db);
        /* one whole reply, then part of a header, then the daemon is gone */
        CHECK(script(daemon, 10, "/cut", "abc", 3));
        CHECK(send(daemon, partial, sizeof(partial), 0) == sizeof(partial));
        CHECK(shutdown(daemon, SHUT_WR) == 0);
        CHECK_INT_EQ(qdb_read(db, "/cut", &v, NULL), 0);
        CHECK_STR_EQ(v, "abc");
        free(v);
        CHECK_INT_EQ(qdb_read(db, "/cut", &v, NULL), -ECONNRESET);
}

static void test_list_out_of_order_or_error_after_entries_gives_eproto(void)
{
        _cleanup_close_ int a = -1, b = -1;
        _cleanup_qdb_ struct qdb *da = NULL, *dbb = NULL;
        _cleanup_free_ char **paths = NULL;
        size_t n;

        da = fake_daemon(&a, TIMEOUT_MS);
        dbb = fake_daemon(&b, TIMEOUT_MS);
        CHECK(da && dbb);
        CHECK(script(a, 12, "/l/b", "", 0) && script(a, 12, "/l/a", "", 0));
        CHECK_INT_EQ(qdb_list(da, "/l/", &paths, &n), -EPROTO);
        CHECK(script(b, 12, "/l/a", "", 0) && script(b, 9, "/l/", "", 0));
        CHECK_INT_EQ(qdb_list(dbb, "/l/", &paths, &n), -EPROTO);
}

static void test_reply_without_request_gives_eproto(void)
{
        _cleanup_close_ int daemon = -1;
        _cleanup_qdb_ struct qdb *db = NULL;
        _cleanup_free_ char *ev = NULL;

        db = fake_daemon(&daemon, TIMEOUT_MS);
        CHECK(db);
        CHECK(script(daemon, 13, "/ok-event", "", 0) && script(daemon, 7, "/stray", "", 0));
        CHECK(event_is(db, TIMEOUT_MS, "/ok-event"));
        CHECK_INT_EQ(qdb_next_watch_event(db, TIMEOUT_MS, &ev), -EPROTO);
}

int main(void)
{
        if (!getenv("QDB_TEST_SERVER_DIR")) {
                fprintf(stderr, "test-qdb: run me under tests/with-qubesdb\n");
                return 77;
        }

        RUN(test_write_then_read_returns_value_and_length);
        RUN(test_read_of_missing_path_gives_enoent);
        RUN(test_empty_and_longest_values_round_trip);
        RUN(test_rm_of_path_and_of_subtree);
        RUN(test_list_gives_matching_paths_in_order);
        RUN(test_list_without_match_gives_no_paths);
        RUN(test_multiread_gives_entries_with_values);
        RUN(test_read_only_socket_reads_and_refuses_changes);

        RUN(test_path_and_value_rules);
        RUN(test_bad_arguments_are_refused_before_sending);

        RUN(test_watch_exact_path_and_prefix);
        RUN(test_watch_registered_twice_gives_two_events_until_unwatched);
        RUN(test_own_write_event_comes_after_the_call);
        RUN(test_fd_polls_readable_for_an_event);
        RUN(test_event_wait_times_out_and_keeps_the_connection);
        RUN(test_event_before_reply_is_kept_for_later);
        RUN(test_events_amid_a_list_are_kept_for_later);
        RUN(test_event_queue_is_bounded_and_says_when_it_dropped);

        RUN(test_stalled_daemon_times_out_near_the_timeout);
        RUN(test_lost_reply_gives_econnreset_though_done);
        RUN(test_dropped_connection_gives_econnreset_not_done);
        RUN(test_error_reply_gives_eremoteio_and_stays_in_step);
        RUN(test_malformed_replies_give_eproto);
        RUN(test_connect_to_missing_or_dead_socket_fails);

        RUN(test_gone_daemon_gives_epipe_without_sigpipe);
        RUN(test_cut_inside_a_message_gives_econnreset);
        RUN(test_list_out_of_order_or_error_after_entries_gives_eproto);
        RUN(test_reply_without_request_gives_eproto);
        return check_summary();
}
