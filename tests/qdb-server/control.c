/* control.c: the test server's control commands. They arm faults for the
 * next client connection, so a test can make one client meet a misbehaving
 * daemon without touching the client's code. */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define LINE_WORDS_MAX 8

const char control_help_text[] =
        "fault drop N         the next connection is closed when its Nth request arrives\n"
        "fault lose N         its Nth request is carried out, then it is closed unanswered\n"
        "fault stall N        its Nth request is neither carried out nor answered; the\n"
        "                     connection stays open, nothing more is read or sent on it\n"
        "fault error N        its Nth request is answered ERROR and not carried out\n"
        "fault watch-before-reply N [PATH]\n"
        "                     a watch event (PATH, else the request's path) goes out just\n"
        "                     before the Nth reply, watched or not\n"
        "fault watch-amid-reply N [PATH]\n"
        "                     the same, and before each further message of a LIST or\n"
        "                     MULTIREAD reply\n"
        "fault corrupt N KIND the Nth request is carried out and its reply replaced by a\n"
        "                     malformed one: type (type 42), path (no NUL in the path\n"
        "                     field), length (data_len 1 MiB, no data), echo (another\n"
        "                     path), nul (a value holding a NUL), reply (a reply type the\n"
        "                     request does not get)\n"
        "fault clear          nothing armed for the next connection any more\n"
        "dump                 the database, one PATH=VALUE line per entry, in order\n"
        "requests             number of requests served so far, on all connections\n"
        "watches              number of watches registered, on all connections\n"
        "help                 this list\n";

static const char *const corruption_names[] = {
        [CORRUPT_TYPE] = "type", [CORRUPT_PATH] = "path", [CORRUPT_LENGTH] = "length",
        [CORRUPT_ECHO] = "echo", [CORRUPT_NUL] = "nul", [CORRUPT_REPLY] = "reply",
};

static int parse_count(const char *s, uint64_t *out)
{
        int r = parse_u64(s, 10, out);

        return r < 0 || *out == 0 ? -EINVAL : 0;
}

static int corruption_from_name(const char *name, enum corruption *out)
{
        for (size_t i = 0; i < ARRAY_SIZE(corruption_names); i++)
                if (corruption_names[i] && streq(corruption_names[i], name)) {
                        *out = (enum corruption)i;
                        return 0;
                }
        return -EINVAL;
}

/* fault KIND N [ARG]: the request number's slot in the next settings. */
static int control_fault(struct server *s, unsigned argc, char **argv)
{
        struct conn_settings *next;
        enum corruption kind = CORRUPT_NONE;
        uint64_t n;

        if (argc == 2 && streq(argv[1], "clear")) {
                s->pending.armed = false;
                return 0;
        }
        if (argc < 3 || parse_count(argv[2], &n) < 0)
                return -EINVAL;
        if (argc == 4 && streq(argv[1], "corrupt")) {
                if (corruption_from_name(argv[3], &kind) < 0)
                        return -EINVAL;
                next = server_arm(s);
                next->corrupt_at = n;
                next->corrupt = kind;
                return 0;
        }
        if (streq(argv[1], "watch-before-reply") || streq(argv[1], "watch-amid-reply")) {
                if (argc > 4 || (argc == 4 && !wire_path_is_valid(argv[3])))
                        return -EINVAL;
                next = server_arm(s);
                *(streq(argv[1], "watch-amid-reply") ? &next->watch_amid_at :
                  &next->watch_before_at) = n;
                snprintf(next->watch_path, sizeof(next->watch_path), "%s",
                         argc == 4 ? argv[3] : "");
                return 0;
        }
        if (argc != 3)
                return -EINVAL;
        if (streq(argv[1], "drop"))
                server_arm(s)->drop_at = n;
        else if (streq(argv[1], "lose"))
                server_arm(s)->lose_at = n;
        else if (streq(argv[1], "stall"))
                server_arm(s)->stall_at = n;
        else if (streq(argv[1], "error"))
                server_arm(s)->error_at = n;
        else
                return -EINVAL;
        return 0;
}

static int dump_text(struct server *s, char **text)
{
        _cleanup_fclose_ FILE *f = NULL;
        size_t len = 0;
        int r;

        f = open_memstream(text, &len);
        if (!f)
                return -ENOMEM;
        r = store_dump(&s->store, f);
        if (fclose(TAKE_PTR(f)) != 0 && r >= 0)
                r = -ENOMEM;
        return r;
}

static uint64_t count_watches(const struct server *s)
{
        uint64_t n = 0;

        for (const struct conn *c = s->conns; c; c = c->next)
                for (const struct watch *w = c->watches; w; w = w->next)
                        n++;
        return n;
}

/* The command's output (malloc'd, "" for none) into *OUT. */
static int control_execute(struct server *s, unsigned argc, char **argv, char **out)
{
        const char *cmd = argc ? argv[0] : "";
        int r = -EINVAL;

        *out = NULL;
        if (streq(cmd, "fault"))
                r = control_fault(s, argc, argv);
        else if (streq(cmd, "dump") && argc == 1)
                return dump_text(s, out);
        else if (streq(cmd, "requests") && argc == 1)
                return asprintf(out, "%" PRIu64 "\n", s->n_requests) < 0 ?
                        (*out = NULL, -ENOMEM) : 0;
        else if (streq(cmd, "watches") && argc == 1)
                return asprintf(out, "%" PRIu64 "\n", count_watches(s)) < 0 ?
                        (*out = NULL, -ENOMEM) : 0;
        else if (streq(cmd, "help") && argc == 1)
                r = 0;
        if (r < 0)
                return r;
        *out = strdup(streq(cmd, "help") ? control_help_text : "");
        return *out ? 0 : -ENOMEM;
}

static int split_words(char *line, char **argv, unsigned *argc)
{
        char *save = NULL;

        *argc = 0;
        for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (*argc == LINE_WORDS_MAX)
                        return -EINVAL;
                argv[(*argc)++] = w;
        }
        return 0;
}

char *control_run(struct server *s, char *line)
{
        _cleanup_free_ char *out = NULL;
        char *argv[LINE_WORDS_MAX], *reply = NULL;
        unsigned argc;
        int r;

        if (!line)
                return strdup("ERROR: line too long\n");
        r = split_words(line, argv, &argc);
        if (r >= 0)
                r = control_execute(s, argc, argv, &out);
        if (r == -EINVAL)
                return strdup("ERROR: unknown command or bad arguments (see `help`)\n");
        if (r < 0)
                return asprintf(&reply, "ERROR: %s\n", strerror(-r)) < 0 ? NULL : reply;
        return asprintf(&reply, "OK\n%s", out) < 0 ? NULL : reply;
}

int control_execute_line(struct server *s, const char *line)
{
        _cleanup_free_ char *copy = strdup(line), *out = NULL;
        char *argv[LINE_WORDS_MAX];
        unsigned argc;
        int r;

        if (!copy)
                return -ENOMEM;
        r = split_words(copy, argv, &argc);
        if (r < 0 || argc == 0)
                return -EINVAL;
        return control_execute(s, argc, argv, &out);
}
