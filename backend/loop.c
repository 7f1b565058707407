/* loop.c: create, keep and release loop devices backed by regular files. */
#include "loop.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "sysfs.h"
#include "util.h"

int blockdev_fd_diskseq(int fd, uint64_t *diskseq)
{
        return ioctl(fd, BLKGETDISKSEQ, diskseq) < 0 ? negative_errno() : 0;
}

int blockdev_diskseq(dev_t devno, uint64_t *diskseq)
{
        _cleanup_close_ int dir = sysfs_open_block(major(devno), minor(devno));
        int r;

        if (dir < 0)
                return dir;
        r = sysfs_read_u64(dir, "diskseq", diskseq);
        /* a partition has its disk's: the number counts the disk's media */
        if (r == -ENOENT && faccessat(dir, "partition", F_OK, 0) == 0)
                r = sysfs_read_u64(dir, "../diskseq", diskseq);
        return r;
}

static int loop_configure(int loop_fd, int file_fd, bool read_only, bool direct_io, const char *tag)
{
        struct loop_config config = {
                .fd = (uint32_t)file_fd,
                .block_size = 512,
        };

        config.info.lo_flags = (read_only ? LO_FLAGS_READ_ONLY : 0) | (direct_io ? LO_FLAGS_DIRECT_IO : 0);
        snprintf((char *)config.info.lo_file_name, sizeof(config.info.lo_file_name), "%s", tag);
        return ioctl(loop_fd, LOOP_CONFIGURE, &config) < 0 ? negative_errno() : 0;
}

/* Claim one free device. -EBUSY when another process configured it first. */
static int loop_try_attach(int control_fd, int file_fd, bool read_only, const char *tag, struct loop_dev *out)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        char path[32];
        int number, r;

        number = ioctl(control_fd, LOOP_CTL_GET_FREE);
        if (number < 0)
                return negative_errno();
        snprintf(path, sizeof(path), "/dev/loop%d", number);

        fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode) || major(st.st_rdev) != LOOP_MAJOR_NUMBER)
                return -ENODEV;

        /* Direct I/O avoids caching the image twice (in the guest and here);
         * a file system without O_DIRECT support makes the kernel refuse it. */
        r = loop_configure(fd, file_fd, read_only, true, tag);
        if (r == -EINVAL)
                r = loop_configure(fd, file_fd, read_only, false, tag);
        if (r < 0)
                return r;
        r = blockdev_fd_diskseq(fd, &out->diskseq);
        if (r < 0) {
                ioctl(fd, LOOP_CLR_FD, 0);
                return r;
        }
        out->devno = st.st_rdev;
        memcpy(out->path, path, sizeof(path));
        out->fd = TAKE_FD(fd);
        log_debug("attached %s (diskseq %#llx)", out->path, (unsigned long long)out->diskseq);
        return 0;
}

int loop_attach_file(int file_fd, bool read_only, const char *tag, struct loop_dev *out)
{
        _cleanup_close_ int control_fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

        if (control_fd < 0)
                return negative_errno();
        for (unsigned attempt = 0; attempt < LOOP_ATTACH_ATTEMPTS; attempt++) {
                int r = loop_try_attach(control_fd, file_fd, read_only, tag, out);

                if (r != -EBUSY)        /* another process took the same free device */
                        return r;
        }
        return -EBUSY;
}

static int loop_set_autoclear(int fd, bool on)
{
        struct loop_info64 info = { 0 };     /* valgrind has no model of this ioctl */

        if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
                return negative_errno();
        if (!!(info.lo_flags & LO_FLAGS_AUTOCLEAR) == on)
                return 0;
        info.lo_flags = on ? info.lo_flags | LO_FLAGS_AUTOCLEAR : info.lo_flags & ~LO_FLAGS_AUTOCLEAR;
        return ioctl(fd, LOOP_SET_STATUS64, &info) < 0 ? negative_errno() : 0;
}

void loop_close(struct loop_dev *dev)
{
        closep(&dev->fd);
        dev->fd = -1;
}

void loop_drop(struct loop_dev *dev)
{
        /* released now if nobody else opened it, else marked AUTOCLEAR and
         * gone at its last close */
        if (ioctl(dev->fd, LOOP_CLR_FD, 0) < 0 && errno != EBUSY && errno != ENXIO)
                log_debug("cannot detach %s: %s", dev->path, strerror(errno));
        loop_close(dev);
}

bool loop_name_is_valid(const char *name)
{
        return startswith(name, "loop") && name[4] && strspn(name + 4, "0123456789") == strlen(name + 4);
}

int loop_claim(const char *path, dev_t devno, uint64_t diskseq, struct loop_dev *dev, struct reason *note)
{
        struct loop_info64 info = { 0 };
        _cleanup_close_ int fd = -1;
        uint64_t current;
        struct stat st;
        int r;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT || errno == ENXIO ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode) || st.st_rdev != devno) {
                reason_set(note, 0, "not releasing %s: it is not device %u:%u", path, major(devno), minor(devno));
                return 0;
        }
        r = blockdev_fd_diskseq(fd, &current);
        if (r == -ENXIO)
                return 0;
        if (r < 0)
                return r;
        if (current != diskseq) {
                reason_set(note, 0, "not releasing %s: it was reused since (disk sequence %#llx, ours was %#llx)",
                           path, (unsigned long long)current, (unsigned long long)diskseq);
                return 0;
        }
        /* AUTOCLEAR without freezing the queue (LOOP_SET_STATUS64 would):
         * the detach itself waits for the last close. Someone else holding
         * it (blkback not done yet, a mount, dm stacked on it) keeps it
         * bound until then; with nobody else it is running down already
         * and answers no status. */
        if (ioctl(fd, LOOP_CLR_FD, 0) < 0) {
                if (errno == ENXIO)
                        return 0;       /* detached meanwhile */
                if (errno != EBUSY)
                        return negative_errno();
        }
        dev->shared = ioctl(fd, LOOP_GET_STATUS64, &info) == 0;
        if (dev->shared)
                reason_set(note, 0, "%s is in use here: it will be released when its last user closes it", path);
        dev->devno = devno;
        dev->diskseq = diskseq;
        snprintf(dev->path, sizeof(dev->path), "%s", path);
        dev->fd = TAKE_FD(fd);
        return 1;
}

int loop_unclaim(struct loop_dev *dev)
{
        if (!dev->shared)
                return -EBUSY;  /* ours alone: LOOP_CLR_FD ran the device down */
        return loop_set_autoclear(dev->fd, false);
}

/* Whether the bound loop device NAME ("loop3") carries TAG, and is not KEEP. */
static int loop_is_tagged(const char *name, const char *tag, dev_t keep, int *fd_out)
{
        _cleanup_close_ int fd = -1;
        struct loop_info64 info = { 0 };
        char path[64];
        struct stat st;

        if (snprintf(path, sizeof(path), "/dev/%s", name) >= (int)sizeof(path))
                return 0;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || major(st.st_rdev) != LOOP_MAJOR_NUMBER ||
            st.st_rdev == keep)
                return 0;
        if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
                return errno == ENXIO ? 0 : negative_errno();
        if (strncmp((const char *)info.lo_file_name, tag, sizeof(info.lo_file_name)) != 0)
                return 0;
        *fd_out = TAKE_FD(fd);
        return 1;
}

int loop_release_tagged(const char *tag, dev_t keep)
{
        _cleanup_closedir_ DIR *dir = opendir("/sys/block");
        struct dirent *de;
        int released = 0;

        if (!dir)
                return negative_errno();
        while ((de = readdir(dir))) {
                _cleanup_close_ int fd = -1;
                char bound[64];
                int r;

                /* bound devices only: they have a loop/ directory in sysfs */
                if (!startswith(de->d_name, "loop") ||
                    snprintf(bound, sizeof(bound), "%s/loop", de->d_name) >= (int)sizeof(bound) ||
                    faccessat(dirfd(dir), bound, F_OK, 0) < 0)
                        continue;
                r = loop_is_tagged(de->d_name, tag, keep, &fd);
                if (r < 0)
                        return r;
                if (r > 0 && (ioctl(fd, LOOP_CLR_FD, 0) == 0 || errno == EBUSY)) {
                        log_debug("released /dev/%s, left by a run that was killed (%s)", de->d_name, tag);
                        released++;
                }
        }
        return released;
}

int loop_fd_backing_id(int fd, dev_t *file_dev, ino_t *file_ino)
{
        struct loop_info64 info = { 0 };

        if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
                return negative_errno();        /* ENXIO: nothing bound */
        /* the kernel encodes lo_device as it encodes st_dev for stat() */
        *file_dev = (dev_t)info.lo_device;
        *file_ino = (ino_t)info.lo_inode;
        return 0;
}

int loop_backing_file_id(dev_t devno, dev_t *file_dev, ino_t *file_ino)
{
        _cleanup_close_ int fd = -1;
        char link[64], target[256], path[64];
        const char *name;
        struct stat st;
        ssize_t n;

        if (major(devno) != LOOP_MAJOR_NUMBER)
                return -ENOTBLK;
        /* the kernel's name of the device, whatever node names udev made */
        snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(devno), minor(devno));
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return negative_errno();
        target[n] = '\0';
        name = strrchr(target, '/');
        name = name ? name + 1 : target;
        if (!loop_name_is_valid(name) || snprintf(path, sizeof(path), "/dev/%s", name) >= (int)sizeof(path))
                return -ENODEV;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode) || st.st_rdev != devno)
                return -ENODEV;
        return loop_fd_backing_id(fd, file_dev, file_ino);
}
