/* target.c: opening and identifying the target of a vbd. */
#include "target.h"

#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "loop.h"
#include "parse.h"
#include "sysfs.h"
#include "util.h"

/* DM_NAME_LEN counts the NUL; sysfs adds a newline */
#define DM_NAME_BUF (DM_NAME_LEN + 1)

#ifndef CONFIGFS_MAGIC
#define CONFIGFS_MAGIC 0x62656570
#endif
#ifndef FUSE_CTL_SUPER_MAGIC
#define FUSE_CTL_SUPER_MAGIC 0x65735543
#endif
#ifndef XENFS_SUPER_MAGIC
#define XENFS_SUPER_MAGIC 0xabba1974
#endif
#ifndef RDTGROUP_SUPER_MAGIC
#define RDTGROUP_SUPER_MAGIC 0x7655821
#endif

/* The pseudo file system F_TYPE (statfs) is, or NULL when it is none. */
static const char *target_pseudo_fs_name(unsigned long f_type)
{
        static const struct {
                unsigned long magic;
                const char *name;
        } pseudo[] = {
                { PROC_SUPER_MAGIC, "proc" },           { SYSFS_MAGIC, "sysfs" },
                { DEBUGFS_MAGIC, "debugfs" },           { SECURITYFS_MAGIC, "securityfs" },
                { CGROUP_SUPER_MAGIC, "cgroup" },       { CGROUP2_SUPER_MAGIC, "cgroup2" },
                { TRACEFS_MAGIC, "tracefs" },           { BPF_FS_MAGIC, "bpf" },
                { CONFIGFS_MAGIC, "configfs" },         { PSTOREFS_MAGIC, "pstore" },
                { EFIVARFS_MAGIC, "efivarfs" },         { SELINUX_MAGIC, "selinuxfs" },
                { SMACK_MAGIC, "smackfs" },             { FUSE_CTL_SUPER_MAGIC, "fusectl" },
                { BINFMTFS_MAGIC, "binfmt_misc" },      { DEVPTS_SUPER_MAGIC, "devpts" },
                { NSFS_MAGIC, "nsfs" },                 { RDTGROUP_SUPER_MAGIC, "resctrl" },
                { XENFS_SUPER_MAGIC, "xenfs" },
        };

        for (size_t i = 0; i < ARRAY_SIZE(pseudo); i++)
                if (pseudo[i].magic == f_type)
                        return pseudo[i].name;
        return NULL;
}

static const char *file_type_name(mode_t mode)
{
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISCHR(mode))
                return "a character device";
        if (S_ISFIFO(mode))
                return "a fifo";
        if (S_ISSOCK(mode))
                return "a socket";
        return "not a regular file or block device";
}

/* /dev/mapper/NAME must open the dm device really named NAME: a symlink
 * swapped under /dev/mapper must not redirect the attach elsewhere. */
static int check_mapper_name(const char *params, const struct target *t, struct reason *why)
{
        const char *name = params + strlen("/dev/mapper/");
        _cleanup_close_ int dir = -1;
        char actual[DM_NAME_BUF];
        int r;

        if (t->is_file)
                return reason_set(why, -EINVAL, "%s is a regular file, not a device-mapper device", params);
        dir = sysfs_open_block(major(t->st.st_rdev), minor(t->st.st_rdev));
        if (dir < 0)
                return reason_set_errno(why, dir, "cannot find %s in sysfs", params);
        r = sysfs_read_attr(dir, "dm/name", actual, sizeof(actual));
        if (r == -ENOENT)
                return reason_set(why, -EINVAL, "%s is not a device-mapper device", params);
        if (r < 0)
                return reason_set_errno(why, r, "cannot read the dm name of %s", params);
        if (!streq(actual, name))
                return reason_set(why, -EINVAL, "%s opens device-mapper device '%s', not '%s'", params, actual,
                                  name);
        return 0;
}

/* What the opened object is, judged on it: a file on a real file system, a
 * block device, and for a loop device the file it is bound to. */
static int check_opened(const char *params, enum access_mode mode, struct target *t, struct reason *why)
{
        struct statfs fs;
        const char *pseudo;
        int ro = 0, r;

        if (t->is_file) {
                if (fstatfs(t->fd, &fs) < 0)
                        return reason_set_errno(why, negative_errno(), "cannot tell the file system of %s", params);
                pseudo = target_pseudo_fs_name((unsigned long)fs.f_type);
                if (pseudo)
                        return reason_set(why, -EINVAL, "%s is on a %s file system: a kernel interface, "
                                          "not a disk image", params, pseudo);
                return 0;
        }
        if (major(t->st.st_rdev) == LOOP_MAJOR_NUMBER) {
                /* A free loop device is a 0-byte disk that LOOP_CTL_GET_FREE
                 * keeps handing out: a later `losetup -f` would bind a local
                 * file into it. */
                r = loop_fd_backing_id(t->fd, &t->share.file_dev, &t->share.file_ino);
                if (r == -ENXIO)
                        return reason_set(why, -EINVAL, "%s is a loop device with no backing file", params);
                if (r < 0)
                        return reason_set_errno(why, r, "cannot tell which file loop device %s is bound to",
                                                params);
                t->share.has_file = true;
        }
        if (mode != ACCESS_READ) {
                if (ioctl(t->fd, BLKROGET, &ro) < 0)
                        return reason_set_errno(why, negative_errno(), "cannot tell whether %s is read-only", params);
                if (ro)
                        return reason_set(why, -EROFS, "%s is read-only: it cannot be attached with mode w", params);
        }
        return 0;
}

int target_open(const char *params, enum access_mode mode, struct target *t, struct reason *why)
{
        _cleanup_close_ int path_fd = -1;
        char proc_path[64];
        bool writable = mode != ACCESS_READ;
        int flags, r;

        *t = (struct target) TARGET_INIT;
        t->share = (struct sharing_target){ .params = params, .mode = mode };
        /* the O_PATH fd pins the inode; the real open goes through it */
        path_fd = open(params, O_PATH | O_CLOEXEC);
        if (path_fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open %s", params);
        if (fstat(path_fd, &t->st) < 0)
                return reason_set_errno(why, negative_errno(), "cannot stat %s", params);
        if (S_ISREG(t->st.st_mode))
                flags = writable ? O_RDWR : O_RDONLY;
        else if (S_ISBLK(t->st.st_mode))
                flags = O_RDONLY | O_NONBLOCK;  /* blkback opens it; we only look */
        else
                return reason_set(why, -EINVAL, "%s is %s, not a file or block device", params,
                                  file_type_name(t->st.st_mode));
        t->is_file = S_ISREG(t->st.st_mode);

        snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", path_fd);
        t->fd = open(proc_path, flags | O_CLOEXEC | O_NOCTTY);
        if (t->fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open %s%s", params,
                                        writable && t->is_file ? " for writing" : "");
        if (startswith(params, "/dev/mapper/") && (r = check_mapper_name(params, t, why)) < 0)
                return r;
        r = check_opened(params, mode, t, why);
        if (r < 0)
                return r;
        if (t->is_file) {
                t->share.has_file = true;
                t->share.file_dev = t->st.st_dev;
                t->share.file_ino = t->st.st_ino;
        } else {
                t->share.devno = t->st.st_rdev;
        }
        return 0;
}

static int family_add(struct target *t, dev_t devno)
{
        if (ARRAY_RESERVE(t->family, t->family_allocated, t->n_family + 1) < 0)
                return -ENOMEM;
        t->family[t->n_family++] = devno;
        return 0;
}

/* The device number in sysfs directory DIR (its `dev`), 0 when none. */
static dev_t sysfs_devno(int dir)
{
        char dev[32];
        unsigned maj, min;

        if (sysfs_read_attr(dir, "dev", dev, sizeof(dev)) <= 0 || parse_majmin_dec(dev, &maj, &min) < 0)
                return 0;
        return makedev(maj, min);
}

/* A disk's partitions are subdirectories of its sysfs directory with a
 * `partition` attribute; a partition's disk is its parent directory. */
int target_find_relatives(struct target *t, struct reason *why)
{
        _cleanup_close_ int dir_fd = -1, parent = -1;
        _cleanup_closedir_ DIR *dir = NULL;
        char link[64], target[PATH_MAX];
        const char *disk;
        struct dirent *de;
        ssize_t n;
        int r;

        if (t->is_file)
                return 0;
        r = family_add(t, t->st.st_rdev);
        dir_fd = sysfs_open_block(major(t->st.st_rdev), minor(t->st.st_rdev));
        if (r < 0 || dir_fd < 0)
                goto done;              /* no sysfs entry: nothing more to learn */
        if (faccessat(dir_fd, "partition", F_OK, 0) == 0) {
                dev_t devno;

                parent = openat(dir_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (parent >= 0 && (devno = sysfs_devno(parent)) != 0)
                        r = family_add(t, devno);
                goto done;
        }
        /* a partition's directory is named after its disk ("sda1",
         * "loop0p1"): the others (queue, power, holders...) are not opened */
        snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(t->st.st_rdev), minor(t->st.st_rdev));
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                goto done;
        target[n] = '\0';
        disk = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        dir = fdopendir(dir_fd);
        if (!dir)
                return reason_set_errno(why, negative_errno(), "cannot list the partitions of %s",
                                        t->share.params);
        dir_fd = -1;            /* the DIR owns it now */
        while (r == 0 && (de = readdir(dir))) {
                _cleanup_close_ int part = -1;
                dev_t devno;

                if (de->d_type != DT_DIR || !startswith(de->d_name, disk))
                        continue;
                part = sysfs_open_dir(dirfd(dir), de->d_name);
                if (part >= 0 && faccessat(part, "partition", F_OK, 0) == 0 && (devno = sysfs_devno(part)) != 0)
                        r = family_add(t, devno);
        }
done:
        if (r < 0)
                return reason_set_errno(why, r, "cannot list the partitions of %s", t->share.params);
        t->share.family = t->family;
        t->share.n_family = t->n_family;
        return 0;
}

void target_close(struct target *t)
{
        closep(&t->fd);
        t->fd = -1;
        free(t->family);
        t->family = NULL;
        t->n_family = t->family_allocated = 0;
}
