/* hotplug.c: the add and remove protocols of one vbd. */
#include "hotplug.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "loop.h"
#include "mounts.h"
#include "parse.h"
#include "sysfs.h"
#include "target.h"
#include "util.h"

/* The look on a new connection after a failure whose outcome is unknown. */
#define RECHECK_BUDGET_MS 5000

/* ----------------------------------------------------- this domain's uses */

/* Whether block device DEVNO holds T's blocks: by number, or as a loop
 * device bound to T's file (THROUGH_LOOP). 1, 0, or -errno with WHY when a
 * loop device cannot tell its file (refused rather than guessed). */
static int device_holds_target(const struct sharing_target *t, dev_t devno, bool *through_loop,
                               struct reason *why)
{
        dev_t file_dev;
        ino_t file_ino;
        int r;

        *through_loop = false;
        if (sharing_device_overlaps(t, devno))
                return 1;
        if (!t->has_file || major(devno) != LOOP_MAJOR_NUMBER)
                return 0;
        r = loop_backing_file_id(devno, &file_dev, &file_ino);
        if (r == -ENXIO || r == -ENOENT)
                return 0;       /* detached, or gone: holds no file */
        if (r < 0)
                return reason_set_errno(why, r, "cannot tell which file loop device %u:%u is bound to",
                                        major(devno), minor(devno));
        *through_loop = sharing_file_overlaps(t, file_dev, file_ino);
        return *through_loop;
}

struct local_check {
        const struct sharing_target *t;
        struct reason *why;
};

static int check_one_mount(dev_t devno, enum mount_use use, void *userdata)
{
        const struct local_check *c = userdata;
        bool through_loop;
        int r;

        if (!sharing_use_conflicts(c->t, use))
                return 0;       /* no need to look closer */
        r = device_holds_target(c->t, devno, &through_loop, c->why);
        if (r <= 0)
                return r;
        return sharing_judge_local_use(c->t, use, through_loop, c->why);
}

/* Holders (LVM, LUKS, md) of the target or of its partitions keep writers
 * out; readers never look (sharing_judge_holders). A device that cannot be
 * looked at is refused, not taken for one without holders. */
static int check_holders(const struct target *target, struct reason *why)
{
        if (target->share.mode == ACCESS_READ)
                return 0;
        for (size_t i = 0; i < target->n_family; i++) {
                unsigned maj = major(target->family[i]), min = minor(target->family[i]);
                _cleanup_close_ int dir = sysfs_open_block(maj, min);
                int r = dir < 0 ? dir : sysfs_dir_has_entries(dir, "holders");

                if (r < 0 && r != -ENOENT)
                        return reason_set_errno(why, r, "cannot tell what holds block device %u:%u", maj, min);
                if (r > 0)
                        return sharing_judge_holders(&target->share, why);
        }
        return 0;
}

/* Mounts, swap and stacked devices of this domain on the target's blocks. */
static int check_local_uses(const struct target *target, struct reason *why)
{
        _cleanup_mounts_ struct mounts *mounts = NULL;
        struct local_check c = { &target->share, why };
        int r = mounts_load(&mounts);

        if (r < 0)
                return reason_set_errno(why, r, "cannot read this domain's mount table");
        if (target->share.has_file &&
            mounts_file_is_swap(mounts, target->share.file_dev, target->share.file_ino))
                return sharing_judge_swap_file(&target->share, why);
        r = mounts_foreach(mounts, check_one_mount, &c);
        if (r != 0)
                return r;
        return check_holders(target, why);
}

/* ----------------------------------------------------- the other domains */

struct add_request {
        const struct vbd *vbd;
        const struct sharing_target *share;
        char physical_device[32];
        char diskseq[24];
        const char *physical_device_path;
        const char *stale;      /* physical-device of an earlier add whose device is gone */
        bool already;           /* another add of this vbd finished first */
        bool busy;              /* the sharing rule refused */
        struct reason *why;
};

/* Whether the vbd whose nodes are under BASE still holds device DEVNO: its
 * diskseq, where it wrote one, is the device's current one. A vbd left by
 * a killed add, or whose loop was detached and reused, holds nothing. 1 it
 * holds it, 0 not, < 0 when diskseq cannot be read (-EAGAIN: a conflict). */
static int vbd_device_is_current(struct xsc *xs, xsc_txn t, const char *base, dev_t devno, struct reason *why)
{
        _cleanup_free_ char *value = NULL;
        char path[NODE_PATH_MAX];
        uint64_t recorded, current;
        int r;

        if (path_join(path, sizeof(path), base, "diskseq") < 0)
                return reason_set(why, -ENAMETOOLONG, "xenstore path %s/diskseq is too long", base);
        r = vbd_read_path(xs, t, path, &value, why);
        if (r == -ENOENT || (r == 0 && parse_hex_canonical(value, &recorded) < 0))
                return 1;       /* Xen's own script writes none: assume it holds it */
        if (r < 0)
                return r;
        return blockdev_diskseq(devno, &current) == 0 && current == recorded;
}

/* Read NODE (an op of a batch) into *VALUE; -ENOENT leaves it NULL. */
static int take_read(struct xsc_op *op, char **value, struct reason *why)
{
        if (op->r == -ENOENT)
                return 0;
        if (op->r == -EAGAIN)
                return op->r;           /* a conflict: the transaction starts again */
        if (op->r < 0)
                return reason_set_errno(why, op->r, "cannot read xenstore %s", op->path);
        if (strlen(op->reply) != op->len)
                return reason_set(why, -EINVAL, "xenstore %s holds a NUL byte", op->path);
        *value = TAKE_PTR(op->reply);
        return 0;
}

/* Requests sent together in one round trip, at most. */
#define BATCH_MAX 64

/* Whether vbd BASE (ROOT/DOMID/DEVID) of another domain, whose
 * physical-device is PHYSICAL, holds the target in a way that conflicts
 * with our mode. Decided inside the transaction: a loop made by a
 * concurrent add of the same file is seen once its vbd is committed. */
static int check_other_vbd(struct xsc *xs, xsc_txn t, const struct add_request *req, const char *base,
                           const char *physical)
{
        _cleanup_free_ char *mode = NULL;
        char path[NODE_PATH_MAX];
        const char *domid = base + strlen(req->vbd->root) + 1, *devid = strchr(domid, '/') + 1;
        char domain[12];
        unsigned maj, min;
        bool through_loop;
        int r;

        if (parse_majmin_hex(physical, &maj, &min) < 0)
                return 0;               /* no device blkback could have opened */
        r = device_holds_target(req->share, makedev(maj, min), &through_loop, req->why);
        if (r > 0)
                r = vbd_device_is_current(xs, t, base, makedev(maj, min), req->why);
        if (r <= 0)
                return r;
        if (path_join(path, sizeof(path), base, "mode") < 0)
                return reason_set(req->why, -ENAMETOOLONG, "xenstore path %s/mode is too long", base);
        r = vbd_read_path(xs, t, path, &mode, req->why);
        if (r < 0 && r != -ENOENT)
                return r;
        snprintf(domain, sizeof(domain), "%.*s", (int)(devid - 1 - domid), domid);
        return sharing_judge_other_vbd(req->share, req->vbd->root, domain, devid, mode, req->why);
}

/* A batch of N requests of TYPE on PATHS[i]/KEY (KEY NULL: PATHS[i]). */
static int batch_on(struct xsc *xs, xsc_txn t, enum xsc_op_type type, char *const *paths, size_t n, const char *key,
                    char (*buf)[NODE_PATH_MAX], struct xsc_op *ops, struct reason *why)
{
        int r;

        for (size_t i = 0; i < n; i++) {
                if (key ? path_join(buf[i], sizeof(buf[i]), paths[i], key) < 0
                        : str_copy(buf[i], sizeof(buf[i]), paths[i]) < 0)
                        return reason_set(why, -ENAMETOOLONG, "xenstore path %s/%s is too long", paths[i],
                                          key ? key : "");
                ops[i] = (struct xsc_op){ .type = type, .path = buf[i] };
        }
        r = xsc_batch(xs, t, ops, n);
        if (r < 0) {
                xsc_ops_clear(ops, n);
                return r == -EAGAIN ? r : reason_set_errno(why, r, "cannot read xenstore %s", paths[0]);
        }
        return 0;
}

/* The vbds of the other domains DOMAINS (ROOT/DOMID/DEVID, a strv), their
 * directories listed BATCH_MAX at a time. */
static int list_other_vbds(struct xsc *xs, xsc_txn t, const struct add_request *req, char *const *domains,
                           char ***vbds)
{
        _cleanup_strv_free_ char **dirs = NULL;
        char own[12], buf[BATCH_MAX][NODE_PATH_MAX];
        struct xsc_op ops[BATCH_MAX];
        size_t n_dirs;
        int r = 0;

        snprintf(own, sizeof(own), "%u", req->vbd->frontend_domid);
        for (char *const *d = domains; *d; d++) {
                char path[NODE_PATH_MAX];

                if (streq(*d, own))
                        continue;       /* a domain may attach its disk twice */
                if (path_join(path, sizeof(path), req->vbd->root, *d) < 0)
                        return reason_set(req->why, -ENAMETOOLONG, "xenstore path %s/%s is too long",
                                          req->vbd->root, *d);
                if (strv_extend(&dirs, path) < 0)
                        return reason_set_errno(req->why, -ENOMEM, "cannot list xenstore %s", req->vbd->root);
        }
        n_dirs = strv_length(dirs);
        for (size_t at = 0; r == 0 && at < n_dirs; at += BATCH_MAX) {
                size_t n = n_dirs - at < BATCH_MAX ? n_dirs - at : BATCH_MAX;

                r = batch_on(xs, t, XSC_OP_LIST, dirs + at, n, NULL, buf, ops, req->why);
                if (r < 0)
                        break;
                for (size_t i = 0; r == 0 && i < n; i++) {
                        _cleanup_strv_free_ char **devices = NULL;

                        r = xsc_op_names(&ops[i], &devices);
                        if (r == -E2BIG)        /* more than one reply holds */
                                r = xsc_list(xs, t, ops[i].path, &devices);
                        if (r == -ENOENT) {
                                r = 0;
                                continue;
                        }
                        if (r < 0) {
                                r = r == -EAGAIN ? r : reason_set_errno(req->why, r, "cannot list xenstore %s",
                                                                         ops[i].path);
                                continue;
                        }
                        for (char **dev = devices; r == 0 && *dev; dev++) {
                                char path[NODE_PATH_MAX];

                                if (path_join(path, sizeof(path), ops[i].path, *dev) < 0)
                                        r = reason_set(req->why, -ENAMETOOLONG, "xenstore path %s/%s is too long",
                                                       ops[i].path, *dev);
                                else if (strv_extend(vbds, path) < 0)
                                        r = reason_set_errno(req->why, -ENOMEM, "cannot list xenstore %s",
                                                             ops[i].path);
                        }
                }
                xsc_ops_clear(ops, n);
        }
        return r;
}

/* LIST: the batched listing of the vbd root (the frontend domains). Every
 * other domain's vbds are listed, and their physical-device read, BATCH_MAX
 * requests per round trip; only a vbd on our target is looked at closer. */
static int check_other_domains(struct xsc *xs, xsc_txn t, const struct add_request *req, const struct xsc_op *list)
{
        _cleanup_strv_free_ char **domains = NULL, **vbds = NULL;
        char buf[BATCH_MAX][NODE_PATH_MAX];
        struct xsc_op ops[BATCH_MAX];
        size_t n_vbds;
        int r;

        r = xsc_op_names(list, &domains);
        if (r == -E2BIG)                /* more domains than one reply holds */
                r = xsc_list(xs, t, req->vbd->root, &domains);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r == -EAGAIN ? r : reason_set_errno(req->why, r, "cannot list xenstore %s", req->vbd->root);
        r = list_other_vbds(xs, t, req, domains, &vbds);
        n_vbds = strv_length(vbds);
        for (size_t at = 0; r == 0 && at < n_vbds; at += BATCH_MAX) {
                size_t n = n_vbds - at < BATCH_MAX ? n_vbds - at : BATCH_MAX;

                r = batch_on(xs, t, XSC_OP_READ, vbds + at, n, "physical-device", buf, ops, req->why);
                if (r < 0)
                        break;
                for (size_t i = 0; r == 0 && i < n; i++) {
                        _cleanup_free_ char *physical = NULL;

                        r = take_read(&ops[i], &physical, req->why);
                        if (r == 0 && physical)         /* none: not set up (yet), holds nothing */
                                r = check_other_vbd(xs, t, req, vbds[at + i], physical);
                }
                xsc_ops_clear(ops, n);
        }
        return r;
}

/* ------------------------------------------------------- a run's traces */

/* A run that makes a loop device first writes PENDING_NODE = "PID START"
 * (its process and the start time of it, so that a reused PID is not taken
 * for it) and tags the device with vbd_tag(); its commit removes the node.
 * A node left by a process that no longer runs says a run died between the
 * two: the next add or remove of the vbd releases that vbd's tagged loop
 * devices, which nothing else names. */
#define PENDING_NODE "qubes-block-pending"

static void vbd_tag(const struct vbd *vbd, char *buf, size_t size)
{
        snprintf(buf, size, "qubes-block:vbd/%u/%u", vbd->frontend_domid, vbd->devid);
}

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks. */
static int process_start_time(pid_t pid, uint64_t *out)
{
        char path[64], buf[1024], *paren;
        _cleanup_close_ int fd = -1;
        ssize_t n;
        int field = 2;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return n < 0 ? negative_errno() : -EIO;
        buf[n] = '\0';
        paren = strrchr(buf, ')');      /* the command name may hold spaces and parentheses */
        if (!paren)
                return -EIO;
        for (char *p = paren + 1; *p; p++)
                if (*p == ' ' && ++field == 22)
                        return sscanf(p + 1, "%" SCNu64, out) == 1 ? 0 : -EIO;
        return -EIO;
}

static int pending_value(char *buf, size_t size)
{
        uint64_t start;
        int r = process_start_time(getpid(), &start);

        if (r < 0)
                return r;
        snprintf(buf, size, "%d %" PRIu64, (int)getpid(), start);
        return 0;
}

/* Whether the run that wrote pending VALUE is gone (or VALUE is junk). */
static bool pending_run_is_gone(const char *value)
{
        char pid_text[12];
        const char *space = strchr(value, ' ');
        uint64_t start, now;
        uint32_t pid;

        if (!space || (size_t)(space - value) >= sizeof(pid_text))
                return true;
        memcpy(pid_text, value, (size_t)(space - value));
        pid_text[space - value] = '\0';
        if (parse_u32(pid_text, 10, &pid) < 0 || pid == 0 || pid > INT_MAX || parse_u64(space + 1, 10, &start) < 0)
                return true;
        return process_start_time((pid_t)pid, &now) < 0 || now != start;
}

/* What a killed run of this vbd left: released, unless it is KEEP. */
static void release_leftovers(const struct vbd *vbd, const char *pending, dev_t keep)
{
        char tag[LOOP_TAG_MAX];
        int r;

        if (!pending || !pending_run_is_gone(pending))
                return;
        vbd_tag(vbd, tag, sizeof(tag));
        r = loop_release_tagged(tag, keep);
        if (r > 0)
                log_debug("%s: released %d loop device(s) of a run that was killed", vbd->path, r);
}

/* --------------------------------------------------------------------- add */

/* The decision and the nodes in one transaction: a concurrent add of the
 * same target by another domain makes one of the two commits fail with
 * EAGAIN, and the retry sees the other's physical-device. hotplug-status
 * goes in the same commit, after the device nodes; an old hotplug-error and
 * the pending node go: no reader sees one state without the other.
 *
 * One round trip reads physical-device again, lists the vbds to judge
 * sharing with and writes the nodes: the decision comes after, and a
 * transaction that must not commit (set up already, or refused) is
 * aborted, its writes with it. */
static int add_body(struct xsc *xs, xsc_txn t, void *userdata)
{
        struct add_request *req = userdata;
        static const char *const keys[] = { "physical-device", "physical-device-path", "diskseq",
                                            "hotplug-error", PENDING_NODE, "hotplug-status" };
        _cleanup_free_ char *existing = NULL;
        char paths[6][NODE_PATH_MAX];
        struct xsc_op ops[] = {
                { .type = XSC_OP_READ, .path = paths[0] },
                { .type = XSC_OP_LIST, .path = req->vbd->root },
                { .type = XSC_OP_WRITE, .path = paths[0], .value = req->physical_device },
                { .type = XSC_OP_WRITE, .path = paths[1], .value = req->physical_device_path },
                { .type = XSC_OP_WRITE, .path = paths[2], .value = req->diskseq },
                { .type = XSC_OP_RM, .path = paths[3] },
                { .type = XSC_OP_RM, .path = paths[4] },
                { .type = XSC_OP_WRITE, .path = paths[5], .value = "connected" },
        };
        int r;

        req->already = req->busy = false;
        for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
                if (vbd_node_path(paths[i], sizeof(paths[i]), req->vbd, keys[i]) < 0)
                        return reason_set(req->why, -ENAMETOOLONG, "xenstore path %s/%s is too long",
                                          req->vbd->path, keys[i]);
        r = xsc_batch(xs, t, ops, ARRAY_SIZE(ops));
        if (r == 0)
                r = take_read(&ops[0], &existing, req->why);
        if (r == 0 && existing && !(req->stale && streq(existing, req->stale)))
                req->already = true;    /* another add of this vbd finished first */
        for (size_t i = 2; r == 0 && !req->already && i < ARRAY_SIZE(ops); i++)
                if (ops[i].r < 0 && !(ops[i].type == XSC_OP_RM && ops[i].r == -ENOENT))
                        r = ops[i].r == -EAGAIN ? -EAGAIN
                                                : reason_set_errno(req->why, ops[i].r, "cannot write the nodes of %s",
                                                                   req->vbd->path);
        if (r == 0 && !req->already && req->share->mode != ACCESS_WRITE_UNCHECKED)
                r = check_other_domains(xs, t, req, &ops[1]);
        else if (r < 0 && r != -EAGAIN && !reason_is_set(req->why))
                reason_set_errno(req->why, r, "cannot read xenstore %s", paths[0]);
        xsc_ops_clear(ops, ARRAY_SIZE(ops));
        if (r == HOTPLUG_BUSY)
                req->busy = true;
        if (req->already || req->busy)
                return -ECANCELED;      /* abort: its writes go with it */
        return r;
}

/* Whether node KEY holds WANT, read on the connection as it is now. */
static bool vbd_holds(struct xsc *xs, const struct vbd *vbd, const char *key, const char *want)
{
        _cleanup_free_ char *value = NULL;

        return vbd_read(xs, XSC_NO_TXN, vbd, key, &value, NULL) == 0 && streq(value, want);
}

/* A failed transaction may still have committed: the daemon can carry out
 * the commit and the connection break before its reply arrives. Look again
 * on a new connection before undoing the attach, or remove would later find
 * nodes naming a device that was released. */
static bool add_landed(struct xsc *xs, const struct add_request *req)
{
        return xsc_renew(xs, RECHECK_BUDGET_MS, NULL) == 0 &&
               vbd_holds(xs, req->vbd, "physical-device", req->physical_device) &&
               vbd_holds(xs, req->vbd, "physical-device-path", req->physical_device_path) &&
               vbd_holds(xs, req->vbd, "diskseq", req->diskseq);
}

/* The nodes an add reads first (its pending node is written in the same
 * round trip, after the read of the old one); the last two only matter
 * when physical-device is set (libxl running add twice, or an old attach
 * whose device is gone). */
struct add_nodes {
        char *physical_device, *params, *mode, *pending, *physical_device_path, *diskseq;
};

static void add_nodes_done(struct add_nodes *n)
{
        free(n->physical_device);
        free(n->params);
        free(n->mode);
        free(n->pending);
        free(n->physical_device_path);
        free(n->diskseq);
}

static int add_read_nodes(struct xsc *xs, const struct vbd *vbd, struct add_nodes *n, struct reason *why)
{
        static const char *const keys[] = { "physical-device", "params", "mode", PENDING_NODE,
                                            "physical-device-path", "diskseq", PENDING_NODE };
        char paths[7][NODE_PATH_MAX], pending[64];
        char **values[] = { &n->physical_device, &n->params, &n->mode, &n->pending, &n->physical_device_path,
                            &n->diskseq };
        struct xsc_op ops[7];
        int r;

        r = pending_value(pending, sizeof(pending));
        if (r < 0)
                return reason_set_errno(why, r, "cannot read /proc/self/stat");
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
                if (vbd_node_path(paths[i], sizeof(paths[i]), vbd, keys[i]) < 0)
                        return reason_set(why, -ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, keys[i]);
                /* the reads, then the pending node written for this run */
                ops[i] = (struct xsc_op){ .type = i < ARRAY_SIZE(values) ? XSC_OP_READ : XSC_OP_WRITE,
                                          .path = paths[i], .value = i < ARRAY_SIZE(values) ? NULL : pending };
        }
        r = xsc_batch(xs, XSC_NO_TXN, ops, ARRAY_SIZE(ops));
        if (r < 0) {
                xsc_ops_clear(ops, ARRAY_SIZE(ops));
                return reason_set_errno(why, r, "cannot read the nodes of %s from xenstore", vbd->path);
        }
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(values); i++)
                r = take_read(&ops[i], values[i], why);
        if (r == 0 && ops[6].r < 0)
                r = reason_set_errno(why, ops[6].r, "cannot write xenstore %s", ops[6].path);
        xsc_ops_clear(ops, ARRAY_SIZE(ops));
        return r;
}

/* Whether the nodes of an earlier add still stand for a live attach: a loop
 * device it made must still be bound with the disk sequence number it
 * recorded (a killed add, or a loop detached by hand, leaves them naming
 * nothing). */
static bool existing_attach_is_current(const struct add_nodes *n)
{
        uint64_t recorded, current;
        unsigned maj, min;

        if (parse_majmin_hex(n->physical_device, &maj, &min) < 0 || maj != LOOP_MAJOR_NUMBER)
                return true;       /* not a device of ours: left as it is */
        if (!n->physical_device_path || (n->params && streq(n->physical_device_path, n->params)))
                return true;       /* given, not made */
        if (!n->diskseq || parse_hex_canonical(n->diskseq, &recorded) < 0)
                return true;
        return blockdev_diskseq(makedev(maj, min), &current) == 0 && current == recorded;
}

/* The vbd's device set up: a loop device for a file, or the block device
 * as given; the local part of the sharing rule applied. */
static int add_prepare(const char *params, enum access_mode mode, struct target *target, struct loop_dev *loop,
                       struct add_request *req)
{
        char tag[LOOP_TAG_MAX];
        uint64_t diskseq;
        int r;

        r = target_open(params, mode, target, req->why);
        if (r < 0)
                return r;
        if (target->is_file) {
                vbd_tag(req->vbd, tag, sizeof(tag));
                r = loop_attach_file(target->fd, mode == ACCESS_READ, tag, loop);
                if (r < 0)
                        return reason_set_errno(req->why, r, "cannot attach %s to a loop device", params);
                target->share.devno = loop->devno;
                diskseq = loop->diskseq;
                req->physical_device_path = loop->path;
        } else {
                r = blockdev_fd_diskseq(target->fd, &diskseq);
                if (r < 0)
                        return reason_set_errno(req->why, r, "cannot read the disk sequence number of %s", params);
                req->physical_device_path = params;
        }
        snprintf(req->physical_device, sizeof(req->physical_device), "%x:%x", major(target->share.devno),
                 minor(target->share.devno));
        snprintf(req->diskseq, sizeof(req->diskseq), "%" PRIx64, diskseq);
        req->share = &target->share;
        if (mode == ACCESS_WRITE_UNCHECKED)
                return 0;
        r = target_find_relatives(target, req->why);
        if (r < 0)
                return r;
        return check_local_uses(target, req->why);
}

static int transaction_failed(const struct vbd *vbd, int r, const char *what, struct reason *why)
{
        if (r == -EAGAIN)
                return reason_set(why, r, "xenstore transaction on %s kept conflicting after %d attempts",
                                  vbd->path, XSC_TRANSACTION_ATTEMPTS);
        return reason_set_errno(why, r, "cannot %s of %s in xenstore", what, vbd->path);
}

/* add_attach() found the vbd set up by an earlier add, still live. */
#define ADD_ALREADY 2

/* Everything of an add after the first read: 0, ADD_ALREADY, HOTPLUG_BUSY
 * or -errno; on anything but 0 the caller releases the loop device. */
static int add_attach(struct xsc *xs, const struct vbd *vbd, struct add_nodes *n, struct loop_dev *loop,
                      struct reason *why)
{
        _cleanup_target_ struct target target = TARGET_INIT;
        struct add_request req = { .vbd = vbd, .why = why };
        enum access_mode mode;
        int r;

        if (n->physical_device) {
                if (existing_attach_is_current(n))
                        return ADD_ALREADY;     /* libxl may run add twice */
                log_debug("%s/physical-device %s names a device that is gone: attaching anew", vbd->path,
                          n->physical_device);
                req.stale = n->physical_device;
        }
        release_leftovers(vbd, n->pending, 0);
        if (!n->params)
                return reason_set(why, -EINVAL, "%s/params is missing: no disk to attach", vbd->path);
        if ((r = vbd_check_params(n->params, why)) < 0 || (r = vbd_parse_mode(n->mode, &mode, why)) < 0)
                return r;
        r = add_prepare(n->params, mode, &target, loop, &req);
        if (r != 0)
                return r;
        r = xsc_transact(xs, add_body, &req);
        if (req.busy)
                return HOTPLUG_BUSY;
        if (req.already)
                return ADD_ALREADY;
        if (r < 0 && add_landed(xs, &req)) {
                log_debug("the nodes of %s were written though the commit reported an error", vbd->path);
                r = 0;
        }
        if (r < 0)
                return transaction_failed(vbd, r, "commit the nodes", why);
        if (target.is_file)
                loop_close(loop);       /* blkback's now: remove releases it */
        return 0;
}

/* After an add that did not attach: no loop device of ours is left, so the
 * pending node goes too, on a new connection if the old one failed (if
 * that fails as well, the next run finds the node stale). */
static void add_abandon(struct xsc *xs, const struct vbd *vbd, struct loop_dev *loop)
{
        loop_dropp(loop);
        if (xsc_renew(xs, RECHECK_BUDGET_MS, NULL) == 0)
                vbd_rm(xs, XSC_NO_TXN, vbd, PENDING_NODE, NULL);
}

int hotplug_add(struct xsc *xs, const struct vbd *vbd, struct reason *why)
{
        _cleanup_(add_nodes_done) struct add_nodes n = { 0 };
        _cleanup_loop_ struct loop_dev loop = LOOP_DEV_INIT;
        int r;

        r = add_read_nodes(xs, vbd, &n, why);
        if (r == 0)
                r = add_attach(xs, vbd, &n, &loop, why);
        if (r != 0)
                add_abandon(xs, vbd, &loop);
        return r == ADD_ALREADY ? 0 : r;
}

/* ------------------------------------------------------------------ remove */

struct remove_nodes {
        char *physical_device, *physical_device_path, *diskseq, *params, *pending;
};

static void remove_nodes_done(struct remove_nodes *n)
{
        free(n->physical_device);
        free(n->physical_device_path);
        free(n->diskseq);
        free(n->params);
        free(n->pending);
        *n = (struct remove_nodes){ 0 };
}

/* The device the nodes name, claimed: from LOOP_CLR_FD on, it goes when we
 * close it, whatever happens to us. 1 claimed, 0 nothing of ours to
 * release (a device given, not made), < 0 with WHY. */
static int remove_claim_loop(const struct vbd *vbd, const struct remove_nodes *n, struct loop_dev *loop,
                             struct reason *why)
{
        unsigned maj, min;
        uint64_t diskseq;
        int r;

        if (parse_majmin_hex(n->physical_device, &maj, &min) < 0)
                return reason_set(why, -EINVAL, "%s/physical-device '%s' is not MAJOR:MINOR in hex: "
                                  "no device released", vbd->path, n->physical_device);
        release_leftovers(vbd, n->pending, makedev(maj, min));
        /* physical-device-path equal to params: the device was given, not made */
        if (!n->physical_device_path || (n->params && streq(n->physical_device_path, n->params)))
                return 0;
        if (maj != LOOP_MAJOR_NUMBER || !startswith(n->physical_device_path, "/dev/loop"))
                return 0;
        /* only the node the add named: /dev/loopN, nothing found through it */
        if (!loop_name_is_valid(n->physical_device_path + strlen("/dev/")))
                return reason_set(why, 0, "not releasing %s: it is no loop device's node", n->physical_device_path);
        if (!n->diskseq || parse_hex_canonical(n->diskseq, &diskseq) < 0)
                return reason_set(why, -EINVAL, "%s/diskseq '%s' is not a hex number: %s not released", vbd->path,
                                  n->diskseq ? n->diskseq : "(missing)", n->physical_device_path);
        r = loop_claim(n->physical_device_path, makedev(maj, min), diskseq, loop, why);
        if (r < 0)
                return reason_set_errno(why, r, "cannot release %s", n->physical_device_path);
        return r;
}

struct remove_request {
        const struct vbd *vbd;
        struct remove_nodes nodes;      /* as the last attempt read them */
        struct loop_dev loop;           /* the claimed device */
        int claimed;                    /* remove_claim_loop's verdict */
        struct reason claim;            /* and what it had to say */
        bool read;                      /* an attempt read the nodes */
        struct reason *why;
};

/* A claim the commit will not make good: the device stays, if it still can
 * (we alone held it: it is past saving). */
static void remove_unclaim(struct remove_request *req)
{
        if (req->claimed > 0 && loop_unclaim(&req->loop) < 0)
                log_debug("%s goes all the same: it was claimed before the commit failed", req->loop.path);
        if (req->claimed > 0)
                loop_close(&req->loop);
        req->claimed = 0;
        reason_clear(&req->claim);
}

/* One round trip reads the nodes and removes physical-device, diskseq
 * (SPEC §4) and the pending node; the device they named is claimed before
 * the commit, so that no death of ours in between leaves a loop device
 * nothing names. A retry that reads another device than the one claimed
 * gives the claim back first. */
static int remove_body(struct xsc *xs, xsc_txn t, void *userdata)
{
        struct remove_request *req = userdata;
        static const char *const keys[] = { "physical-device", "physical-device-path", "diskseq", "params",
                                            PENDING_NODE };
        struct remove_nodes n = { 0 };
        char **values[] = { &n.physical_device, &n.physical_device_path, &n.diskseq, &n.params, &n.pending };
        char paths[5][NODE_PATH_MAX];
        struct xsc_op ops[8];
        int r;

        for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
                if (vbd_node_path(paths[i], sizeof(paths[i]), req->vbd, keys[i]) < 0)
                        return reason_set(req->why, -ENAMETOOLONG, "xenstore path %s/%s is too long",
                                          req->vbd->path, keys[i]);
                ops[i] = (struct xsc_op){ .type = XSC_OP_READ, .path = paths[i] };
        }
        ops[5] = (struct xsc_op){ .type = XSC_OP_RM, .path = paths[0] };
        ops[6] = (struct xsc_op){ .type = XSC_OP_RM, .path = paths[2] };
        ops[7] = (struct xsc_op){ .type = XSC_OP_RM, .path = paths[4] };
        r = xsc_batch(xs, t, ops, ARRAY_SIZE(ops));
        if (r < 0 && r != -EAGAIN)
                reason_set_errno(req->why, r, "cannot read the nodes of %s from xenstore", req->vbd->path);
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(keys); i++)
                r = take_read(&ops[i], values[i], req->why);
        for (size_t i = ARRAY_SIZE(keys); r == 0 && i < ARRAY_SIZE(ops); i++)
                if (ops[i].r < 0 && ops[i].r != -ENOENT)
                        r = ops[i].r == -EAGAIN ? -EAGAIN
                                                : reason_set_errno(req->why, ops[i].r, "cannot remove the nodes of %s",
                                                                   req->vbd->path);
        xsc_ops_clear(ops, ARRAY_SIZE(ops));
        if (r < 0) {
                remove_nodes_done(&n);
                return r;
        }
        if (!(req->read && n.physical_device && req->nodes.physical_device &&
              streq(n.physical_device, req->nodes.physical_device))) {
                remove_unclaim(req);
                if (n.physical_device)
                        req->claimed = remove_claim_loop(req->vbd, &n, &req->loop, &req->claim);
                else
                        /* never set up, removed already, or its add was killed */
                        release_leftovers(req->vbd, n.pending, 0);
        }
        remove_nodes_done(&req->nodes);
        req->nodes = n;
        req->read = true;
        return 0;
}

/* As add_landed: the nodes are gone, so nobody else will release what they
 * named if we do not. */
static bool remove_landed(struct xsc *xs, const struct vbd *vbd)
{
        _cleanup_free_ char *value = NULL;

        return xsc_renew(xs, RECHECK_BUDGET_MS, NULL) == 0 &&
               vbd_read(xs, XSC_NO_TXN, vbd, "physical-device", &value, NULL) == -ENOENT;
}

int hotplug_remove(struct xsc *xs, const struct vbd *vbd, struct reason *why)
{
        struct remove_request req = { .vbd = vbd, .loop = LOOP_DEV_INIT, .claim = REASON_INIT, .why = why };
        int r;

        r = xsc_transact(xs, remove_body, &req);
        if (r < 0 && req.nodes.physical_device && remove_landed(xs, vbd)) {
                log_debug("physical-device of %s is gone though the commit reported an error", vbd->path);
                r = 0;
        }
        if (r < 0 && req.read && !req.nodes.physical_device) {
                /* never set up, or its leftovers released: the pending node
                 * stays, and the next run finds its process gone */
                log_debug("%s: nothing to remove, the pending node stays (%d)", vbd->path, r);
                reason_clear(why);
                r = 0;
        }
        if (r < 0) {
                remove_unclaim(&req);
                remove_nodes_done(&req.nodes);
                return transaction_failed(vbd, r, "remove the nodes", why);
        }
        if (reason_is_set(&req.claim))
                reason_set(why, req.claimed < 0 ? req.claimed : 0, "%s", req.claim.text);
        r = req.claimed < 0 ? req.claimed : 0;
        loop_close(&req.loop);          /* a claimed loop device goes as we close it */
        remove_nodes_done(&req.nodes);
        return r;
}

/* ----------------------------------------------------------------- failure */

struct failure_report {
        const struct vbd *vbd;
        const char *status, *message;
};

/* hotplug-error first: libxl reads it when hotplug-status says error */
static int report_body(struct xsc *xs, xsc_txn t, void *userdata)
{
        const struct failure_report *f = userdata;
        int r = vbd_write(xs, t, f->vbd, "hotplug-error", f->message, NULL);

        return r < 0 ? r : vbd_write(xs, t, f->vbd, "hotplug-status", f->status, NULL);
}

int hotplug_report_failure(struct xsc *xs, const struct vbd *vbd, const char *status, const char *message)
{
        struct failure_report f = { vbd, status, message };

        return xsc_transact(xs, report_body, &f);
}
