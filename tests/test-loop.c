/* test-loop.c: loop devices made for files, tagged, claimed and released
 * only when they are still ours, on real loop devices (root). */
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
        CHECK_INT_EQ(loop_attach_file(fd, false, "qxd-test:rw", &loop), 0);
        CHECK(loop.fd >= 0);
        CHECK_INT_EQ(major(loop.devno), LOOP_MAJOR_NUMBER);
        CHECK(startswith(loop.path, "/dev/loop"));
        CHECK(loop.diskseq != 0);
        CHECK_INT_EQ(sysfs_ro(loop.devno), 0);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        CHECK(file_dev == st.st_dev && file_ino == st.st_ino);
        loop_drop(&loop);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), -ENXIO);
}

static void test_read_only_attach_gives_a_read_only_loop(void)
{
        _cleanup_close_ int fd = -1;
        _cleanup_loop_ struct loop_dev loop = LOOP_DEV_INIT;
        struct stat st;

        fd = new_image("ro.img", true, &st);
        CHECK_INT_EQ(loop_attach_file(fd, true, "qxd-test:ro", &loop), 0);
        CHECK_INT_EQ(sysfs_ro(loop.devno), 1);
}

static void test_claim_takes_our_loop_and_keeps_a_reused_one(void)
{
        _cleanup_close_ int fd = -1;
        struct loop_dev loop = LOOP_DEV_INIT, claimed = LOOP_DEV_INIT;
        struct reason note = REASON_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("release.img", false, &st);
        CHECK_INT_EQ(loop_attach_file(fd, false, "qxd-test:claim", &loop), 0);
        loop_close(&loop);      /* as after a successful add */
        /* another disk sequence number: the device was reused since */
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq + 1, &claimed, &note), 0);
        CHECK(strstr(note.text, "reused"));
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        /* another device number behind the path: not ours either */
        reason_clear(&note);
        CHECK_INT_EQ(loop_claim(loop.path, makedev(LOOP_MAJOR_NUMBER, minor(loop.devno) + 1), loop.diskseq,
                                &claimed, &note), 0);
        CHECK(strstr(note.text, "not device"));
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq, &claimed, NULL), 1);
        loop_drop(&claimed);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), -ENXIO);
        /* released already: nothing to do, quietly */
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq, &claimed, NULL), 0);
        CHECK_INT_EQ(loop_claim("/dev/loop-qxd-none", loop.devno, loop.diskseq, &claimed, NULL), 0);
}

/* A claim marks the device AUTOCLEAR: the kernel lets it go as its last
 * opener closes it, whoever that is (a killed remove included). */
static void test_claimed_loop_goes_at_its_last_close(void)
{
        _cleanup_close_ int fd = -1, user = -1;
        struct loop_dev loop = LOOP_DEV_INIT, claimed = LOOP_DEV_INIT;
        struct reason note = REASON_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("autoclear.img", false, &st);
        CHECK_INT_EQ(loop_attach_file(fd, false, "qxd-test:autoclear", &loop), 0);
        loop_close(&loop);
        user = open(loop.path, O_RDONLY | O_CLOEXEC);   /* someone else holds it */
        CHECK(user >= 0);
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq, &claimed, &note), 1);
        CHECK(strstr(note.text, "in use here"));
        loop_close(&claimed);   /* as a remove killed after the claim */
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        closep(&user);
        user = -1;
        for (int i = 0; i < 50 && loop_backing_file_id(loop.devno, &file_dev, &file_ino) == 0; i++)
                usleep(20000);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), -ENXIO);
}

/* A claim undone (the remove could not commit) while others hold it: the
 * device stays. */
static void test_unclaim_of_a_shared_loop_keeps_it(void)
{
        _cleanup_close_ int fd = -1, user = -1;
        struct loop_dev loop = LOOP_DEV_INIT, claimed = LOOP_DEV_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("unclaim.img", false, &st);
        CHECK_INT_EQ(loop_attach_file(fd, false, "qxd-test:unclaim", &loop), 0);
        loop_close(&loop);
        user = open(loop.path, O_RDONLY | O_CLOEXEC);
        CHECK(user >= 0);
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq, &claimed, NULL), 1);
        CHECK_INT_EQ(loop_unclaim(&claimed), 0);
        loop_close(&claimed);
        closep(&user);
        user = -1;
        usleep(100000);
        CHECK_INT_EQ(loop_backing_file_id(loop.devno, &file_dev, &file_ino), 0);
        CHECK_INT_EQ(loop_claim(loop.path, loop.devno, loop.diskseq, &claimed, NULL), 1);
        loop_drop(&claimed);
}

/* What a killed run left is found by its tag, and only that. */
static void test_release_tagged_releases_only_that_tag(void)
{
        _cleanup_close_ int fd = -1;
        struct loop_dev mine = LOOP_DEV_INIT, kept = LOOP_DEV_INIT, other = LOOP_DEV_INIT;
        struct stat st;
        dev_t file_dev;
        ino_t file_ino;

        fd = new_image("tagged.img", true, &st);
        CHECK_INT_EQ(loop_attach_file(fd, true, "qxd-test:vbd/5/1", &mine), 0);
        CHECK_INT_EQ(loop_attach_file(fd, true, "qxd-test:vbd/5/1", &kept), 0);
        CHECK_INT_EQ(loop_attach_file(fd, true, "qxd-test:vbd/5/10", &other), 0);
        loop_close(&mine);
        loop_close(&kept);
        loop_close(&other);
        CHECK_INT_EQ(loop_release_tagged("qxd-test:vbd/5/1", kept.devno), 1);
        CHECK_INT_EQ(loop_backing_file_id(mine.devno, &file_dev, &file_ino), -ENXIO);
        CHECK_INT_EQ(loop_backing_file_id(kept.devno, &file_dev, &file_ino), 0);
        CHECK_INT_EQ(loop_backing_file_id(other.devno, &file_dev, &file_ino), 0);
        CHECK_INT_EQ(loop_release_tagged("qxd-test:vbd/5/1", 0), 1);
        CHECK_INT_EQ(loop_release_tagged("qxd-test:vbd/5/10", 0), 1);
        CHECK_INT_EQ(loop_release_tagged("qxd-test:vbd/5/1", 0), 0);
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
        RUN(test_claim_takes_our_loop_and_keeps_a_reused_one);
        RUN(test_claimed_loop_goes_at_its_last_close);
        RUN(test_unclaim_of_a_shared_loop_keeps_it);
        RUN(test_release_tagged_releases_only_that_tag);
        RUN(test_backing_identity_of_what_is_no_loop);
        failed = check_summary();
        return check_scratch_remove(dir) < 0 ? 2 : failed;
}
