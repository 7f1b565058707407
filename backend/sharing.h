/* sharing.h: Xen's sharing rule for block devices (SPEC §4), as pure
 * judgements on what the caller found: a disk written by one domain (or
 * used here) is refused to others, readers share, the same domain is
 * exempt. "The same blocks" reaches further than Xen's block script looks:
 * a disk and its partitions, a file and every loop device bound to it
 * (found by the file's identity, not its path), an active swap file.
 *
 * Each judgement returns SHARING_BUSY with WHY set when the target may not
 * be attached in its mode, 0 when it may. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "mounts.h"
#include "reason.h"
#include "vbd.h"

#define SHARING_BUSY 1

/* What is to be attached, and which blocks it is. */
struct sharing_target {
        const char *params;
        enum access_mode mode;
        dev_t devno;                    /* the device blkback gets (the loop, for a file) */
        const dev_t *family;            /* devno, its partitions, or a partition's disk */
        size_t n_family;
        bool has_file;                  /* the image file, or the file a loop target is bound to */
        dev_t file_dev;
        ino_t file_ino;
};

/* Whether block device DEVNO is (part of) T's blocks by number. */
bool sharing_device_overlaps(const struct sharing_target *t, dev_t devno);
/* Whether the regular file DEV:INO is T's file. */
bool sharing_file_overlaps(const struct sharing_target *t, dev_t dev, ino_t ino);

/* Whether a mount or swap area here (USE) on T's blocks keeps T out. */
bool sharing_use_conflicts(const struct sharing_target *t, enum mount_use use);
/* A mount or swap area here (USE) on T's blocks; THROUGH_LOOP: found
 * through a loop device bound to T's file. */
int sharing_judge_local_use(const struct sharing_target *t, enum mount_use use, bool through_loop,
                            struct reason *why);
/* T's file is an active swap file: a guest would read or write the
 * backend's swapped memory, in any mode. */
int sharing_judge_swap_file(const struct sharing_target *t, struct reason *why);
/* Another block device is stacked on T's blocks (holders: LVM, LUKS, md,
 * bcache on the disk or one of its partitions): it writes behind the mount
 * table's back, so no frontend may write too. */
int sharing_judge_holders(const struct sharing_target *t, struct reason *why);
/* Vbd ROOT/DOMID/DEVID of another domain, whose mode node is MODE (NULL
 * when missing), holds T's blocks. */
int sharing_judge_other_vbd(const struct sharing_target *t, const char *root, const char *domid,
                            const char *devid, const char *mode, struct reason *why);
