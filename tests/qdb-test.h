/* qdb-test.h: what the QubesDB test programs share (run under
 * tests/with-qubesdb): the test server's directory, its sockets, and its
 * control commands. */
#pragma once

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* long enough for a loaded machine, short enough to fail a hung test fast */
#define QDB_TEST_WAIT_MS 5000

/* DIR/NAME for the server's directory; a few results stay valid at once. */
static inline const char *qdb_test_path(const char *name)
{
        static char ring[4][256];
        static unsigned next;
        const char *dir = getenv("QDB_TEST_SERVER_DIR");
        char *buf = ring[next++ % ARRAY_SIZE(ring)];

        snprintf(buf, sizeof(ring[0]), "%s/%s", dir ? dir : "(no QDB_TEST_SERVER_DIR)", name);
        return buf;
}

/* A stream socket connected to the server's socket NAME, or -1. */
static inline int qdb_test_connect(const char *name)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int fd;

        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", qdb_test_path(name));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

/* Run the control command printf'd from FMT: its output (malloc'd), or NULL
 * with the server's reason on stdout. */
static inline char *qdb_test_control(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *qdb_test_control(const char *fmt, ...)
{
        _cleanup_close_ int fd = qdb_test_connect("control");
        _cleanup_free_ char *reply = NULL;
        char line[1024];
        size_t len = 0, cap = 0;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
        va_end(ap);
        if (fd < 0 || n < 0 || (size_t)n >= sizeof(line) - 1)
                return NULL;
        line[n++] = '\n';
        if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n)
                return NULL;
        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t got;

                if (len + 4097 > cap) {
                        char *r = realloc(reply, cap = cap ? cap * 2 : 8192);

                        if (!r)
                                return NULL;
                        reply = r;
                }
                if (poll(&p, 1, QDB_TEST_WAIT_MS) <= 0)
                        return NULL;
                got = read(fd, reply + len, cap - len - 1);
                if (got < 0)
                        return NULL;
                if (got == 0)
                        break;
                len += (size_t)got;
        }
        reply[len] = '\0';
        if (!startswith(reply, "OK\n")) {
                printf("  control '%.*s': %s", n - 1, line, reply);
                return NULL;
        }
        memmove(reply, reply + 3, len - 2);
        return TAKE_PTR(reply);
}

/* Does the control command succeed? (Faults, fault clear.) */
#define qdb_test_arm(...)                                                      \
        ({                                                                     \
                char *qdb_test_out_ = qdb_test_control(__VA_ARGS__);           \
                bool qdb_test_ok_ = qdb_test_out_ != NULL;                     \
                free(qdb_test_out_);                                           \
                qdb_test_ok_;                                                  \
        })

/* A counter command's number ("requests", "watches"), or -1. */
static inline long long qdb_test_counter(const char *name)
{
        _cleanup_free_ char *out = qdb_test_control("%s", name);
        char *end;
        long long n;

        if (!out)
                return -1;
        n = strtoll(out, &end, 10);
        return end != out && streq(end, "\n") ? n : -1;
}
