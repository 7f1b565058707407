/* block-policy.h: "may this block device be offered to dom0?" (shared/SPEC.md
 * §2) and the values of its qubes-block-devices entry (§1). Facts are
 * gathered once into struct block_facts; the decision and the value
 * formatting on top of them are pure functions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blockdev.h"
#include "mounts.h"
#include "sanitize.h"

/* What the policy reads besides the device itself: loaded once per event. */
struct block_policy_context {
        struct mounts *mounts;
        struct blockdev_vbds vbds;
};

struct block_facts {
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
        bool read_only;
        bool rules_excluded;            /* what the udev rules skip: see block_policy_rules_exclude */
        bool disk_rules_disabled;       /* DM_UDEV_DISABLE_DISK_RULES_FLAG=1 */
        bool export_forced;             /* QUBES_EXPORT_BLOCK_DEVICE=1 */
};

enum block_verdict {
        BLOCK_OFFER,                    /* write (or update) the entry */
        BLOCK_HIDE,                     /* remove the entry */
        BLOCK_KEEP,                     /* not offerable, but attached: leave the entry alone,
                                         * dom0 force-detaches a device whose entry vanishes */
};

/* The decision; *REASON (when not NULL) says why a device is not offered. */
enum block_verdict block_policy_decide(const struct block_facts *facts, const char **reason);

/* What the udev rules exclude, checked again for devices re-evaluated in
 * process (a dm device's slave, a partition's disk), which do not pass
 * through the rules: Xen frontend disks (major 202), zram, dm snapshots and
 * origins and unnamed dm devices, QUBES_EXPORT_BLOCK_DEVICE=0, and
 * UDISKS_IGNORE=1 on anything but a loop device (our rules set it there). */
bool block_policy_rules_exclude(unsigned major, const char *sysname, const char *dm_name,
                                const char *export_property, const char *udisks_ignore);

/* Whether a directory holding BACKING_FILE, or any ancestor up to but not
 * including "/", has an entry named .qubes-exclude-block-devices:
 * 1, 0 or -errno (logged). */
#define BLOCK_POLICY_EXCLUDE_MARKER ".qubes-exclude-block-devices"
int block_policy_backing_file_excluded(const char *backing_file);

/* Every fact about BD. -errno (logged) when one cannot be read. */
int block_policy_gather(const struct block_policy_context *ctx, const struct blockdev *bd,
                        struct block_facts *facts);

/* In use in this domain: mounted, swap, holders, or an open dm device.
 * 1, 0, or -errno (logged). */
int block_policy_device_busy(const struct block_policy_context *ctx, const struct blockdev *bd);

#define BLOCK_ENTRY_NAME_MAX   16
#define BLOCK_ENTRY_PARENT_MAX 64

struct block_entry {
        char name[BLOCK_ENTRY_NAME_MAX];
        char desc[SANITIZE_DESC_MAX];
        char size[24];
        char mode[2];
        char parent[BLOCK_ENTRY_PARENT_MAX];
};

/* desc, first match wins: the dm name, a loop device's backing file, else
 * "MODEL (LABEL)". Spaces in the first two become '_' (dom0 splits the
 * description at the first space), and so do those of MODEL. */
void block_policy_format_desc(const char *dm_name, const char *backing_file, const char *model,
                              const char *label, char *out, size_t size);

/* parent: for a partition the disk's name (basename of dirname of DEVPATH);
 * otherwise the basename of DEVPATH before the first "/host" (a USB
 * interface "2-1.4:1.0", a SATA port "ata1"); "" when none. -EINVAL when the
 * result holds characters no device name has (OUT is then ""). */
int block_policy_format_parent(const char *devpath, bool partition, char *out, size_t size);

/* The entry of an offerable device: name, desc, size, mode and parent.
 * 0, or 1 (logged, no entry) when its name is one dom0 rejects, or -errno
 * (logged) when a fact cannot be read. */
int block_policy_build_entry(const struct blockdev *bd, const struct block_facts *facts,
                             struct block_entry *entry);
