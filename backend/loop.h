/* loop.h: creating loop devices for regular files and releasing exactly the
 * device we created. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LOOP_MAJOR_NUMBER 7

/* How often a free device is claimed before giving up: LOOP_CTL_GET_FREE can
 * hand the same device to concurrent callers, the loser sees EBUSY. */
#define LOOP_ATTACH_ATTEMPTS 64

struct loop_dev {
        int fd;                 /* open while we own the device, else -1 */
        dev_t devno;
        uint64_t diskseq;
        char path[32];          /* /dev/loopN */
};

#define LOOP_DEV_INIT { .fd = -1 }

/* Attach FILE_FD (a regular file, opened read-write unless READ_ONLY) to a
 * new loop device with 512-byte blocks, using direct I/O when the file system
 * allows it. On success OUT owns the device: loop_detach() undoes it,
 * loop_disown() keeps it attached and closes the fd. */
int loop_attach_file(int file_fd, bool read_only, struct loop_dev *out);

/* Detach a device we attached and still own. */
void loop_detach(struct loop_dev *dev);
void loop_disown(struct loop_dev *dev);
static inline void loop_detachp(struct loop_dev *dev)
{
        if (dev->fd >= 0)
                loop_detach(dev);
}
#define _cleanup_loop_ __attribute__((cleanup(loop_detachp)))

/* Release the loop device at PATH if, and only if, it is still the device
 * DEVNO with disk sequence number DISKSEQ (it has not been detached and reused
 * since). Returns 1 when released (or marked to be released at last close),
 * 0 when it was kept because it is not ours any more, -errno on failure. */
int loop_release(const char *path, dev_t devno, uint64_t diskseq);

/* The file bound to loop device DEVNO, by identity (LOOP_GET_STATUS64: its
 * device and inode, whatever its path became since). -ENXIO when nothing is
 * bound, -ENOENT when there is no such device, other -errno on failure. */
int loop_backing_file_id(dev_t devno, dev_t *file_dev, ino_t *file_ino);

/* BLKGETDISKSEQ of an open block device. */
int blockdev_fd_diskseq(int fd, uint64_t *diskseq);
