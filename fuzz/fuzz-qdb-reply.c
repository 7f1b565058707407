/* fuzz-qdb-reply.c: the QubesDB client (backend/qdb.c, qdb-wire.c) on any
 * byte stream a daemon may send. Two views of the same bytes must agree:
 *
 * - the pure layer, message by message: qdb_wire_parse() frames and refuses
 *   exactly as a framer written here from SPEC §6 says, and
 *   qdb_exchange_take() judges each message as rules written here say
 *   (which reply types each request gets, echoed paths, entries under the
 *   prefix and ascending, ERROR only first, events only with a path);
 * - the real client on a socketpair holding the stream and then EOF: the
 *   call returns what the pure layer's outcome says (never a timeout), with
 *   the value or entries of the messages, the events that came first kept
 *   in order (at most QDB_EVENT_QUEUE_MAX, then -ENOBUFS), and afterwards
 *   qdb_next_watch_event() walks the rest of the stream the same way.
 *
 * Input: a byte choosing the call (read, write, multiread, list, rm, watch,
 * unwatch, or only waiting for events), a byte choosing its path from a
 * table, then the daemon's bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-util.h"
#include "qdb-wire.h"
#include "qdb.h"
#include "util.h"

#define HDR FUZZ_QDB_HDR
#define CALLS 8
#define EVENTS_MAX 4096
#define ENTRIES_MAX 4096
#define STREAM_MAX 65536        /* fits a socketpair's buffer */

static const char *const paths[] = { "/a", "/a/", "/", "/qubes-block-devices", "/b/c" };

/* What the pure layer says the call must give. */
struct outcome {
        int r;                          /* the call's result */
        size_t used;                    /* bytes up to the end of the answer */
        char events[EVENTS_MAX][QDB_PATH_MAX];
        size_t n_events;
        struct qdb_msg entries[ENTRIES_MAX];    /* ENTRY messages, and the READ reply */
        size_t n_entries;
        struct qdb_msg value;
};

static struct outcome want;

/* ---- the rules, written out apart from qdb-wire.c ---- */

/* What qdb_wire_parse() must return at BUF (LEN bytes). */
static ssize_t frame_rule(const unsigned char *buf, size_t len)
{
        const char *nul;
        uint32_t data_len;
        bool data_type;

        if (len < HDR)
                return 0;
        if (buf[0] < 7 || buf[0] > 13)
                return -EPROTO;
        nul = memchr(buf + 1, '\0', 64);
        if (!nul || (nul != (const char *)buf + 1 && !fuzz_qdb_path_valid((const char *)buf + 1)))
                return -EPROTO;
        memcpy(&data_len, buf + 68, 4);
        data_type = buf[0] == 10 || buf[0] == 11;
        if (data_len > (data_type ? 3071u : 0u))
                return -EPROTO;
        if (len - HDR < data_len)
                return 0;
        if (memchr(buf + HDR, '\0', data_len))
                return -EPROTO;
        return HDR + (ssize_t)data_len;
}

/* The step (or -EPROTO) and result qdb_exchange_take() must give. */
static int step_rule(uint8_t request, const char *req_path, const char *last, size_t entries,
                     const struct qdb_msg *m, int *result)
{
        bool echo = strcmp(m->path, req_path) == 0;
        bool listing = request == QDB_CMD_LIST || request == QDB_CMD_MULTIREAD;

        if (m->type == 13)
                return m->path[0] ? QDB_STEP_EVENT : -EPROTO;
        if (request == QDB_NO_REQUEST)
                return -EPROTO;
        if (m->type == 9) {
                *result = -EREMOTEIO;
                return entries == 0 ? QDB_STEP_DONE : -EPROTO;
        }
        if (listing) {
                if (m->type != (request == QDB_CMD_LIST ? 12 : 11))
                        return -EPROTO;
                if (!m->path[0]) {      /* the end: "an empty path and data_len 0" */
                        *result = 0;
                        return m->data_len == 0 ? QDB_STEP_DONE : -EPROTO;
                }
                if (strncmp(m->path, req_path, strlen(req_path)) != 0 ||
                    m->path[strlen(m->path) - 1] == '/' || (entries && strcmp(m->path, last) <= 0))
                        return -EPROTO;
                return QDB_STEP_ENTRY;
        }
        *result = m->type == 8 ? -ENOENT : 0;
        if (!echo)
                return -EPROTO;
        switch (request) {
        case QDB_CMD_READ:
                return m->type == 10 || m->type == 8 ? QDB_STEP_DONE : -EPROTO;
        case QDB_CMD_RM:
        case QDB_CMD_UNWATCH:
                return m->type == 7 || m->type == 8 ? QDB_STEP_DONE : -EPROTO;
        default:
                return m->type == 7 ? QDB_STEP_DONE : -EPROTO;
        }
}

/* Walk the stream from OFF as the answer to REQUEST, checking each step
 * against the rules; the outcome into want. */
static void simulate(const unsigned char *buf, size_t len, size_t off, uint8_t request,
                     const char *path)
{
        struct qdb_exchange x;
        char last[QDB_PATH_MAX] = "";

        want.n_events = want.n_entries = 0;
        qdb_exchange_begin(&x, request, path);
        for (;;) {
                struct qdb_msg m;
                ssize_t used = qdb_wire_parse(buf + off, len - off, &m), rule;
                int step, result = 1, rule_result = 1, rule_step;

                rule = frame_rule(buf + off, len - off);
                FUZZ_CHECK(used == rule, "parse gave %zd, the rule %zd at %zu", used, rule, off);
                if (used <= 0) {
                        want.r = used < 0 ? -EPROTO : -ECONNRESET;
                        return;
                }
                FUZZ_CHECK(m.type == buf[off] && strcmp(m.path, (const char *)buf + off + 1) == 0 &&
                           m.data == (const char *)buf + off + HDR &&
                           m.data_len == (size_t)used - HDR, "message fields");
                step = qdb_exchange_take(&x, &m, &result);
                rule_step = step_rule(request, path, last, want.n_entries, &m, &rule_result);
                FUZZ_CHECK(step == rule_step, "type %u '%s' after %zu entries: step %d, rule %d",
                           m.type, m.path, want.n_entries, step, rule_step);
                off += (size_t)used;
                if (step < 0) {
                        want.r = step;
                        return;
                }
                if (step == QDB_STEP_EVENT && want.n_events < EVENTS_MAX)
                        strcpy(want.events[want.n_events++], m.path);
                if (step == QDB_STEP_ENTRY && want.n_entries < ENTRIES_MAX) {
                        want.entries[want.n_entries++] = m;
                        strcpy(last, m.path);
                }
                if (step == QDB_STEP_DONE) {
                        FUZZ_CHECK(result == rule_result, "result %d, rule %d", result, rule_result);
                        want.r = result;
                        want.value = m;
                        want.used = off;
                        return;
                }
        }
}

/* ---- the real client ---- */

/* A client on a socketpair whose other end (*DAEMON, kept open so that the
 * request can be sent) holds the stream, then EOF. *LEN is cut to what the
 * socket's buffer took. */
static struct qdb *client_on(const unsigned char *buf, size_t *len, int *daemon)
{
        struct qdb *db = NULL;
        size_t sent = 0;
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        while (sent < *len) {
                ssize_t n = send(sv[1], buf + sent, *len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);

                if (n <= 0)
                        break;
                sent += (size_t)n;
        }
        *len = sent;
        shutdown(sv[1], SHUT_WR);
        *daemon = sv[1];
        if (qdb_open_fd(sv[0], 1000, &db) < 0)
                abort();
        return db;
}

static bool msg_is(const struct qdb_msg *m, const char *path, const char *value, size_t len)
{
        return strcmp(m->path, path) == 0 && m->data_len == len && memcmp(m->data, value, len) == 0;
}

static int run_call(struct qdb *db, unsigned call, const char *path)
{
        _cleanup_free_ char *value = NULL;
        _cleanup_free_ char **list = NULL;
        _cleanup_free_ struct qdb_entry *entries = NULL;
        size_t len = 0, n = 0;
        int r;

        switch (call) {
        case QDB_CMD_READ:
                r = qdb_read(db, path, &value, &len);
                if (r == 0)
                        FUZZ_CHECK(value[len] == '\0' && msg_is(&want.value, path, value, len),
                                   "READ value differs");
                return r;
        case QDB_CMD_WRITE:
                return qdb_write(db, path, "v", 1);
        case QDB_CMD_LIST:
                r = qdb_list(db, path, &list, &n);
                if (r == 0) {
                        FUZZ_CHECK(n == want.n_entries && list[n] == NULL, "%zu paths listed", n);
                        for (size_t i = 0; i < n; i++)
                                FUZZ_CHECK(strcmp(list[i], want.entries[i].path) == 0, "path %zu", i);
                }
                return r;
        case QDB_CMD_MULTIREAD:
                r = qdb_multiread(db, path, &entries, &n);
                if (r == 0) {
                        FUZZ_CHECK(n == want.n_entries && !entries[n].path, "%zu entries read", n);
                        for (size_t i = 0; i < n; i++)
                                FUZZ_CHECK(entries[i].value[entries[i].len] == '\0' &&
                                           msg_is(&want.entries[i], entries[i].path,
                                                  entries[i].value, entries[i].len), "entry %zu", i);
                }
                return r;
        case QDB_CMD_RM:
                return qdb_rm(db, path);
        case QDB_CMD_WATCH:
                return qdb_watch(db, path);
        default:
                return qdb_unwatch(db, path);
        }
}

/* The events kept during the call, in order, the queue's bound respected. */
static void check_kept_events(struct qdb *db)
{
        size_t kept = want.n_events < QDB_EVENT_QUEUE_MAX ? want.n_events : QDB_EVENT_QUEUE_MAX;
        char *ev = NULL;

        if (want.n_events > QDB_EVENT_QUEUE_MAX)
                FUZZ_CHECK(qdb_next_watch_event(db, 0, &ev) == -ENOBUFS, "no -ENOBUFS");
        for (size_t i = 0; i < kept; i++) {
                FUZZ_CHECK(qdb_next_watch_event(db, 0, &ev) == 0 &&
                           strcmp(ev, want.events[i]) == 0, "event %zu", i);
                free(ev);
        }
}

/* After the call: qdb_next_watch_event() walks the rest of the stream:
 * events, then what ends it; then the connection refuses. */
static void check_rest(struct qdb *db, const unsigned char *buf, size_t len, size_t off)
{
        char *ev = NULL;
        int r;

        simulate(buf, len, off, QDB_NO_REQUEST, "");
        for (size_t i = 0; i < want.n_events; i++) {
                r = qdb_next_watch_event(db, 0, &ev);
                FUZZ_CHECK(r == 0 && strcmp(ev, want.events[i]) == 0, "event %zu after the answer: %d",
                           i, r);
                free(ev);
        }
        r = qdb_next_watch_event(db, 0, &ev);
        FUZZ_CHECK(r == want.r, "the stream's end gave %d, expected %d", r, want.r);
        r = qdb_next_watch_event(db, 0, &ev);
        FUZZ_CHECK(r == -ENOTCONN, "usable after its end: %d", r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *stream;
        const char *path;
        unsigned call;
        size_t len;
        struct qdb *db;
        char *ev = NULL;
        int r, daemon;

        fuzz_begin(data, size);
        if (size < 2 || size - 2 > STREAM_MAX)
                return FUZZ_REJECT;
        call = data[0] % CALLS;
        path = paths[data[1] % ARRAY_SIZE(paths)];
        len = size - 2;
        stream = fuzz_buffer(len);      /* reads past it are ASan's */
        memcpy(stream, data + 2, len);

        db = client_on(stream, &len, &daemon);
        if (call == CALLS - 1) {
                check_rest(db, stream, len, 0);
        } else if (call == QDB_CMD_WRITE && path[strlen(path) - 1] == '/') {
                /* refused before sending: the stream is all unasked for */
                FUZZ_CHECK(run_call(db, call, path) == -EINVAL, "write to %s not refused", path);
                check_rest(db, stream, len, 0);
        } else {
                simulate(stream, len, 0, (uint8_t)call, path);
                r = run_call(db, call, path);
                FUZZ_CHECK(r == want.r, "call %u on %s gave %d, the stream says %d", call, path,
                           r, want.r);
                check_kept_events(db);
                if (r >= 0 || r == -ENOENT || r == -EREMOTEIO)
                        check_rest(db, stream, len, want.used);
                else
                        FUZZ_CHECK(qdb_next_watch_event(db, 0, &ev) == -ENOTCONN,
                                   "usable after %d", r);
        }
        qdb_close(db);
        close(daemon);
        free(stream);
        return 0;
}
