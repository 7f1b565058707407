/* test-log.c: results' reasons (the first cause kept, escaped, cut in the
 * middle) and the messages on stderr and in the hotplug log. stderr goes to
 * a file the tests read back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "log.h"
#include "util.h"

static char dir[64], err_path[96];

/* Everything written to stderr since the last call. */
static char *stderr_text(void)
{
        static char text[4096];
        FILE *f;
        size_t n;

        fflush(stderr);
        f = fopen(err_path, "re");
        if (!f)
                abort();
        n = fread(text, 1, sizeof(text) - 1, f);
        text[n] = '\0';
        fclose(f);
        if (truncate(err_path, 0) < 0 || fseek(stderr, 0, SEEK_SET) < 0)
                abort();
        return text;
}

static void test_error_returns_its_code_and_says_it_with_the_program_name(void)
{
        CHECK_INT_EQ(log_error(-EINVAL, "mode '%s' is not r, w or w!", "x"), -EINVAL);
        CHECK_STR_EQ(stderr_text(), "test-log: mode 'x' is not r, w or w!\n");
}

static void test_reason_returns_its_code_and_the_errno_variant_appends_the_cause(void)
{
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(reason_set_errno(&why, -ENOENT, "cannot open %s", "/srv/a.img"), -ENOENT);
        CHECK_INT_EQ(why.error, -ENOENT);
        CHECK_STR_EQ(why.text, "cannot open /srv/a.img: No such file or directory");
}

/* a cleanup failing after the cause does not replace it */
static void test_first_reason_is_kept(void)
{
        struct reason why = REASON_INIT;

        reason_set(&why, -EIO, "cannot write xenstore x");
        CHECK_INT_EQ(reason_set_errno(&why, -ENXIO, "cannot detach %s", "/dev/loop3"), -ENXIO);
        CHECK_STR_EQ(why.text, "cannot write xenstore x");
        CHECK_INT_EQ(why.error, -EIO);
        CHECK_INT_EQ(reason_set(NULL, -EPERM, "nobody asked"), -EPERM);
}

static void test_control_and_non_ascii_bytes_cannot_forge_a_line(void)
{
        struct reason why = REASON_INIT;

        reason_set(&why, -EINVAL, "params '%s'", "a\nqubes-block: fake\x1b[0m\x9b" "2J\xc3\xa9");
        CHECK_STR_EQ(why.text, "params 'a\\x0aqubes-block: fake\\x1b[0m\\x9b2J\\xc3\\xa9'");
        log_reason(LOG_LEVEL_ERROR, &why);
        CHECK_STR_EQ(stderr_text(), "test-log: params 'a\\x0aqubes-block: fake\\x1b[0m\\x9b2J\\xc3\\xa9'\n");
}

/* a message too long is cut in its middle: the object and the cause stay */
static void test_long_message_keeps_its_start_and_its_cause(void)
{
        struct reason why = REASON_INIT;
        char huge[3000];

        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        reason_set_errno(&why, -ENOENT, "cannot open /%s", huge);
        CHECK(strlen(why.text) < REASON_MAX);
        CHECK(startswith(why.text, "cannot open /aaa"));
        CHECK(strstr(why.text, "a...a"));
        CHECK(endswith(why.text, "aaa: No such file or directory"));
}

static void test_cut_never_splits_an_escape(void)
{
        char out[16];

        /* 3 bytes fit in 15 as "\x01..." + tail: no half "\x0" */
        text_escape("\x01\x02\x03\x04\x05\x06", 6, out, sizeof(out));
        CHECK(strlen(out) < sizeof(out));
        CHECK_STR_EQ(out, "\\x01...\\x05\\x06");
}

static void test_debug_lines_only_when_switched_on(void)
{
        log_debug("hidden %d", 1);
        CHECK_STR_EQ(stderr_text(), "");
        log_set_debug(true);
        log_debug("shown %d", 2);
        log_set_debug(false);
        CHECK_STR_EQ(stderr_text(), "test-log: debug: shown 2\n");
}

static void test_log_file_only_where_its_directory_exists(void)
{
        char missing[128], path[128], line[512];
        struct stat st;
        FILE *f;

        snprintf(missing, sizeof(missing), "%s/no-such-dir/xen-hotplug.log", dir);
        CHECK_INT_EQ(log_open_file(missing), 0);
        CHECK(stat(missing, &st) < 0);

        snprintf(path, sizeof(path), "%s/xen-hotplug.log", dir);
        CHECK_INT_EQ(log_open_file(path), 0);
        log_set_context("backend/vbd/5/51712\n2026-01-01 forged");
        log_error(-EINVAL, "first");
        log_info("second");
        log_close_file();
        log_set_context(NULL);
        stderr_text();

        CHECK_INT_EQ(stat(path, &st), 0);
        CHECK_INT_EQ(st.st_mode & 07777, 0640);
        f = fopen(path, "re");
        CHECK(f);
        CHECK(fgets(line, sizeof(line), f));
        CHECK(strstr(line, "test-log[") && strstr(line, "] backend/vbd/5/51712\\x0a2026-01-01 forged: first\n"));
        CHECK(fgets(line, sizeof(line), f));
        CHECK(strstr(line, "] backend/vbd/5/51712\\x0a2026-01-01 forged: second\n"));
        CHECK(!fgets(line, sizeof(line), f));
        fclose(f);
}

int main(int argc, char *argv[])
{
        int failed;

        (void)argc;
        umask(022);
        log_init(argv[0]);
        if (check_scratch_dir(dir, sizeof(dir), "log") < 0)
                return 2;
        snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
        if (!freopen(err_path, "w+", stderr))
                return 2;

        RUN(test_error_returns_its_code_and_says_it_with_the_program_name);
        RUN(test_reason_returns_its_code_and_the_errno_variant_appends_the_cause);
        RUN(test_first_reason_is_kept);
        RUN(test_control_and_non_ascii_bytes_cannot_forge_a_line);
        RUN(test_long_message_keeps_its_start_and_its_cause);
        RUN(test_cut_never_splits_an_escape);
        RUN(test_debug_lines_only_when_switched_on);
        RUN(test_log_file_only_where_its_directory_exists);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
