/* loop.h: loop devices for regular files: made so that none outlives a run
 * killed at any point without being found again, and released only when
 * they are still the device we made.
 *
 * A device we make carries a tag in its lo_file_name (the kernel's name
 * field, which the path in sysfs does not show): loop_release_tagged()
 * finds what a killed run left. A device being released is marked
 * AUTOCLEAR (LOOP_CLR_FD) while we hold it open: the kernel releases it at
 * its last close, ours included when we die. (Clearing AUTOCLEAR again
 * needs LOOP_SET_STATUS64, which freezes the device's queue for
 * milliseconds: kept off the common path.)
 *
 * Results are 0 (or 1 where said) or -errno; the caller words the reason. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "reason.h"

#define LOOP_MAJOR_NUMBER 7

/* How often a free device is claimed before giving up: LOOP_CTL_GET_FREE can
 * hand the same device to concurrent callers, the loser sees EBUSY. */
#define LOOP_ATTACH_ATTEMPTS 64
/* lo_file_name holds this much, NUL included */
#define LOOP_TAG_MAX 64

struct loop_dev {
        int fd;                 /* open while we hold the device, else -1 */
        dev_t devno;
        uint64_t diskseq;
        bool shared;            /* claimed while someone else held it open */
        char path[32];          /* /dev/loopN */
};

#define LOOP_DEV_INIT { .fd = -1 }

/* Attach FILE_FD (a regular file, opened read-write unless READ_ONLY) to a
 * new loop device with 512-byte blocks, using direct I/O where the file
 * system allows it, tagged TAG. OUT holds it open: loop_close() keeps it,
 * loop_drop() releases it. -EBUSY when no free device could be claimed. */
int loop_attach_file(int file_fd, bool read_only, const char *tag, struct loop_dev *out);

/* Let go of a device we hold, keeping it attached. */
void loop_close(struct loop_dev *dev);

/* Let go of a device we hold and release it: at once if nobody else opened
 * it, else at its last close. */
void loop_drop(struct loop_dev *dev);
static inline void loop_dropp(struct loop_dev *dev)
{
        if (dev->fd >= 0)
                loop_drop(dev);
}
#define _cleanup_loop_ __attribute__((cleanup(loop_dropp)))

/* NAME is a loop device's kernel name: "loop" and decimal digits. */
bool loop_name_is_valid(const char *name);

/* Take the loop device at PATH for release, if it is still device DEVNO
 * with disk sequence number DISKSEQ (not detached and reused since), and
 * mark it AUTOCLEAR: from then on it goes at its last close, whoever
 * closes last. 1 when claimed (DEV holds it), 0 when it is not ours to
 * release (gone, unbound, another device, reused), -errno when it cannot
 * be told. NOTE (error 0) says why it is not released, or that someone
 * else still holds it. */
int loop_claim(const char *path, dev_t devno, uint64_t diskseq, struct loop_dev *dev, struct reason *note);

/* Undo a claim (a remove that could not commit): the device stays. -EBUSY
 * when we were its only opener: it is past saving and goes as we close. */
int loop_unclaim(struct loop_dev *dev);

/* Release every bound loop device tagged TAG but KEEP (0: none), which a
 * killed run left behind. The number released, or -errno. */
int loop_release_tagged(const char *tag, dev_t keep);

/* The file bound to loop device FD or DEVNO, by identity (LOOP_GET_STATUS64:
 * its device and inode, whatever its path became since). -ENXIO when
 * nothing is bound, -ENOENT when there is no such device. */
int loop_fd_backing_id(int fd, dev_t *file_dev, ino_t *file_ino);
int loop_backing_file_id(dev_t devno, dev_t *file_dev, ino_t *file_ino);

/* BLKGETDISKSEQ of an open block device. */
int blockdev_fd_diskseq(int fd, uint64_t *diskseq);
/* The disk sequence number of block device DEVNO (a partition has its
 * disk's), from sysfs. */
int blockdev_diskseq(dev_t devno, uint64_t *diskseq);
