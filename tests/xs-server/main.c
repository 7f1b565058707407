/* main.c: xs-test-server, a xenstore daemon for tests on hosts without Xen:
 * the command line, the listening socket, signals and the ready notice. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "parse.h"
#include "server.h"
#include "util.h"

#define ARMS_MAX 16

struct options {
        const char *socket_path;
        const char *pidfile;
        int ready_fd;
        bool exit_with_parent;
        bool verbose;
        const char *arms[ARMS_MAX];
        unsigned n_arms;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: xs-test-server --socket PATH [OPTIONS]\n"
                "\n"
                "A xenstore daemon for tests: speaks the wire protocol of <xen/io/xs_wire.h>\n"
                "on a unix socket (point libxenstore at it with XENSTORED_PATH=PATH), keeps\n"
                "the tree in memory, starting as a dom0 host's: /, /local, /local/domain,\n"
                "/local/domain/0 and /tool, all owned by dom0 (n0).\n"
                "\n"
                "Options:\n"
                "  --socket PATH       listen here (required; a stale socket is replaced)\n"
                "  --pidfile FILE      write the process id to FILE, removed on exit\n"
                "  --ready-fd N        write \"READY\\n\" to fd N and close it once listening;\n"
                "                      without it a line \"xs-test-server: listening on PATH\"\n"
                "                      goes to stdout\n"
                "  --arm 'CMD ARGS'    run a control command at start, before any client\n"
                "                      (repeatable); so does each ';'-separated command of\n"
                "                      the XS_TEST_SERVER_ARM environment variable\n"
                "  --exit-with-parent  terminate when the parent process dies\n"
                "  --verbose           log every request to stderr\n"
                "  --help              this text\n"
                "\n"
                "Control commands (XS_CONTROL: `xenstore-control CMD ARGS...`, dom0 only).\n"
                "fault and as-domain apply to the next connection accepted after them whose\n"
                "first request is not a control command, so several can be stacked; requests\n"
                "are counted from 1 and every message counts:\n"
                "%s\n"
                "\n"
                "Connections are dom0 (privileged) unless armed otherwise. The server exits\n"
                "on SIGTERM or SIGINT, removing the socket and the pidfile.\n",
                control_help_text);
}

static int parse_options(int argc, char **argv, struct options *o)
{
        enum { OPT_PIDFILE = 256, OPT_READY_FD, OPT_ARM, OPT_EXIT_WITH_PARENT };
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },
                { "pidfile", required_argument, NULL, OPT_PIDFILE },
                { "ready-fd", required_argument, NULL, OPT_READY_FD },
                { "arm", required_argument, NULL, OPT_ARM },
                { "exit-with-parent", no_argument, NULL, OPT_EXIT_WITH_PARENT },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { 0 }
        };
        uint32_t fd;
        int c;

        *o = (struct options) { .ready_fd = -1 };
        while ((c = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o->socket_path = optarg;
                        break;
                case OPT_PIDFILE:
                        o->pidfile = optarg;
                        break;
                case OPT_READY_FD:
                        if (parse_u32(optarg, 10, &fd) < 0 || fd > INT32_MAX) {
                                fprintf(stderr, "xs-test-server: bad --ready-fd '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->ready_fd = (int)fd;
                        break;
                case OPT_ARM:
                        if (o->n_arms == ARMS_MAX) {
                                fprintf(stderr, "xs-test-server: too many --arm\n");
                                return -EINVAL;
                        }
                        o->arms[o->n_arms++] = optarg;
                        break;
                case OPT_EXIT_WITH_PARENT:
                        o->exit_with_parent = true;
                        break;
                case 'v':
                        o->verbose = true;
                        break;
                case 'h':
                        usage(stdout);
                        exit(EXIT_SUCCESS);
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc || !o->socket_path) {
                usage(stderr);
                return -EINVAL;
        }
        return 0;
}

static int listen_on(const char *path)
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

static int write_pidfile(const char *path)
{
        _cleanup_fclose_ FILE *f = fopen(path, "we");

        if (!f)
                return -errno;
        fprintf(f, "%d\n", (int)getpid());
        return fclose(TAKE_PTR(f)) == 0 ? 0 : -EIO;
}

static int arm_from_options(struct server *s, const struct options *o)
{
        const char *env = getenv("XS_TEST_SERVER_ARM");
        _cleanup_free_ char *copy = env ? strdup(env) : NULL;
        char *save = NULL;
        int r;

        for (unsigned i = 0; i < o->n_arms; i++) {
                r = control_execute_line(s, o->arms[i]);
                if (r < 0) {
                        fprintf(stderr, "xs-test-server: bad --arm '%s'\n", o->arms[i]);
                        return r;
                }
        }
        if (env && !copy)
                return -ENOMEM;
        for (char *cmd = copy ? strtok_r(copy, ";", &save) : NULL; cmd;
             cmd = strtok_r(NULL, ";", &save)) {
                if (strspn(cmd, " \t") == strlen(cmd))
                        continue;
                r = control_execute_line(s, cmd);
                if (r < 0) {
                        fprintf(stderr, "xs-test-server: bad XS_TEST_SERVER_ARM command '%s'\n",
                                cmd);
                        return r;
                }
        }
        return 0;
}

static int announce_ready(const struct options *o)
{
        if (o->ready_fd < 0) {
                printf("xs-test-server: listening on %s\n", o->socket_path);
                return fflush(stdout) == 0 ? 0 : -EIO;
        }
        if (write(o->ready_fd, "READY\n", 6) != 6) {
                int r = -errno;

                close(o->ready_fd);
                return r;
        }
        close(o->ready_fd);
        return 0;
}

/* SIGTERM and SIGINT arrive as a readable fd that stops the poll loop. */
static int stop_signals_fd(bool exit_with_parent)
{
        sigset_t mask;
        int fd;

        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* a test runner killed with SIGKILL cannot stop us itself */
        if (exit_with_parent && prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
                return -errno;
        fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

int main(int argc, char **argv)
{
        _cleanup_close_ int listen_fd = -1, stop_fd = -1;
        pid_t parent = getppid();
        struct server server;
        struct options o;
        int r;

        if (parse_options(argc, argv, &o) < 0)
                return 2;
        if (o.ready_fd >= 0 && fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
                fprintf(stderr, "xs-test-server: --ready-fd %d: %s\n", o.ready_fd,
                        strerror(errno));
                return 2;
        }

        stop_fd = stop_signals_fd(o.exit_with_parent);
        if (stop_fd < 0) {
                fprintf(stderr, "xs-test-server: signals: %s\n", strerror(-stop_fd));
                return 1;
        }
        if (o.exit_with_parent && getppid() != parent)
                return 0;       /* the parent died before PDEATHSIG was set */

        listen_fd = listen_on(o.socket_path);
        if (listen_fd < 0) {
                fprintf(stderr, "xs-test-server: cannot listen on %s: %s\n", o.socket_path,
                        strerror(-listen_fd));
                return 1;
        }

        r = server_init(&server, listen_fd);
        if (r < 0) {
                fprintf(stderr, "xs-test-server: %s\n", strerror(-r));
                unlink(o.socket_path);
                return 1;
        }
        server.verbose = o.verbose;

        r = arm_from_options(&server, &o);
        if (r >= 0 && o.pidfile) {
                r = write_pidfile(o.pidfile);
                if (r < 0)
                        fprintf(stderr, "xs-test-server: cannot write %s: %s\n", o.pidfile,
                                strerror(-r));
        }
        if (r >= 0)
                r = announce_ready(&o);
        if (r >= 0) {
                r = server_run(&server, stop_fd);
                if (r < 0)
                        fprintf(stderr, "xs-test-server: %s\n", strerror(-r));
        }

        server_done(&server);
        unlink(o.socket_path);
        if (o.pidfile)
                unlink(o.pidfile);
        return r < 0 ? 1 : 0;
}
