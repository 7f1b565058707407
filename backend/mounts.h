/* mounts.h: what this domain's mount table and swap list say about block
 * devices and files, read from /proc/self/mountinfo and /proc/swaps. Loaded
 * once per process, asked many times. A mount counts for the device
 * mountinfo names and, where that is an anonymous device (btrfs: 0:N), for
 * the block device its source path opens. A swap file counts by identity
 * (device and inode), whatever its path became since. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

enum mount_use {
        MOUNT_UNUSED = 0,
        MOUNT_READ_ONLY,        /* mounted, every mount read-only */
        MOUNT_READ_WRITE,       /* mounted somewhere writable */
        MOUNT_SWAP,             /* an active swap area */
};

struct mounts;

/* Read the mount table and the swap list. -errno when they cannot be read. */
int mounts_load(struct mounts **out);
/* The same from files (tests, fuzzing): MOUNTINFO, and SWAPS or NULL. */
int mounts_load_from(const char *mountinfo, const char *swaps, struct mounts **out);
void mounts_free(struct mounts *m);
static inline void mounts_freep(struct mounts **m)
{
        if (*m)
                mounts_free(*m);
}
#define _cleanup_mounts_ __attribute__((cleanup(mounts_freep)))

/* The strongest use of block device DEVNO. */
enum mount_use mounts_device_use(const struct mounts *m, dev_t devno);
/* Whether the regular file DEV:INO is an active swap file. */
bool mounts_file_is_swap(const struct mounts *m, dev_t dev, ino_t ino);

/* Call VISIT for every mounted or swap block device, with its use, until it
 * returns non-zero; that value is returned (0 when every entry was visited). */
typedef int (*mounts_visit)(dev_t devno, enum mount_use use, void *userdata);
int mounts_foreach(const struct mounts *m, mounts_visit visit, void *userdata);

const char *mount_use_to_string(enum mount_use use);

/* Undo the kernel's octal escapes (\040 for a space) of a mountinfo or swaps
 * field in place. */
void mounts_unescape(char *field);
