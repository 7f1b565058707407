/* test-sysfs.c: attributes read relative to a directory fd, on a scratch
 * directory laid out like sysfs (the scenario tests read the real one). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sysfs.h"
#include "util.h"

static char dir[64];
static int dir_fd = -1;

static void put_file(const char *name, const char *content)
{
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "we");
        if (!f || fputs(content, f) < 0 || fclose(f) != 0)
                abort();
}

static void test_attribute_loses_one_trailing_newline(void)
{
        char buf[32];

        put_file("size", "2048\n");
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "size", buf, sizeof(buf)), 4);
        CHECK_STR_EQ(buf, "2048");
        put_file("label", "two\n\n");
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "label", buf, sizeof(buf)), 4);
        CHECK_STR_EQ(buf, "two\n");
        put_file("empty", "");
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "empty", buf, sizeof(buf)), 0);
        CHECK_STR_EQ(buf, "");
}

static void test_attribute_that_does_not_fit_is_efbig_not_truncated(void)
{
        char buf[8];

        put_file("long", "12345678");       /* 8 bytes: no room for the NUL */
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "long", buf, sizeof(buf)), -EFBIG);
        put_file("fits", "1234567\n");      /* the newline goes, 7 bytes stay */
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "fits", buf, sizeof(buf)), -EFBIG);
        put_file("fits", "1234567");
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "fits", buf, sizeof(buf)), 7);
        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "fits", buf, 0), -EFBIG);
}

static void test_missing_attribute_is_enoent(void)
{
        char buf[8];

        CHECK_INT_EQ(sysfs_read_attr(dir_fd, "nope", buf, sizeof(buf)), -ENOENT);
}

static void test_decimal_attribute_is_parsed_strictly(void)
{
        uint64_t v = 0;

        put_file("n", "4096\n");
        CHECK_INT_EQ(sysfs_read_u64(dir_fd, "n", &v), 0);
        CHECK(v == 4096);
        put_file("n", " 4096\n");
        CHECK_INT_EQ(sysfs_read_u64(dir_fd, "n", &v), -EINVAL);
        put_file("n", "0x10\n");
        CHECK_INT_EQ(sysfs_read_u64(dir_fd, "n", &v), -EINVAL);
        put_file("n", "\n");
        CHECK_INT_EQ(sysfs_read_u64(dir_fd, "n", &v), -EINVAL);
        put_file("n", "18446744073709551616\n");
        CHECK_INT_EQ(sysfs_read_u64(dir_fd, "n", &v), -ERANGE);
}

static void test_directory_entries_are_counted_without_dots(void)
{
        char path[128];

        snprintf(path, sizeof(path), "%s/holders", dir);
        CHECK_INT_EQ(mkdir(path, 0755), 0);
        CHECK_INT_EQ(sysfs_dir_has_entries(dir_fd, "holders"), 0);
        put_file("holders/dm-0", "");
        CHECK_INT_EQ(sysfs_dir_has_entries(dir_fd, "holders"), 1);
        CHECK_INT_EQ(sysfs_dir_has_entries(dir_fd, "slaves"), -ENOENT);
        CHECK_INT_EQ(sysfs_dir_has_entries(dir_fd, "size"), -ENOTDIR);
}

static void test_subdirectory_opens_relative_to_its_parent(void)
{
        _cleanup_close_ int sub = -1;
        char path[128], buf[16];

        snprintf(path, sizeof(path), "%s/loop", dir);
        CHECK_INT_EQ(mkdir(path, 0755), 0);
        put_file("loop/backing_file", "/srv/a.img\n");
        sub = sysfs_open_dir(dir_fd, "loop");
        CHECK(sub >= 0);
        CHECK_INT_EQ(sysfs_read_attr(sub, "backing_file", buf, sizeof(buf)), 10);
        CHECK_STR_EQ(buf, "/srv/a.img");
        CHECK_INT_EQ(sysfs_open_dir(dir_fd, "size"), -ENOTDIR);
        CHECK_INT_EQ(sysfs_open_dir(dir_fd, "absent"), -ENOENT);
}

static void test_block_device_without_sysfs_entry_is_enoent(void)
{
        /* 0:0 is never a block device */
        CHECK_INT_EQ(sysfs_open_block(0, 0), -ENOENT);
}

/* A uevent file's KEY=VALUE lines: the whole key only, the value to its
 * line's end, bounded. */
static void test_uevent_values_by_whole_key(void)
{
        static const char uevent[] = "MAJOR=7\nMINOR=3\nDEVNAME=loop3\nDEVTYPE=disk\nDISKSEQ=12\nEMPTY=\nLAST=x";
        char buf[8];

        CHECK_INT_EQ(sysfs_uevent_value(uevent, "MINOR", buf, sizeof(buf)), 0);
        CHECK_STR_EQ(buf, "3");
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "DEVNAME", buf, sizeof(buf)), 0);
        CHECK_STR_EQ(buf, "loop3");
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "EMPTY", buf, sizeof(buf)), 0);
        CHECK_STR_EQ(buf, "");
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "LAST", buf, sizeof(buf)), 0);
        CHECK_STR_EQ(buf, "x");
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "DEV", buf, sizeof(buf)), -ENODATA);        /* not DEVNAME's */
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "SEQ", buf, sizeof(buf)), -ENODATA);
        CHECK_INT_EQ(sysfs_uevent_value(uevent, "MAJOR", buf, 1), -ENAMETOOLONG);
        CHECK_INT_EQ(sysfs_uevent_value("", "MAJOR", buf, sizeof(buf)), -ENODATA);
}

int main(void)
{
        int failed;

        if (check_scratch_dir(dir, sizeof(dir), "sysfs") < 0)
                return 2;
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return 2;

        RUN(test_attribute_loses_one_trailing_newline);
        RUN(test_attribute_that_does_not_fit_is_efbig_not_truncated);
        RUN(test_missing_attribute_is_enoent);
        RUN(test_decimal_attribute_is_parsed_strictly);
        RUN(test_directory_entries_are_counted_without_dots);
        RUN(test_subdirectory_opens_relative_to_its_parent);
        RUN(test_block_device_without_sysfs_entry_is_enoent);
        RUN(test_uevent_values_by_whole_key);
        failed = check_summary();

        close(dir_fd);
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
