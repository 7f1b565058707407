/* blockdev.c: a block device found in sysfs, and its facts. */
#include "blockdev.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "block-policy.h"
#include "parse.h"
#include "sysfs.h"
#include "udev-props.h"
#include "util.h"

#define DM_CONTROL "/dev/mapper/control"
#define MAJOR_LOOP 7
#define MAJOR_NBD  43
#define UEVENT_MAX 4096

struct blockdev {
        int dir;                        /* its sysfs directory */
        dev_t devno;
        char sysname[BLOCKDEV_NAME_MAX];
        char devname[BLOCKDEV_NAME_MAX + 5];
        char devpath[UDEV_DEVPATH_MAX + 1];
        bool partition, dm;
        const struct udev_event *event; /* the event's own device: its properties */
        struct udev_props *props;       /* the others': udev's database, once loaded */
};

/* ------------------------------------------------------------ finding it */

/* A block device in sysfs directory DIR (taken), at DEVPATH. */
static int blockdev_new(int dir, const char *devpath, struct blockdev **out, struct reason *why)
{
        _cleanup_close_ int fd = dir;
        struct blockdev *bd;
        char subsystem[PATH_MAX], uevent[UEVENT_MAX], major[16], minor[16], dev[32], devname[BLOCKDEV_NAME_MAX],
                devtype[16];
        unsigned maj, min;
        dev_t devno;
        ssize_t n;
        int r;

        /* one read says most: MAJOR, MINOR, DEVNAME, DEVTYPE */
        r = sysfs_read_attr(fd, "uevent", uevent, sizeof(uevent));
        if (r < 0)
                return reason_set_errno(why, r == -ENOENT ? -ENODEV : r, "cannot find /sys%s", devpath);
        n = readlinkat(fd, "subsystem", subsystem, sizeof(subsystem) - 1);
        if (n < 0 || (subsystem[n] = '\0', !endswith(subsystem, "/block")))
                return reason_set(why, -ENODEV, "/sys%s is not a block device", devpath);
        if (sysfs_uevent_value(uevent, "MAJOR", major, sizeof(major)) == 0 &&
            sysfs_uevent_value(uevent, "MINOR", minor, sizeof(minor)) == 0) {
                if (udev_parse_devno(major, minor, &devno) < 0)
                        return reason_set(why, -EINVAL, "/sys%s/uevent has MAJOR '%s', MINOR '%s'", devpath, major,
                                          minor);
        } else {
                /* an odd uevent file (a test bed's): the dev attribute */
                r = sysfs_read_attr(fd, "dev", dev, sizeof(dev));
                if (r < 0)
                        return reason_set_errno(why, r == -ENOENT ? -ENODEV : r, "cannot read /sys%s/dev", devpath);
                if (parse_majmin_dec(dev, &maj, &min) < 0)
                        return reason_set(why, -EINVAL, "/sys%s/dev is '%s', not MAJOR:MINOR", devpath, dev);
                devno = makedev(maj, min);
        }
        bd = calloc(1, sizeof(*bd));
        if (!bd)
                return reason_set_errno(why, -ENOMEM, "cannot read /sys%s", devpath);
        bd->devno = devno;
        snprintf(bd->devpath, sizeof(bd->devpath), "%s", devpath);
        snprintf(bd->sysname, sizeof(bd->sysname), "%s", strrchr(devpath, '/') + 1);
        /* the kernel's node name: "sda1", "mapper/..." is udev's symlink */
        if (sysfs_uevent_value(uevent, "DEVNAME", devname, sizeof(devname)) < 0)
                snprintf(devname, sizeof(devname), "%s", bd->sysname);
        snprintf(bd->devname, sizeof(bd->devname), "/dev/%s", devname);
        if (sysfs_uevent_value(uevent, "DEVTYPE", devtype, sizeof(devtype)) == 0)
                bd->partition = streq(devtype, "partition");
        else
                bd->partition = faccessat(fd, "partition", F_OK, 0) == 0;
        bd->dm = faccessat(fd, "dm", F_OK, 0) == 0;
        bd->dir = TAKE_FD(fd);
        *out = bd;
        return 0;
}

static int open_sysfs_dir(const char *devpath, struct reason *why)
{
        char path[UDEV_DEVPATH_MAX + 8];
        int fd;

        if (path_join(path, sizeof(path), "/sys", devpath + 1) < 0)
                return reason_set(why, -ENAMETOOLONG, "DEVPATH '%s' is too long", devpath);
        fd = sysfs_open_dir(AT_FDCWD, path);
        if (fd < 0)
                return reason_set_errno(why, fd == -ENOENT || fd == -ENOTDIR ? -ENODEV : fd, "cannot find %s",
                                        path);
        return fd;
}

int blockdev_open_event(const struct udev_event *ev, struct blockdev **out, struct reason *why)
{
        _cleanup_blockdev_ struct blockdev *bd = NULL;
        int fd, r;

        if (!ev->devname || !startswith(ev->devname, "/dev/"))
                return reason_set(why, -EINVAL, "DEVNAME '%s' is not a device node", ev->devname ? ev->devname : "");
        fd = open_sysfs_dir(ev->devpath, why);
        if (fd < 0)
                return fd;
        r = blockdev_new(fd, ev->devpath, &bd, why);
        if (r < 0)
                return r;
        if (ev->has_devno && bd->devno != ev->devno)
                return reason_set(why, -EINVAL, "/sys%s is %u:%u in sysfs, not MAJOR:MINOR %u:%u", ev->devpath,
                                  major(bd->devno), minor(bd->devno), major(ev->devno), minor(ev->devno));
        /* The entry is named after DEVNAME and dom0 attaches /dev/NAME: a
         * DEVNAME of another device would offer that one with this one's facts. */
        if (!streq(bd->devname, ev->devname))
                return reason_set(why, -EINVAL, "DEVNAME '%s' is not the node of /sys%s (%s)", ev->devname,
                                  ev->devpath, bd->devname);
        bd->event = ev;
        *out = TAKE_PTR(bd);
        return 0;
}

static bool sysname_is_valid(const char *sysname)
{
        return *sysname && !strchr(sysname, '/') && !streq(sysname, ".") && !streq(sysname, "..") &&
               strlen(sysname) < BLOCKDEV_NAME_MAX;
}

int blockdev_open_sysname(const char *sysname, struct blockdev **out, struct reason *why)
{
        char link[BLOCKDEV_NAME_MAX + 32], target[UDEV_DEVPATH_MAX + 16];
        ssize_t n;
        int fd;

        if (!sysname_is_valid(sysname))
                return reason_set(why, -EINVAL, "'%s' is not a block device name", sysname);
        snprintf(link, sizeof(link), "/sys/class/block/%s", sysname);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return reason_set_errno(why, errno == ENOENT ? -ENODEV : negative_errno(),
                                        "cannot find block device %s", sysname);
        target[n] = '\0';
        /* "../../devices/..." from /sys/class/block */
        if (!startswith(target, "../../devices/"))
                return reason_set(why, -ENODEV, "%s points to %s, not a device", link, target);
        fd = sysfs_open_dir(AT_FDCWD, link);
        if (fd < 0)
                return reason_set_errno(why, fd == -ENOENT ? -ENODEV : fd, "cannot find block device %s", sysname);
        return blockdev_new(fd, target + strlen("../.."), out, why);
}

int blockdev_open_disk_of(const struct blockdev *partition, struct blockdev **out, struct reason *why)
{
        char devpath[UDEV_DEVPATH_MAX + 1];
        char *slash;
        int fd;

        snprintf(devpath, sizeof(devpath), "%s", partition->devpath);
        slash = strrchr(devpath, '/');
        if (!slash || slash == devpath)
                return reason_set(why, -ENODEV, "partition %s has no disk", partition->sysname);
        *slash = '\0';
        fd = openat(partition->dir, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open the disk of %s", partition->sysname);
        return blockdev_new(fd, devpath, out, why);
}

void blockdev_free(struct blockdev *bd)
{
        closep(&bd->dir);
        if (bd->props)
                udev_props_free(bd->props);
        free(bd);
}

const char *blockdev_sysname(const struct blockdev *bd)
{
        return bd->sysname;
}

const char *blockdev_devname(const struct blockdev *bd)
{
        return bd->devname;
}

dev_t blockdev_devno(const struct blockdev *bd)
{
        return bd->devno;
}

bool blockdev_is_partition(const struct blockdev *bd)
{
        return bd->partition;
}

bool blockdev_is_dm(const struct blockdev *bd)
{
        return bd->dm;
}

/* ------------------------------------------------------------- relatives */

struct subdirs {
        const struct blockdev *bd;
        bool partitions;
        char **names;
};

static int add_subdir(const char *name, unsigned char type, void *userdata)
{
        struct subdirs *d = userdata;
        char attr[BLOCKDEV_NAME_MAX + 16];

        if (!sysname_is_valid(name))
                return 0;
        /* a disk's partitions are the subdirectories with `partition`; the
         * kernel names them after the disk (sda1, loop0p1), so the other
         * attributes need not be asked */
        if (d->partitions && ((type != DT_DIR && type != DT_UNKNOWN) || !startswith(name, d->bd->sysname) ||
                              snprintf(attr, sizeof(attr), "%s/partition", name) >= (int)sizeof(attr) ||
                              faccessat(d->bd->dir, attr, F_OK, 0) < 0))
                return 0;
        return strv_extend(&d->names, name) < 0 ? -ENOMEM : 0;
}

static int list_subdirs(const struct blockdev *bd, const char *dir_name, bool partitions, char ***out,
                        struct reason *why)
{
        struct subdirs d = { bd, partitions, calloc(1, sizeof(char *)) };
        int r;

        if (!d.names)
                return -ENOMEM;
        r = sysfs_dir_foreach(bd->dir, dir_name, add_subdir, &d);
        if (r < 0 && r != -ENOENT) {
                strv_free(d.names);
                return r == -ENOMEM ? r : reason_set_errno(why, r, "cannot list /sys%s/%s", bd->devpath, dir_name);
        }
        *out = d.names;
        return 0;
}

int blockdev_list_partitions(const struct blockdev *bd, char ***out, struct reason *why)
{
        return list_subdirs(bd, ".", true, out, why);
}

int blockdev_list_slaves(const struct blockdev *bd, char ***out, struct reason *why)
{
        return list_subdirs(bd, "slaves", false, out, why);
}

/* --------------------------------------------------------------- context */

int blockdev_context_load_vbds(struct blockdev_context *ctx, struct reason *why)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;
        size_t allocated = 0;

        if (ctx->vbds_loaded)
                return 0;
        dir = opendir(BLOCKDEV_VBD_DIR);
        if (!dir && errno != ENOENT)
                return reason_set_errno(why, negative_errno(), "cannot list %s", BLOCKDEV_VBD_DIR);
        while (dir && (de = readdir(dir))) {
                char attribute[300], value[32];
                unsigned maj, min;

                if (de->d_name[0] == '.' ||
                    snprintf(attribute, sizeof(attribute), "%s/physical_device", de->d_name) >= (int)sizeof(attribute))
                        continue;
                /* bind, unbind, module... are no vbds; a vbd whose device is
                 * not set up yet has no usable physical_device either */
                if (sysfs_read_attr(dirfd(dir), attribute, value, sizeof(value)) < 0 ||
                    parse_majmin_hex(value, &maj, &min) < 0)
                        continue;
                if (ARRAY_RESERVE(ctx->vbds, allocated, ctx->n_vbds + 1) < 0)
                        return reason_set_errno(why, -ENOMEM, "cannot list %s", BLOCKDEV_VBD_DIR);
                ctx->vbds[ctx->n_vbds++] = makedev(maj, min);
        }
        ctx->vbds_loaded = true;        /* absent: blkback not loaded, nothing attached */
        return 0;
}

int blockdev_context_load(struct blockdev_context *ctx, struct reason *why)
{
        int r;

        if (!ctx->mounts) {
                r = mounts_load(&ctx->mounts);
                if (r < 0)
                        return reason_set_errno(why, r, "cannot read the mount table");
        }
        return blockdev_context_load_vbds(ctx, why);
}

void blockdev_context_done(struct blockdev_context *ctx)
{
        if (ctx->mounts && !ctx->mounts_borrowed)
                mounts_free(ctx->mounts);
        free(ctx->vbds);
        *ctx = (struct blockdev_context){ 0 };
}

bool blockdev_context_attached(const struct blockdev_context *ctx, dev_t devno)
{
        for (size_t i = 0; i < ctx->n_vbds; i++)
                if (ctx->vbds[i] == devno)
                        return true;
        return false;
}

/* ----------------------------------------------------------------- facts */

static int read_fail(const struct blockdev *bd, int r, const char *attribute, struct reason *why)
{
        return reason_set_errno(why, r, "cannot read /sys%s/%s", bd->devpath, attribute);
}

/* The udev property KEY: the event's, or udev's database's (loaded first). */
static const char *property(const struct blockdev *bd, const char *key)
{
        if (bd->event)
                return udev_event_get(bd->event, key);
        return bd->props ? udev_props_get(bd->props, key) : NULL;
}

static bool property_is(const struct blockdev *bd, const char *key, const char *value)
{
        const char *v = property(bd, key);

        return v && streq(v, value);
}

/* Text for the description: bounded here, made safe by the policy. */
static void copy_text(char *buf, size_t size, const char *value)
{
        snprintf(buf, size, "%s", value ? value : "");
}

/* How many openers a dm device has (DM_DEV_STATUS on /dev/mapper/control).
 * The kernel decodes dm_ioctl.dev with huge_decode_dev(). */
static int dm_open_count(const struct blockdev *bd, uint32_t *out, struct reason *why)
{
        _cleanup_close_ int fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC | O_NOCTTY);
        uint64_t maj = major(bd->devno), min = minor(bd->devno);
        struct dm_ioctl dmi = {
                .version = { DM_VERSION_MAJOR, 0, 0 },
                .data_size = sizeof(dmi),
                .dev = (min & 0xff) | (maj << 8) | ((min & ~(uint64_t)0xff) << 12),
        };

        if (fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open %s to ask for %s's open count",
                                        DM_CONTROL, bd->sysname);
        if (ioctl(fd, DM_DEV_STATUS, &dmi) < 0)
                return reason_set_errno(why, negative_errno(), "cannot get the status of dm device %s", bd->sysname);
        *out = dmi.open_count < 0 ? 0 : (uint32_t)dmi.open_count;
        return 0;
}

static int read_dm(const struct blockdev *bd, struct block_facts *f, struct reason *why)
{
        const char *udev_name;
        int r = bd->dm ? sysfs_read_attr(bd->dir, "dm/name", f->dm_name, sizeof(f->dm_name)) : -ENOENT;

        if (r == -ENOENT) {
                f->dm_name[0] = '\0';
                return 0;
        }
        if (r < 0)
                return read_fail(bd, r, "dm/name", why);
        f->dm = true;
        /* the rules see udev's DM_NAME; sysfs is the fallback when the
         * database has no dm properties (yet) */
        udev_name = property(bd, "DM_NAME");
        if (udev_name)
                copy_text(f->dm_name, sizeof(f->dm_name), udev_name);
        return dm_open_count(bd, &f->dm_open_count, why);
}

int blockdev_backing_file_excluded(const char *backing_file, struct reason *why)
{
        char dir[PATH_MAX], path[PATH_MAX + sizeof(BLOCKDEV_EXCLUDE_MARKER) + 1];

        if (backing_file[0] != '/')
                return reason_set(why, -EINVAL, "backing file '%s' is not an absolute path", backing_file);
        if (str_copy(dir, sizeof(dir), backing_file) < 0)
                return reason_set(why, -ENAMETOOLONG, "backing file '%s' is too long", backing_file);
        for (;;) {
                char *slash = strrchr(dir, '/');
                struct stat st;

                /* "/" itself is not checked: a marker there would hide every
                 * loop device, which is what the rules' switch is for */
                if (slash == dir)
                        return 0;
                *slash = '\0';
                snprintf(path, sizeof(path), "%s/%s", dir, BLOCKDEV_EXCLUDE_MARKER);
                if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return 1;
                /* the file may be gone since (" (deleted)"): nothing to find there */
                if (errno != ENOENT && errno != ENOTDIR)
                        return reason_set_errno(why, negative_errno(), "cannot check %s", path);
        }
}

static int read_loop(const struct blockdev *bd, struct block_facts *f, struct reason *why)
{
        int r = sysfs_read_attr(bd->dir, "loop/backing_file", f->backing_file, sizeof(f->backing_file));

        f->loop = true;
        if (r == -ENOENT || r == 0) {
                f->backing_file[0] = '\0';
                return 0;
        }
        if (r < 0)
                return read_fail(bd, r, "loop/backing_file", why);
        f->loop_bound = true;
        r = blockdev_backing_file_excluded(f->backing_file, why);
        if (r < 0)
                return r;
        f->loop_excluded = r;
        return 0;
}

/* In use in this domain: mounted, swap, holders, or an open dm device.
 * 1, 0, or -errno with WHY. */
static int blockdev_is_busy(struct blockdev *bd, struct blockdev_context *ctx, struct reason *why)
{
        uint32_t open_count;
        int r;

        if (mounts_device_use(ctx->mounts, bd->devno) != MOUNT_UNUSED)
                return 1;
        r = sysfs_dir_has_entries(bd->dir, "holders");
        if (r != 0 && r != -ENOENT)
                return r < 0 ? read_fail(bd, r, "holders", why) : 1;
        if (!bd->dm)
                return 0;
        r = dm_open_count(bd, &open_count, why);
        return r < 0 ? r : open_count > 0;
}

/* A partition's disk attached; a disk's partition in use or attached:
 * attaching both would give two domains the same blocks. */
static int read_relatives(struct blockdev *bd, struct blockdev_context *ctx, struct block_facts *f,
                          struct reason *why)
{
        _cleanup_strv_free_ char **partitions = NULL;
        int r;

        if (f->partition) {
                _cleanup_blockdev_ struct blockdev *disk = NULL;

                r = blockdev_open_disk_of(bd, &disk, why);
                if (r < 0)
                        return r;
                f->disk_attached = blockdev_context_attached(ctx, disk->devno);
                return 0;
        }
        r = blockdev_list_partitions(bd, &partitions, why);
        if (r < 0)
                return r;
        for (char **p = partitions; *p && !f->partition_busy; p++) {
                _cleanup_blockdev_ struct blockdev *part = NULL;
                char devpath[UDEV_DEVPATH_MAX + 1];
                int fd;

                if (snprintf(devpath, sizeof(devpath), "%s/%s", bd->devpath, *p) >= (int)sizeof(devpath))
                        return reason_set(why, -ENAMETOOLONG, "sysfs path of %s is too long", *p);
                fd = sysfs_open_dir(bd->dir, *p);
                if (fd < 0)
                        continue;       /* gone meanwhile */
                r = blockdev_new(fd, devpath, &part, why);
                if (r < 0)
                        return r;
                r = blockdev_context_attached(ctx, part->devno) ? 1 : blockdev_is_busy(part, ctx, why);
                if (r < 0)
                        return r;
                f->partition_busy = r;
        }
        return 0;
}

static void read_properties(const struct blockdev *bd, struct block_facts *f)
{
        const char *export = property(bd, "QUBES_EXPORT_BLOCK_DEVICE");

        f->disk_rules_disabled = property_is(bd, "DM_UDEV_DISABLE_DISK_RULES_FLAG", "1");
        f->export_forced = export && streq(export, "1");
        f->cd = property_is(bd, "ID_TYPE", "cd");
        f->cd_media = property_is(bd, "ID_CDROM_MEDIA", "1");
        copy_text(f->model, sizeof(f->model), property(bd, "ID_MODEL"));
        copy_text(f->label, sizeof(f->label), property(bd, "ID_FS_LABEL"));
}

static int read_attributes(const struct blockdev *bd, struct block_facts *f, struct reason *why)
{
        uint64_t value;
        int r;

        r = sysfs_read_u64(bd->dir, "size", &value);
        if (r < 0)
                return read_fail(bd, r, "size", why);
        /* sysfs counts 512-byte sectors whatever the logical block size */
        if (value > UINT64_MAX / 512)
                return read_fail(bd, -EOVERFLOW, "size", why);
        f->size = value * 512;
        r = sysfs_read_u64(bd->dir, "ro", &value);
        if (r < 0)
                return read_fail(bd, r, "ro", why);
        f->read_only = value != 0;
        r = sysfs_dir_has_entries(bd->dir, "holders");
        if (r < 0 && r != -ENOENT)
                return read_fail(bd, r, "holders", why);
        f->holders = r > 0;
        return 0;
}

int blockdev_read_facts(struct blockdev *bd, struct blockdev_context *ctx, struct block_facts *f,
                        struct reason *why)
{
        unsigned maj = major(bd->devno);
        int r;

        memset(f, 0, sizeof(*f));
        snprintf(f->sysname, sizeof(f->sysname), "%s", bd->sysname);
        snprintf(f->devname, sizeof(f->devname), "%s", bd->devname);
        snprintf(f->devpath, sizeof(f->devpath), "%s", bd->devpath);
        f->devno = bd->devno;
        f->attached = blockdev_context_attached(ctx, bd->devno);
        if (!bd->event && !bd->props) {
                r = udev_props_load_block(bd->devno, &bd->props, why);
                if (r < 0)
                        return r;
        }
        f->partition = blockdev_is_partition(bd);
        f->mount_use = mounts_device_use(ctx->mounts, bd->devno);
        read_properties(bd, f);
        if ((r = read_dm(bd, f, why)) < 0)
                return r;
        f->rules_excluded = block_policy_rules_exclude(maj, bd->sysname, f->dm ? f->dm_name : NULL,
                                                       property(bd, "QUBES_EXPORT_BLOCK_DEVICE"),
                                                       property(bd, "UDISKS_IGNORE"),
                                                       property(bd, "QUBES_UDISKS_IGNORE_OURS"));
        if ((r = read_attributes(bd, f, why)) < 0)
                return r;
        if (maj == MAJOR_LOOP && (r = read_loop(bd, f, why)) < 0)
                return r;
        if (maj == MAJOR_NBD) {
                f->nbd = true;
                /* nbd creates pid while a client serves the device */
                f->nbd_connected = faccessat(bd->dir, "pid", F_OK, 0) == 0;
        }
        return read_relatives(bd, ctx, f, why);
}
