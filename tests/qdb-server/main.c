/* main.c: qdb-test-server, a QubesDB daemon for tests: the command line,
 * the three listening sockets, signals and the ready notice. */
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

/* The names in DIR, by enum conn_kind: as the daemon's, and the control socket. */
static const char *const socket_names[] = { "qubesdb.sock", "qubesdb.ro.sock", "control" };

struct options {
        const char *dir;
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
                "Usage: qdb-test-server --dir DIR [OPTIONS]\n"
                "\n"
                "A QubesDB daemon for tests: speaks the protocol of Qubes' qubesdb-daemon\n"
                "(shared/SPEC.md section 6) on DIR/qubesdb.sock (read-write) and\n"
                "DIR/qubesdb.ro.sock (read-only), keeps the database in memory, empty at\n"
                "start, and takes control commands on DIR/control (qdb-test-control).\n"
                "\n"
                "Options:\n"
                "  --dir DIR           create the sockets in DIR (required; stale sockets\n"
                "                      are replaced)\n"
                "  --pidfile FILE      write the process id to FILE, removed on exit\n"
                "  --ready-fd N        write \"READY\\n\" to fd N and close it once listening;\n"
                "                      without it a line \"qdb-test-server: listening in DIR\"\n"
                "                      goes to stdout\n"
                "  --arm 'CMD ARGS'    run a control command at start, before any client\n"
                "                      (repeatable); so does each ';'-separated command of\n"
                "                      the QDB_TEST_SERVER_ARM environment variable\n"
                "  --exit-with-parent  terminate when the parent process dies\n"
                "  --verbose           log every request to stderr\n"
                "  --help              this text\n"
                "\n"
                "Control commands (one line per connection to DIR/control; the reply is\n"
                "\"OK\" and the output, or \"ERROR: REASON\"). Faults apply to the next client\n"
                "connection accepted after them, on either socket, and stack; requests are\n"
                "counted from 1 per connection, every message included:\n"
                "%s"
                "\n"
                "The server exits on SIGTERM or SIGINT, removing its sockets and the pidfile.\n",
                control_help_text);
}

static int parse_options(int argc, char **argv, struct options *o)
{
        enum { OPT_DIR = 256, OPT_PIDFILE, OPT_READY_FD, OPT_ARM, OPT_EXIT_WITH_PARENT };
        static const struct option longopts[] = {
                { "dir", required_argument, NULL, OPT_DIR },
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
        while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
                switch (c) {
                case OPT_DIR:
                        o->dir = optarg;
                        break;
                case OPT_PIDFILE:
                        o->pidfile = optarg;
                        break;
                case OPT_READY_FD:
                        if (parse_u32(optarg, 10, &fd) < 0 || fd > INT32_MAX) {
                                fprintf(stderr, "qdb-test-server: bad --ready-fd '%s'\n", optarg);
                                return -EINVAL;
                        }
                        o->ready_fd = (int)fd;
                        break;
                case OPT_ARM:
                        if (o->n_arms == ARMS_MAX) {
                                fprintf(stderr, "qdb-test-server: too many --arm\n");
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
        if (optind < argc || !o->dir) {
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

/* The three sockets into FDS, their paths into PATHS (malloc'd). */
static int listen_all(const char *dir, int fds[3], char *paths[3])
{
        for (size_t i = 0; i < ARRAY_SIZE(socket_names); i++) {
                if (asprintf(&paths[i], "%s/%s", dir, socket_names[i]) < 0) {
                        paths[i] = NULL;
                        return -ENOMEM;
                }
                fds[i] = listen_on(paths[i]);
                if (fds[i] < 0) {
                        fprintf(stderr, "qdb-test-server: cannot listen on %s: %s\n", paths[i],
                                strerror(-fds[i]));
                        return fds[i];
                }
        }
        return 0;
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
        const char *env = getenv("QDB_TEST_SERVER_ARM");
        _cleanup_free_ char *copy = env ? strdup(env) : NULL;
        char *save = NULL;

        for (unsigned i = 0; i < o->n_arms; i++)
                if (control_execute_line(s, o->arms[i]) < 0) {
                        fprintf(stderr, "qdb-test-server: bad --arm '%s'\n", o->arms[i]);
                        return -EINVAL;
                }
        if (env && !copy)
                return -ENOMEM;
        for (char *cmd = copy ? strtok_r(copy, ";", &save) : NULL; cmd;
             cmd = strtok_r(NULL, ";", &save)) {
                if (strspn(cmd, " \t") == strlen(cmd))
                        continue;
                if (control_execute_line(s, cmd) < 0) {
                        fprintf(stderr, "qdb-test-server: bad QDB_TEST_SERVER_ARM command '%s'\n",
                                cmd);
                        return -EINVAL;
                }
        }
        return 0;
}

static int announce_ready(const struct options *o)
{
        if (o->ready_fd < 0) {
                printf("qdb-test-server: listening in %s\n", o->dir);
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

static int serve(const struct options *o, int stop_fd, int fds[3])
{
        struct server server;
        int r;

        server_init(&server, fds[CONN_RW], fds[CONN_RO], fds[CONN_CONTROL]);
        server.verbose = o->verbose;
        r = arm_from_options(&server, o);
        if (r >= 0 && o->pidfile) {
                r = write_pidfile(o->pidfile);
                if (r < 0)
                        fprintf(stderr, "qdb-test-server: cannot write %s: %s\n", o->pidfile,
                                strerror(-r));
        }
        if (r >= 0)
                r = announce_ready(o);
        if (r >= 0) {
                r = server_run(&server, stop_fd);
                if (r < 0)
                        fprintf(stderr, "qdb-test-server: %s\n", strerror(-r));
        }
        server_done(&server);
        return r;
}

int main(int argc, char **argv)
{
        _cleanup_close_ int stop_fd = -1;
        int fds[3] = { -1, -1, -1 };
        char *paths[3] = { NULL, NULL, NULL };
        pid_t parent = getppid();
        struct options o;
        int r;

        if (parse_options(argc, argv, &o) < 0)
                return 2;
        if (o.ready_fd >= 0 && fcntl(o.ready_fd, F_SETFD, FD_CLOEXEC) < 0) {
                fprintf(stderr, "qdb-test-server: --ready-fd %d: %s\n", o.ready_fd,
                        strerror(errno));
                return 2;
        }

        stop_fd = stop_signals_fd(o.exit_with_parent);
        if (stop_fd < 0) {
                fprintf(stderr, "qdb-test-server: signals: %s\n", strerror(-stop_fd));
                return 1;
        }
        if (o.exit_with_parent && getppid() != parent)
                return 0;       /* the parent died before PDEATHSIG was set */

        r = listen_all(o.dir, fds, paths);
        if (r >= 0)
                r = serve(&o, stop_fd, fds);

        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                if (fds[i] >= 0) {
                        close(fds[i]);
                        unlink(paths[i]);       /* only a socket we made */
                }
                free(paths[i]);
        }
        if (o.pidfile)
                unlink(o.pidfile);
        return r < 0 ? 1 : 0;
}
