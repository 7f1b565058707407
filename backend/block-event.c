/* block-event.c: a block event, its relatives, one store update. */
#include "block-event.h"

#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "block-policy.h"
#include "configure.h"
#include "sanitize.h"
#include "settings.h"
#include "util.h"

#define SLAVE_CACHE_PREFIX "block-slave-cache-"
/* dm on a partition on a disk is three levels; more means a loop in sysfs */
#define JUDGE_DEPTH_MAX 8

enum decision_op {
        DECISION_PUT,
        DECISION_DROP,
        DECISION_KEEP,          /* attached, not offerable: its entry stays as it is */
};

struct block_decision {
        enum decision_op op;
        struct block_entry entry;       /* DROP: the name only */
        char device[BLOCKDEV_NAME_MAX + 5];
        const char *hidden_because;     /* DROP: the policy's reason */
        int result;                     /* after the update: 1 changed something, 0 not */
        bool unfit;                     /* PUT: the store cannot hold the entry, skipped */
};

void block_event_init(struct block_event *ev, struct store *store, block_note_fn note, void *userdata)
{
        *ev = (struct block_event){ .store = store, .note = note, .note_userdata = userdata };
}

void block_event_use_mounts(struct block_event *ev, struct mounts *mounts)
{
        ev->ctx.mounts = mounts;
        ev->ctx.mounts_borrowed = mounts != NULL;
}

void block_event_done(struct block_event *ev)
{
        blockdev_context_done(&ev->ctx);
        free(ev->decisions);
        ev->decisions = NULL;
        free(ev->judged);
        ev->judged = NULL;
        ev->n_decisions = ev->decisions_allocated = 0;
}

static void notef(struct block_event *ev, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void notef(struct block_event *ev, const char *format, ...)
{
        struct reason note = REASON_INIT;
        va_list ap;

        if (!ev->note)
                return;
        va_start(ap, format);
        reason_setv(&note, 0, false, format, ap);
        va_end(ap);
        ev->note(&note, ev->note_userdata);
}

/* The decision on entry NAME: the last judgement of a device wins. */
static struct block_decision *decide(struct block_event *ev, enum decision_op op, const char *name,
                                     const char *device)
{
        struct block_decision *d = NULL;

        for (size_t i = 0; i < ev->n_decisions && !d; i++)
                if (streq(ev->decisions[i].entry.name, name))
                        d = &ev->decisions[i];
        if (!d) {
                if (ARRAY_RESERVE(ev->decisions, ev->decisions_allocated, ev->n_decisions + 1) < 0)
                        return NULL;
                d = &ev->decisions[ev->n_decisions++];
        }
        *d = (struct block_decision){ .op = op };
        snprintf(d->entry.name, sizeof(d->entry.name), "%s", name);
        snprintf(d->device, sizeof(d->device), "%s", device);
        return d;
}

static int decide_drop(struct block_event *ev, const char *devname, const char *because)
{
        char name[BLOCK_ENTRY_NAME_MAX];
        struct block_decision *d;

        /* a name dom0 rejects was never written: nothing to remove */
        if (block_policy_entry_name(devname, name, sizeof(name)) < 0)
                return 0;
        d = decide(ev, DECISION_DROP, name, devname);
        if (!d)
                return -ENOMEM;
        d->hidden_because = because;
        return 0;
}

/* A resync keeps the entry of DEVNAME as it is (attached, or not judged):
 * with no decision, its entry would go as stale. */
static int decide_keep(struct block_event *ev, const char *devname)
{
        char name[BLOCK_ENTRY_NAME_MAX];

        if (!ev->resync || block_policy_entry_name(devname, name, sizeof(name)) < 0)
                return 0;
        return decide(ev, DECISION_KEEP, name, devname) ? 0 : -ENOMEM;
}

/* BD judged on its facts. A device whose facts cannot be read is
 * withdrawn (it may be mounted by now), unless it is attached. */
static int judge(struct block_event *ev, struct blockdev *bd, struct reason *why)
{
        struct block_facts *f = malloc(sizeof(*f));
        struct reason note = REASON_INIT;
        struct block_entry entry;
        struct block_decision *d;
        const char *because;
        int r;

        if (!f)
                return reason_set_errno(why, -ENOMEM, "cannot judge %s", blockdev_devname(bd));
        r = blockdev_read_facts(bd, &ev->ctx, f, why);
        if (r < 0) {
                if ((f->attached ? decide_keep(ev, f->devname)
                                 : decide_drop(ev, f->devname, "its facts cannot be read")) < 0)
                        r = reason_set_errno(why, -ENOMEM, "cannot judge %s", f->devname);
                free(f);
                return r;
        }
        switch (block_policy_decide(f, &because)) {
        case BLOCK_KEEP:
                r = decide_keep(ev, f->devname);
                break;
        case BLOCK_HIDE:
                r = decide_drop(ev, f->devname, because);
                break;
        case BLOCK_OFFER:
                r = 0;
                /* a name dom0 rejects makes no entry: skipped, said why */
                if (block_policy_make_entry(f, &entry, &note) == 0) {
                        d = decide(ev, DECISION_PUT, entry.name, f->devname);
                        if (d)
                                d->entry = entry;
                        r = d ? 0 : -ENOMEM;
                }
                if (reason_is_set(&note) && ev->note)
                        ev->note(&note, ev->note_userdata);
                break;
        }
        free(f);
        return r < 0 ? reason_set_errno(why, r, "cannot judge %s", blockdev_devname(bd)) : 0;
}

static int judge_with_relatives(struct block_event *ev, struct blockdev *bd, unsigned depth, struct reason *why);

/* Devices by sysfs name; one that is gone meanwhile has no entry to fix. */
static int judge_names(struct block_event *ev, char *const *sysnames, unsigned depth, struct reason *why)
{
        int first_error = 0;

        for (char *const *s = sysnames; s && *s; s++) {
                _cleanup_blockdev_ struct blockdev *relative = NULL;
                struct reason gone = REASON_INIT;
                int r = blockdev_open_sysname(*s, &relative, &gone);

                if (r == -ENODEV)
                        continue;
                if (r < 0)
                        r = reason_set(why, r, "%s", gone.text);
                else
                        r = judge_with_relatives(ev, relative, depth, why);
                if (r < 0 && first_error == 0)
                        first_error = r;
        }
        return first_error;
}

/* The partition's disk first (a disk now attached hides its partitions),
 * then a dm device's slaves, then BD itself. */
static int judge_with_relatives(struct block_event *ev, struct blockdev *bd, unsigned depth, struct reason *why)
{
        _cleanup_strv_free_ char **slaves = NULL;
        int r, first_error = 0;

        if (depth > JUDGE_DEPTH_MAX)
                return reason_set(why, -ELOOP, "%s: devices stacked too deep", blockdev_sysname(bd));
        for (size_t i = 0; i < ev->n_judged; i++)
                if (ev->judged[i] == blockdev_devno(bd))
                        return 0;
        if (ARRAY_RESERVE(ev->judged, ev->judged_allocated, ev->n_judged + 1) < 0)
                return reason_set_errno(why, -ENOMEM, "cannot judge %s", blockdev_sysname(bd));
        ev->judged[ev->n_judged++] = blockdev_devno(bd);
        if (blockdev_is_partition(bd)) {
                _cleanup_blockdev_ struct blockdev *disk = NULL;

                r = blockdev_open_disk_of(bd, &disk, why);
                if (r == 0)
                        r = judge_with_relatives(ev, disk, depth + 1, why);
                first_error = r;
        }
        r = blockdev_list_slaves(bd, &slaves, why);
        if (r == 0)
                r = judge_names(ev, slaves, depth + 1, why);
        if (r < 0 && first_error == 0)
                first_error = r;
        r = judge(ev, bd, why);
        return r < 0 ? r : first_error;
}

/* ----------------------------------------------------------------- apply */

/* Whether entry NAME is one of the decisions (a device there now). */
static bool decided(const struct block_event *ev, const char *name)
{
        for (size_t i = 0; i < ev->n_decisions; i++)
                if (streq(ev->decisions[i].entry.name, name))
                        return true;
        return false;
}

/* A resync: entries of devices that are not there any more go. */
static int drop_stale(struct store_batch *b, struct block_event *ev, struct reason *why)
{
        _cleanup_strv_free_ char **names = NULL;
        int r = store_batch_list(b, &names, why);

        for (char **n = names; r >= 0 && n && *n; n++)
                if (!decided(ev, *n)) {
                        r = store_batch_drop(b, *n, why);
                        if (r > 0)
                                ev->n_stale++;
                }
        return r < 0 ? r : 0;
}

static int apply_batch(struct store_batch *b, void *userdata, struct reason *why)
{
        struct block_event *ev = userdata;

        ev->n_stale = 0;
        if (ev->resync) {
                int r = drop_stale(b, ev, why);

                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < ev->n_decisions; i++) {
                struct block_decision *d = &ev->decisions[i];
                const struct block_entry *e = &d->entry;
                const struct store_value values[] = {
                        { "desc", e->desc }, { "size", e->size }, { "mode", e->mode }, { "parent", e->parent },
                };
                int r;

                if (d->op == DECISION_KEEP) {
                        r = 0;
                } else if (d->op == DECISION_DROP) {
                        r = store_batch_drop(b, e->name, why);
                } else {
                        /* what the store cannot hold is skipped whole, told after the update */
                        d->unfit = store_batch_check(b, e->name, values, ARRAY_SIZE(values), NULL) < 0;
                        r = d->unfit ? 0 : store_batch_put(b, e->name, values, ARRAY_SIZE(values), why);
                }
                if (r < 0)
                        return r;
                d->result = r;
        }
        return 0;
}

/* The decisions written in one update; what was withdrawn is said. */
static int apply(struct block_event *ev, struct reason *why)
{
        int r;

        ev->n_judged = 0;       /* what follows is judged anew */
        if (ev->n_decisions == 0 && !ev->resync)
                return 0;
        r = store_update(ev->store, STORE_BLOCK_SUBTREE, apply_batch, ev, why);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ev->n_decisions; i++) {
                const struct block_decision *d = &ev->decisions[i];

                if (d->op == DECISION_DROP && d->result > 0)
                        ev->n_stale++;          /* withdrawn: dropped too */
                if (d->op == DECISION_DROP && d->result > 0 && d->hidden_because)
                        notef(ev, "%s withdrawn: %s", d->device, d->hidden_because);
                if (d->op == DECISION_PUT && d->unfit)
                        notef(ev, "%s not offered: its entry does not fit in %s", d->device, store_name(ev->store));
                if (d->op == DECISION_PUT && d->result > 0)
                        ev->n_written++;
        }
        ev->n_decisions = 0;
        return 0;
}

/* ------------------------------------------------------- dm slave cache */

static int slave_cache_path(const char *name, char *buf, size_t size, struct reason *why)
{
        int n = snprintf(buf, size, "%s/" SLAVE_CACHE_PREFIX "%s", QUBES_RUNTIME_DIR, name);

        return n < 0 || (size_t)n >= size ? reason_set(why, -ENAMETOOLONG, "runtime dir path is too long") : 0;
}

/* A dm device's slaves, one name per line, for its remove event: by then
 * sysfs no longer says which devices it held. */
static int slave_cache_write(const char *name, char *const *slaves, struct reason *why)
{
        char path[512], tmp[520];
        _cleanup_fclose_ FILE *f = NULL;
        int r = slave_cache_path(name, path, sizeof(path), why);

        if (r < 0)
                return r;
        if ((r = runtime_dir_ensure(why)) < 0)
                return r;
        snprintf(tmp, sizeof(tmp), "%s.new", path);
        f = fopen(tmp, "we");
        if (!f)
                return reason_set_errno(why, negative_errno(), "cannot write %s", tmp);
        for (char *const *s = slaves; *s; s++)
                fprintf(f, "%s\n", *s);
        if (fflush(f) != 0 || ferror(f))
                r = reason_set_errno(why, negative_errno(), "cannot write %s", tmp);
        else if (rename(tmp, path) < 0)
                r = reason_set_errno(why, negative_errno(), "cannot rename %s to %s", tmp, path);
        if (r < 0)
                unlink(tmp);
        return r;
}

/* The cached slave names, an empty list when there is no cache. */
static int slave_cache_read(const char *name, char ***out, struct reason *why)
{
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        _cleanup_fclose_ FILE *f = NULL;
        char path[512], line[256];
        int r = slave_cache_path(name, path, sizeof(path), why);

        if (r < 0 || !names)
                return r < 0 ? r : -ENOMEM;
        f = fopen(path, "re");
        if (!f && errno != ENOENT)
                return reason_set_errno(why, negative_errno(), "cannot read %s", path);
        while (f && fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (*line && strv_extend(&names, line) < 0)
                        return -ENOMEM;
        }
        *out = TAKE_PTR(names);
        return 0;
}

static void slave_cache_remove(const char *name)
{
        char path[512];

        if (slave_cache_path(name, path, sizeof(path), NULL) == 0)
                unlink(path);
}

/* A dm device whose table changed may have let go of slaves it held: the
 * cached ones are judged again with the current ones, and the cache renewed. */
static int refresh_slaves(struct block_event *ev, const struct blockdev *bd, const char *name, struct reason *why)
{
        _cleanup_strv_free_ char **cached = NULL, **current = NULL;
        int r;

        if (!blockdev_is_dm(bd))
                return 0;
        r = slave_cache_read(name, &cached, why);
        if (r == 0)
                r = blockdev_list_slaves(bd, &current, why);
        if (r == 0 && !strv_equal(cached, current))
                r = slave_cache_write(name, current, why);
        if (r == 0)     /* the current ones with the dm device; each is judged once */
                r = judge_names(ev, cached, 1, why);
        return r;
}

/* ----------------------------------------------------------------- events */

int block_event_judge(struct block_event *ev, struct blockdev *bd, struct reason *why)
{
        char name[BLOCK_ENTRY_NAME_MAX];
        int r;

        r = blockdev_context_load(&ev->ctx, why);
        if (r < 0)
                return r;
        if (block_policy_entry_name(blockdev_devname(bd), name, sizeof(name)) == 0)
                r = refresh_slaves(ev, bd, name, why);
        if (r == 0)
                r = judge_with_relatives(ev, bd, 0, why);
        return r;
}

int block_event_judge_family(struct block_event *ev, struct blockdev *bd, struct reason *why)
{
        _cleanup_blockdev_ struct blockdev *disk = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        int r = block_event_judge(ev, bd, why);

        if (r == 0 && blockdev_is_partition(bd) && (r = blockdev_open_disk_of(bd, &disk, why)) == 0)
                r = block_event_judge(ev, disk, why);
        if (r == 0)
                r = blockdev_list_partitions(disk ? disk : bd, &parts, why);
        for (char **s = parts; r == 0 && s && *s; s++) {
                _cleanup_blockdev_ struct blockdev *part = NULL;

                if (blockdev_open_sysname(*s, &part, NULL) == 0)     /* one gone has nothing to fix */
                        r = block_event_judge(ev, part, why);
        }
        return r;
}

int block_event_apply(struct block_event *ev, struct reason *why)
{
        return apply(ev, why);
}

int block_event_add_change(struct block_event *ev, struct blockdev *bd, struct reason *why)
{
        int r = block_event_judge(ev, bd, why);
        /* what was judged is written even if something failed: a device
         * whose facts could not be read is withdrawn */
        int applied = apply(ev, why);

        return r < 0 ? r : applied;
}

/* Whether the device whose node was DEVNAME is still there and attached
 * (a synthetic remove: udevadm trigger --action=remove, a run by hand). */
static int still_attached(struct block_event *ev, const char *devname, struct reason *why)
{
        _cleanup_blockdev_ struct blockdev *bd = NULL;
        char sysname[BLOCKDEV_NAME_MAX];
        int r;

        /* the kernel's name: "cciss/c0d0" is "cciss!c0d0" in sysfs */
        if (snprintf(sysname, sizeof(sysname), "%s", devname + strlen("/dev/")) >= (int)sizeof(sysname))
                return 0;
        for (char *p = sysname; *p; p++)
                if (*p == '/')
                        *p = '!';
        if (blockdev_open_sysname(sysname, &bd, NULL) < 0)
                return 0;       /* gone, as after a real remove */
        r = blockdev_context_load_vbds(&ev->ctx, why);
        if (r < 0)
                return r;
        return blockdev_context_attached(&ev->ctx, blockdev_devno(bd));
}

int block_event_judge_removed(struct block_event *ev, const char *devname, struct reason *why)
{
        _cleanup_strv_free_ char **slaves = NULL;
        char name[BLOCK_ENTRY_NAME_MAX];
        int r;

        if (block_policy_entry_name(devname, name, sizeof(name)) < 0)
                return 0;       /* never written, never cached */
        r = still_attached(ev, devname, why);
        if (r < 0)
                return r;
        if (r > 0) {
                notef(ev, "%s is still present and attached: its entry stays", devname);
                return 0;
        }
        r = decide_drop(ev, devname, NULL);
        if (r == 0)
                r = slave_cache_read(name, &slaves, why);
        /* the slaves a dm device held are free now: they may be offered */
        if (r == 0 && slaves[0]) {
                r = blockdev_context_load(&ev->ctx, why);
                if (r == 0)
                        r = judge_names(ev, slaves, 1, why);
        }
        if (r == 0)
                slave_cache_remove(name);       /* judged: the next remove has none to judge */
        return r;
}

int block_event_remove(struct block_event *ev, const char *devname, struct reason *why)
{
        int r = block_event_judge_removed(ev, devname, why);
        /* the device's entry goes even when a slave could not be judged */
        int applied = apply(ev, why);

        return r < 0 ? r : applied;
}

int block_event_resync(struct block_event *ev, struct reason *why)
{
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;
        int r, first_error = 0;

        r = blockdev_context_load(&ev->ctx, why);
        if (r < 0)
                return r;
        /* no block class at all: nothing to offer, every entry is stale */
        dir = opendir("/sys/class/block");
        if (!dir && errno != ENOENT)
                return reason_set_errno(why, negative_errno(), "cannot list /sys/class/block");
        ev->resync = true;
        ev->n_written = 0;
        while (dir && (de = readdir(dir))) {
                _cleanup_blockdev_ struct blockdev *bd = NULL;
                struct reason gone = REASON_INIT;

                if (de->d_name[0] == '.')
                        continue;
                r = blockdev_open_sysname(de->d_name, &bd, &gone);
                if (r == -ENODEV)
                        continue;       /* removed meanwhile */
                if (r == 0) {
                        r = judge(ev, bd, why);
                } else {
                        char devname[sizeof(de->d_name) + 5];

                        /* not judged: its entry, if any, stays as it is */
                        snprintf(devname, sizeof(devname), "/dev/%s", de->d_name);
                        if (decide_keep(ev, devname) < 0)
                                return reason_set_errno(why, -ENOMEM, "cannot judge %s", devname);
                        r = reason_set(why, r, "%s", gone.text);
                }
                if (r < 0 && first_error == 0)
                        first_error = r;
        }
        r = apply(ev, why);
        ev->resync = false;
        return first_error < 0 ? first_error : r;
}
