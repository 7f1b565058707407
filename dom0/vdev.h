/* vdev.h: Xen virtual disk names (xvdi) and the device numbers libxl gives
 * them in xenstore (docs/misc/vbd-interface.txt): xvdX with X of one to three
 * letters, whole disks only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define VDEV_NAME_MAX 6         /* "xvd" + three letters */
#define VDEV_DISKS_MAX (26 + 26 * 26 + 26 * 26 * 26)

/* "xvdi" -> disk index 8; "xvdaa" -> 26. -EINVAL for anything else. */
int vdev_parse(const char *name, unsigned *disk);
/* Disk index -> "xvdX" into OUT (at least VDEV_NAME_MAX + 1 bytes). */
int vdev_format(unsigned disk, char *out, size_t size);
/* Disk index -> the device number under device/vbd/ and backend/vbd/F/. */
uint32_t vdev_devid(unsigned disk);
/* The device number of a whole disk back to its index; -EINVAL otherwise. */
int vdev_from_devid(uint32_t devid, unsigned *disk);
