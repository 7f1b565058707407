/* mounts.c: mount table and swap areas through libmount. */
#include "mounts.h"

#include <libmount.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

struct mount_entry {
        dev_t devno;
        enum mount_use use;
};

struct mounts {
        struct mount_entry *entries;
        size_t n, allocated;
};

static int mounts_add(struct mounts *m, dev_t devno, enum mount_use use)
{
        if (m->n == m->allocated) {
                size_t want = m->allocated ? m->allocated * 2 : 32;
                struct mount_entry *e = reallocarray(m->entries, want, sizeof(*e));

                if (!e)
                        return -ENOMEM;
                m->entries = e;
                m->allocated = want;
        }
        m->entries[m->n++] = (struct mount_entry){ devno, use };
        return 0;
}

static int mounts_collect(struct mounts *m, struct libmnt_table *tb, bool swaps)
{
        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
        struct libmnt_fs *fs;
        int r = 0;

        if (!it)
                return -ENOMEM;
        while (r == 0 && mnt_table_next_fs(tb, it, &fs) == 0) {
                if (swaps) {
                        /* /proc/swaps names the device by path only */
                        const char *source = mnt_fs_get_source(fs);
                        struct stat st;

                        if (source && stat(source, &st) == 0 && S_ISBLK(st.st_mode))
                                r = mounts_add(m, st.st_rdev, MOUNT_SWAP);
                } else {
                        dev_t devno = mnt_fs_get_devno(fs);
                        const char *source = mnt_fs_get_srcpath(fs);
                        /* writable if either the mount or the superblock is */
                        enum mount_use use = mnt_fs_get_option(fs, "rw", NULL, NULL) == 0
                                             ? MOUNT_READ_WRITE : MOUNT_READ_ONLY;
                        struct stat st;

                        if (devno != 0)
                                r = mounts_add(m, devno, use);
                        /* btrfs (and others) report an anonymous 0:N device:
                         * the source names the real one, as Xen's block
                         * script reads it from /proc/mounts */
                        if (r == 0 && source && source[0] == '/' && stat(source, &st) == 0 &&
                            S_ISBLK(st.st_mode) && st.st_rdev != devno)
                                r = mounts_add(m, st.st_rdev, use);
                }
        }
        mnt_free_iter(it);
        return r;
}

static int mounts_parse(struct mounts *m, const char *path, bool swaps)
{
        struct libmnt_table *tb = mnt_new_table();
        int r;

        if (!tb)
                return -ENOMEM;
        r = swaps ? mnt_table_parse_swaps(tb, path) : mnt_table_parse_file(tb, path);
        if (r == 0)
                r = mounts_collect(m, tb, swaps);
        mnt_unref_table(tb);
        if (r < 0)
                return log_error_errno(r, "cannot read %s", path);
        return 0;
}

int mounts_load(struct mounts **out)
{
        struct mounts *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return log_error_errno(-ENOMEM, "cannot read the mount table");
        r = mounts_parse(m, "/proc/self/mountinfo", false);
        if (r == 0 && access("/proc/swaps", R_OK) == 0)
                r = mounts_parse(m, "/proc/swaps", true);
        if (r < 0) {
                mounts_free(m);
                return r;
        }
        *out = m;
        return 0;
}

void mounts_free(struct mounts *m)
{
        free(m->entries);
        free(m);
}

enum mount_use mounts_device_use(const struct mounts *m, dev_t devno)
{
        enum mount_use use = MOUNT_UNUSED;

        for (size_t i = 0; i < m->n; i++)
                if (m->entries[i].devno == devno && m->entries[i].use > use)
                        use = m->entries[i].use;
        return use;
}

int mounts_foreach(const struct mounts *m, mounts_visit visit, void *userdata)
{
        for (size_t i = 0; i < m->n; i++) {
                int r = visit(m->entries[i].devno, m->entries[i].use, userdata);

                if (r != 0)
                        return r;
        }
        return 0;
}

const char *mount_use_to_string(enum mount_use use)
{
        switch (use) {
        case MOUNT_UNUSED:
                return "unused";
        case MOUNT_READ_ONLY:
                return "mounted read-only";
        case MOUNT_READ_WRITE:
                return "mounted read-write";
        case MOUNT_SWAP:
                return "in use as swap";
        }
        return "?";
}
