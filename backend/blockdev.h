/* blockdev.h: one block device and its facts, read once. The device is
 * found in sysfs (from an event's DEVPATH, a sysfs name, or as a
 * partition's disk); its facts come from sysfs relative to its directory,
 * the mount table, blkback's list of served devices and its udev
 * properties (the event's for the event's own device, udev's database for
 * the others), into struct block_facts, strings included. The policy
 * (block-policy.h) decides on the facts alone. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "mounts.h"
#include "reason.h"
#include "udev-event.h"

/* Where Xen's blkback lists the devices it serves: each vbd-DOMID-DEVID/
 * holds physical_device ("maj:min", hex). */
#define BLOCKDEV_VBD_DIR "/sys/bus/xen-backend/drivers/vbd"

#define BLOCKDEV_NAME_MAX 128           /* a sysfs name */
#define BLOCKDEV_DM_NAME_MAX 129        /* DM_NAME_LEN and sysfs' newline */
#define BLOCKDEV_TEXT_MAX 512           /* ID_MODEL, ID_FS_LABEL, as much as we keep */

struct blockdev;

/* The event's device: DEVPATH in sysfs, which must be a block device whose
 * number is MAJOR:MINOR and whose node is DEVNAME. -ENODEV when it is gone
 * from sysfs, -EINVAL for an event that does not describe it; WHY says. */
int blockdev_open_event(const struct udev_event *ev, struct blockdev **out, struct reason *why);
/* Another block device by its sysfs name ("sda1", "loop0"). */
int blockdev_open_sysname(const char *sysname, struct blockdev **out, struct reason *why);
/* The disk of a partition. */
int blockdev_open_disk_of(const struct blockdev *partition, struct blockdev **out, struct reason *why);

void blockdev_free(struct blockdev *bd);
static inline void blockdev_freep(struct blockdev **bd)
{
        if (*bd)
                blockdev_free(*bd);
}
#define _cleanup_blockdev_ __attribute__((cleanup(blockdev_freep)))

const char *blockdev_sysname(const struct blockdev *bd);   /* "sda1" */
const char *blockdev_devname(const struct blockdev *bd);   /* "/dev/sda1" */
dev_t blockdev_devno(const struct blockdev *bd);
bool blockdev_is_partition(const struct blockdev *bd);
bool blockdev_is_dm(const struct blockdev *bd);

/* Sysfs names of a disk's partitions, or of a dm device's slaves (slaves/),
 * as a strv. */
int blockdev_list_partitions(const struct blockdev *bd, char ***out, struct reason *why);
int blockdev_list_slaves(const struct blockdev *bd, char ***out, struct reason *why);

/* What the facts of every device of one event share: read once. */
struct blockdev_context {
        struct mounts *mounts;          /* NULL until needed */
        bool mounts_borrowed;           /* the caller's (a resident program's), not freed here */
        dev_t *vbds;                    /* devices blkback serves */
        size_t n_vbds;
        bool vbds_loaded;
};

int blockdev_context_load_vbds(struct blockdev_context *ctx, struct reason *why);
int blockdev_context_load(struct blockdev_context *ctx, struct reason *why);
void blockdev_context_done(struct blockdev_context *ctx);
bool blockdev_context_attached(const struct blockdev_context *ctx, dev_t devno);

struct block_facts {
        /* who it is */
        char sysname[BLOCKDEV_NAME_MAX];
        char devname[BLOCKDEV_NAME_MAX + 5];
        char devpath[UDEV_DEVPATH_MAX + 1];
        dev_t devno;
        /* what the entry says of it */
        uint64_t size;                  /* bytes */
        bool read_only;
        char dm_name[BLOCKDEV_DM_NAME_MAX];     /* "" when not a dm device */
        char backing_file[PATH_MAX];    /* a loop device's, "" when none */
        char model[BLOCKDEV_TEXT_MAX];  /* ID_MODEL */
        char label[BLOCKDEV_TEXT_MAX];  /* ID_FS_LABEL */
        /* what decides whether it is offered */
        bool attached;                  /* itself served by blkback */
        bool partition;
        bool disk_attached;             /* a partition whose disk is attached */
        bool partition_busy;            /* a disk one of whose partitions is in use or attached */
        enum mount_use mount_use;
        bool holders;
        bool dm;
        uint32_t dm_open_count;
        bool loop;
        bool loop_bound;                /* has a backing file */
        bool loop_excluded;             /* .qubes-exclude-block-devices above the backing file */
        bool nbd;
        bool nbd_connected;
        bool cd;
        bool cd_media;
        bool rules_excluded;            /* what the udev rules skip: see block_policy_rules_exclude */
        bool disk_rules_disabled;       /* DM_UDEV_DISABLE_DISK_RULES_FLAG=1 */
        bool export_forced;             /* QUBES_EXPORT_BLOCK_DEVICE=1 */
};

/* Every fact of BD. -errno with WHY when one cannot be read; F->devno,
 * F->sysname, F->devname and F->attached are set all the same. */
int blockdev_read_facts(struct blockdev *bd, struct blockdev_context *ctx, struct block_facts *f,
                        struct reason *why);

/* Whether a directory holding BACKING_FILE, or any ancestor up to but not
 * including "/", has an entry named .qubes-exclude-block-devices:
 * 1, 0 or -errno with WHY. */
#define BLOCKDEV_EXCLUDE_MARKER ".qubes-exclude-block-devices"
int blockdev_backing_file_excluded(const char *backing_file, struct reason *why);
