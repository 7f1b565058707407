/* test-mounts.c: the mount table through libmount, on this machine's own
 * (the scenario tests mount loop devices). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check.h"
#include "mounts.h"

static void test_root_file_system_is_mounted(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        struct stat st;

        CHECK_INT_EQ(mounts_load(&m), 0);
        CHECK_INT_EQ(stat("/", &st), 0);
        CHECK(mounts_device_use(m, st.st_dev) != MOUNT_UNUSED);
}

static void test_device_that_is_not_mounted_is_unused(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;

        CHECK_INT_EQ(mounts_load(&m), 0);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 0xffff0)), MOUNT_UNUSED);
}

static int count_visit(dev_t devno, enum mount_use use, void *userdata)
{
        unsigned *n = userdata;

        (void)devno;
        if (use == MOUNT_UNUSED)
                return -EINVAL;         /* only uses are listed */
        return ++*n == 2 ? 42 : 0;
}

static void test_foreach_visits_until_told_to_stop(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        unsigned n = 0;

        CHECK_INT_EQ(mounts_load(&m), 0);
        CHECK_INT_EQ(mounts_foreach(m, count_visit, &n), 42);
        CHECK_INT_EQ(n, 2);
}

static void test_use_names_read_as_messages(void)
{
        CHECK_STR_EQ(mount_use_to_string(MOUNT_READ_WRITE), "mounted read-write");
        CHECK_STR_EQ(mount_use_to_string(MOUNT_READ_ONLY), "mounted read-only");
        CHECK_STR_EQ(mount_use_to_string(MOUNT_SWAP), "in use as swap");
}

int main(void)
{
        RUN(test_root_file_system_is_mounted);
        RUN(test_device_that_is_not_mounted_is_unused);
        RUN(test_foreach_visits_until_told_to_stop);
        RUN(test_use_names_read_as_messages);
        return check_summary();
}
