/* loop.c: create and release loop devices backed by regular files. */
#include "loop.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "util.h"

int blockdev_fd_diskseq(int fd, uint64_t *diskseq)
{
        return ioctl(fd, BLKGETDISKSEQ, diskseq) < 0 ? negative_errno() : 0;
}

static int loop_configure(int loop_fd, int file_fd, bool read_only, bool direct_io)
{
        struct loop_config config = {
                .fd = (uint32_t)file_fd,
                .block_size = 512,
        };

        config.info.lo_flags = (read_only ? LO_FLAGS_READ_ONLY : 0) |
                               (direct_io ? LO_FLAGS_DIRECT_IO : 0);
        return ioctl(loop_fd, LOOP_CONFIGURE, &config) < 0 ? negative_errno() : 0;
}

/* Claim one free device. -EBUSY when another process configured it first. */
static int loop_try_attach(int control_fd, int file_fd, bool read_only, struct loop_dev *out)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        char path[32];
        int number, r;

        number = ioctl(control_fd, LOOP_CTL_GET_FREE);
        if (number < 0)
                return log_error_errno(negative_errno(), "cannot find a free loop device");
        snprintf(path, sizeof(path), "/dev/loop%d", number);

        fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", path);

        /* Direct I/O avoids caching the image twice (in the guest and here);
         * a file system without O_DIRECT support makes the kernel refuse it. */
        r = loop_configure(fd, file_fd, read_only, true);
        if (r == -EINVAL)
                r = loop_configure(fd, file_fd, read_only, false);
        if (r == -EBUSY)
                return r;
        if (r < 0)
                return log_error_errno(r, "cannot set up %s", path);

        if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode) || major(st.st_rdev) != LOOP_MAJOR_NUMBER) {
                r = log_error(-ENODEV, "%s is not a loop device", path);
                ioctl(fd, LOOP_CLR_FD, 0);
                return r;
        }
        r = blockdev_fd_diskseq(fd, &out->diskseq);
        if (r < 0) {
                log_error_errno(r, "cannot read the disk sequence number of %s", path);
                ioctl(fd, LOOP_CLR_FD, 0);
                return r;
        }
        out->devno = st.st_rdev;
        memcpy(out->path, path, sizeof(path));
        out->fd = TAKE_FD(fd);
        return 0;
}

int loop_attach_file(int file_fd, bool read_only, struct loop_dev *out)
{
        _cleanup_close_ int control_fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

        if (control_fd < 0)
                return log_error_errno(negative_errno(), "cannot open /dev/loop-control");

        for (unsigned attempt = 0; attempt < LOOP_ATTACH_ATTEMPTS; attempt++) {
                int r = loop_try_attach(control_fd, file_fd, read_only, out);

                if (r != -EBUSY)        /* another process took the same free device */
                        return r;
        }
        return log_error(-EBUSY, "no free loop device after %d attempts", LOOP_ATTACH_ATTEMPTS);
}

void loop_detach(struct loop_dev *dev)
{
        /* undoing an attach after a failure: the failure stays the reason */
        if (ioctl(dev->fd, LOOP_CLR_FD, 0) < 0)
                log_warning_errno(negative_errno(), "cannot detach %s", dev->path);
        closep(&dev->fd);
        dev->fd = -1;
}

void loop_disown(struct loop_dev *dev)
{
        closep(&dev->fd);
        dev->fd = -1;
}

int loop_release(const char *path, dev_t devno, uint64_t diskseq)
{
        _cleanup_close_ int fd = -1;
        uint64_t current;
        struct stat st;
        int r;

        /* Exclusive first. EBUSY means someone claimed the device meanwhile
         * (mounted it, stacked dm on it): it is not pulled from under them,
         * but LOOP_CLR_FD on a shared open only marks it to be released at
         * its last close (autoclear), so that it does not outlive its user
         * either. The same happens if blkback has not closed it yet. */
        fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == EBUSY) {
                log_info("%s is in use here: it will be released when its last user closes it", path);
                fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        }
        if (fd < 0) {
                r = negative_errno();
                if (r == -ENOENT || r == -ENXIO)
                        return 0;       /* already gone */
                return log_error_errno(r, "cannot open %s to release it", path);
        }
        if (fstat(fd, &st) < 0)
                return log_error_errno(negative_errno(), "cannot stat %s", path);
        if (!S_ISBLK(st.st_mode) || st.st_rdev != devno) {
                log_info("not releasing %s: it is no longer device %u:%u", path,
                         major(devno), minor(devno));
                return 0;
        }
        r = blockdev_fd_diskseq(fd, &current);
        if (r == -ENXIO)
                return 0;               /* detached already: nothing is bound */
        if (r < 0)
                return log_error_errno(r, "cannot read the disk sequence number of %s", path);
        if (current != diskseq) {
                log_info("not releasing %s: it was reused since (disk sequence %#llx, ours was %#llx)",
                         path, (unsigned long long)current, (unsigned long long)diskseq);
                return 0;
        }
        if (ioctl(fd, LOOP_CLR_FD, 0) < 0) {
                r = negative_errno();
                if (r == -ENXIO)
                        return 0;       /* no file bound: someone detached it */
                if (r != -EBUSY)
                        return log_error_errno(r, "cannot detach %s", path);
        }
        return 1;
}

int loop_backing_file_id(dev_t devno, dev_t *file_dev, ino_t *file_ino)
{
        _cleanup_close_ int fd = -1;
        char link[64], target[256], path[64];
        struct loop_info64 info = { 0 };     /* valgrind has no model of this ioctl */
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
        if (!startswith(name, "loop") || !name[4] || strspn(name + 4, "0123456789") != strlen(name + 4) ||
            snprintf(path, sizeof(path), "/dev/%s", name) >= (int)sizeof(path))
                return -ENODEV;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISBLK(st.st_mode) || st.st_rdev != devno)
                return -ENODEV;
        if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
                return negative_errno();        /* ENXIO: nothing bound */
        /* the kernel encodes lo_device as it encodes st_dev for stat() */
        *file_dev = (dev_t)info.lo_device;
        *file_ino = (ino_t)info.lo_inode;
        return 0;
}
