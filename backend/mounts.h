/* mounts.h: what this domain's mount table and swap list say about a block
 * device, through libmount. Loaded once per process, asked many times. A
 * mount counts for the device mountinfo names and for the block device its
 * source path opens (they differ on btrfs). */
#pragma once

#include <sys/types.h>

enum mount_use {
        MOUNT_UNUSED = 0,
        MOUNT_READ_ONLY,        /* mounted, every mount read-only */
        MOUNT_READ_WRITE,       /* mounted somewhere writable */
        MOUNT_SWAP,             /* an active swap area */
};

struct mounts;

/* Parse /proc/self/mountinfo and /proc/swaps. -errno (logged) on failure. */
int mounts_load(struct mounts **out);
void mounts_free(struct mounts *m);
static inline void mounts_freep(struct mounts **m)
{
        if (*m)
                mounts_free(*m);
}
#define _cleanup_mounts_ __attribute__((cleanup(mounts_freep)))

/* The strongest use of device DEVNO. */
enum mount_use mounts_device_use(const struct mounts *m, dev_t devno);

/* Call VISIT for every mounted or swap device, with its use, until it returns
 * non-zero; that value is returned (0 when every entry was visited). */
typedef int (*mounts_visit)(dev_t devno, enum mount_use use, void *userdata);
int mounts_foreach(const struct mounts *m, mounts_visit visit, void *userdata);

const char *mount_use_to_string(enum mount_use use);
