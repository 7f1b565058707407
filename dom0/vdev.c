/* vdev.c: xvd names and Xen's device numbers for them. */
#include "vdev.h"

#include <errno.h>
#include <string.h>

#define XEN_MAJOR 202

int vdev_parse(const char *name, unsigned *disk)
{
        size_t len = strlen(name);
        unsigned v = 0;

        if (len < 4 || len > VDEV_NAME_MAX || strncmp(name, "xvd", 3) != 0)
                return -EINVAL;
        /* bijective base 26: a..z, then aa..zz, then aaa..zzz */
        for (size_t i = 3; i < len; i++) {
                if (name[i] < 'a' || name[i] > 'z')
                        return -EINVAL;
                v = v * 26 + (unsigned)(name[i] - 'a') + 1;
        }
        *disk = v - 1;
        return 0;
}

int vdev_format(unsigned disk, char *out, size_t size)
{
        char letters[4];
        size_t n = 0;
        unsigned v = disk + 1;

        if (disk >= VDEV_DISKS_MAX || size < VDEV_NAME_MAX + 1)
                return -EINVAL;
        while (v > 0) {
                v--;
                letters[n++] = (char)('a' + v % 26);
                v /= 26;
        }
        memcpy(out, "xvd", 3);
        for (size_t i = 0; i < n; i++)
                out[3 + i] = letters[n - 1 - i];
        out[3 + n] = '\0';
        return 0;
}

uint32_t vdev_devid(unsigned disk)
{
        /* the first 16 disks keep the old major-202 numbering; then the
         * extended form (bit 28) with 256 partitions per disk */
        if (disk < 16)
                return (XEN_MAJOR << 8) | (disk << 4);
        return (1u << 28) | (disk << 8);
}

int vdev_from_devid(uint32_t devid, unsigned *disk)
{
        if ((devid >> 8) == XEN_MAJOR && (devid & 15) == 0) {
                *disk = (devid >> 4) & 15;
                return 0;
        }
        if ((devid >> 28) == 1 && (devid & 255) == 0 && ((devid >> 8) & 0xfffff) < VDEV_DISKS_MAX) {
                *disk = (devid >> 8) & 0xfffff;
                return 0;
        }
        return -EINVAL;
}
