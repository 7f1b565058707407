/* qdb-tool.c: a command line on the QubesDB client module (backend/qdb.h),
 * for shell tests and by hand; not installed. Values are printed raw, one
 * per line, like `xenstore-read -R`.
 *
 *   qdb-tool [-s SOCKET] [-t MS] read PATH | write PATH VALUE | rm PATH |
 *            list PREFIX | multiread PREFIX | watch [-n COUNT] PATH...
 *
 * Exit status 0, 1 on an error (the reason on stderr), 2 for a usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "configure.h"
#include "parse.h"
#include "qdb.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 5000

struct tool {
        struct qdb *db;
        const char *socket;
        int timeout_ms;
};

static int usage(void)
{
        fprintf(stderr,
                "Usage: qdb-tool [-s SOCKET] [-t MS] COMMAND ARGS...\n"
                "  read PATH            print the value\n"
                "  write PATH VALUE     set it\n"
                "  rm PATH              remove it (PATH/ : everything below)\n"
                "  list PREFIX          print the paths starting with PREFIX\n"
                "  multiread PREFIX     print PATH=VALUE for each of them\n"
                "  watch [-n COUNT] PATH...\n"
                "                       watch the paths, print COUNT (1) event paths\n"
                "SOCKET: $QDB_TEST_SERVER_DIR/qubesdb.sock when that is set, else %s.\n"
                "MS bounds each request and each wait for an event (%d).\n",
                QUBES_QUBESDB_SOCKET, DEFAULT_TIMEOUT_MS);
        return 2;
}

static int fail(const char *what, const char *path, int r)
{
        fprintf(stderr, "qdb-tool: %s %s: %s\n", what, path, strerror(-r));
        return 1;
}

static int cmd_read(struct tool *t, char **args)
{
        _cleanup_free_ char *value = NULL;
        size_t len;
        int r = qdb_read(t->db, args[0], &value, &len);

        if (r < 0)
                return fail("cannot read", args[0], r);
        fwrite(value, 1, len, stdout);
        putchar('\n');
        return 0;
}

static int cmd_write(struct tool *t, char **args)
{
        int r = qdb_write(t->db, args[0], args[1], strlen(args[1]));

        return r < 0 ? fail("cannot write", args[0], r) : 0;
}

static int cmd_rm(struct tool *t, char **args)
{
        int r = qdb_rm(t->db, args[0]);

        return r < 0 ? fail("cannot remove", args[0], r) : 0;
}

static int cmd_list(struct tool *t, char **args)
{
        _cleanup_free_ char **paths = NULL;
        size_t n;
        int r = qdb_list(t->db, args[0], &paths, &n);

        if (r < 0)
                return fail("cannot list", args[0], r);
        for (size_t i = 0; i < n; i++)
                puts(paths[i]);
        return 0;
}

static int cmd_multiread(struct tool *t, char **args)
{
        _cleanup_free_ struct qdb_entry *entries = NULL;
        size_t n;
        int r = qdb_multiread(t->db, args[0], &entries, &n);

        if (r < 0)
                return fail("cannot read entries of", args[0], r);
        for (size_t i = 0; i < n; i++) {
                printf("%s=", entries[i].path);
                fwrite(entries[i].value, 1, entries[i].len, stdout);
                putchar('\n');
        }
        return 0;
}

/* ARGS: [-n COUNT] PATH... (NULL-terminated) */
static int cmd_watch(struct tool *t, char **args)
{
        uint32_t count = 1;
        int r;

        if (args[0] && streq(args[0], "-n")) {
                if (!args[1] || parse_u32(args[1], 10, &count) < 0 || count == 0)
                        return usage();
                args += 2;
        }
        if (!args[0])
                return usage();
        for (char **p = args; *p; p++) {
                r = qdb_watch(t->db, *p);
                if (r < 0)
                        return fail("cannot watch", *p, r);
        }
        for (uint32_t i = 0; i < count; i++) {
                _cleanup_free_ char *path = NULL;

                r = qdb_next_watch_event(t->db, t->timeout_ms, &path);
                if (r < 0)
                        return fail("no event for", args[0], r);
                puts(path);
                fflush(stdout);         /* a test reads events as they come */
        }
        return 0;
}

static const struct {
        const char *name;
        int args;                       /* exactly; -1: at least one */
        int (*run)(struct tool *t, char **args);
} commands[] = {
        { "read", 1, cmd_read },
        { "write", 2, cmd_write },
        { "rm", 1, cmd_rm },
        { "list", 1, cmd_list },
        { "multiread", 1, cmd_multiread },
        { "watch", -1, cmd_watch },
};

static int parse_options(int argc, char **argv, struct tool *t)
{
        const char *dir = getenv("QDB_TEST_SERVER_DIR");
        static char from_dir[4096];
        uint32_t ms;
        int opt;

        t->socket = QUBES_QUBESDB_SOCKET;
        if (dir && *dir && (size_t)snprintf(from_dir, sizeof(from_dir), "%s/qubesdb.sock", dir) <
                           sizeof(from_dir))
                t->socket = from_dir;
        t->timeout_ms = DEFAULT_TIMEOUT_MS;
        while ((opt = getopt(argc, argv, "+s:t:h")) != -1) {
                if (opt == 's')
                        t->socket = optarg;
                else if (opt == 't' && parse_u32(optarg, 10, &ms) == 0 && ms > 0 && ms <= INT32_MAX)
                        t->timeout_ms = (int)ms;
                else
                        return -EINVAL;
        }
        return optind < argc ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
        _cleanup_qdb_ struct qdb *db = NULL;
        struct tool t = { 0 };
        int nargs, r;

        if (parse_options(argc, argv, &t) < 0)
                return usage();
        nargs = argc - optind - 1;
        for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
                if (!streq(argv[optind], commands[i].name))
                        continue;
                if (commands[i].args >= 0 ? nargs != commands[i].args : nargs < 1)
                        return usage();
                r = qdb_open(t.socket, t.timeout_ms, &db);
                if (r < 0)
                        return fail("cannot connect to", t.socket, r);
                t.db = db;
                r = commands[i].run(&t, argv + optind + 1);
                if (fflush(stdout) != 0) {
                        fprintf(stderr, "qdb-tool: cannot write the output: %s\n", strerror(errno));
                        return 1;
                }
                return r;
        }
        return usage();
}
