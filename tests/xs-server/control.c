/* control.c: the test server's XS_CONTROL commands. They arm settings for
 * the next connection, so a test can make one client meet a fault without
 * touching the client's code. */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

#define LINE_WORDS_MAX 16

/* Domain ids of guests end below DOMID_FIRST_RESERVED (0x7ff0). */
#define DOMID_MAX 0x7fef

const char control_help_text[] =
        "fault error N ERRNO  the Nth request of the next connection gets ERRNO\n"
        "fault drop N         the next connection is closed when its Nth request arrives\n"
        "fault lose N         its Nth request is carried out, then it is closed unanswered\n"
        "fault stall N        its Nth request and every later one stay unanswered\n"
        "fault eagain K       the first K commits of the next connection get EAGAIN\n"
        "fault clear          nothing armed for the next connection any more\n"
        "as-domain N          the next connection is domain N (relative paths, permissions)\n"
        "dump [FILE]          the tree as PATH=VALUE lines, into FILE or as the reply\n"
        "fire @SPECIAL        fires @introduceDomain or @releaseDomain, as xenstored does\n"
        "                     when a domain is introduced or released\n"
        "requests             number of requests served so far, on all connections\n"
        "check                does nothing (xenstored compatibility)\n"
        "print STRING         writes STRING to the server's stderr\n"
        "help                 this list";

static int parse_count(const char *s, uint64_t *out)
{
        int r = parse_u64(s, 10, out);

        if (r < 0 || *out == 0)
                return -EINVAL;
        return 0;
}

static int control_fault(struct server *s, unsigned argc, char **argv)
{
        struct conn_settings *next;
        uint64_t n;
        int errnum;

        if (argc == 2 && streq(argv[1], "clear")) {
                s->pending.armed = false;
                return 0;
        }
        if (argc == 4 && streq(argv[1], "error")) {
                errnum = wire_error_from_name(argv[3]);
                if (parse_count(argv[2], &n) < 0 || errnum < 0)
                        return -EINVAL;
                next = server_arm(s);
                next->error_at = n;
                next->error_errno = errnum;
                return 0;
        }
        if (argc == 3 && streq(argv[1], "drop")) {
                if (parse_count(argv[2], &n) < 0)
                        return -EINVAL;
                server_arm(s)->drop_at = n;
                return 0;
        }
        if (argc == 3 && streq(argv[1], "lose")) {
                if (parse_count(argv[2], &n) < 0)
                        return -EINVAL;
                server_arm(s)->lose_at = n;
                return 0;
        }
        if (argc == 3 && streq(argv[1], "stall")) {
                if (parse_count(argv[2], &n) < 0)
                        return -EINVAL;
                server_arm(s)->stall_at = n;
                return 0;
        }
        if (argc == 3 && streq(argv[1], "eagain")) {
                if (parse_count(argv[2], &n) < 0 || n > UINT32_MAX)
                        return -EINVAL;
                server_arm(s)->eagain_commits = (unsigned)n;
                return 0;
        }
        return -EINVAL;
}

static int control_as_domain(struct server *s, unsigned argc, char **argv)
{
        uint32_t domid;

        if (argc != 2 || parse_u32(argv[1], 10, &domid) < 0 || domid > DOMID_MAX)
                return -EINVAL;
        server_arm(s)->domid = domid;
        return 0;
}

static int control_dump(struct server *s, unsigned argc, char **argv, char **reply)
{
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r;

        if (argc > 2)
                return -EINVAL;
        if (argc == 2) {
                f = fopen(argv[1], "we");
                if (!f)
                        return -errno;
                r = server_dump(s, f);
                if (r < 0)
                        return r;
                if (fclose(TAKE_PTR(f)) != 0)
                        return -EIO;
                return 0;
        }

        f = open_memstream(&text, &len);
        if (!f)
                return -ENOMEM;
        r = server_dump(s, f);
        if (r < 0)
                return r;
        if (fclose(TAKE_PTR(f)) != 0)
                return -ENOMEM;
        /* xenstore-control prints the reply and a newline: leave ours out so
         * that its output equals the file `dump FILE` writes */
        if (len > 0 && text[len - 1] == '\n')
                text[len - 1] = '\0';
        *reply = TAKE_PTR(text);
        return 0;
}

/* There are no guests to introduce or release here: a test writes a
 * domain's nodes itself and then fires the event xenstored would. */
static int control_fire(struct server *s, unsigned argc, char **argv)
{
        return argc == 2 ? server_fire_special(s, argv[1]) : -EINVAL;
}

int control_execute(struct server *s, unsigned argc, char **argv, char **reply)
{
        const char *cmd = argc ? argv[0] : "";

        *reply = NULL;
        if (streq(cmd, "fault"))
                return control_fault(s, argc, argv);
        if (streq(cmd, "as-domain"))
                return control_as_domain(s, argc, argv);
        if (streq(cmd, "dump"))
                return control_dump(s, argc, argv, reply);
        if (streq(cmd, "fire"))
                return control_fire(s, argc, argv);
        if (streq(cmd, "requests") && argc == 1)
                return asprintf(reply, "%" PRIu64, s->n_requests) < 0 ?
                        (*reply = NULL, -ENOMEM) : 0;
        if (streq(cmd, "check") && argc == 1)
                return 0;
        if (streq(cmd, "print") && argc == 2) {
                fprintf(stderr, "xs-test-server: %s\n", argv[1]);
                return 0;
        }
        if (streq(cmd, "help") && argc == 1) {
                *reply = strdup(control_help_text);
                return *reply ? 0 : -ENOMEM;
        }
        return -EINVAL;
}

int control_execute_line(struct server *s, const char *line)
{
        _cleanup_free_ char *copy = strdup(line);
        _cleanup_free_ char *reply = NULL;
        char *argv[LINE_WORDS_MAX], *save = NULL;
        unsigned argc = 0;

        if (!copy)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (argc == ARRAY_SIZE(argv))
                        return -EINVAL;
                argv[argc++] = w;
        }
        if (argc == 0)
                return -EINVAL;
        return control_execute(s, argc, argv, &reply);
}
