/* blockdev.h: facts about one block device, read through libudev (properties,
 * parents) and sysfs (attributes relative to the device's directory). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct udev;
struct blockdev;

/* Where Xen's blkback lists the devices it serves: each vbd-DOMID-DEVID/
 * holds physical_device ("maj:min", hex). */
#define BLOCKDEV_VBD_DIR "/sys/bus/xen-backend/drivers/vbd"

/* The device udev runs us for: DEVPATH, DEVNAME, MAJOR and MINOR from ENV
 * (udev's event environment, e.g. environ), which also supplies its
 * properties. -EINVAL (logged) when the environment is malformed, -ENODEV
 * (logged) when the device is gone from sysfs. ENV must outlive the result. */
int blockdev_new_from_environment(struct udev *udev, char *const *env, struct blockdev **out);
/* Another block device by its sysfs name ("sda1", "loop0"): properties come
 * from the udev database. */
int blockdev_new_from_sysname(struct udev *udev, const char *sysname, struct blockdev **out);
/* The disk a partition belongs to. */
int blockdev_new_disk_of(const struct blockdev *partition, struct blockdev **out);

void blockdev_free(struct blockdev *bd);
static inline void blockdev_freep(struct blockdev **bd)
{
        if (*bd)
                blockdev_free(*bd);
}
#define _cleanup_blockdev_ __attribute__((cleanup(blockdev_freep)))

/* A udev property, NULL when unset. */
const char *blockdev_property(const struct blockdev *bd, const char *key);
const char *blockdev_devname(const struct blockdev *bd);   /* "/dev/sda1" */
const char *blockdev_devpath(const struct blockdev *bd);   /* "/devices/.../sda1" */
const char *blockdev_sysname(const struct blockdev *bd);   /* "sda1" */
dev_t blockdev_devno(const struct blockdev *bd);
bool blockdev_is_partition(const struct blockdev *bd);

/* sysfs size (512-byte sectors) in bytes; -EOVERFLOW when it does not fit. */
int blockdev_size_bytes(const struct blockdev *bd, uint64_t *out);
/* 1 when sysfs ro is 1, 0 when 0, -errno. */
int blockdev_is_read_only(const struct blockdev *bd);
/* 1 when holders/ has an entry (dm, md, bcache on top of it), 0, -errno. */
int blockdev_has_holders(const struct blockdev *bd);

/* The dm name from sysfs dm/name: its length, -ENOENT when not a dm device. */
int blockdev_dm_name(const struct blockdev *bd, char *buf, size_t size);
/* How many openers a dm device has (DM_DEV_STATUS on /dev/mapper/control):
 * -errno, logged, when it cannot be asked. */
int blockdev_dm_open_count(const struct blockdev *bd, uint32_t *out);

/* A loop device's backing file (sysfs loop/backing_file): its length,
 * -ENOENT when the loop device has no backing file (no loop/ directory). */
int blockdev_loop_backing_file(const struct blockdev *bd, char *buf, size_t size);
/* Whether an nbd device is connected (sysfs pid exists): 1 or 0. */
int blockdev_nbd_is_connected(const struct blockdev *bd);

/* Sysfs names of the partitions of a disk, or of the slaves of a dm device
 * (slaves/): one malloc'd NULL-terminated array of malloc'd strings, free it
 * with blockdev_names_free(). */
int blockdev_list_partitions(const struct blockdev *bd, char ***out);
int blockdev_list_slaves(const struct blockdev *bd, char ***out);
void blockdev_names_free(char **names);
static inline void blockdev_names_freep(char ***names)
{
        blockdev_names_free(*names);
}
#define _cleanup_names_ __attribute__((cleanup(blockdev_names_freep)))
/* A partition of BD by its sysfs name (from blockdev_list_partitions). */
int blockdev_new_partition(const struct blockdev *bd, const char *sysname, struct blockdev **out);

/* Device numbers that blkback serves (physical_device of every vbd), read
 * once per process. An absent directory (no blkback loaded) is no vbd. */
struct blockdev_vbds {
        dev_t *devnos;
        size_t n;
};
int blockdev_vbds_load(struct blockdev_vbds *out);
void blockdev_vbds_clear(struct blockdev_vbds *vbds);
bool blockdev_vbds_contain(const struct blockdev_vbds *vbds, dev_t devno);
