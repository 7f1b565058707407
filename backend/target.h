/* target.h: what a vbd's `params` names (SPEC §4): opened once, and judged
 * by the opened object, never by the path again. A regular file is an
 * image (a loop device is made for it); a block device is used as given,
 * with what the sharing rule needs to know about its blocks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "reason.h"
#include "sharing.h"
#include "vbd.h"

struct target {
        int fd;                         /* the open target, -1 when closed */
        struct stat st;
        bool is_file;
        dev_t *family;                  /* a block device, its partitions, a partition's disk */
        size_t n_family, family_allocated;
        struct sharing_target share;    /* for the sharing rule (devno set for a block device) */
};

#define TARGET_INIT { .fd = -1 }

/* Open PARAMS (checked by vbd_check_params) for MODE. Refused with -EINVAL
 * and WHY: not a file or block device, a file of a pseudo file system
 * (procfs, sysfs, cgroup, debugfs...: kernel interfaces, judged by the file
 * system's magic), a /dev/mapper/NAME that does not open the dm device
 * NAME, a loop device bound to nothing; -EROFS for mode w of a read-only
 * device; -errno when it cannot be opened. */
int target_open(const char *params, enum access_mode mode, struct target *t, struct reason *why);

/* Who else uses the blocks: T's partitions or disk, and a loop target's
 * file, filled in T->share (the sharing rule's view). */
int target_find_relatives(struct target *t, struct reason *why);

void target_close(struct target *t);
static inline void target_closep(struct target *t)
{
        target_close(t);
}
#define _cleanup_target_ __attribute__((cleanup(target_closep)))
