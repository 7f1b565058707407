/* server-main.h: what the two test daemons' mains share (xs-server for
 * xenstore, qdb-server for QubesDB): the listening socket, the pidfile,
 * the faults armed at start, the ready notice and the stop signals. */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

/* The options both servers take. */
#define TEST_SERVER_ARMS_MAX 16
struct test_server_options {
        const char *pidfile;
        int ready_fd;                   /* -1: none */
        bool exit_with_parent;
        bool verbose;
        const char *arms[TEST_SERVER_ARMS_MAX];
        unsigned n_arms;
};

enum {
        TEST_SERVER_OPT_PIDFILE = 256,
        TEST_SERVER_OPT_READY_FD,
        TEST_SERVER_OPT_ARM,
        TEST_SERVER_OPT_EXIT_WITH_PARENT,
        TEST_SERVER_OPT_FIRST_FREE,     /* a server's own long options from here */
};

/* Their getopt_long() entries ('v' and 'h' too: put "vh" in the short ones). */
#define TEST_SERVER_LONGOPTS                                                                    \
        { "pidfile", required_argument, NULL, TEST_SERVER_OPT_PIDFILE },                        \
        { "ready-fd", required_argument, NULL, TEST_SERVER_OPT_READY_FD },                      \
        { "arm", required_argument, NULL, TEST_SERVER_OPT_ARM },                                \
        { "exit-with-parent", no_argument, NULL, TEST_SERVER_OPT_EXIT_WITH_PARENT },            \
        { "verbose", no_argument, NULL, 'v' },                                                  \
        { "help", no_argument, NULL, 'h' }

/* Option C (ARG) into O, when it is one of them: 1; 0 when it is not (a
 * server's own, or 'h'); -EINVAL said on stderr as PROGRAM. */
int test_server_option(int c, const char *arg, const char *program, struct test_server_options *o);

/* A non-blocking socket listening at PATH (a stale socket there is
 * replaced), or -errno. */
int test_server_listen(const char *path);

int test_server_write_pidfile(const char *path);

/* Run each of the N control commands ARMS, then each ';'-separated one of
 * the environment variable ENV_NAME, through EXECUTE (the server's
 * control_execute_line). -EINVAL, said on stderr as PROGRAM, for one it
 * refuses. */
int test_server_arm(const char *program, const char *env_name, const char *const *arms, unsigned n,
                    int (*execute)(void *server, const char *line), void *server);

/* Ready: "READY\n" on READY_FD (then closed), or the line FORMAT says on
 * stdout without it. */
int test_server_announce(int ready_fd, const char *format, ...) __attribute__((format(printf, 2, 3)));

/* What both servers do first: READY_FD close-on-exec, the stop signals
 * into *STOP_FD (test_server_stop_signals). 0, or the exit status to leave
 * with at once, failures said on stderr as PROGRAM: 2 for a bad --ready-fd,
 * 1 when the signals cannot be set, 0 when the parent (PARENT, before the
 * options were read) died before --exit-with-parent took effect. -1: go on. */
int test_server_start(const char *program, const struct test_server_options *o, pid_t parent, int *stop_fd);

/* SIGTERM and SIGINT as a readable fd that stops the poll loop; SIGPIPE
 * ignored; with EXIT_WITH_PARENT, SIGTERM when the parent dies (a test
 * runner killed with SIGKILL cannot stop us itself). */
int test_server_stop_signals(bool exit_with_parent);
