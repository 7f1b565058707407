/* test-mounts.c: the mount table and swap list, on this machine's own and
 * on fixture files (the scenario tests mount and swap on loop devices). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "check.h"
#include "mounts.h"
#include "util.h"

static char dir[64];

static const char *fixture(const char *name, const char *text)
{
        static char path[2][128];
        static unsigned next;
        char *p = path[next++ % 2];
        FILE *f;

        snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
        f = fopen(p, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
        return p;
}

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

/* Writable if the mount or its super block is; every mount of a device
 * counts, the strongest use wins. */
static void test_uses_from_mount_and_super_block_options(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        const char *info = fixture("mountinfo",
                "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                "30 22 7:1 / /mnt/a ro,relatime shared:2 - ext4 /dev/loop1 ro\n"
                "31 22 7:2 / /mnt/b ro,relatime shared:3 - ext4 /dev/loop2 rw,errors=remount-ro\n"
                "32 22 7:3 / /mnt/c ro - ext4 /dev/loop3 ro\n"
                "33 22 7:3 / /mnt/d rw - ext4 /dev/loop3 ro\n"
                "40 22 0:22 / /proc rw,nosuid - proc proc rw\n");

        CHECK_INT_EQ(mounts_load_from(info, NULL, &m), 0);
        CHECK_INT_EQ(mounts_device_use(m, makedev(254, 0)), MOUNT_READ_WRITE);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 1)), MOUNT_READ_ONLY);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 2)), MOUNT_READ_WRITE);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 3)), MOUNT_READ_WRITE);
        CHECK_INT_EQ(mounts_device_use(m, makedev(0, 22)), MOUNT_UNUSED);    /* no block device */
}

/* btrfs shows an anonymous 0:N device: its source, with the kernel's
 * octal escapes undone, names the real one. */
static void test_anonymous_device_counts_for_its_source(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        char node[128], line[512];

        /* a node of a device that need not exist: stat() gives its number */
        snprintf(node, sizeof(node), "%s/blk 9", dir);
        if (mknod(node, S_IFBLK | 0600, makedev(7, 200)) < 0) {
                printf("  (no mknod here: %s)\n", strerror(errno));
                return;
        }
        snprintf(line, sizeof(line), "50 22 0:45 / /mnt/btrfs rw - btrfs %s/blk\\0409 rw\n", dir);
        CHECK_INT_EQ(mounts_load_from(fixture("mountinfo", line), NULL, &m), 0);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 200)), MOUNT_READ_WRITE);
        CHECK_INT_EQ(mounts_device_use(m, makedev(0, 45)), MOUNT_UNUSED);
        mounts_free(m);
        m = NULL;
        /* a FUSE mount names its own source: outside /dev it is not looked at */
        snprintf(line, sizeof(line), "51 22 0:46 / /mnt/fuse rw - fuse.sshfs %s/blk\0409 rw\n", dir);
        CHECK_INT_EQ(mounts_load_from(fixture("mountinfo", line), NULL, &m), 0);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 200)), MOUNT_UNUSED);
}

static void test_unescape_undoes_octal_escapes_only(void)
{
        char s[] = "/srv/my\\040disk\\011x\\134y\\9z\\04";

        mounts_unescape(s);
        CHECK_STR_EQ(s, "/srv/my disk\tx\\y\\9z\\04");
}

/* Lines the kernel would not write are skipped, not taken half. */
static void test_malformed_lines_are_skipped(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        const char *info = fixture("mountinfo",
                "garbage\n"
                "1 2 7:9 / /x rw shared:1 ext4 /dev/loop9 rw\n"     /* no separator */
                "1 2 7:x / /x rw - ext4 /dev/loop9 rw\n"
                "1 2 7:8 / /x rw -\n"
                "\n"
                "60 22 7:7 / /ok rw - ext4 /dev/loop7 rw\n");

        CHECK_INT_EQ(mounts_load_from(info, NULL, &m), 0);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 9)), MOUNT_UNUSED);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 8)), MOUNT_UNUSED);
        CHECK_INT_EQ(mounts_device_use(m, makedev(7, 7)), MOUNT_READ_WRITE);
}

/* A swap partition counts for its device, a swap file by its identity. */
static void test_swap_partitions_and_files(void)
{
        _cleanup_mounts_ struct mounts *m = NULL;
        char swaps[512], file[128];
        struct stat st;
        FILE *f;

        snprintf(file, sizeof(file), "%s/swap file", dir);
        f = fopen(file, "we");
        CHECK(f && fclose(f) == 0);
        CHECK_INT_EQ(stat(file, &st), 0);
        snprintf(swaps, sizeof(swaps),
                 "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
                 "%s/swap\\040file                 file\t\t8188\t\t0\t\t-2\n"
                 "/nonexistent/swap                 file\t\t8188\t\t0\t\t-3\n", dir);
        CHECK_INT_EQ(mounts_load_from(fixture("mountinfo", ""), fixture("swaps", swaps), &m), 0);
        CHECK(mounts_file_is_swap(m, st.st_dev, st.st_ino));
        CHECK(!mounts_file_is_swap(m, st.st_dev, st.st_ino + 1));
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
        const char *info = fixture("mountinfo",
                "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
                "30 22 7:1 / /a ro - ext4 /dev/loop1 ro\n"
                "31 22 7:2 / /b ro - ext4 /dev/loop2 ro\n");
        unsigned n = 0;

        CHECK_INT_EQ(mounts_load_from(info, NULL, &m), 0);
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
        int failed;

        if (check_scratch_dir(dir, sizeof(dir), "mounts") < 0)
                return 2;
        RUN(test_root_file_system_is_mounted);
        RUN(test_device_that_is_not_mounted_is_unused);
        RUN(test_uses_from_mount_and_super_block_options);
        RUN(test_anonymous_device_counts_for_its_source);
        RUN(test_unescape_undoes_octal_escapes_only);
        RUN(test_malformed_lines_are_skipped);
        RUN(test_swap_partitions_and_files);
        RUN(test_foreach_visits_until_told_to_stop);
        RUN(test_use_names_read_as_messages);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
