/* block-event.c: a udev block event, its relatives and the dm slave cache. */
#include "block-event.h"

#include <libudev.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "config.h"
#include "export.h"
#include "log.h"
#include "sanitize.h"
#include "sysfs.h"
#include "util.h"

#define SLAVE_CACHE_PREFIX "block-slave-cache-"
/* dm on a partition on a disk is three levels; more means a loop in sysfs */
#define REEVALUATE_DEPTH_MAX 8

int block_event_open(struct block_event *ev)
{
        *ev = (struct block_event) { 0 };
        ev->udev = udev_new();
        if (!ev->udev)
                return log_error_errno(-ENOMEM, "cannot initialize libudev");
        return 0;
}

static int block_event_connect(struct block_event *ev)
{
        return ev->xs ? 0 : xsc_open(&ev->xs);
}

/* Which devices blkback serves: all a remove event needs to know. */
static int block_event_load_vbds(struct block_event *ev)
{
        int r;

        if (ev->vbds_loaded)
                return 0;
        r = blockdev_vbds_load(&ev->policy.vbds);
        if (r < 0)
                return r;
        ev->vbds_loaded = true;
        return 0;
}

static int block_event_load_policy(struct block_event *ev)
{
        int r;

        if (!ev->policy.mounts) {
                r = mounts_load(&ev->policy.mounts);
                if (r < 0)
                        return r;
        }
        return block_event_load_vbds(ev);
}

void block_event_done(struct block_event *ev)
{
        if (ev->policy.mounts)
                mounts_free(ev->policy.mounts);
        blockdev_vbds_clear(&ev->policy.vbds);
        if (ev->xs)
                xsc_close(ev->xs);
        udev_unref(ev->udev);
}

/* Write, update or remove BD's entry as the policy says. */
static int block_event_publish(struct block_event *ev, const struct blockdev *bd)
{
        struct block_facts facts;
        struct block_entry entry;
        const char *reason;
        int r = block_policy_gather(&ev->policy, bd, &facts);

        if (r < 0)
                return r;
        switch (block_policy_decide(&facts, &reason)) {
        case BLOCK_KEEP:
                return 0;
        case BLOCK_HIDE:
                /* a name dom0 rejects was never written: nothing to remove */
                if (sanitize_block_name(blockdev_devname(bd), entry.name, sizeof(entry.name)) < 0)
                        return 0;
                r = export_remove_entry(ev->xs, EXPORT_BLOCK_SUBTREE, entry.name);
                if (r > 0)
                        log_info("%s withdrawn: %s", blockdev_devname(bd), reason);
                return r < 0 ? r : 0;
        case BLOCK_OFFER:
                break;
        }
        r = block_policy_build_entry(bd, &facts, &entry);
        if (r != 0)
                return r < 0 ? r : 0;   /* a name dom0 rejects: said so, not an error of ours */
        r = export_write_entry(ev->xs, EXPORT_BLOCK_SUBTREE, entry.name,
                               (const struct export_value[]){
                                       { "desc", entry.desc },
                                       { "size", entry.size },
                                       { "mode", entry.mode },
                                       { "parent", entry.parent },
                               }, 4);
        return r < 0 ? r : 0;
}

static int block_event_evaluate(struct block_event *ev, const struct blockdev *bd, unsigned depth);

static int block_event_evaluate_names(struct block_event *ev, char *const *sysnames, unsigned depth)
{
        int first_error = 0;

        for (char *const *s = sysnames; s && *s; s++) {
                _cleanup_blockdev_ struct blockdev *relative = NULL;
                int r = blockdev_new_from_sysname(ev->udev, *s, &relative);

                if (r == 0)
                        r = block_event_evaluate(ev, relative, depth);
                /* a slave gone meanwhile has no entry left to fix */
                if (r < 0 && r != -ENODEV && first_error == 0)
                        first_error = r;
        }
        return first_error;
}

/* The partition's disk first (a disk now attached hides its partitions),
 * then a dm device's slaves, then BD itself. */
static int block_event_evaluate(struct block_event *ev, const struct blockdev *bd, unsigned depth)
{
        _cleanup_names_ char **slaves = NULL;
        int r, first_error = 0;

        if (depth > REEVALUATE_DEPTH_MAX)
                return log_error(-ELOOP, "%s: devices stacked too deep", blockdev_sysname(bd));
        if (blockdev_is_partition(bd)) {
                _cleanup_blockdev_ struct blockdev *disk = NULL;

                r = blockdev_new_disk_of(bd, &disk);
                if (r == 0)
                        r = block_event_evaluate(ev, disk, depth + 1);
                first_error = r;
        }
        r = blockdev_list_slaves(bd, &slaves);
        if (r == 0)
                r = block_event_evaluate_names(ev, slaves, depth + 1);
        if (r < 0 && first_error == 0)
                first_error = r;
        r = block_event_publish(ev, bd);
        return r < 0 ? r : first_error;
}

static int slave_cache_path(const char *name, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s/" SLAVE_CACHE_PREFIX "%s", QUBES_RUNTIME_DIR, name);

        return n < 0 || (size_t)n >= size ? log_error(-ENAMETOOLONG, "runtime dir path is too long") : 0;
}

/* A dm device's slaves, one name per line, for its remove event: by then
 * sysfs no longer says which devices it held. */
static int slave_cache_write(const char *name, char *const *slaves)
{
        char path[512], tmp[520];
        _cleanup_fclose_ FILE *f = NULL;
        int r = slave_cache_path(name, path, sizeof(path));

        if (r < 0)
                return r;
        if (mkdir(QUBES_RUNTIME_DIR, 0755) < 0 && errno != EEXIST)
                return log_error_errno(negative_errno(), "cannot create %s", QUBES_RUNTIME_DIR);
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "we");
        if (!f)
                return log_error_errno(negative_errno(), "cannot write %s", tmp);
        for (char *const *s = slaves; *s; s++)
                fprintf(f, "%s\n", *s);
        if (fflush(f) != 0 || ferror(f))
                r = log_error_errno(negative_errno(), "cannot write %s", tmp);
        else if (rename(tmp, path) < 0)
                r = log_error_errno(negative_errno(), "cannot rename %s to %s", tmp, path);
        if (r < 0)
                unlink(tmp);
        return r;
}

/* The cached slave names, an empty list when there is no cache. */
static int slave_cache_read(const char *name, char ***out)
{
        char path[512], line[256];
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_names_ char **names = calloc(1, sizeof(char *));
        size_t n = 0;
        int r = slave_cache_path(name, path, sizeof(path));

        if (r < 0 || !names)
                return r < 0 ? r : -ENOMEM;
        f = fopen(path, "re");
        if (!f && errno != ENOENT)
                return log_error_errno(negative_errno(), "cannot read %s", path);
        while (f && fgets(line, sizeof(line), f)) {
                char **grown;

                line[strcspn(line, "\n")] = '\0';
                if (!*line)
                        continue;
                grown = reallocarray(names, n + 2, sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                names = grown;
                names[n + 1] = NULL;
                names[n] = strdup(line);
                if (!names[n])
                        return -ENOMEM;
                n++;
        }
        *out = TAKE_PTR(names);
        return 0;
}

static void slave_cache_remove(const char *name)
{
        char path[512];

        if (slave_cache_path(name, path, sizeof(path)) == 0 && unlink(path) < 0 && errno != ENOENT)
                log_error_errno(negative_errno(), "cannot remove %s", path);
}

/* A dm device whose table changed may have let go of slaves it held: the
 * cached ones are re-evaluated with the current ones, and the cache renewed. */
static int block_event_refresh_slaves(struct block_event *ev, const struct blockdev *bd, const char *name)
{
        _cleanup_names_ char **cached = NULL, **current = NULL;
        char dm_name[256];
        int r;

        r = blockdev_dm_name(bd, dm_name, sizeof(dm_name));
        if (r == -ENOENT)
                return 0;       /* not a dm device */
        if (r < 0)
                return log_error_errno(r, "cannot read the dm name of %s", blockdev_devname(bd));
        r = slave_cache_read(name, &cached);
        if (r == 0)
                r = blockdev_list_slaves(bd, &current);
        if (r == 0)
                r = slave_cache_write(name, current);
        if (r == 0)
                r = block_event_evaluate_names(ev, cached, 1);
        return r;
}

int block_event_add_change(struct block_event *ev, const struct blockdev *bd)
{
        char name[BLOCK_ENTRY_NAME_MAX];
        int r = block_event_connect(ev);

        if (r == 0)
                r = block_event_load_policy(ev);
        if (r == 0 && sanitize_block_name(blockdev_devname(bd), name, sizeof(name)) == 0)
                r = block_event_refresh_slaves(ev, bd, name);
        if (r == 0)
                r = block_event_evaluate(ev, bd, 0);
        return r;
}

/* Whether DEVNO still exists and blkback serves it: then the remove event
 * was not the kernel's (udevadm trigger --action=remove, a run by hand). */
static int block_event_still_attached(struct block_event *ev, dev_t devno)
{
        _cleanup_close_ int dir = -1;
        int r;

        if (devno == 0)
                return 0;
        dir = sysfs_open_block(major(devno), minor(devno));
        if (dir < 0)
                return 0;       /* gone, as after a real remove */
        r = block_event_load_vbds(ev);
        if (r < 0)
                return r;
        return blockdev_vbds_contain(&ev->policy.vbds, devno);
}

int block_event_remove(struct block_event *ev, const char *name, dev_t devno)
{
        _cleanup_names_ char **slaves = NULL;
        int r = block_event_connect(ev);

        if (r == 0)
                r = block_event_still_attached(ev, devno);
        if (r < 0)
                return r;
        if (r > 0) {
                log_info("%s is still present and attached: its entry stays", name);
                return 0;
        }
        r = export_remove_entry(ev->xs, EXPORT_BLOCK_SUBTREE, name);
        if (r >= 0)
                r = slave_cache_read(name, &slaves);
        /* the slaves a dm device held are free now: they may be offered */
        if (r == 0 && slaves[0]) {
                r = block_event_load_policy(ev);
                if (r == 0)
                        r = block_event_evaluate_names(ev, slaves, 1);
        }
        if (r == 0)
                slave_cache_remove(name);
        return r;
}
