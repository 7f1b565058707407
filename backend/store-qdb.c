/* store-qdb.c: the entries in QubesDB (SPEC §6), which has no
 * transactions: an update holds the subtree's lock in the runtime dir
 * (every writer of ours takes it, helpers and the monitor alike), writes
 * the leaves, then the trigger dom0 watches.
 *
 * dom0 sees a change only with its trigger. An update that failed after
 * writing (the daemon gone, a reply lost) owes it: the lock file holds a
 * byte from the first write to the trigger, and the next update of the
 * subtree writes the trigger even when it finds nothing left to change. */
#include "store-impl.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "configure.h"
#include "qdb.h"
#include "settings.h"
#include "util.h"

/* Every wait for the daemon, and for the lock (another writer's update
 * takes milliseconds), bounded well under what the callers may take. */
#define STORE_QDB_TIMEOUT_MS 10000
#define STORE_QDB_LOCK_TIMEOUT_MS 10000

struct store_qdb {
        struct store base;
        struct qdb *db;
        int lock;               /* in an update: the subtree's lock file */
        bool owing;             /* it says a trigger is owed */
};

static struct qdb *batch_db(const struct store_batch *b)
{
        return ((struct store_qdb *)b->store)->db;
}

/* An entry's keys share the prefix "SUBTREE/NAME/": one MULTIREAD. */
static int qdb_get_entry(struct store_batch *b, char paths[][STORE_PATH_MAX], size_t n, char **values,
                         struct reason *why)
{
        _cleanup_free_ struct qdb_entry *entries = NULL;
        char prefix[STORE_PATH_MAX];
        const char *slash = strrchr(paths[0], '/');
        size_t count = 0;
        int r;

        memset(values, 0, n * sizeof(*values));
        snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - paths[0] + 1), paths[0]);
        r = qdb_multiread(batch_db(b), prefix, &entries, &count);
        if (r < 0)
                return reason_set_errno(why, r, "cannot read QubesDB %s", prefix);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < count && !values[i]; j++)
                        if (streq(entries[j].path, paths[i]) && strlen(entries[j].value) == entries[j].len &&
                            !(values[i] = strdup(entries[j].value))) {
                                for (size_t k = 0; k < i; k++)
                                        free(values[k]);
                                return reason_set_errno(why, -ENOMEM, "cannot read QubesDB %s", prefix);
                        }
        return 0;
}

/* Before a write: the trigger is owed from now on. */
static int owe_trigger(struct store_batch *b, struct reason *why)
{
        struct store_qdb *q = (struct store_qdb *)b->store;

        if (q->owing)
                return 0;
        if (ftruncate(q->lock, 1) < 0)
                return reason_set_errno(why, negative_errno(), "cannot mark the %s lock file", b->subtree);
        q->owing = true;
        return 0;
}

static int qdb_set(struct store_batch *b, const char *path, const char *value, struct reason *why)
{
        int r = owe_trigger(b, why);

        if (r < 0)
                return r;
        r = qdb_write(batch_db(b), path, value, strlen(value));

        return r < 0 ? reason_set_errno(why, r, "cannot write QubesDB %s", path) : 0;
}

static int qdb_set_many(struct store_batch *b, char paths[][STORE_PATH_MAX], const char *const *values, size_t n,
                        struct reason *why)
{
        int r = 0;

        for (size_t i = 0; i < n && r == 0; i++)
                r = qdb_set(b, paths[i], values[i], why);
        return r;
}

/* RM of "P/" removes everything below P, keys others wrote included: the
 * device is gone or no longer offered. */
static int qdb_drop(struct store_batch *b, const char *path, struct reason *why)
{
        char prefix[STORE_PATH_MAX + 1];
        int r;

        if (snprintf(prefix, sizeof(prefix), "%s/", path) >= (int)sizeof(prefix))
                return reason_set(why, -ENAMETOOLONG, "QubesDB path %s/ is too long", path);
        r = owe_trigger(b, why);
        if (r < 0)
                return r;
        r = qdb_rm(batch_db(b), prefix);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? reason_set_errno(why, r, "cannot remove QubesDB %s", prefix) : 1;
}

static int qdb_exists(struct store_batch *b, const char *path, struct reason *why)
{
        _cleanup_free_ char **paths = NULL;
        char prefix[STORE_PATH_MAX + 1];
        size_t n = 0;
        int r;

        snprintf(prefix, sizeof(prefix), "%s/", path);
        r = qdb_list(batch_db(b), prefix, &paths, &n);
        if (r < 0)
                return reason_set_errno(why, r, "cannot list QubesDB %s", prefix);
        return n > 0;
}

/* The entry names: the component after PATH/ of every key below it. */
static int qdb_names(struct store_batch *b, const char *path, char ***out, struct reason *why)
{
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        char prefix[STORE_PATH_MAX + 1];
        char **paths = NULL;
        size_t n = 0;
        int r;

        if (!names)
                return -ENOMEM;
        snprintf(prefix, sizeof(prefix), "%s/", path);
        r = qdb_list(batch_db(b), prefix, &paths, &n);
        if (r < 0)
                return reason_set_errno(why, r, "cannot list QubesDB %s", prefix);
        for (size_t i = 0; i < n && r == 0; i++) {
                const char *name = paths[i] + strlen(prefix);
                size_t len = strcspn(name, "/");
                char buf[STORE_PATH_MAX];

                if (!startswith(paths[i], prefix) || len == 0 || len >= sizeof(buf))
                        continue;
                memcpy(buf, name, len);
                buf[len] = '\0';
                if (!strv_contains(names, buf) && strv_extend(&names, buf) < 0)
                        r = -ENOMEM;
        }
        free(paths);                    /* one block, strings and all (qdb.h) */
        if (r < 0)
                return r;
        *out = TAKE_PTR(names);
        return 0;
}

static int qdb_check(const char *path, const char *value, struct reason *why)
{
        if (!qdb_path_is_valid(path))
                return reason_set(why, -ENAMETOOLONG, "QubesDB cannot hold path %s (fewer than %d bytes of "
                                  "[a-zA-Z0-9_/.:@-])", path, QDB_PATH_MAX);
        if (!qdb_value_is_valid(value, strlen(value)))
                return reason_set(why, -ENAMETOOLONG, "QubesDB cannot hold the %zu-byte value of %s (at most %d)",
                                  strlen(value), path, QDB_VALUE_MAX);
        return 0;
}

static int lock_path(const char *subtree, char *path, size_t size, struct reason *why)
{
        if (snprintf(path, size, "%s/qubesdb-%s.lock", QUBES_RUNTIME_DIR, subtree) >= (int)size)
                return reason_set(why, -ENAMETOOLONG, "runtime dir path is too long");
        return 0;
}

/* The subtree's lock, waited for at most STORE_QDB_LOCK_TIMEOUT_MS. */
static int lock_subtree(const char *subtree, struct reason *why)
{
        char path[STORE_PATH_MAX];
        struct timespec pause = { 0, 1000000 };
        _cleanup_close_ int fd = -1;
        int r = lock_path(subtree, path, sizeof(path), why);

        if (r < 0 || (r = runtime_dir_ensure(why)) < 0)
                return r;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open %s", path);
        for (long waited_ms = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited_ms += pause.tv_nsec / 1000000) {
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return reason_set_errno(why, negative_errno(), "cannot lock %s", path);
                if (waited_ms >= STORE_QDB_LOCK_TIMEOUT_MS)
                        return reason_set(why, -ETIMEDOUT, "cannot lock %s: another writer held it for %d s",
                                          path, STORE_QDB_LOCK_TIMEOUT_MS / 1000);
                nanosleep(&pause, NULL);
                if (pause.tv_nsec < 16000000)
                        pause.tv_nsec *= 2;
        }
        return TAKE_FD(fd);
}

static int qdb_update(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata, struct reason *why)
{
        struct store_qdb *q = (struct store_qdb *)s;
        _cleanup_close_ int lock = lock_subtree(b->subtree, why);
        char root[STORE_PATH_MAX];
        struct stat st;
        bool owed;
        int r;

        if (lock < 0)
                return lock;
        if (fstat(lock, &st) < 0)
                return reason_set_errno(why, negative_errno(), "cannot read the %s lock file", b->subtree);
        owed = st.st_size > 0;
        q->lock = lock;
        q->owing = owed;
        store_batch_path(b, root, sizeof(root), NULL, NULL);
        r = store_run_batch(b, fn, userdata, why);
        if (r >= 0 && !b->changed && owed) {
                int w = qdb_set(b, root, "", why);

                r = w < 0 ? w : r;
        }
        /* entries are written whole or not at all: those written before a
         * failure are seen only with the trigger */
        if (r < 0 && b->changed)
                qdb_write(batch_db(b), root, "", 0);
        if (r >= 0 && q->owing && ftruncate(lock, 0) < 0)
                r = reason_set_errno(why, negative_errno(), "cannot clear the %s lock file", b->subtree);
        q->lock = -1;
        return r;
}

/* Reads without the lock; an owed trigger makes it an update at once. */
static int qdb_probe(struct store *s, struct store_batch *b, store_update_fn fn, void *userdata,
                     struct reason *why)
{
        char path[STORE_PATH_MAX];
        struct stat st;

        if (lock_path(b->subtree, path, sizeof(path), why) < 0)
                return -ENAMETOOLONG;
        if (stat(path, &st) == 0 && st.st_size > 0)
                return STORE_WOULD_WRITE;
        return store_run_batch(b, fn, userdata, why);
}

static void qdb_close_store(struct store *s)
{
        struct store_qdb *q = (struct store_qdb *)s;

        qdb_close(q->db);
        free(q);
}

static int qdb_store_fd(const struct store *s)
{
        return qdb_fd(((const struct store_qdb *)s)->db);
}

static const struct store_ops qdb_ops = {
        .name = "QubesDB",
        .update = qdb_update,
        .probe = qdb_probe,
        .get_entry = qdb_get_entry,
        .set = qdb_set,
        .set_many = qdb_set_many,
        .drop = qdb_drop,
        .exists = qdb_exists,
        .list = qdb_names,
        .check = qdb_check,
        .close = qdb_close_store,
        .fd = qdb_store_fd,
        .path_prefix = "/",
};

int store_qdb_open(const char *socket_path, struct store **out, struct reason *why)
{
        struct store_qdb *q = calloc(1, sizeof(*q));
        int r;

        if (!q)
                return reason_set_errno(why, -ENOMEM, "cannot open the QubesDB store");
        r = qdb_open(socket_path, STORE_QDB_TIMEOUT_MS, &q->db);
        if (r < 0) {
                free(q);
                return reason_set_errno(why, r, "cannot connect to QubesDB (%s)", socket_path);
        }
        q->base.ops = &qdb_ops;
        q->lock = -1;
        *out = &q->base;
        return 0;
}
