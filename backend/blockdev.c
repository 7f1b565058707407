/* blockdev.c: facts about one block device from libudev and sysfs. */
#include "blockdev.h"

#include <dirent.h>
#include <fcntl.h>
#include <libudev.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "parse.h"
#include "sysfs.h"
#include "util.h"

#define BLOCKDEV_DM_CONTROL "/dev/mapper/control"

struct blockdev {
        struct udev_device *device;
        char *const *environment;       /* udev's event environment, or NULL */
        int sysfs_fd;
        dev_t devno;
};

static const char *environment_get(char *const *env, const char *key)
{
        size_t len = strlen(key);

        for (; env && *env; env++)
                if (strncmp(*env, key, len) == 0 && (*env)[len] == '=')
                        return *env + len + 1;
        return NULL;
}

/* DEVPATH comes from the environment: it must name a place under /sys and
 * nothing else ("/devices/../../etc" would not). */
static bool devpath_is_valid(const char *devpath)
{
        if (!startswith(devpath, "/devices/") || strlen(devpath) > 1024)
                return false;
        for (const char *p = devpath; (p = strstr(p, "/.")); p++)
                if (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
                        return false;
        return true;
}

static int blockdev_new_from_udev_device(struct udev_device *device, char *const *env,
                                         struct blockdev **out)
{
        struct blockdev *bd;
        const char *syspath = udev_device_get_syspath(device);
        int fd = sysfs_open_dir(AT_FDCWD, syspath);

        if (fd < 0) {
                udev_device_unref(device);
                return log_error_errno(fd == -ENOENT ? -ENODEV : fd, "cannot open %s", syspath);
        }
        bd = calloc(1, sizeof(*bd));
        if (!bd) {
                close(fd);
                udev_device_unref(device);
                return log_error_errno(-ENOMEM, "cannot read %s", syspath);
        }
        bd->device = device;
        bd->environment = env;
        bd->sysfs_fd = fd;
        bd->devno = udev_device_get_devnum(device);
        *out = bd;
        return 0;
}

int blockdev_new_from_environment(struct udev *udev, char *const *env, struct blockdev **out)
{
        const char *devpath = environment_get(env, "DEVPATH");
        const char *devname = environment_get(env, "DEVNAME");
        const char *major = environment_get(env, "MAJOR"), *minor = environment_get(env, "MINOR");
        struct udev_device *device;
        struct blockdev *bd;
        uint32_t maj, min;
        char syspath[1100];
        int r;

        if (!devpath || !devpath_is_valid(devpath))
                return log_error(-EINVAL, "DEVPATH '%s' is not a sysfs device path", devpath ? devpath : "");
        if (!devname || !startswith(devname, "/dev/"))
                return log_error(-EINVAL, "DEVNAME '%s' is not a device node", devname ? devname : "");
        if (!major || !minor || parse_u32(major, 10, &maj) < 0 || parse_u32(minor, 10, &min) < 0)
                return log_error(-EINVAL, "MAJOR '%s' / MINOR '%s' are not device numbers",
                                 major ? major : "", minor ? minor : "");

        snprintf(syspath, sizeof(syspath), "/sys%s", devpath);
        errno = 0;
        device = udev_device_new_from_syspath(udev, syspath);
        if (!device) {
                r = negative_errno();
                return log_error_errno(r == -ENOENT ? -ENODEV : r, "cannot find %s", syspath);
        }
        r = blockdev_new_from_udev_device(device, env, &bd);
        if (r < 0)
                return r;
        if (bd->devno != makedev(maj, min)) {
                dev_t devno = bd->devno;

                blockdev_free(bd);
                return log_error(-EINVAL, "%s is %u:%u in sysfs, not MAJOR:MINOR %u:%u", syspath,
                                 major(devno), minor(devno), maj, min);
        }
        /* The entry is named after DEVNAME and dom0 attaches /dev/NAME: a
         * DEVNAME of another device would offer that one with this one's facts. */
        if (udev_device_get_devnode(bd->device) && !streq(udev_device_get_devnode(bd->device), devname)) {
                r = log_error(-EINVAL, "DEVNAME '%s' is not the node of %s (%s)", devname, syspath,
                              udev_device_get_devnode(bd->device));
                blockdev_free(bd);
                return r;
        }
        *out = bd;
        return 0;
}

static bool sysname_is_valid(const char *sysname)
{
        return *sysname && !strchr(sysname, '/') && !streq(sysname, ".") && !streq(sysname, "..") &&
               strlen(sysname) < 128;
}

int blockdev_new_from_sysname(struct udev *udev, const char *sysname, struct blockdev **out)
{
        struct udev_device *device;

        if (!sysname_is_valid(sysname))
                return log_error(-EINVAL, "'%s' is not a block device name", sysname);
        errno = 0;
        device = udev_device_new_from_subsystem_sysname(udev, "block", sysname);
        if (!device)
                return log_error_errno(errno == ENOENT || errno == 0 ? -ENODEV : negative_errno(),
                                       "cannot find block device %s", sysname);
        return blockdev_new_from_udev_device(device, NULL, out);
}

int blockdev_new_disk_of(const struct blockdev *partition, struct blockdev **out)
{
        struct udev_device *parent = udev_device_get_parent(partition->device);
        const char *subsystem = parent ? udev_device_get_subsystem(parent) : NULL;

        if (!subsystem || !streq(subsystem, "block"))
                return log_error(-ENODEV, "partition %s has no disk", blockdev_sysname(partition));
        return blockdev_new_from_udev_device(udev_device_ref(parent), NULL, out);
}

int blockdev_new_partition(const struct blockdev *bd, const char *sysname, struct blockdev **out)
{
        struct udev_device *device;
        char syspath[1200];
        int n;

        if (!sysname_is_valid(sysname))
                return log_error(-EINVAL, "'%s' is not a block device name", sysname);
        n = snprintf(syspath, sizeof(syspath), "%s/%s", udev_device_get_syspath(bd->device), sysname);
        if (n < 0 || (size_t)n >= sizeof(syspath))
                return log_error(-ENAMETOOLONG, "sysfs path of %s is too long", sysname);
        errno = 0;
        device = udev_device_new_from_syspath(udev_device_get_udev(bd->device), syspath);
        if (!device)
                return log_error_errno(negative_errno(), "cannot find %s", syspath);
        return blockdev_new_from_udev_device(device, NULL, out);
}

void blockdev_free(struct blockdev *bd)
{
        if (!bd)
                return;
        closep(&bd->sysfs_fd);
        udev_device_unref(bd->device);
        free(bd);
}

const char *blockdev_property(const struct blockdev *bd, const char *key)
{
        if (bd->environment)
                return environment_get(bd->environment, key);
        return udev_device_get_property_value(bd->device, key);
}

const char *blockdev_devname(const struct blockdev *bd)
{
        const char *devname = bd->environment ? environment_get(bd->environment, "DEVNAME")
                                              : udev_device_get_devnode(bd->device);

        return devname ? devname : "";
}

const char *blockdev_devpath(const struct blockdev *bd)
{
        return udev_device_get_devpath(bd->device);
}

const char *blockdev_sysname(const struct blockdev *bd)
{
        return udev_device_get_sysname(bd->device);
}

dev_t blockdev_devno(const struct blockdev *bd)
{
        return bd->devno;
}

bool blockdev_is_partition(const struct blockdev *bd)
{
        return faccessat(bd->sysfs_fd, "partition", F_OK, 0) == 0;
}

static int blockdev_fail(const struct blockdev *bd, int r, const char *attribute)
{
        return log_error_errno(r, "cannot read %s/%s", udev_device_get_syspath(bd->device), attribute);
}

int blockdev_size_bytes(const struct blockdev *bd, uint64_t *out)
{
        uint64_t sectors;
        int r = sysfs_read_u64(bd->sysfs_fd, "size", &sectors);

        if (r < 0)
                return blockdev_fail(bd, r, "size");
        /* sysfs counts 512-byte sectors whatever the logical block size */
        if (sectors > UINT64_MAX / 512)
                return blockdev_fail(bd, -EOVERFLOW, "size");
        *out = sectors * 512;
        return 0;
}

int blockdev_is_read_only(const struct blockdev *bd)
{
        uint64_t ro;
        int r = sysfs_read_u64(bd->sysfs_fd, "ro", &ro);

        if (r < 0)
                return blockdev_fail(bd, r, "ro");
        return ro != 0;
}

int blockdev_has_holders(const struct blockdev *bd)
{
        int r = sysfs_dir_has_entries(bd->sysfs_fd, "holders");

        if (r == -ENOENT)
                return 0;
        return r < 0 ? blockdev_fail(bd, r, "holders") : r;
}

int blockdev_dm_name(const struct blockdev *bd, char *buf, size_t size)
{
        int r = sysfs_read_attr(bd->sysfs_fd, "dm/name", buf, size);

        if (r == -ENOENT)
                return r;
        return r < 0 ? blockdev_fail(bd, r, "dm/name") : r;
}

/* The kernel decodes dm_ioctl.dev with huge_decode_dev(): the "new" 32-bit
 * encoding, minor split around the major. */
static uint64_t dm_encode_dev(dev_t devno)
{
        uint64_t maj = major(devno), min = minor(devno);

        return (min & 0xff) | (maj << 8) | ((min & ~(uint64_t)0xff) << 12);
}

int blockdev_dm_open_count(const struct blockdev *bd, uint32_t *out)
{
        _cleanup_close_ int fd = open(BLOCKDEV_DM_CONTROL, O_RDWR | O_CLOEXEC | O_NOCTTY);
        struct dm_ioctl dmi = {
                .version = { DM_VERSION_MAJOR, 0, 0 },
                .data_size = sizeof(dmi),
                .dev = dm_encode_dev(bd->devno),
        };

        if (fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s to ask for %s's open count",
                                       BLOCKDEV_DM_CONTROL, blockdev_sysname(bd));
        if (ioctl(fd, DM_DEV_STATUS, &dmi) < 0)
                return log_error_errno(negative_errno(), "cannot get the status of dm device %s",
                                       blockdev_sysname(bd));
        *out = dmi.open_count < 0 ? 0 : (uint32_t)dmi.open_count;
        return 0;
}

int blockdev_loop_backing_file(const struct blockdev *bd, char *buf, size_t size)
{
        int r = sysfs_read_attr(bd->sysfs_fd, "loop/backing_file", buf, size);

        if (r == -ENOENT)
                return r;
        return r < 0 ? blockdev_fail(bd, r, "loop/backing_file") : r;
}

int blockdev_nbd_is_connected(const struct blockdev *bd)
{
        /* nbd creates pid while a client serves the device */
        return faccessat(bd->sysfs_fd, "pid", F_OK, 0) == 0;
}

void blockdev_names_free(char **names)
{
        if (!names)
                return;
        for (char **n = names; *n; n++)
                free(*n);
        free(names);
}

static int names_compare(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries of directory NAME under the device (the device's own directory
 * when NAME is "."), keeping those for which KEEP holds. */
static int blockdev_list_dir(const struct blockdev *bd, const char *name,
                             bool (*keep)(int dirfd, const char *entry), char ***out)
{
        _cleanup_names_ char **names = calloc(1, sizeof(char *));
        size_t n = 0;
        int fd = openat(bd->sysfs_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir;
        struct dirent *de;

        if (!names) {
                closep(&fd);
                return -ENOMEM;
        }
        if (fd < 0) {
                if (errno == ENOENT) {
                        *out = TAKE_PTR(names);
                        return 0;
                }
                return blockdev_fail(bd, negative_errno(), name);
        }
        dir = fdopendir(fd);
        if (!dir) {
                int r = negative_errno();
                close(fd);
                return blockdev_fail(bd, r, name);
        }
        while ((de = readdir(dir))) {
                char **grown;

                if (de->d_name[0] == '.' || (keep && !keep(dirfd(dir), de->d_name)))
                        continue;
                grown = reallocarray(names, n + 2, sizeof(char *));
                if (!grown)
                        break;
                names = grown;
                names[n] = strdup(de->d_name);
                names[n + 1] = NULL;
                if (!names[n])
                        break;
                n++;
        }
        closedir(dir);
        if (de)
                return log_error_errno(-ENOMEM, "cannot list %s of %s", name, blockdev_sysname(bd));
        qsort(names, n, sizeof(char *), names_compare);
        *out = TAKE_PTR(names);
        return 0;
}

static bool entry_is_partition(int dirfd, const char *entry)
{
        char path[300];
        int n = snprintf(path, sizeof(path), "%s/partition", entry);

        return n > 0 && (size_t)n < sizeof(path) && faccessat(dirfd, path, F_OK, 0) == 0;
}

int blockdev_list_partitions(const struct blockdev *bd, char ***out)
{
        return blockdev_list_dir(bd, ".", entry_is_partition, out);
}

int blockdev_list_slaves(const struct blockdev *bd, char ***out)
{
        return blockdev_list_dir(bd, "slaves", NULL, out);
}

static int vbds_add(struct blockdev_vbds *vbds, dev_t devno)
{
        dev_t *grown = reallocarray(vbds->devnos, vbds->n + 1, sizeof(dev_t));

        if (!grown)
                return -ENOMEM;
        vbds->devnos = grown;
        vbds->devnos[vbds->n++] = devno;
        return 0;
}

int blockdev_vbds_load(struct blockdev_vbds *out)
{
        const char *path = BLOCKDEV_VBD_DIR;
        struct blockdev_vbds vbds = { NULL, 0 };
        DIR *dir;
        struct dirent *de;
        int r = 0;

        dir = opendir(path);
        if (!dir) {
                if (errno == ENOENT) {          /* blkback not loaded: nothing attached */
                        *out = vbds;
                        return 0;
                }
                return log_error_errno(negative_errno(), "cannot list %s", path);
        }
        while (r == 0 && (de = readdir(dir))) {
                char attribute[300], value[32];
                unsigned maj, min;
                int n;

                if (de->d_name[0] == '.')
                        continue;
                n = snprintf(attribute, sizeof(attribute), "%s/physical_device", de->d_name);
                if (n < 0 || (size_t)n >= sizeof(attribute))
                        continue;
                /* bind, unbind, module... are no vbds; a vbd whose device is
                 * not set up yet has no usable physical_device either */
                if (sysfs_read_attr(dirfd(dir), attribute, value, sizeof(value)) < 0 ||
                    parse_majmin_hex(value, &maj, &min) < 0)
                        continue;
                r = vbds_add(&vbds, makedev(maj, min));
        }
        closedir(dir);
        if (r < 0) {
                blockdev_vbds_clear(&vbds);
                return log_error_errno(r, "cannot list %s", path);
        }
        *out = vbds;
        return 0;
}

void blockdev_vbds_clear(struct blockdev_vbds *vbds)
{
        free(vbds->devnos);
        vbds->devnos = NULL;
        vbds->n = 0;
}

bool blockdev_vbds_contain(const struct blockdev_vbds *vbds, dev_t devno)
{
        for (size_t i = 0; i < vbds->n; i++)
                if (vbds->devnos[i] == devno)
                        return true;
        return false;
}
