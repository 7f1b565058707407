/* test-qdb-server.c: the QubesDB test server's suite, on raw sockets (run
 * under tests/with-qubesdb). Messages are built and read at the byte offsets
 * SPEC §6 gives (type at 0, path at 1..64, data_len at 68, 72 bytes), not
 * through any header of the project, so that the layout itself is tested.
 * Each test works below a path of its own. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "qdb-test.h"
#include "util.h"

enum {
        READ, WRITE, MULTIREAD, LIST, RM, WATCH, UNWATCH,
        RESP_OK, RESP_NOENT, RESP_ERROR, RESP_READ, RESP_MULTIREAD, RESP_LIST, RESP_WATCH,
};

#define HDR 72
#define OFF_PATH 1
#define PATH_FIELD 64
#define OFF_LEN 68
#define VALUE_MAX 3071
#define QUIET_MS 200

struct msg {
        unsigned char hdr[HDR];
        uint8_t type;
        char path[PATH_FIELD + 1];      /* up to the field's first NUL */
        uint32_t len;
        char data[VALUE_MAX + 1];
};

/* ---- raw messages ---- */

static void raw_header(unsigned char *buf, uint8_t type, const char *path, uint32_t len)
{
        memset(buf, 0, HDR);
        buf[0] = type;
        memcpy(buf + OFF_PATH, path, strnlen(path, PATH_FIELD));
        memcpy(buf + OFF_LEN, &len, sizeof(len));       /* host order */
}

static bool send_bytes(int fd, const void *buf, size_t len)
{
        return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static bool send_msg(int fd, uint8_t type, const char *path, const char *data, size_t len)
{
        unsigned char buf[HDR + 8192];

        if (len > sizeof(buf) - HDR)
                abort();
        raw_header(buf, type, path, (uint32_t)len);
        if (len)
                memcpy(buf + HDR, data, len);
        return send_bytes(fd, buf, HDR + len);
}

static bool read_exact(int fd, void *buf, size_t len)
{
        for (size_t got = 0; got < len;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, QDB_TEST_WAIT_MS) <= 0)
                        return false;
                n = recv(fd, (char *)buf + got, len - got, 0);
                if (n <= 0)
                        return false;
                got += (size_t)n;
        }
        return true;
}

/* The next message; its data only when it is not over the value limit. */
static bool recv_msg(int fd, struct msg *m)
{
        if (!read_exact(fd, m->hdr, HDR))
                return false;
        m->type = m->hdr[0];
        memcpy(m->path, m->hdr + OFF_PATH, PATH_FIELD);
        m->path[PATH_FIELD] = '\0';
        memcpy(&m->len, m->hdr + OFF_LEN, sizeof(m->len));
        if (m->len > VALUE_MAX)
                return true;
        m->data[m->len] = '\0';
        return read_exact(fd, m->data, m->len);
}

/* Is the next message TYPE for PATH with no data? Says what came otherwise. */
static bool expect(int fd, uint8_t type, const char *path)
{
        struct msg m;

        if (!recv_msg(fd, &m)) {
                printf("  no message, expected type %u %s\n", type, path);
                return false;
        }
        if (m.type != type || !streq(m.path, path) || m.len != 0) {
                printf("  got type %u '%s' len %u, expected type %u '%s'\n", m.type, m.path,
                       m.len, type, path);
                return false;
        }
        return true;
}

static bool expect_event(int fd, const char *path)
{
        return expect(fd, RESP_WATCH, path);
}

/* Nothing arrives for a while. */
static bool quiet(int fd)
{
        struct pollfd p = { .fd = fd, .events = POLLIN };

        return poll(&p, 1, QUIET_MS) == 0;
}

/* The server closed FD (EOF), maybe after messages we skip. */
static bool closed(int fd)
{
        char buf[256];

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (poll(&p, 1, QDB_TEST_WAIT_MS) <= 0)
                        return false;
                n = recv(fd, buf, sizeof(buf), 0);
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        return true;
                if (n < 0)
                        return false;
        }
}

static int rw(void)
{
        return qdb_test_connect("qubesdb.sock");
}

static int ro(void)
{
        return qdb_test_connect("qubesdb.ro.sock");
}

/* WRITE, answered OK. */
static bool put(int fd, const char *path, const char *value)
{
        return send_msg(fd, WRITE, path, value, strlen(value)) && expect(fd, RESP_OK, path);
}

/* READ answered with VALUE. */
static bool value_is(int fd, const char *path, const char *value)
{
        struct msg m;

        if (!send_msg(fd, READ, path, NULL, 0) || !recv_msg(fd, &m))
                return false;
        if (m.type != RESP_READ || !streq(m.path, path) || m.len != strlen(value) ||
            memcmp(m.data, value, m.len) != 0) {
                printf("  READ %s: type %u len %u '%s', expected '%s'\n", path, m.type, m.len,
                       m.type == RESP_READ ? m.data : "", value);
                return false;
        }
        return true;
}

/* LIST or MULTIREAD of PREFIX gives exactly the NULL-terminated PATHS. */
static bool lists(int fd, uint8_t type, const char *prefix, const char *const *paths)
{
        uint8_t reply = type == LIST ? RESP_LIST : RESP_MULTIREAD;
        struct msg m;

        if (!send_msg(fd, type, prefix, NULL, 0))
                return false;
        for (;; paths++) {
                if (!recv_msg(fd, &m) || m.type != reply)
                        return false;
                if (!*paths)
                        return m.path[0] == '\0' && m.len == 0;
                if (!streq(m.path, *paths)) {
                        printf("  entry '%s', expected '%s'\n", m.path, *paths);
                        return false;
                }
        }
}

/* ---- layout ---- */

static void test_reply_header_is_72_bytes_with_data_len_at_68(void)
{
        _cleanup_close_ int fd = rw();
        unsigned char buf[HDR + 5];
        uint32_t len;

        CHECK(put(fd, "/layout", "hello"));
        CHECK(send_msg(fd, READ, "/layout", NULL, 0));
        CHECK(read_exact(fd, buf, sizeof(buf)));
        CHECK_INT_EQ(buf[0], RESP_READ);
        CHECK(memcmp(buf + OFF_PATH, "/layout\0", 8) == 0);
        memcpy(&len, buf + OFF_LEN, sizeof(len));
        CHECK_INT_EQ(len, 5);
        CHECK(memcmp(buf + HDR, "hello", 5) == 0);
        CHECK(quiet(fd));               /* nothing after the value */
}

static void test_reply_echoes_path_field_and_padding(void)
{
        _cleanup_close_ int fd = rw();
        unsigned char req[HDR], reply[HDR];

        /* bytes after the path's NUL and in the padding come back as sent,
         * but for the field's last byte, which the daemon sets to NUL */
        raw_header(req, READ, "/echo", 0);
        memset(req + OFF_PATH + 6, 'j', PATH_FIELD - 6);
        memset(req + OFF_PATH + PATH_FIELD, 0xaa, OFF_LEN - OFF_PATH - PATH_FIELD);
        CHECK(send_bytes(fd, req, HDR));
        CHECK(read_exact(fd, reply, HDR));
        CHECK_INT_EQ(reply[0], RESP_NOENT);
        req[0] = RESP_NOENT;
        req[OFF_PATH + PATH_FIELD - 1] = '\0';
        CHECK(memcmp(req, reply, HDR) == 0);
}

static void test_message_split_into_single_bytes_is_understood(void)
{
        _cleanup_close_ int fd = rw();
        unsigned char buf[HDR + 3];

        raw_header(buf, WRITE, "/split", 3);
        memcpy(buf + HDR, "abc", 3);
        for (size_t i = 0; i < sizeof(buf); i++) {
                CHECK(send_bytes(fd, buf + i, 1));
                if (i == HDR - 1 || i == HDR)
                        CHECK(quiet(fd));       /* no answer before the last byte */
        }
        CHECK(expect(fd, RESP_OK, "/split"));
        CHECK(value_is(fd, "/split", "abc"));
}

static void test_pipelined_requests_are_answered_in_order(void)
{
        _cleanup_close_ int fd = rw();
        unsigned char buf[4 * HDR + 1];

        raw_header(buf, WRITE, "/pipe/a", 1);
        buf[HDR] = 'x';
        raw_header(buf + HDR + 1, READ, "/pipe/a", 0);
        raw_header(buf + 2 * HDR + 1, READ, "/pipe/none", 0);
        raw_header(buf + 3 * HDR + 1, RM, "/pipe/a", 0);
        CHECK(send_bytes(fd, buf, sizeof(buf)));
        CHECK(expect(fd, RESP_OK, "/pipe/a"));
        {
                struct msg m;

                CHECK(recv_msg(fd, &m));
                CHECK(m.type == RESP_READ && m.len == 1 && m.data[0] == 'x');
        }
        CHECK(expect(fd, RESP_NOENT, "/pipe/none"));
        CHECK(expect(fd, RESP_OK, "/pipe/a"));
}

/* ---- read, write, rm ---- */

static void test_read_of_missing_entry_gives_error_noent(void)
{
        _cleanup_close_ int fd = rw();

        CHECK(send_msg(fd, READ, "/missing", NULL, 0));
        CHECK(expect(fd, RESP_NOENT, "/missing"));
}

static void test_write_replaces_value_and_empty_value_is_kept(void)
{
        _cleanup_close_ int fd = rw();

        CHECK(put(fd, "/w/key", "one"));
        CHECK(put(fd, "/w/key", "two"));
        CHECK(value_is(fd, "/w/key", "two"));
        CHECK(put(fd, "/w/empty", ""));
        CHECK(value_is(fd, "/w/empty", ""));
}

static void test_value_of_3071_bytes_is_kept_3072_refused(void)
{
        _cleanup_close_ int fd = rw();
        char big[VALUE_MAX + 2];
        struct msg m;

        memset(big, 'v', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        CHECK(send_msg(fd, WRITE, "/limit/a", big, VALUE_MAX));
        CHECK(expect(fd, RESP_OK, "/limit/a"));
        CHECK(send_msg(fd, READ, "/limit/a", NULL, 0));
        CHECK(recv_msg(fd, &m));
        CHECK(m.type == RESP_READ && m.len == VALUE_MAX);

        /* refused, its data read away: the connection goes on in step */
        CHECK(send_msg(fd, WRITE, "/limit/b", big, VALUE_MAX + 1));
        CHECK(expect(fd, RESP_ERROR, "/limit/b"));
        CHECK(send_msg(fd, READ, "/limit/b", NULL, 0));
        CHECK(expect(fd, RESP_NOENT, "/limit/b"));
}

static void test_huge_data_len_is_skipped_then_refused(void)
{
        _cleanup_close_ int fd = rw();
        static char junk[20000];

        memset(junk, 'j', sizeof(junk));
        CHECK(send_msg(fd, WRITE, "/huge", NULL, 0) && expect(fd, RESP_OK, "/huge"));
        {
                unsigned char hdr[HDR];

                raw_header(hdr, WRITE, "/huge", sizeof(junk));
                CHECK(send_bytes(fd, hdr, HDR));
                CHECK(quiet(fd));       /* the daemon reads the data first */
                CHECK(send_bytes(fd, junk, sizeof(junk)));
        }
        CHECK(expect(fd, RESP_ERROR, "/huge"));
        CHECK(value_is(fd, "/huge", ""));
}

static void test_value_holding_nul_is_refused(void)
{
        _cleanup_close_ int fd = rw();

        CHECK(send_msg(fd, WRITE, "/nul", "a\0b", 3));
        CHECK(expect(fd, RESP_ERROR, "/nul"));
        CHECK(send_msg(fd, READ, "/nul", NULL, 0));
        CHECK(expect(fd, RESP_NOENT, "/nul"));
}

static void test_write_to_path_ending_in_slash_is_refused_and_closes(void)
{
        _cleanup_close_ int fd = rw();
        _cleanup_close_ int other = rw();

        CHECK(send_msg(fd, WRITE, "/dir/", "x", 1));
        CHECK(expect(fd, RESP_ERROR, "/dir/"));
        CHECK(closed(fd));
        CHECK(send_msg(other, LIST, "/dir", NULL, 0));
        CHECK(expect(other, RESP_LIST, ""));
}

static void test_invalid_paths_are_refused(void)
{
        static const char *const bad[] = {
                "", "relative", "-/x", "/sp ace", "/star*", "/back\\slash", "/tab\t",
                "/utf8\xc3\xa9", "/new\nline",
        };
        _cleanup_close_ int fd = rw();

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                CHECK(send_msg(fd, READ, bad[i], NULL, 0));
                CHECK(expect(fd, RESP_ERROR, bad[i]));
        }
        CHECK(put(fd, "/all_.:@-Chars09", "ok"));       /* every allowed kind */
}

static void test_path_of_63_bytes_passes_64_without_nul_is_refused(void)
{
        _cleanup_close_ int fd = rw();
        char path[PATH_FIELD + 1];
        struct msg m;

        memset(path, 'p', PATH_FIELD);
        path[0] = '/';
        path[PATH_FIELD - 1] = '\0';
        CHECK(put(fd, path, "63"));

        path[PATH_FIELD - 1] = 'p';     /* the field holds no NUL */
        path[PATH_FIELD] = '\0';
        CHECK(send_msg(fd, READ, path, NULL, 0));
        CHECK(recv_msg(fd, &m));
        CHECK_INT_EQ(m.type, RESP_ERROR);
        CHECK_INT_EQ(strlen(m.path), PATH_FIELD - 1);   /* echoed with its last byte NUL */
}

static void test_data_on_a_command_that_takes_none_is_refused(void)
{
        static const uint8_t types[] = { READ, MULTIREAD, LIST, RM, WATCH, UNWATCH };
        _cleanup_close_ int fd = rw();

        CHECK(put(fd, "/data/x", "1"));
        for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
                CHECK(send_msg(fd, types[i], "/data/x", "zz", 2));
                CHECK(expect(fd, RESP_ERROR, "/data/x"));
        }
        CHECK(value_is(fd, "/data/x", "1"));            /* nothing was done */
}

static void test_reply_and_unknown_types_are_refused(void)
{
        static const uint8_t types[] = { RESP_OK, RESP_ERROR, RESP_READ, RESP_WATCH, 14, 42, 255 };
        _cleanup_close_ int fd = rw();

        for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
                CHECK(send_msg(fd, types[i], "/type", NULL, 0));
                CHECK(expect(fd, RESP_ERROR, "/type"));
        }
}

static void test_rm_removes_exact_entry_and_missing_gives_noent(void)
{
        _cleanup_close_ int fd = rw();

        CHECK(put(fd, "/rm/a", "1"));
        CHECK(put(fd, "/rm/ab", "2"));
        CHECK(send_msg(fd, RM, "/rm/a", NULL, 0) && expect(fd, RESP_OK, "/rm/a"));
        CHECK(send_msg(fd, RM, "/rm/a", NULL, 0) && expect(fd, RESP_NOENT, "/rm/a"));
        CHECK(value_is(fd, "/rm/ab", "2"));
}

static void test_rm_of_subtree_removes_below_but_not_itself(void)
{
        static const char *const left[] = { "/sub", "/sub-x", "/subx", NULL };
        _cleanup_close_ int fd = rw();

        CHECK(put(fd, "/sub", "self"));
        CHECK(put(fd, "/sub/a", "1"));
        CHECK(put(fd, "/sub/b/c", "2"));
        CHECK(put(fd, "/sub-x", "3"));
        CHECK(put(fd, "/subx", "4"));
        CHECK(send_msg(fd, RM, "/sub/", NULL, 0) && expect(fd, RESP_OK, "/sub/"));
        CHECK(lists(fd, LIST, "/sub", left));
        CHECK(send_msg(fd, RM, "/sub/", NULL, 0) && expect(fd, RESP_NOENT, "/sub/"));
}

/* ---- list, multiread ---- */

static void test_list_matches_plain_prefix_in_ascending_order(void)
{
        static const char *const under[] = { "/ls/a", "/ls/a/x", "/ls/b", NULL };
        static const char *const prefix[] = { "/ls/a", "/ls/a/x", "/ls/b", "/lsz", NULL };
        _cleanup_close_ int fd = rw();

        CHECK(put(fd, "/ls/b", "2"));
        CHECK(put(fd, "/lsz", "3"));
        CHECK(put(fd, "/ls/a/x", "4"));
        CHECK(put(fd, "/ls/a", "1"));
        CHECK(lists(fd, LIST, "/ls/", under));
        CHECK(lists(fd, LIST, "/ls", prefix));
}

static void test_list_without_match_gives_only_the_end(void)
{
        static const char *const none[] = { NULL };
        _cleanup_close_ int fd = rw();

        CHECK(lists(fd, LIST, "/nothing/", none));
        CHECK(lists(fd, MULTIREAD, "/nothing/", none));
}

static void test_list_end_marker_keeps_last_path_after_its_nul(void)
{
        _cleanup_close_ int fd = rw();
        struct msg m;

        /* the daemon reuses one header: a client must stop at the first NUL */
        CHECK(put(fd, "/end/entry", "1"));
        CHECK(send_msg(fd, LIST, "/end/", NULL, 0));
        CHECK(recv_msg(fd, &m) && m.type == RESP_LIST && streq(m.path, "/end/entry"));
        CHECK(read_exact(fd, m.hdr, HDR));
        CHECK_INT_EQ(m.hdr[0], RESP_LIST);
        CHECK_INT_EQ(m.hdr[OFF_PATH], 0);
        CHECK(memcmp(m.hdr + OFF_PATH + 1, "end/entry", 10) == 0);
}

static void test_multiread_gives_paths_with_values(void)
{
        _cleanup_close_ int fd = rw();
        struct msg m;

        CHECK(put(fd, "/mr/b", "bee"));
        CHECK(put(fd, "/mr/a", "a"));
        CHECK(put(fd, "/mr/c", ""));
        CHECK(send_msg(fd, MULTIREAD, "/mr/", NULL, 0));
        CHECK(recv_msg(fd, &m) && m.type == RESP_MULTIREAD && streq(m.path, "/mr/a"));
        CHECK(m.len == 1 && streq(m.data, "a"));
        CHECK(recv_msg(fd, &m) && m.type == RESP_MULTIREAD && streq(m.path, "/mr/b"));
        CHECK(m.len == 3 && streq(m.data, "bee"));
        CHECK(recv_msg(fd, &m) && m.type == RESP_MULTIREAD && streq(m.path, "/mr/c"));
        CHECK_INT_EQ(m.len, 0);
        CHECK(expect(fd, RESP_MULTIREAD, ""));
}

/* ---- the read-only socket ---- */

static void test_read_only_socket_refuses_write_and_rm(void)
{
        static const char *const one[] = { "/ro/x", NULL };
        _cleanup_close_ int w = rw();
        _cleanup_close_ int r = ro();

        CHECK(put(w, "/ro/x", "1"));
        CHECK(send_msg(r, WRITE, "/ro/x", "2", 1) && expect(r, RESP_ERROR, "/ro/x"));
        CHECK(send_msg(r, RM, "/ro/x", NULL, 0) && expect(r, RESP_ERROR, "/ro/x"));
        CHECK(send_msg(r, RM, "/ro/", NULL, 0) && expect(r, RESP_ERROR, "/ro/"));
        /* reading, listing and watching work, and the connection stays */
        CHECK(value_is(r, "/ro/x", "1"));
        CHECK(lists(r, LIST, "/ro/", one));
        CHECK(send_msg(r, WATCH, "/ro/x", NULL, 0) && expect(r, RESP_OK, "/ro/x"));
        CHECK(put(w, "/ro/x", "3"));
        CHECK(expect_event(r, "/ro/x"));
}

/* ---- watches ---- */

static bool watch(int fd, const char *path)
{
        return send_msg(fd, WATCH, path, NULL, 0) && expect(fd, RESP_OK, path);
}

static void test_exact_watch_fires_on_each_write_and_rm_not_children(void)
{
        _cleanup_close_ int w = rw();
        _cleanup_close_ int c = rw();

        CHECK(watch(w, "/we/key"));
        CHECK(quiet(w));                        /* no event when set */
        CHECK(put(c, "/we/key", "1"));
        CHECK(expect_event(w, "/we/key"));
        CHECK(put(c, "/we/key", "1"));          /* unchanged value: fires again */
        CHECK(expect_event(w, "/we/key"));
        CHECK(put(c, "/we/key/child", "1"));
        CHECK(put(c, "/we/keyx", "1"));
        CHECK(send_msg(c, RM, "/we/", NULL, 0) && expect(c, RESP_OK, "/we/"));
        CHECK(quiet(w));
        CHECK(put(c, "/we/key", "1"));
        CHECK(expect_event(w, "/we/key"));
        CHECK(send_msg(c, RM, "/we/key", NULL, 0) && expect(c, RESP_OK, "/we/key"));
        CHECK(expect_event(w, "/we/key"));
}

static void test_watch_ending_in_slash_matches_by_prefix(void)
{
        _cleanup_close_ int w = rw();
        _cleanup_close_ int c = rw();

        CHECK(watch(w, "/wp/"));
        CHECK(put(c, "/wp/a", "1"));
        CHECK(expect_event(w, "/wp/a"));
        CHECK(put(c, "/wp/deep/er", "1"));
        CHECK(expect_event(w, "/wp/deep/er"));
        CHECK(put(c, "/wp", "1"));              /* not below it */
        CHECK(put(c, "/wpx", "1"));
        CHECK(quiet(w));
}

static void test_watch_registered_twice_gives_two_events(void)
{
        _cleanup_close_ int w = rw();
        _cleanup_close_ int c = rw();

        CHECK(watch(w, "/twice"));
        CHECK(watch(w, "/twice"));
        CHECK(put(c, "/twice", "1"));
        CHECK(expect_event(w, "/twice"));
        CHECK(expect_event(w, "/twice"));
        CHECK(quiet(w));
}

static void test_rm_of_subtree_fires_once_with_its_slash_path(void)
{
        _cleanup_close_ int w = rw();
        _cleanup_close_ int c = rw();

        CHECK(put(c, "/rs/a", "1"));
        CHECK(put(c, "/rs/b", "1"));
        CHECK(put(c, "/rs/c/d", "1"));
        CHECK(watch(w, "/rs/"));
        CHECK(watch(w, "/rs/a"));               /* exact: not "/rs/" */
        CHECK(watch(w, "/rs"));
        CHECK(send_msg(c, RM, "/rs/", NULL, 0) && expect(c, RESP_OK, "/rs/"));
        CHECK(expect_event(w, "/rs/"));
        CHECK(quiet(w));
}

static void test_own_write_is_answered_before_its_event(void)
{
        _cleanup_close_ int fd = rw();

        CHECK(watch(fd, "/own"));
        CHECK(send_msg(fd, WRITE, "/own", "1", 1));
        CHECK(expect(fd, RESP_OK, "/own"));
        CHECK(expect_event(fd, "/own"));
}

static void test_every_watching_connection_gets_the_event(void)
{
        _cleanup_close_ int a = rw();
        _cleanup_close_ int b = ro();
        _cleanup_close_ int c = rw();

        CHECK(watch(a, "/many"));
        CHECK(watch(b, "/"));
        CHECK(put(c, "/many", "x"));
        CHECK(expect_event(a, "/many"));
        CHECK(expect_event(b, "/many"));
        CHECK(quiet(c));
}

static void test_unwatch_drops_one_registration(void)
{
        _cleanup_close_ int w = rw();
        _cleanup_close_ int c = rw();

        CHECK(watch(w, "/uw"));
        CHECK(watch(w, "/uw"));
        CHECK(send_msg(w, UNWATCH, "/uw", NULL, 0) && expect(w, RESP_OK, "/uw"));
        CHECK(put(c, "/uw", "1"));
        CHECK(expect_event(w, "/uw"));
        CHECK(quiet(w));
        CHECK(send_msg(w, UNWATCH, "/uw", NULL, 0) && expect(w, RESP_OK, "/uw"));
        CHECK(send_msg(w, UNWATCH, "/uw", NULL, 0) && expect(w, RESP_NOENT, "/uw"));
}

static void test_watches_end_with_their_connection(void)
{
        long long before = qdb_test_counter("watches");
        _cleanup_close_ int w = rw();

        CHECK(before >= 0);
        CHECK(watch(w, "/gone/"));
        CHECK(watch(w, "/gone/x"));
        CHECK_INT_EQ(qdb_test_counter("watches"), before + 2);
        close(TAKE_FD(w));
        for (int i = 0; i < 50 && qdb_test_counter("watches") != before; i++)
                usleep(10000);
        CHECK_INT_EQ(qdb_test_counter("watches"), before);
}

/* ---- faults ---- */

/* Has the server taken N requests so far, within the wait? */
static bool wait_requests(long long n)
{
        for (int i = 0; i < QDB_TEST_WAIT_MS / 10; i++) {
                if (qdb_test_counter("requests") >= n)
                        return true;
                usleep(10000);
        }
        return false;
}

static void test_fault_drop_closes_at_nth_request_unexecuted(void)
{
        _cleanup_close_ int fd = -1;
        _cleanup_close_ int check = rw();

        CHECK(qdb_test_arm("fault drop 2"));
        fd = rw();
        CHECK(put(fd, "/drop/a", "1"));
        CHECK(send_msg(fd, WRITE, "/drop/b", "2", 1));
        CHECK(closed(fd));
        CHECK(send_msg(check, READ, "/drop/b", NULL, 0) && expect(check, RESP_NOENT, "/drop/b"));
}

static void test_fault_lose_executes_nth_request_unanswered(void)
{
        _cleanup_close_ int fd = -1;
        _cleanup_close_ int check = rw();

        CHECK(qdb_test_arm("fault lose 1"));
        fd = rw();
        CHECK(send_msg(fd, WRITE, "/lose", "done", 4));
        CHECK(closed(fd));
        CHECK(value_is(check, "/lose", "done"));
}

static void test_fault_stall_keeps_connection_open_and_silent(void)
{
        _cleanup_close_ int fd = -1;
        _cleanup_close_ int check = rw();

        long long served;

        CHECK(qdb_test_arm("fault stall 2"));
        fd = rw();
        CHECK(watch(fd, "/stall"));
        served = qdb_test_counter("requests");
        CHECK(send_msg(fd, WRITE, "/stall", "x", 1));
        CHECK(wait_requests(served + 1));      /* the server has it, and stalls */
        CHECK(put(check, "/stall", "y"));       /* not even events go out */
        CHECK(quiet(fd));
        CHECK(send_msg(fd, READ, "/stall", NULL, 0));
        CHECK(quiet(fd));
        CHECK(value_is(check, "/stall", "y"));  /* the stalled write was not done */
}

static void test_fault_error_answers_error_unexecuted(void)
{
        _cleanup_close_ int fd = -1;

        CHECK(qdb_test_arm("fault error 1"));
        fd = rw();
        CHECK(send_msg(fd, WRITE, "/ferr", "x", 1));
        CHECK(expect(fd, RESP_ERROR, "/ferr"));
        CHECK(send_msg(fd, READ, "/ferr", NULL, 0) && expect(fd, RESP_NOENT, "/ferr"));
}

static void test_fault_watch_before_reply_puts_event_first(void)
{
        _cleanup_close_ int fd = -1;

        _cleanup_close_ int other = -1;

        CHECK(qdb_test_arm("fault watch-before-reply 2"));
        fd = rw();
        CHECK(put(fd, "/wbr", "1"));            /* no watch registered: still sent */
        CHECK(send_msg(fd, READ, "/wbr-missing", NULL, 0));
        CHECK(expect_event(fd, "/wbr-missing"));
        CHECK(expect(fd, RESP_NOENT, "/wbr-missing"));
        CHECK(send_msg(fd, RM, "/wbr", NULL, 0));
        CHECK(expect(fd, RESP_OK, "/wbr"));
        CHECK(quiet(fd));

        CHECK(qdb_test_arm("fault watch-before-reply 1 /other/path"));
        other = rw();
        CHECK(send_msg(other, READ, "/wbr", NULL, 0));
        CHECK(expect_event(other, "/other/path"));
        CHECK(expect(other, RESP_NOENT, "/wbr"));
}

static void test_fault_watch_amid_reply_splits_a_list(void)
{
        _cleanup_close_ int fd = -1;

        CHECK(qdb_test_arm("fault watch-amid-reply 3 /ev"));
        fd = rw();
        CHECK(put(fd, "/amid/a", "1"));
        CHECK(put(fd, "/amid/b", "2"));
        CHECK(send_msg(fd, LIST, "/amid/", NULL, 0));
        CHECK(expect_event(fd, "/ev"));
        CHECK(expect(fd, RESP_LIST, "/amid/a"));
        CHECK(expect_event(fd, "/ev"));
        CHECK(expect(fd, RESP_LIST, "/amid/b"));
        CHECK(expect_event(fd, "/ev"));
        CHECK(expect(fd, RESP_LIST, ""));
        CHECK(quiet(fd));
}

/* The reply to a READ of /c on a connection armed with `fault corrupt 1 KIND`. */
static bool corrupt_reply(const char *kind, struct msg *m)
{
        _cleanup_close_ int fd = -1;

        if (!qdb_test_arm("fault corrupt 1 %s", kind))
                return false;
        fd = rw();
        return send_msg(fd, READ, "/c", NULL, 0) && recv_msg(fd, m);
}

static void test_fault_corrupt_sends_each_malformed_kind(void)
{
        struct msg m;

        CHECK(corrupt_reply("type", &m) && m.type == 42);
        CHECK(corrupt_reply("path", &m) && !memchr(m.hdr + OFF_PATH, '\0', PATH_FIELD));
        CHECK(corrupt_reply("length", &m) && m.type == RESP_READ && m.len == 1u << 20);
        CHECK(corrupt_reply("echo", &m) && m.type == RESP_READ && streq(m.path, "/not-the-request"));
        CHECK(corrupt_reply("nul", &m) && m.type == RESP_READ && m.len == 3);
        CHECK(memcmp(m.data, "a\0b", 3) == 0);
        CHECK(corrupt_reply("reply", &m) && m.type == RESP_LIST && streq(m.path, "/c"));
        CHECK(!qdb_test_arm("fault corrupt 1 sideways"));
}

static void test_faults_go_to_the_next_connection_only(void)
{
        _cleanup_close_ int before = rw();
        _cleanup_close_ int armed = -1;
        _cleanup_close_ int after = -1;

        CHECK(qdb_test_arm("fault error 1"));
        /* either socket takes them; answered before the next one connects,
         * since the server may accept the two sockets' clients in any order */
        armed = ro();
        CHECK(send_msg(armed, READ, "/next", NULL, 0) && expect(armed, RESP_ERROR, "/next"));
        after = rw();
        CHECK(send_msg(before, READ, "/next", NULL, 0) && expect(before, RESP_NOENT, "/next"));
        CHECK(send_msg(after, READ, "/next", NULL, 0) && expect(after, RESP_NOENT, "/next"));
}

static void test_fault_clear_disarms(void)
{
        _cleanup_close_ int fd = -1;

        CHECK(qdb_test_arm("fault drop 1"));
        CHECK(qdb_test_arm("fault clear"));
        fd = rw();
        CHECK(send_msg(fd, READ, "/clear", NULL, 0) && expect(fd, RESP_NOENT, "/clear"));
}

/* ---- control commands ---- */

static void test_requests_counts_every_message(void)
{
        _cleanup_close_ int fd = rw();
        long long before = qdb_test_counter("requests");

        CHECK(before >= 0);
        CHECK(put(fd, "/count", "1"));
        CHECK(send_msg(fd, 99, "/count", NULL, 0) && expect(fd, RESP_ERROR, "/count"));
        CHECK_INT_EQ(qdb_test_counter("requests"), before + 2);
}

static void test_dump_lists_escaped_entries_in_order(void)
{
        _cleanup_close_ int fd = rw();
        _cleanup_free_ char *dump = NULL;
        char *at;

        CHECK(put(fd, "/zz/dump/b", "tab\there\\ \x7f\xc3\xa9"));
        CHECK(put(fd, "/zz/dump/a", "plain = value"));
        dump = qdb_test_control("dump");
        CHECK(dump);
        at = strstr(dump, "/zz/dump/a=plain = value\n/zz/dump/b=tab\\x09here\\\\ \\x7f\\xc3\\xa9\n");
        CHECK(at);
        CHECK(streq(at + strlen(at) - 1, "\n"));
}

static void test_unknown_control_command_is_refused(void)
{
        CHECK(!qdb_test_arm("frobnicate"));
        CHECK(!qdb_test_arm("fault drop 0"));
        CHECK(!qdb_test_arm("fault drop x"));
        CHECK(!qdb_test_arm("fault watch-before-reply 1 relative"));
}

int main(void)
{
        if (!getenv("QDB_TEST_SERVER_DIR")) {
                fprintf(stderr, "test-qdb-server: run me under tests/with-qubesdb\n");
                return 77;
        }

        RUN(test_reply_header_is_72_bytes_with_data_len_at_68);
        RUN(test_reply_echoes_path_field_and_padding);
        RUN(test_message_split_into_single_bytes_is_understood);
        RUN(test_pipelined_requests_are_answered_in_order);

        RUN(test_read_of_missing_entry_gives_error_noent);
        RUN(test_write_replaces_value_and_empty_value_is_kept);
        RUN(test_value_of_3071_bytes_is_kept_3072_refused);
        RUN(test_huge_data_len_is_skipped_then_refused);
        RUN(test_value_holding_nul_is_refused);
        RUN(test_write_to_path_ending_in_slash_is_refused_and_closes);
        RUN(test_invalid_paths_are_refused);
        RUN(test_path_of_63_bytes_passes_64_without_nul_is_refused);
        RUN(test_data_on_a_command_that_takes_none_is_refused);
        RUN(test_reply_and_unknown_types_are_refused);
        RUN(test_rm_removes_exact_entry_and_missing_gives_noent);
        RUN(test_rm_of_subtree_removes_below_but_not_itself);

        RUN(test_list_matches_plain_prefix_in_ascending_order);
        RUN(test_list_without_match_gives_only_the_end);
        RUN(test_list_end_marker_keeps_last_path_after_its_nul);
        RUN(test_multiread_gives_paths_with_values);

        RUN(test_read_only_socket_refuses_write_and_rm);

        RUN(test_exact_watch_fires_on_each_write_and_rm_not_children);
        RUN(test_watch_ending_in_slash_matches_by_prefix);
        RUN(test_watch_registered_twice_gives_two_events);
        RUN(test_rm_of_subtree_fires_once_with_its_slash_path);
        RUN(test_own_write_is_answered_before_its_event);
        RUN(test_every_watching_connection_gets_the_event);
        RUN(test_unwatch_drops_one_registration);
        RUN(test_watches_end_with_their_connection);

        RUN(test_fault_drop_closes_at_nth_request_unexecuted);
        RUN(test_fault_lose_executes_nth_request_unanswered);
        RUN(test_fault_stall_keeps_connection_open_and_silent);
        RUN(test_fault_error_answers_error_unexecuted);
        RUN(test_fault_watch_before_reply_puts_event_first);
        RUN(test_fault_watch_amid_reply_splits_a_list);
        RUN(test_fault_corrupt_sends_each_malformed_kind);
        RUN(test_faults_go_to_the_next_connection_only);
        RUN(test_fault_clear_disarms);

        RUN(test_requests_counts_every_message);
        RUN(test_dump_lists_escaped_entries_in_order);
        RUN(test_unknown_control_command_is_refused);
        return check_summary();
}
