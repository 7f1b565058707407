/* main.c: qdb-test-server, a QubesDB daemon for tests: the command line,
 * the three listening sockets, signals and the ready notice. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "server-main.h"
#include "server.h"
#include "util.h"

/* The names in DIR, by enum conn_kind: as the daemon's, and the control socket. */
static const char *const socket_names[] = { "qubesdb.sock", "qubesdb.ro.sock", "control" };

struct options {
        const char *dir;
        struct test_server_options common;
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
        enum { OPT_DIR = TEST_SERVER_OPT_FIRST_FREE };
        static const struct option longopts[] = {
                { "dir", required_argument, NULL, OPT_DIR },
                TEST_SERVER_LONGOPTS,
                { 0 }
        };
        int c, r;

        *o = (struct options) { .common.ready_fd = -1 };
        while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
                r = test_server_option(c, optarg, "qdb-test-server", &o->common);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                switch (c) {
                case OPT_DIR:
                        o->dir = optarg;
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

/* The three sockets into FDS, their paths into PATHS (malloc'd). */
static int listen_all(const char *dir, int fds[3], char *paths[3])
{
        for (size_t i = 0; i < ARRAY_SIZE(socket_names); i++) {
                if (asprintf(&paths[i], "%s/%s", dir, socket_names[i]) < 0) {
                        paths[i] = NULL;
                        return -ENOMEM;
                }
                fds[i] = test_server_listen(paths[i]);
                if (fds[i] < 0) {
                        fprintf(stderr, "qdb-test-server: cannot listen on %s: %s\n", paths[i],
                                strerror(-fds[i]));
                        return fds[i];
                }
        }
        return 0;
}

/* control_execute_line() for test_server_arm() */
static int execute(void *server, const char *line)
{
        return control_execute_line(server, line);
}

static int serve(const struct options *o, int stop_fd, int fds[3])
{
        struct server server;
        int r;

        server_init(&server, fds[CONN_RW], fds[CONN_RO], fds[CONN_CONTROL]);
        server.verbose = o->common.verbose;
        r = test_server_arm("qdb-test-server", "QDB_TEST_SERVER_ARM", o->common.arms, o->common.n_arms, execute, &server);
        if (r >= 0 && o->common.pidfile) {
                r = test_server_write_pidfile(o->common.pidfile);
                if (r < 0)
                        fprintf(stderr, "qdb-test-server: cannot write %s: %s\n", o->common.pidfile,
                                strerror(-r));
        }
        if (r >= 0)
                r = test_server_announce(o->common.ready_fd, "qdb-test-server: listening in %s", o->dir);
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
        r = test_server_start("qdb-test-server", &o.common, parent, &stop_fd);
        if (r >= 0)
                return r;

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
        if (o.common.pidfile)
                unlink(o.common.pidfile);
        return r < 0 ? 1 : 0;
}
