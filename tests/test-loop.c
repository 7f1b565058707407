/* test-loop.c: loop devices made for files and released only when they are
 * still ours, on real loop devices (root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "sysfs.h"
#include "util.h"

static char dir[64];

/* A fresh 1 MiB image, opened read-write (or read-only). */
static int new_image(const char *name, bool read_only, struct stat *st)
{
        char path[128];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
                abort();
        if (read_only) {
                close(fd);
                fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (fd < 0 || fstat(fd, st) < 0)
                abort();
        return fd;
}

static int sysfs_ro(dev_t devno)
{
        _cleanup_close_ int d = sysfs_open_block(major(devno), minor(devno));
        char buf[8];

        if (d < 0 || sysfs_read_attr(d, "ro", buf, sizeof(buf)) < 0)
                return -1;
        return buf[0] == '1';
}

static void test_attach_gives_a_bound_loop_that_knows_its_file(void)
{
        _cleanup_close_ int fd = -1;
        struct loop_dev loop = LOOP_DEV_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("rw.img", false, &st);
        CHECK_INT_EQ(loop_attach_file(fd, false, &loop), 0);
        CHECK(loop.fd >= 0);
        CHECK_INT_EQ(major(loop.devno), LOOP_MAJOR_NUMBER);
        CHECK(startswith(loop.path, "/dev/loop"));
        CHECK(loop.diskseq != 0);
        CHECK_INT_EQ(sysfs_ro(loop.devno), 0);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        CHECK(file_dev == st.st_dev && file_ino == st.st_ino);
        loop_detach(&loop);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), -ENXIO);
}

static void test_read_only_attach_gives_a_read_only_loop(void)
{
        _cleanup_close_ int fd = -1;
        _cleanup_loop_ struct loop_dev loop = LOOP_DEV_INIT;
        struct stat st;

        fd = new_image("ro.img", true, &st);
        CHECK_INT_EQ(loop_attach_file(fd, true, &loop), 0);
        CHECK_INT_EQ(sysfs_ro(loop.devno), 1);
}

static void test_release_frees_our_loop_and_keeps_a_reused_one(void)
{
        _cleanup_close_ int fd = -1;
        struct loop_dev loop = LOOP_DEV_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("release.img", false, &st);
        CHECK_INT_EQ(loop_attach_file(fd, false, &loop), 0);
        loop_disown(&loop);     /* as after a successful add */
        /* another disk sequence number: the device was reused since */
        CHECK_INT_EQ(loop_release(loop.path, loop.devno, loop.diskseq + 1), 0);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        /* another device number behind the path: not ours either */
        CHECK_INT_EQ(loop_release(loop.path, makedev(LOOP_MAJOR_NUMBER, minor(loop.devno) + 1),
                                  loop.diskseq), 0);
        CHECK_INT_EQ(loop_release(loop.path, loop.devno, loop.diskseq), 1);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), -ENXIO);
        /* released already: nothing to do, quietly */
        CHECK_INT_EQ(loop_release(loop.path, loop.devno, loop.diskseq), 0);
        CHECK_INT_EQ(loop_release("/dev/loop-qxd-none", loop.devno, loop.diskseq), 0);
}

static void test_backing_identity_of_what_is_no_loop(void)
{
        dev_t file_dev;
        ino_t file_ino;

        CHECK_INT_EQ(loop_backing_file_id(makedev(8, 0), &file_dev, &file_ino), -ENOTBLK);
        CHECK_INT_EQ(loop_backing_file_id(makedev(LOOP_MAJOR_NUMBER, 0xfffff), &file_dev, &file_ino), -ENOENT);
}

int main(void)
{
        int failed;

        if (geteuid() != 0) {
                printf("SKIP: loop devices need root\n");
                return 77;
        }
        if (check_scratch_dir(dir, sizeof(dir), "loop") < 0)
                return 2;
        RUN(test_attach_gives_a_bound_loop_that_knows_its_file);
        RUN(test_read_only_attach_gives_a_read_only_loop);
        RUN(test_release_frees_our_loop_and_keeps_a_reused_one);
        RUN(test_backing_identity_of_what_is_no_loop);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
