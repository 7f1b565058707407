/* block-policy.h: "may this block device be offered to dom0?" (shared/SPEC.md
 * §2) and the values of its qubes-block-devices entry (§1): pure functions
 * on the facts blockdev.h read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "blockdev.h"
#include "reason.h"
#include "sanitize.h"

enum block_verdict {
        BLOCK_OFFER,                    /* write (or update) the entry */
        BLOCK_HIDE,                     /* remove the entry */
        BLOCK_KEEP,                     /* not offerable, but attached: leave the entry alone,
                                         * dom0 force-detaches a device whose entry vanishes */
};

/* The decision; *REASON (when not NULL) says why a device is not offered. */
enum block_verdict block_policy_decide(const struct block_facts *facts, const char **reason);

/* What the udev rules exclude, checked again for devices that do not pass
 * through the rules (a dm device's slave, a partition's disk, every event
 * of the monitor): Xen frontend disks (major 202), zram, dm snapshots and
 * origins and unnamed dm devices (DM_NAME, NULL when not a dm device),
 * QUBES_EXPORT_BLOCK_DEVICE=0, and UDISKS_IGNORE=1 from an earlier rule:
 * the flag our rules give loop devices comes with
 * QUBES_UDISKS_IGNORE_OURS=1. (tests/test-udev-rules.sh checks that both
 * agree.) */
bool block_policy_rules_exclude(unsigned major, const char *sysname, const char *dm_name,
                                const char *export_property, const char *udisks_ignore,
                                const char *udisks_ignore_ours);

#define BLOCK_ENTRY_NAME_MAX   16
#define BLOCK_ENTRY_PARENT_MAX 64

struct block_entry {
        char name[BLOCK_ENTRY_NAME_MAX];
        char desc[SANITIZE_DESC_MAX];
        char size[24];
        char mode[2];
        char parent[BLOCK_ENTRY_PARENT_MAX];
};

/* The entry name of DEVNAME, or -EINVAL when dom0 would reject it
 * ([a-z0-9-]{1,12} after "/dev/" and '/' -> '_'). */
int block_policy_entry_name(const char *devname, char *out, size_t size);

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

/* The entry of an offerable device. -EINVAL with NOTE (error 0: not a
 * failure, the device is skipped) when its name is one dom0 rejects; a
 * parent that cannot be given is left empty, also with NOTE. */
int block_policy_make_entry(const struct block_facts *facts, struct block_entry *entry, struct reason *note);
