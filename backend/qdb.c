/* qdb.c: the QubesDB connection: requests and their answers on a
 * non-blocking socket, each call bounded by one deadline, watch events that
 * arrive meanwhile kept in a bounded queue. The protocol checks are in
 * qdb-wire.c. */
#include "qdb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "log.h"
#include "qdb-wire.h"
#include "util.h"

/* A full backlog makes connect() on a unix socket fail with EAGAIN; we
 * try again this often until the deadline. */

struct event_queue {
        char (*paths)[QDB_PATH_MAX];    /* ring of QDB_EVENT_QUEUE_MAX, made on first use */
        size_t head, n;
        bool lost;                      /* an event was dropped since the last report */
};

struct qdb {
        int fd;
        int timeout_ms;
        int broken;                     /* 0, or why the stream is out of step */
        unsigned char in[QDB_MSG_MAX];  /* received, not yet taken */
        size_t in_len;
        struct event_queue events;
};

/* ---- paths and values ---- */

static bool path_char_is_valid(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '/' || c == '.' || c == ':' || c == '@' || c == '-';
}

/* -ENAMETOOLONG or -EINVAL as the daemon would refuse PATH; FOR_WRITE also
 * refuses a trailing '/', which the daemon answers by hanging up. */
static int check_path(const char *path, bool for_write)
{
        size_t len;

        if (!path)
                return -EINVAL;
        len = strnlen(path, QDB_PATH_MAX);
        if (len >= QDB_PATH_MAX)
                return -ENAMETOOLONG;
        /* the leading '/' also keeps out the '-' the daemon refuses there */
        if (path[0] != '/')
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (!path_char_is_valid(path[i]))
                        return -EINVAL;
        if (for_write && path[len - 1] == '/')
                return -EINVAL;
        return 0;
}

bool qdb_path_is_valid(const char *path)
{
        return check_path(path, false) == 0;
}

static int check_value(const char *value, size_t len)
{
        if (len > QDB_VALUE_MAX)
                return -EMSGSIZE;
        if (len > 0 && (!value || memchr(value, '\0', len)))
                return -EINVAL;
        return 0;
}

bool qdb_value_is_valid(const char *value, size_t len)
{
        return check_value(value, len) == 0;
}

/* ---- time ---- */

/* ---- opening and closing ---- */

int qdb_open_fd(int fd, int timeout_ms, struct qdb **out)
{
        _cleanup_close_ int owned = fd;
        struct qdb *db;
        int flags;

        if (fd < 0 || timeout_ms <= 0)
                return -EINVAL;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        db = calloc(1, sizeof(*db));
        if (!db)
                return -ENOMEM;
        db->fd = TAKE_FD(owned);
        db->timeout_ms = timeout_ms;
        *out = db;
        return 0;
}

int qdb_open(const char *socket_path, int timeout_ms, struct qdb **out)
{
        int fd;

        if (!socket_path || !*socket_path || timeout_ms <= 0)
                return -EINVAL;
        fd = unix_connect(socket_path, deadline_after(timeout_ms));
        return fd < 0 ? fd : qdb_open_fd(fd, timeout_ms, out);
}

void qdb_close(struct qdb *db)
{
        if (!db)
                return;
        closep(&db->fd);
        free(db->events.paths);
        free(db);
}

int qdb_fd(const struct qdb *db)
{
        return db->fd;
}

/* ---- the event queue ---- */

static void queue_event(struct event_queue *q, const char *path)
{
        if (!q->paths)
                q->paths = malloc(QDB_EVENT_QUEUE_MAX * sizeof(*q->paths));
        if (!q->paths || q->n == QDB_EVENT_QUEUE_MAX) {
                q->lost = true;         /* the caller rescans when told */
                return;
        }
        memcpy(q->paths[(q->head + q->n) % QDB_EVENT_QUEUE_MAX], path, strlen(path) + 1);
        q->n++;
}

/* ---- sending and receiving ---- */

static int send_all(struct qdb *db, const unsigned char *buf, size_t len, int64_t deadline)
{
        while (len > 0) {
                /* MSG_NOSIGNAL: a daemon gone is -EPIPE, not a dead caller */
                ssize_t n = send(db->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                return -errno;
                        r = fd_wait(db->fd, POLLOUT, deadline);
                        if (r < 0)
                                return r;
                        continue;
                }
                buf += n;
                len -= (size_t)n;
        }
        return 0;
}

/* More bytes from the daemon into db->in, waiting until DEADLINE. */
static int receive_some(struct qdb *db, int64_t deadline)
{
        for (;;) {
                ssize_t n = recv(db->fd, db->in + db->in_len, sizeof(db->in) - db->in_len,
                                 MSG_DONTWAIT);
                int r;

                if (n > 0) {
                        db->in_len += (size_t)n;
                        return 0;
                }
                if (n == 0)
                        return -ECONNRESET;     /* the daemon hung up */
                if (errno == EINTR)
                        continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                        return -errno;
                r = fd_wait(db->fd, POLLIN, deadline);
                if (r < 0)
                        return r;
        }
}

/* The next whole message into *MSG; its data stays valid until
 * drop_message(db, *USED). */
static int next_message(struct qdb *db, int64_t deadline, struct qdb_msg *msg, size_t *used)
{
        for (;;) {
                ssize_t n = qdb_wire_parse(db->in, db->in_len, msg);
                int r;

                if (n < 0)
                        return (int)n;
                if (n > 0) {
                        *used = (size_t)n;
                        return 0;
                }
                /* cannot be: QDB_MSG_MAX bytes hold any message the parser takes */
                if (db->in_len == sizeof(db->in))
                        return -EPROTO;
                r = receive_some(db, deadline);
                if (r < 0)
                        return r;
        }
}

static void drop_message(struct qdb *db, size_t used)
{
        memmove(db->in, db->in + used, db->in_len - used);
        db->in_len -= used;
}

/* What the caller of an exchange gets for each entry and for the end. */
struct answer {
        int (*entry)(struct answer *a, const struct qdb_msg *msg);
        char *value;                    /* READ */
        size_t value_len;
        struct entry_list *list;        /* LIST, MULTIREAD */
};

static int answer_keep_value(struct answer *a, const struct qdb_msg *msg)
{
        a->value = strndup(msg->data, msg->data_len);
        a->value_len = msg->data_len;
        return a->value ? 0 : -ENOMEM;
}

/* Send a request, then read until its answer is complete, queueing the
 * watch events that come first or in between. Returns the answer's result
 * (0, -ENOENT, -EREMOTEIO) or an error that leaves the stream out of step. */
static int exchange_run(struct qdb *db, uint8_t type, const char *path, const char *data,
                        size_t len, struct answer *a)
{
        unsigned char buf[QDB_MSG_MAX];
        int64_t deadline = deadline_after(db->timeout_ms);
        struct qdb_exchange x;
        int r;

        qdb_exchange_begin(&x, type, path);
        r = send_all(db, buf, qdb_wire_encode(type, path, data, len, buf), deadline);
        while (r >= 0) {
                struct qdb_msg msg;
                size_t used;
                int step, result = 0;

                r = next_message(db, deadline, &msg, &used);
                if (r < 0)
                        break;
                step = r = qdb_exchange_take(&x, &msg, &result);
                if (step == QDB_STEP_EVENT)
                        queue_event(&db->events, msg.path);
                else if (step == QDB_STEP_ENTRY)
                        r = a->entry(a, &msg);
                else if (step == QDB_STEP_DONE && result == 0 && type == QDB_CMD_READ)
                        r = answer_keep_value(a, &msg);
                drop_message(db, used);
                if (r >= 0 && step == QDB_STEP_DONE)
                        return result;
        }
        db->broken = r;
        return r;
}

static int exchange(struct qdb *db, uint8_t type, const char *path, const char *data,
                    size_t len, struct answer *a)
{
        struct answer none = { 0 };
        int r;

        if (db->broken)
                return -ENOTCONN;
        r = exchange_run(db, type, path, data, len, a ? a : &none);
        log_debug("QubesDB %s %s: %s", qdb_wire_type_name(type), path, r < 0 ? strerror(-r) : "ok");
        return r;
}

/* ---- requests ---- */

int qdb_read(struct qdb *db, const char *path, char **value, size_t *len)
{
        struct answer a = { 0 };
        int r = check_path(path, false);

        if (r < 0)
                return r;
        r = exchange(db, QDB_CMD_READ, path, NULL, 0, &a);
        if (r < 0)
                return r;
        *value = a.value;
        if (len)
                *len = a.value_len;
        return 0;
}

int qdb_write(struct qdb *db, const char *path, const char *value, size_t len)
{
        int r = check_path(path, true);

        if (r < 0)
                return r;
        r = check_value(value, len);
        if (r < 0)
                return r;
        return exchange(db, QDB_CMD_WRITE, path, value, len, NULL);
}

static int simple_request(struct qdb *db, uint8_t type, const char *path)
{
        int r = check_path(path, false);

        if (r < 0)
                return r;
        return exchange(db, type, path, NULL, 0, NULL);
}

int qdb_rm(struct qdb *db, const char *path)
{
        return simple_request(db, QDB_CMD_RM, path);
}

int qdb_watch(struct qdb *db, const char *path)
{
        return simple_request(db, QDB_CMD_WATCH, path);
}

int qdb_unwatch(struct qdb *db, const char *path)
{
        return simple_request(db, QDB_CMD_UNWATCH, path);
}

/* ---- LIST and MULTIREAD: entries gathered, then packed in one block ---- */

struct entry_list {
        struct qdb_entry *v;
        size_t n, cap;
        size_t bytes;                   /* of all strings with their NULs */
};

static void entry_list_clear(struct entry_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].path);
                free(l->v[i].value);
        }
        free(l->v);
        *l = (struct entry_list) { 0 };
}

static int entry_list_add(struct answer *a, const struct qdb_msg *msg)
{
        struct entry_list *l = a->list;
        struct qdb_entry e = { .len = msg->data_len };

        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 16;
                struct qdb_entry *v = reallocarray(l->v, cap, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        e.path = strdup(msg->path);
        e.value = strndup(msg->data, msg->data_len);
        if (!e.path || !e.value) {
                free(e.path);
                free(e.value);
                return -ENOMEM;
        }
        l->v[l->n++] = e;
        l->bytes += strlen(e.path) + 1 + e.len + 1;
        return 0;
}

static int gather(struct qdb *db, uint8_t type, const char *prefix, struct entry_list *l)
{
        struct answer a = { .entry = entry_list_add, .list = l };
        int r = check_path(prefix, false);

        if (r < 0)
                return r;
        return exchange(db, type, prefix, NULL, 0, &a);
}

static char *copy_string(char **to, const char *s, size_t len)
{
        char *start = *to;

        memcpy(start, s, len);
        start[len] = '\0';
        *to += len + 1;
        return start;
}

/* L's entries in one allocation the caller frees at once: N + 1 slots of
 * SLOT bytes (the last zeroed), then the strings. */
static void *pack(const struct entry_list *l, size_t slot, char **strings)
{
        char *v = calloc(1, (l->n + 1) * slot + l->bytes);

        if (v)
                *strings = v + (l->n + 1) * slot;
        return v;
}

int qdb_list(struct qdb *db, const char *prefix, char ***paths, size_t *count)
{
        _cleanup_(entry_list_clear) struct entry_list l = { 0 };
        char **v, *s;
        int r;

        r = gather(db, QDB_CMD_LIST, prefix, &l);
        if (r < 0)
                return r;
        v = pack(&l, sizeof(*v), &s);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < l.n; i++)
                v[i] = copy_string(&s, l.v[i].path, strlen(l.v[i].path));
        *paths = v;
        *count = l.n;
        return 0;
}

int qdb_multiread(struct qdb *db, const char *prefix, struct qdb_entry **entries, size_t *count)
{
        _cleanup_(entry_list_clear) struct entry_list l = { 0 };
        struct qdb_entry *v;
        char *s;
        int r;

        r = gather(db, QDB_CMD_MULTIREAD, prefix, &l);
        if (r < 0)
                return r;
        v = pack(&l, sizeof(*v), &s);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < l.n; i++) {
                v[i].path = copy_string(&s, l.v[i].path, strlen(l.v[i].path));
                v[i].value = copy_string(&s, l.v[i].value, l.v[i].len);
                v[i].len = l.v[i].len;
        }
        *entries = v;
        *count = l.n;
        return 0;
}

/* ---- watch events ---- */

static int pop_event(struct event_queue *q, char **path)
{
        char *p = strdup(q->paths[q->head]);

        if (!p)
                return -ENOMEM;
        q->head = (q->head + 1) % QDB_EVENT_QUEUE_MAX;
        q->n--;
        *path = p;
        return 0;
}

int qdb_next_watch_event(struct qdb *db, int timeout_ms, char **path)
{
        int64_t deadline = deadline_after(timeout_ms);
        struct qdb_exchange x;
        struct qdb_msg msg;
        size_t used;
        int r, result;

        if (db->events.lost) {
                db->events.lost = false;
                return -ENOBUFS;
        }
        if (db->events.n > 0)
                return pop_event(&db->events, path);
        if (db->broken)
                return -ENOTCONN;

        qdb_exchange_begin(&x, QDB_NO_REQUEST, NULL);
        r = next_message(db, deadline, &msg, &used);
        if (r == -ETIMEDOUT)
                return r;               /* nothing came: still in step */
        if (r >= 0)
                r = qdb_exchange_take(&x, &msg, &result);
        if (r >= 0) {
                *path = strdup(msg.path);
                drop_message(db, used);
                return *path ? 0 : -ENOMEM;
        }
        db->broken = r;
        return r;
}
