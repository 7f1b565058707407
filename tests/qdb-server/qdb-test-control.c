/* qdb-test-control.c: `qdb-test-control [-d DIR] CMD ARGS...` sends one
 * control command to the QubesDB test server listening in DIR (default
 * $QDB_TEST_SERVER_DIR) and prints its output. Exit status 0, 1 when the
 * server refuses the command or cannot be reached (reason on stderr), 2 for
 * a usage error. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

/* A server that does not answer within this is taken as hung. */
#define REPLY_TIMEOUT_MS 10000
#define LINE_MAX_BYTES 1023

static int connect_control(const char *dir)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/control", dir) >=
            sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* The whole reply (the server closes after it), malloc'd into *OUT. */
static int read_reply(int fd, char **out)
{
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, cap = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                ssize_t n;

                if (len + 4096 + 1 > cap) {
                        char *b = realloc(buf, cap = cap ? cap * 2 : 8192);

                        if (!b)
                                return -ENOMEM;
                        buf = b;
                }
                n = poll(&p, 1, REPLY_TIMEOUT_MS);
                if (n == 0)
                        return -ETIMEDOUT;
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        *out = TAKE_PTR(buf);
        return 0;
}

static int send_line(int fd, int argc, char **argv)
{
        char line[LINE_MAX_BYTES + 1];
        size_t len = 0;

        for (int i = 0; i < argc; i++) {
                int n = snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "", argv[i]);

                if (n < 0 || (size_t)n >= sizeof(line) - len)
                        return -E2BIG;
                len += (size_t)n;
        }
        line[len++] = '\n';
        for (size_t off = 0; off < len;) {
                ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);

                if (n < 0)
                        return -errno;
                off += (size_t)n;
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *dir = getenv("QDB_TEST_SERVER_DIR");
        _cleanup_free_ char *reply = NULL;
        _cleanup_close_ int fd = -1;
        char *body;
        int r, opt;

        while ((opt = getopt(argc, argv, "+d:h")) != -1) {
                if (opt != 'd')
                        goto usage;
                dir = optarg;
        }
        if (optind >= argc || !dir || !*dir)
                goto usage;

        fd = connect_control(dir);
        r = fd < 0 ? fd : send_line(fd, argc - optind, argv + optind);
        if (r >= 0)
                r = read_reply(fd, &reply);
        if (r < 0) {
                fprintf(stderr, "qdb-test-control: %s/control: %s\n", dir, strerror(-r));
                return 1;
        }
        if (!startswith(reply, "OK\n")) {
                fprintf(stderr, "qdb-test-control: %s%s", reply, endswith(reply, "\n") ? "" : "\n");
                return 1;
        }
        body = reply + 3;
        fputs(body, stdout);
        return fflush(stdout) == 0 ? 0 : 1;

usage:
        fprintf(stderr, "Usage: qdb-test-control [-d DIR] COMMAND [ARG...]\n"
                "Sends COMMAND to the QubesDB test server in DIR (default $QDB_TEST_SERVER_DIR);\n"
                "`qdb-test-control help` lists the commands.\n");
        return 2;
}
