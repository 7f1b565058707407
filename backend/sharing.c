/* sharing.c: the sharing rule's judgements. */
#include "sharing.h"

#include "util.h"

static const char *mode_words(enum access_mode mode)
{
        return mode == ACCESS_READ ? "read-only" : "read-write";
}

bool sharing_device_overlaps(const struct sharing_target *t, dev_t devno)
{
        if (devno == t->devno)
                return true;
        for (size_t i = 0; i < t->n_family; i++)
                if (t->family[i] == devno)
                        return true;
        return false;
}

bool sharing_file_overlaps(const struct sharing_target *t, dev_t dev, ino_t ino)
{
        return t->has_file && t->file_dev == dev && t->file_ino == ino;
}

bool sharing_use_conflicts(const struct sharing_target *t, enum mount_use use)
{
        /* readers share with a read-only mount */
        return use != MOUNT_UNUSED && !(t->mode == ACCESS_READ && use == MOUNT_READ_ONLY);
}

int sharing_judge_local_use(const struct sharing_target *t, enum mount_use use, bool through_loop,
                            struct reason *why)
{
        if (!sharing_use_conflicts(t, use))
                return 0;
        reason_set(why, SHARING_BUSY, "%s is %s in this domain%s: it cannot be attached %s", t->params,
                   mount_use_to_string(use), through_loop ? " (through a loop device)" : "",
                   mode_words(t->mode));
        return SHARING_BUSY;
}

int sharing_judge_swap_file(const struct sharing_target *t, struct reason *why)
{
        reason_set(why, SHARING_BUSY, "%s is in use as swap in this domain: it cannot be attached %s",
                   t->params, mode_words(t->mode));
        return SHARING_BUSY;
}

int sharing_judge_holders(const struct sharing_target *t, struct reason *why)
{
        if (t->mode == ACCESS_READ)
                return 0;       /* a reader sees the data change, nothing more */
        reason_set(why, SHARING_BUSY, "%s is in use by another block device (see the holders of it "
                   "or of its partitions in sysfs): it cannot be attached read-write", t->params);
        return SHARING_BUSY;
}

int sharing_judge_other_vbd(const struct sharing_target *t, const char *root, const char *domid,
                            const char *devid, const char *mode, struct reason *why)
{
        bool other_writes = vbd_mode_writes(mode);
        bool other_unchecked = mode && streq(mode, "w!");

        if (t->mode == ACCESS_READ && !other_writes)
                return 0;       /* readers share, and "w!" keeps no reader out */
        reason_set(why, SHARING_BUSY, "%s is already attached %s to domain %s (%s/%s/%s)", t->params,
                   other_unchecked ? "read-write (w!, unchecked)" : other_writes ? "read-write" : "read-only",
                   domid, root, domid, devid);
        return SHARING_BUSY;
}
