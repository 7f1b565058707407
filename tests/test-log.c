/* test-log.c: messages on stderr and in the hotplug log, the error recorded
 * for hotplug-error, control characters escaped. stderr goes to a file the
 * tests read back. */
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
        CHECK_STR_EQ(log_last_error(), "mode 'x' is not r, w or w!");
}

static void test_errno_variant_appends_the_reason(void)
{
        CHECK_INT_EQ(log_error_errno(-ENOENT, "cannot open %s", "/srv/a.img"), -ENOENT);
        CHECK_STR_EQ(log_last_error(), "cannot open /srv/a.img: No such file or directory");
        stderr_text();
}

static void test_warning_during_cleanup_keeps_the_cause(void)
{
        log_error(-EIO, "cannot write xenstore x");
        CHECK_INT_EQ(log_warning_errno(-ENXIO, "cannot detach %s", "/dev/loop3"), -ENXIO);
        CHECK_STR_EQ(log_last_error(), "cannot write xenstore x");
        CHECK_STR_EQ(stderr_text(), "test-log: cannot write xenstore x\n"
                                    "test-log: cannot detach /dev/loop3: No such device or address\n");
}

static void test_control_characters_cannot_forge_a_line(void)
{
        log_error(-EINVAL, "params '%s'", "a\nqubes-block: fake\x1b[0m");
        CHECK_STR_EQ(log_last_error(), "params 'a\\x0aqubes-block: fake\\x1b[0m'");
        CHECK_STR_EQ(stderr_text(), "test-log: params 'a\\x0aqubes-block: fake\\x1b[0m'\n");
}

static void test_long_message_is_bounded(void)
{
        char huge[3000];

        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        log_error(-EINVAL, "%s", huge);
        CHECK(strlen(log_last_error()) < 1024);
        stderr_text();
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
        log_set_context("backend/vbd/5/51712");
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
        CHECK(strstr(line, "test-log[") && strstr(line, "] backend/vbd/5/51712: first\n"));
        CHECK(fgets(line, sizeof(line), f));
        CHECK(strstr(line, "] backend/vbd/5/51712: second\n"));
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
        RUN(test_errno_variant_appends_the_reason);
        RUN(test_warning_during_cleanup_keeps_the_cause);
        RUN(test_control_characters_cannot_forge_a_line);
        RUN(test_long_message_is_bounded);
        RUN(test_log_file_only_where_its_directory_exists);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
