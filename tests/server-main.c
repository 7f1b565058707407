/* server-main.c: what the two test daemons' mains share. */
#include "server-main.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "parse.h"
#include "util.h"

int test_server_option(int c, const char *arg, const char *program, struct test_server_options *o)
{
        uint32_t fd;

        switch (c) {
        case TEST_SERVER_OPT_PIDFILE:
                o->pidfile = arg;
                return 1;
        case TEST_SERVER_OPT_READY_FD:
                if (parse_u32(arg, 10, &fd) < 0 || fd > INT32_MAX) {
                        fprintf(stderr, "%s: bad --ready-fd '%s'\n", program, arg);
                        return -EINVAL;
                }
                o->ready_fd = (int)fd;
                return 1;
        case TEST_SERVER_OPT_ARM:
                if (o->n_arms == TEST_SERVER_ARMS_MAX) {
                        fprintf(stderr, "%s: too many --arm\n", program);
                        return -EINVAL;
                }
                o->arms[o->n_arms++] = arg;
                return 1;
        case TEST_SERVER_OPT_EXIT_WITH_PARENT:
                o->exit_with_parent = true;
                return 1;
        case 'v':
                o->verbose = true;
                return 1;
        }
        return 0;
}

int test_server_listen(const char *path)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (strlen(path) >= sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        memcpy(addr.sun_path, path, strlen(path) + 1);

        /* a socket left by a killed server would make bind() fail */
        if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
                unlink(path);

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return -errno;
        if (listen(fd, 64) < 0) {
                int r = -errno;

                unlink(path);
                return r;
        }
        return TAKE_FD(fd);
}

int test_server_write_pidfile(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fprintf(f, "%d\n", (int)getpid());
        return fclose(TAKE_PTR(f)) == 0 ? 0 : -EIO;
}

int test_server_arm(const char *program, const char *env_name, const char *const *arms, unsigned n,
                    int (*execute)(void *server, const char *line), void *server)
{
        const char *env = getenv(env_name);
        _cleanup_free_ char *copy = env ? strdup(env) : NULL;
        char *save = NULL;

        for (unsigned i = 0; i < n; i++)
                if (execute(server, arms[i]) < 0) {
                        fprintf(stderr, "%s: bad --arm '%s'\n", program, arms[i]);
                        return -EINVAL;
                }
        if (env && !copy)
                return -ENOMEM;
        for (char *cmd = copy ? strtok_r(copy, ";", &save) : NULL; cmd; cmd = strtok_r(NULL, ";", &save)) {
                if (strspn(cmd, " \t") == strlen(cmd))
                        continue;
                if (execute(server, cmd) < 0) {
                        fprintf(stderr, "%s: bad %s command '%s'\n", program, env_name, cmd);
                        return -EINVAL;
                }
        }
        return 0;
}

int test_server_announce(int ready_fd, const char *format, ...)
{
        va_list ap;
        int r = 0;

        if (ready_fd < 0) {
                va_start(ap, format);
                vprintf(format, ap);
                va_end(ap);
                putchar('\n');
                return fflush(stdout) == 0 ? 0 : -EIO;
        }
        if (write(ready_fd, "READY\n", 6) != 6)
                r = -errno;
        close(ready_fd);
        return r;
}

int test_server_stop_signals(bool exit_with_parent)
{
        sigset_t mask;
        int fd;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        if (exit_with_parent && prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

int test_server_start(const char *program, const struct test_server_options *o, pid_t parent, int *stop_fd)
{
        if (o->ready_fd >= 0 && fcntl(o->ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
                fprintf(stderr, "%s: --ready-fd %d: %s\n", program, o->ready_fd, strerror(errno));
                return 2;
        }
        *stop_fd = test_server_stop_signals(o->exit_with_parent);
        if (*stop_fd < 0) {
                fprintf(stderr, "%s: signals: %s\n", program, strerror(-*stop_fd));
                return 1;
        }
        if (o->exit_with_parent && getppid() != parent)
                return 0;       /* the parent died before PDEATHSIG was set */
        return -1;
}
