/* hotplug.c: `qubes-block add|remove` for one vbd backend (SPEC §4). */
#include "hotplug.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "loop.h"
#include "mounts.h"
#include "parse.h"
#include "sysfs.h"
#include "util.h"

#define NODE_PATH_MAX 192
#define PARAMS_MAX 4096
/* DM_NAME_LEN counts the NUL; sysfs adds a newline */
#define DM_NAME_BUF (DM_NAME_LEN + 1)

/* ------------------------------------------------------------------ paths */

static int parse_decimal_component(const char *s, size_t len, unsigned *out)
{
        char buf[12];
        uint32_t v;

        /* "007" would name domain 7 while the sharing check compares names */
        if (len == 0 || len >= sizeof(buf) || (len > 1 && s[0] == '0'))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (parse_u32(buf, 10, &v) < 0)
                return -EINVAL;
        *out = v;
        return 0;
}

int hotplug_parse_vbd(const char *xenbus_path, struct hotplug_vbd *out)
{
        const char *p = xenbus_path, *rest, *slash;
        unsigned home_domid;

        if (!p || !*p)
                return log_error(-EINVAL, "XENBUS_PATH is not set: run as XENBUS_PATH=backend/vbd/DOMID/DEVID qubes-block add|remove");
        if (str_copy(out->path, sizeof(out->path), p) < 0)
                return log_error(-EINVAL, "XENBUS_PATH is too long");

        /* an absolute path names the home explicitly: /local/domain/N/backend/... */
        if (startswith(p, "/local/domain/")) {
                p += strlen("/local/domain/");
                slash = strchr(p, '/');
                if (!slash || parse_decimal_component(p, (size_t)(slash - p), &home_domid) < 0)
                        goto invalid;
                p = slash + 1;
        }
        if (!startswith(p, "backend/vbd/"))
                goto invalid;
        rest = p + strlen("backend/vbd/");
        slash = strchr(rest, '/');
        if (!slash || parse_decimal_component(rest, (size_t)(slash - rest), &out->frontend_domid) < 0 ||
            parse_decimal_component(slash + 1, strlen(slash + 1), &out->devid) < 0)
                goto invalid;

        /* vbd_root: the path up to and including "backend/vbd" */
        snprintf(out->vbd_root, sizeof(out->vbd_root), "%.*s",
                 (int)(rest - 1 - xenbus_path), xenbus_path);
        return 0;
invalid:
        return log_error(-EINVAL, "XENBUS_PATH '%s' is not a vbd backend (backend/vbd/DOMID/DEVID)", xenbus_path);
}

static int node_path(char *buf, const struct hotplug_vbd *vbd, const char *key)
{
        int n = snprintf(buf, NODE_PATH_MAX, "%s/%s", vbd->path, key);

        return n < 0 || n >= NODE_PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Read one node of the vbd. -ENOENT (not logged) when missing; a value with
 * an embedded NUL is refused, since every consumer treats it as a C string. */
static int vbd_read(struct xsc *xs, xs_transaction_t t, const struct hotplug_vbd *vbd,
                    const char *key, char **value)
{
        char path[NODE_PATH_MAX];
        size_t len;
        int r;

        if (node_path(path, vbd, key) < 0)
                return log_error(-ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        r = xsc_read(xs, t, path, value, &len);
        if (r < 0)
                return r;
        if (strlen(*value) != len) {
                free(*value);
                *value = NULL;
                return log_error(-EINVAL, "xenstore %s holds a NUL byte", path);
        }
        return 0;
}

static int vbd_write(struct xsc *xs, xs_transaction_t t, const struct hotplug_vbd *vbd,
                     const char *key, const char *value)
{
        char path[NODE_PATH_MAX];

        if (node_path(path, vbd, key) < 0)
                return log_error(-ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        return xsc_write(xs, t, path, value);
}

static int vbd_rm(struct xsc *xs, xs_transaction_t t, const struct hotplug_vbd *vbd, const char *key)
{
        char path[NODE_PATH_MAX];
        int r;

        if (node_path(path, vbd, key) < 0)
                return log_error(-ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        r = xsc_rm(xs, t, path);
        return r == -ENOENT ? 0 : r;
}

/* ----------------------------------------------------------------- inputs */

int hotplug_parse_mode(const char *mode, enum access_mode *out)
{
        if (!mode || streq(mode, "r"))  /* missing means read-only, as in Xen */
                *out = ACCESS_READ;
        else if (streq(mode, "w"))
                *out = ACCESS_WRITE;
        else if (streq(mode, "w!"))
                *out = ACCESS_WRITE_UNSHARED_CHECK_SKIPPED;
        else
                return log_error(-EINVAL, "mode '%s' is not r, w or w!", mode);
        return 0;
}

int hotplug_check_params(const char *params)
{
        if (!*params)
                return log_error(-EINVAL, "params is empty: no disk to attach");
        if (strlen(params) >= PARAMS_MAX)
                return log_error(-ENAMETOOLONG, "params is longer than %d bytes", PARAMS_MAX - 1);
        for (const unsigned char *p = (const unsigned char *)params; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return log_error(-EINVAL, "params holds a control character (0x%02x)", *p);
        if (params[0] != '/')
                return log_error(-EINVAL, "params '%s' is not an absolute path", params);
        /* One spelling per file: "//dev/mapper/x" or "/dev/./mapper/x" must not
         * slip past the /dev/mapper check below, nor "/a/../b" past a reader. */
        if (strstr(params, "//") || strstr(params, "/./") || strstr(params, "/../") ||
            endswith(params, "/.") || endswith(params, "/..") || (params[1] && endswith(params, "/")))
                return log_error(-EINVAL, "params '%s' is not a normalized path (no //, /./, /../ "
                                 "or trailing /)", params);
        if (startswith(params, "/dev/mapper/")) {
                const char *name = params + strlen("/dev/mapper/");

                if (!*name || streq(name, ".") || streq(name, "..") || streq(name, "control") || strchr(name, '/'))
                        return log_error(-EINVAL, "params '%s' does not name a device-mapper device", params);
        }
        return 0;
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
static int check_mapper_name(const char *params, dev_t devno)
{
        const char *name = params + strlen("/dev/mapper/");
        _cleanup_close_ int dir = -1;
        char actual[DM_NAME_BUF];
        int r;

        dir = sysfs_open_block(major(devno), minor(devno));
        if (dir < 0)
                return log_error_errno(dir, "cannot find %s in sysfs", params);
        r = sysfs_read_attr(dir, "dm/name", actual, sizeof(actual));
        if (r == -ENOENT)
                return log_error(-EINVAL, "%s is not a device-mapper device", params);
        if (r < 0)
                return log_error_errno(r, "cannot read the dm name of %s", params);
        if (!streq(actual, name))
                return log_error(-EINVAL, "%s opens device-mapper device '%s', not '%s'", params, actual, name);
        return 0;
}

struct target {
        int fd;
        bool is_file;
        struct stat st;
};

static void target_closep(struct target *t)
{
        closep(&t->fd);
}

/* Open PARAMS once and judge the opened object, never the path again: the
 * O_PATH fd pins the inode, and the real open goes through it. */
static int target_open(const char *params, enum access_mode mode, struct target *t)
{
        _cleanup_close_ int path_fd = -1;
        char proc_path[64];
        bool writable = mode != ACCESS_READ;
        int flags, ro = 0;

        path_fd = open(params, O_PATH | O_CLOEXEC);
        if (path_fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s", params);
        if (fstat(path_fd, &t->st) < 0)
                return log_error_errno(negative_errno(), "cannot stat %s", params);

        if (S_ISREG(t->st.st_mode))
                flags = writable ? O_RDWR : O_RDONLY;
        else if (S_ISBLK(t->st.st_mode))
                flags = O_RDONLY | O_NONBLOCK;  /* blkback opens it; we only look */
        else
                return log_error(-EINVAL, "%s is %s, not a file or block device", params,
                                 file_type_name(t->st.st_mode));
        t->is_file = S_ISREG(t->st.st_mode);

        snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", path_fd);
        t->fd = open(proc_path, flags | O_CLOEXEC | O_NOCTTY);
        if (t->fd < 0)
                return log_error_errno(negative_errno(), "cannot open %s%s", params,
                                       writable && t->is_file ? " for writing" : "");

        if (startswith(params, "/dev/mapper/")) {
                /* a file swapped in under /dev/mapper is no dm device either */
                int r = t->is_file ? log_error(-EINVAL, "%s is a regular file, not a device-mapper device", params)
                                   : check_mapper_name(params, t->st.st_rdev);
                if (r < 0)
                        return r;
        }
        if (!t->is_file && writable) {
                if (ioctl(t->fd, BLKROGET, &ro) < 0)
                        return log_error_errno(negative_errno(), "cannot tell whether %s is read-only", params);
                if (ro)
                        return log_error(-EROFS, "%s is read-only: it cannot be attached with mode w", params);
        }
        return 0;
}

/* --------------------------------------------------------------- sharing */

/* What the sharing rule compares (Xen's block script): a block device by its
 * number, and for the mount check together with its partitions; a file by
 * its dev:inode, through every loop device bound to it. */
struct target_id {
        const struct stat *file;        /* the image file, NULL for a block device */
        dev_t devno;                    /* the device we hand to blkback */
        dev_t *family;                  /* devno and its partitions (block device) */
        size_t n_family;
};

static void target_id_done(struct target_id *id)
{
        free(id->family);
        id->family = NULL;
        id->n_family = 0;
}

static int target_id_add(struct target_id *id, dev_t devno)
{
        dev_t *v = reallocarray(id->family, id->n_family + 1, sizeof(*v));

        if (!v)
                return log_error_errno(-ENOMEM, "cannot list the partitions of %u:%u",
                                       major(id->devno), minor(id->devno));
        id->family = v;
        id->family[id->n_family++] = devno;
        return 0;
}

/* A disk's partitions live in its sysfs directory as subdirectories with a
 * `partition` attribute; a mounted partition makes the whole disk busy. */
static int target_id_add_partitions(struct target_id *id)
{
        _cleanup_close_ int dir_fd = sysfs_open_block(major(id->devno), minor(id->devno));
        struct dirent *de;
        DIR *dir;
        int r = 0;

        if (dir_fd < 0)
                return 0;       /* no sysfs entry: nothing more to learn */
        dir = fdopendir(dir_fd);
        if (!dir)
                return log_error_errno(negative_errno(), "cannot list the partitions of %u:%u",
                                       major(id->devno), minor(id->devno));
        dir_fd = -1;            /* the DIR owns it now */
        while (r == 0 && (de = readdir(dir))) {
                _cleanup_close_ int part = -1;
                char dev[32];
                unsigned maj, min;

                if (de->d_type != DT_DIR || de->d_name[0] == '.')
                        continue;
                part = sysfs_open_dir(dirfd(dir), de->d_name);
                if (part < 0 || faccessat(part, "partition", F_OK, 0) < 0)
                        continue;
                if (sysfs_read_attr(part, "dev", dev, sizeof(dev)) > 0 && parse_majmin_dec(dev, &maj, &min) == 0)
                        r = target_id_add(id, makedev(maj, min));
        }
        closedir(dir);
        return r;
}

/* Whether DEVNO carries the target: 1 yes, 0 no, -errno (logged) when a loop
 * device cannot tell which file it is bound to (refuse rather than guess). */
static int target_id_matches(const struct target_id *id, dev_t devno, bool with_partitions)
{
        dev_t file_dev;
        ino_t file_ino;
        int r;

        if (devno == id->devno)
                return 1;
        if (!id->file) {
                for (size_t i = 0; with_partitions && i < id->n_family; i++)
                        if (id->family[i] == devno)
                                return 1;
                return 0;
        }
        if (major(devno) != LOOP_MAJOR_NUMBER)
                return 0;
        r = loop_backing_file_id(devno, &file_dev, &file_ino);
        if (r == -ENXIO || r == -ENOENT)
                return 0;       /* detached, or gone: holds no file */
        if (r < 0)
                return log_error_errno(r, "cannot tell which file loop device %u:%u is bound to",
                                       major(devno), minor(devno));
        return file_dev == id->file->st_dev && file_ino == id->file->st_ino;
}

/* Something stacked on the device (dm, md, bcache) writes to it behind the
 * mount table's back: no frontend may write it too. */
static int check_holders(const char *params, dev_t devno)
{
        _cleanup_close_ int dir = sysfs_open_block(major(devno), minor(devno));
        int r;

        if (dir < 0)
                return 0;
        r = sysfs_dir_has_entries(dir, "holders");
        if (r > 0)
                return log_error(HOTPLUG_BUSY, "%s is in use by another block device (see its "
                                 "holders in sysfs): it cannot be attached read-write", params);
        return 0;
}

struct mount_check {
        const char *params;
        const struct target_id *id;
        enum access_mode mode;
};

static int check_one_mount(dev_t devno, enum mount_use use, void *userdata)
{
        const struct mount_check *c = userdata;
        int r;

        if (c->mode == ACCESS_READ && use == MOUNT_READ_ONLY)
                return 0;       /* readers share */
        r = target_id_matches(c->id, devno, true);
        if (r <= 0)
                return r;
        return log_error(HOTPLUG_BUSY, "%s is %s in this domain%s: it cannot be attached %s",
                         c->params, mount_use_to_string(use),
                         c->id->file ? " (through a loop device)" : "",
                         c->mode == ACCESS_READ ? "read-only" : "read-write");
}

static int check_local_mounts(const char *params, const struct target_id *id, enum access_mode mode)
{
        _cleanup_mounts_ struct mounts *mounts = NULL;
        struct mount_check c = { params, id, mode };
        int r = mounts_load(&mounts);

        if (r < 0)
                return r;
        return mounts_foreach(mounts, check_one_mount, &c);
}

struct add_request {
        const struct hotplug_vbd *vbd;
        const char *params;
        enum access_mode mode;
        struct target_id id;
        char physical_device[32];
        char physical_device_path[PARAMS_MAX];
        char diskseq[24];
        bool already;           /* another add of this vbd finished first */
        bool busy;              /* the sharing rule refused (logged) */
};

/* Xen's canonicalise_mode: a mode with 'w' and no '!' writes; "w!" is Xen's
 * "trust me" and does not keep readers out. */
static bool vbd_mode_writes(const char *mode)
{
        return mode && strchr(mode, 'w') && !strchr(mode, '!');
}

/* Whether vbd DOMID/DEVID of another domain holds the target in a way that
 * conflicts with our mode. Decided inside the transaction, from the loop
 * device's file as it is now: a loop made by a concurrent add of the same
 * file is seen once its vbd is committed. 1 (logged) on conflict, 0, -errno. */
static int check_other_vbd(struct xsc *xs, xs_transaction_t t, const struct add_request *req,
                           const char *domid, const char *devid)
{
        _cleanup_free_ char *physical = NULL, *mode = NULL;
        char path[NODE_PATH_MAX];
        unsigned maj, min;
        bool other_writes;
        int r;

        if (snprintf(path, sizeof(path), "%s/%s/%s/physical-device", req->vbd->vbd_root, domid, devid) >=
            (int)sizeof(path))
                return log_error(-ENAMETOOLONG, "xenstore path %s/%s/%s is too long",
                                 req->vbd->vbd_root, domid, devid);
        r = xsc_read(xs, t, path, &physical, NULL);
        if (r == -ENOENT)
                return 0;               /* not set up (yet): holds nothing */
        if (r < 0)
                return r;
        if (parse_majmin_hex(physical, &maj, &min) < 0)
                return 0;               /* no device blkback could have opened */
        r = target_id_matches(&req->id, makedev(maj, min), false);
        if (r <= 0)
                return r;

        snprintf(path, sizeof(path), "%s/%s/%s/mode", req->vbd->vbd_root, domid, devid);
        r = xsc_read(xs, t, path, &mode, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        other_writes = vbd_mode_writes(mode);
        if (req->mode == ACCESS_READ && !other_writes)
                return 0;               /* readers share */
        return log_error(1, "%s is already attached %s to domain %s (%s/%s/%s)", req->params,
                         other_writes ? "read-write" : "read-only", domid, req->vbd->vbd_root, domid, devid);
}

static int check_other_domains(struct xsc *xs, xs_transaction_t t, const struct add_request *req)
{
        _cleanup_free_ char **domains = NULL;
        unsigned n_domains;
        char own[12];
        int r;

        r = xsc_list(xs, t, req->vbd->vbd_root, &domains, &n_domains);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        snprintf(own, sizeof(own), "%u", req->vbd->frontend_domid);
        for (unsigned i = 0; i < n_domains; i++) {
                _cleanup_free_ char **devices = NULL;
                char path[NODE_PATH_MAX];
                unsigned n_devices;

                if (streq(domains[i], own))
                        continue;       /* a domain may attach its disk twice */
                if (snprintf(path, sizeof(path), "%s/%s", req->vbd->vbd_root, domains[i]) >= (int)sizeof(path))
                        return log_error(-ENAMETOOLONG, "xenstore path %s/%s is too long",
                                         req->vbd->vbd_root, domains[i]);
                r = xsc_list(xs, t, path, &devices, &n_devices);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                for (unsigned j = 0; j < n_devices; j++) {
                        r = check_other_vbd(xs, t, req, domains[i], devices[j]);
                        if (r != 0)
                                return r;
                }
        }
        return 0;
}

/* The decision and the nodes in one transaction: a concurrent add of the same
 * target by another domain makes one of the two commits fail with EAGAIN, and
 * the retry sees the other's physical-device. hotplug-status goes in the same
 * commit, after the device nodes: no reader ever sees one without the other,
 * and no failure can fall between them. */
static int add_body(struct xsc *xs, xs_transaction_t t, void *userdata)
{
        struct add_request *req = userdata;
        _cleanup_free_ char *existing = NULL;
        int r;

        req->already = false;
        r = vbd_read(xs, t, req->vbd, "physical-device", &existing);
        if (r == 0) {
                req->already = true;
                return 0;
        }
        if (r != -ENOENT)
                return r;
        req->busy = false;
        if (req->mode != ACCESS_WRITE_UNSHARED_CHECK_SKIPPED) {
                r = check_other_domains(xs, t, req);
                if (r > 0) {
                        req->busy = true;
                        return -ECANCELED;      /* abort: nothing to write */
                }
                if (r < 0)
                        return r;
        }
        if ((r = vbd_write(xs, t, req->vbd, "physical-device", req->physical_device)) < 0 ||
            (r = vbd_write(xs, t, req->vbd, "physical-device-path", req->physical_device_path)) < 0 ||
            (r = vbd_write(xs, t, req->vbd, "diskseq", req->diskseq)) < 0 ||
            (r = vbd_write(xs, t, req->vbd, "hotplug-status", "connected")) < 0)
                return r;
        return 0;
}

/* -------------------------------------------------------------------- add */

static void add_request_done(struct add_request *req)
{
        target_id_done(&req->id);
}

/* Whether the vbd's KEY holds WANT, read on the connection as it is now. */
static bool vbd_holds(struct xsc *xs, const struct hotplug_vbd *vbd, const char *key, const char *want)
{
        _cleanup_free_ char *value = NULL;

        return vbd_read(xs, XBT_NULL, vbd, key, &value) == 0 && streq(value, want);
}

/* A failed transaction may still have committed: the daemon can carry out
 * the commit and the connection break before its reply arrives. Look again
 * on a new connection before undoing the attach, or remove would later find
 * nodes naming a device that was released. */
static bool add_landed(struct xsc *xs, const struct add_request *req)
{
        return xsc_reconnect(xs) == 0 &&
               vbd_holds(xs, req->vbd, "physical-device", req->physical_device) &&
               vbd_holds(xs, req->vbd, "physical-device-path", req->physical_device_path) &&
               vbd_holds(xs, req->vbd, "diskseq", req->diskseq);
}

int hotplug_add(struct xsc *xs, const struct hotplug_vbd *vbd)
{
        _cleanup_free_ char *existing = NULL, *params = NULL, *mode_value = NULL;
        _cleanup_(target_closep) struct target target = { .fd = -1 };
        _cleanup_loop_ struct loop_dev loop = LOOP_DEV_INIT;
        _cleanup_(add_request_done) struct add_request req = { .vbd = vbd };
        uint64_t diskseq;
        dev_t devno;
        int r;

        r = vbd_read(xs, XBT_NULL, vbd, "physical-device", &existing);
        if (r == 0)
                return 0;       /* set up already: libxl may run add twice */
        if (r != -ENOENT)
                return r;

        r = vbd_read(xs, XBT_NULL, vbd, "params", &params);
        if (r == -ENOENT)
                return log_error(-EINVAL, "%s/params is missing: no disk to attach", vbd->path);
        if (r < 0)
                return r;
        r = vbd_read(xs, XBT_NULL, vbd, "mode", &mode_value);
        if (r < 0 && r != -ENOENT)
                return r;
        if ((r = hotplug_check_params(params)) < 0 || (r = hotplug_parse_mode(mode_value, &req.mode)) < 0)
                return r;
        req.params = params;

        r = target_open(params, req.mode, &target);
        if (r < 0)
                return r;

        if (target.is_file) {
                r = loop_attach_file(target.fd, req.mode == ACCESS_READ, &loop);
                if (r < 0)
                        return log_error_errno(r, "cannot attach %s to a loop device", params);
                devno = loop.devno;
                diskseq = loop.diskseq;
                str_copy(req.physical_device_path, sizeof(req.physical_device_path), loop.path);
        } else {
                devno = target.st.st_rdev;
                r = blockdev_fd_diskseq(target.fd, &diskseq);
                if (r < 0)
                        return log_error_errno(r, "cannot read the disk sequence number of %s", params);
                str_copy(req.physical_device_path, sizeof(req.physical_device_path), params);
        }
        req.id = (struct target_id) { .file = target.is_file ? &target.st : NULL, .devno = devno };
        snprintf(req.physical_device, sizeof(req.physical_device), "%x:%x", major(devno), minor(devno));
        snprintf(req.diskseq, sizeof(req.diskseq), "%llx", (unsigned long long)diskseq);

        if (req.mode != ACCESS_WRITE_UNSHARED_CHECK_SKIPPED) {
                if (!target.is_file) {
                        r = target_id_add(&req.id, devno);
                        if (r == 0)
                                r = target_id_add_partitions(&req.id);
                        if (r == 0 && req.mode == ACCESS_WRITE)
                                r = check_holders(params, devno);
                        if (r != 0)
                                return r;
                }
                r = check_local_mounts(params, &req.id, req.mode);
                if (r != 0)
                        return r;
        }

        r = xsc_transact(xs, add_body, &req);
        if (req.busy)
                return HOTPLUG_BUSY;
        if (r < 0 && add_landed(xs, &req)) {
                log_info("the nodes of %s were written though the commit reported an error", vbd->path);
                r = 0;
        }
        if (r < 0)
                return r;
        if (req.already)
                return 0;       /* our loop device is released on return */
        loop_disown(&loop);     /* blkback's now: remove releases it */
        return 0;
}

/* ----------------------------------------------------------------- remove */

struct remove_request {
        const struct hotplug_vbd *vbd;
        char *physical_device, *physical_device_path, *diskseq, *params;
};

static void remove_request_clear(struct remove_request *req)
{
        free(req->physical_device);
        free(req->physical_device_path);
        free(req->diskseq);
        free(req->params);
        req->physical_device = req->physical_device_path = req->diskseq = req->params = NULL;
}

static int remove_body(struct xsc *xs, xs_transaction_t t, void *userdata)
{
        struct remove_request *req = userdata;
        int r;

        remove_request_clear(req);
        r = vbd_read(xs, t, req->vbd, "physical-device", &req->physical_device);
        if (r == -ENOENT)
                return 0;       /* never set up, or removed already */
        if (r < 0)
                return r;
        if (((r = vbd_read(xs, t, req->vbd, "physical-device-path", &req->physical_device_path)) < 0 && r != -ENOENT) ||
            ((r = vbd_read(xs, t, req->vbd, "diskseq", &req->diskseq)) < 0 && r != -ENOENT) ||
            ((r = vbd_read(xs, t, req->vbd, "params", &req->params)) < 0 && r != -ENOENT))
                return r;
        if ((r = vbd_rm(xs, t, req->vbd, "physical-device")) < 0 ||
            (r = vbd_rm(xs, t, req->vbd, "diskseq")) < 0)
                return r;
        return 0;
}

/* As add_landed: the nodes are gone, so nobody else will release what they
 * named if we do not. */
static bool remove_landed(struct xsc *xs, const struct hotplug_vbd *vbd)
{
        _cleanup_free_ char *value = NULL;

        return xsc_reconnect(xs) == 0 && vbd_read(xs, XBT_NULL, vbd, "physical-device", &value) == -ENOENT;
}

int hotplug_remove(struct xsc *xs, const struct hotplug_vbd *vbd)
{
        _cleanup_(remove_request_clear) struct remove_request req = { .vbd = vbd };
        unsigned maj, min;
        uint64_t diskseq;
        int r;

        r = xsc_transact(xs, remove_body, &req);
        if (r < 0 && req.physical_device && remove_landed(xs, vbd)) {
                log_info("physical-device of %s is gone though the commit reported an error", vbd->path);
                r = 0;
        }
        if (r < 0)
                return r;
        if (!req.physical_device)
                return 0;

        if (parse_majmin_hex(req.physical_device, &maj, &min) < 0)
                return log_error(-EINVAL, "%s/physical-device '%s' is not MAJOR:MINOR in hex: no device released",
                                 vbd->path, req.physical_device);
        /* physical-device-path equal to params: the device was given, not made */
        if (!req.physical_device_path || (req.params && streq(req.physical_device_path, req.params)))
                return 0;
        if (maj != LOOP_MAJOR_NUMBER || !startswith(req.physical_device_path, "/dev/loop"))
                return 0;
        if (!req.diskseq || parse_hex_canonical(req.diskseq, &diskseq) < 0)
                return log_error(-EINVAL, "%s/diskseq '%s' is not a hex number: %s not released",
                                 vbd->path, req.diskseq ? req.diskseq : "(missing)", req.physical_device_path);
        r = loop_release(req.physical_device_path, makedev(maj, min), diskseq);
        return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- failure */

static int report_body(struct xsc *xs, xs_transaction_t t, void *userdata)
{
        const char *const *kv = userdata;       /* vbd path, status, message */
        char path[NODE_PATH_MAX];
        int r;

        snprintf(path, sizeof(path), "%s/hotplug-error", kv[0]);
        r = xsc_write(xs, t, path, kv[2]);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "%s/hotplug-status", kv[0]);
        return xsc_write(xs, t, path, kv[1]);
}

int hotplug_report_failure(struct xsc *xs, const struct hotplug_vbd *vbd,
                           const char *status, const char *message)
{
        const char *kv[3] = { vbd->path, status, message };

        return xsc_transact(xs, report_body, (void *)kv);
}
