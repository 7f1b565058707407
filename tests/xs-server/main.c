/* main.c: xs-test-server, a xenstore daemon for tests on hosts without Xen:
 * the command line, the listening socket, signals and the ready notice. */
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

struct options {
        const char *socket_path;
        struct test_server_options common;
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
        static const struct option longopts[] = {
                { "socket", required_argument, NULL, 's' },
                TEST_SERVER_LONGOPTS,
                { 0 }
        };
        int c, r;

        *o = (struct options) { .common.ready_fd = -1 };
        while ((c = getopt_long(argc, argv, "s:vh", longopts, NULL)) != -1) {
                r = test_server_option(c, optarg, "xs-test-server", &o->common);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                switch (c) {
                case 's':
                        o->socket_path = optarg;
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

/* control_execute_line() for test_server_arm() */
static int execute(void *server, const char *line)
{
        return control_execute_line(server, line);
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
        r = test_server_start("xs-test-server", &o.common, parent, &stop_fd);
        if (r >= 0)
                return r;

        listen_fd = test_server_listen(o.socket_path);
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
        server.verbose = o.common.verbose;

        r = test_server_arm("xs-test-server", "XS_TEST_SERVER_ARM", o.common.arms, o.common.n_arms, execute, &server);
        if (r >= 0 && o.common.pidfile) {
                r = test_server_write_pidfile(o.common.pidfile);
                if (r < 0)
                        fprintf(stderr, "xs-test-server: cannot write %s: %s\n", o.common.pidfile,
                                strerror(-r));
        }
        if (r >= 0)
                r = test_server_announce(o.common.ready_fd, "xs-test-server: listening on %s", o.socket_path);
        if (r >= 0) {
                r = server_run(&server, stop_fd);
                if (r < 0)
                        fprintf(stderr, "xs-test-server: %s\n", strerror(-r));
        }

        server_done(&server);
        unlink(o.socket_path);
        if (o.common.pidfile)
                unlink(o.common.pidfile);
        return r < 0 ? 1 : 0;
}
