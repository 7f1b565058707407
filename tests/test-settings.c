/* test-settings.c: the settings file (backend/settings.c): the defaults,
 * each key and value, comments and blanks, and every line it refuses, with
 * the line number and the valid settings before the bad line kept. */
#include <errno.h>
#include <stdio.h>

#include "check.h"
#include "settings.h"

static char dir[64], path[96];

/* Write TEXT as the settings file. */
static void settings(const char *text)
{
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

static void test_a_missing_file_means_the_defaults(void)
{
        struct config c = { .store = STORE_QUBESDB, .debug = true };
        struct reason why = REASON_INIT;
        char missing[128];

        snprintf(missing, sizeof(missing), "%s/none.conf", dir);
        CHECK_INT_EQ(config_load(missing, &c, &why), 0);
        CHECK_INT_EQ(c.store, STORE_AUTO);
        CHECK(!c.debug);
        CHECK(!reason_is_set(&why));
}

static void test_each_key_with_comments_blanks_and_spaces(void)
{
        struct config c;
        struct reason why = REASON_INIT;

        settings("# where the helpers publish\n\n  store =\txenstore  \r\n\tdebug=yes\n");
        CHECK_INT_EQ(config_load(path, &c, &why), 0);
        CHECK_INT_EQ(c.store, STORE_XENSTORE);
        CHECK(c.debug);
        settings("store = qubesdb\ndebug = no\n");
        CHECK_INT_EQ(config_load(path, &c, &why), 0);
        CHECK_INT_EQ(c.store, STORE_QUBESDB);
        CHECK(!c.debug);
        settings("store = auto\ndebug = 1");     /* no final newline */
        CHECK_INT_EQ(config_load(path, &c, &why), 0);
        CHECK_INT_EQ(c.store, STORE_AUTO);
        CHECK(c.debug);
}

static void test_an_unknown_key_is_refused_with_its_line(void)
{
        struct config c;
        struct reason why = REASON_INIT;

        settings("debug = yes\n# fine\nstor = xenstore\n");
        CHECK_INT_EQ(config_load(path, &c, &why), -EINVAL);
        CHECK(strstr(why.text, ":3: unknown key 'stor'") != NULL);
        CHECK(c.debug);                         /* what came before stays */
        CHECK_INT_EQ(c.store, STORE_AUTO);
}

static void test_a_bad_value_is_refused_and_the_default_kept(void)
{
        struct config c;
        struct reason why = REASON_INIT;

        settings("store = xenstored\n");
        CHECK_INT_EQ(config_load(path, &c, &why), -EINVAL);
        CHECK(strstr(why.text, ":1: 'xenstored' is no valid value of store") != NULL);
        CHECK_INT_EQ(c.store, STORE_AUTO);
        reason_clear(&why);
        settings("debug = maybe\n");
        CHECK_INT_EQ(config_load(path, &c, &why), -EINVAL);
        CHECK(strstr(why.text, "'maybe' is no valid value of debug") != NULL);
        CHECK(!c.debug);
}

static void test_a_line_without_equals_is_refused(void)
{
        struct config c;
        struct reason why = REASON_INIT;

        settings("store xenstore\n");
        CHECK_INT_EQ(config_load(path, &c, &why), -EINVAL);
        CHECK(strstr(why.text, ":1: 'store xenstore' is not key = value") != NULL);
}

static void test_an_overlong_line_is_refused_not_split(void)
{
        char text[400];
        struct config c;
        struct reason why = REASON_INIT;

        /* the tail past 256 bytes must not be read as a line of its own */
        snprintf(text, sizeof(text), "# %0300d\ndebug = yes\n", 0);
        settings(text);
        CHECK_INT_EQ(config_load(path, &c, &why), -EINVAL);
        CHECK(strstr(why.text, ":1: line longer than 254 bytes") != NULL);
        CHECK(!c.debug);
}

static void test_an_unreadable_file_is_an_error(void)
{
        struct config c;
        struct reason why = REASON_INIT;

        CHECK(config_load(dir, &c, &why) < 0); /* a directory */
        CHECK(strstr(why.text, "cannot read") != NULL);
        CHECK_INT_EQ(c.store, STORE_AUTO);
}

int main(void)
{
        int failed;

        if (check_scratch_dir(dir, sizeof(dir), "settings") < 0)
                return 2;
        snprintf(path, sizeof(path), "%s/xen-devices.conf", dir);
        RUN(test_a_missing_file_means_the_defaults);
        RUN(test_each_key_with_comments_blanks_and_spaces);
        RUN(test_an_unknown_key_is_refused_with_its_line);
        RUN(test_a_bad_value_is_refused_and_the_default_kept);
        RUN(test_a_line_without_equals_is_refused);
        RUN(test_an_overlong_line_is_refused_not_split);
        RUN(test_an_unreadable_file_is_an_error);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
