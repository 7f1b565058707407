/* mounts.c: the mount table and swap list, parsed from /proc. */
#include "mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "parse.h"
#include "util.h"

/* A mount table beyond this is not a system we serve. */
#define MOUNTS_FILE_MAX (16u << 20)

struct mount_entry {
        dev_t devno;
        enum mount_use use;
};

struct swap_file {
        dev_t dev;
        ino_t ino;
};

struct mounts {
        struct mount_entry *entries;
        size_t n, allocated;
        struct swap_file *swap_files;
        size_t n_swap_files, swap_files_allocated;
};

static int mounts_add(struct mounts *m, dev_t devno, enum mount_use use)
{
        if (ARRAY_RESERVE(m->entries, m->allocated, m->n + 1) < 0)
                return -ENOMEM;
        m->entries[m->n++] = (struct mount_entry){ devno, use };
        return 0;
}

static int swap_file_add(struct mounts *m, dev_t dev, ino_t ino)
{
        if (ARRAY_RESERVE(m->swap_files, m->swap_files_allocated, m->n_swap_files + 1) < 0)
                return -ENOMEM;
        m->swap_files[m->n_swap_files++] = (struct swap_file){ dev, ino };
        return 0;
}

/* The whole of a /proc file (they have no size), NUL-terminated. */
static int read_file(const char *path, char **out)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        _cleanup_free_ char *buf = NULL;
        size_t len = 0, allocated = 0;

        if (fd < 0)
                return negative_errno();
        for (;;) {
                ssize_t n;

                if (ARRAY_RESERVE(buf, allocated, len + 16384 + 1) < 0)
                        return -ENOMEM;
                n = read(fd, buf + len, allocated - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len > MOUNTS_FILE_MAX)
                        return -EFBIG;
        }
        if (!buf && ARRAY_RESERVE(buf, allocated, 1) < 0)
                return -ENOMEM;
        buf[len] = '\0';
        *out = TAKE_PTR(buf);
        return 0;
}

void mounts_unescape(char *field)
{
        char *o = field;

        for (const char *p = field; *p; p++) {
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
                    p[3] >= '0' && p[3] <= '7') {
                        *o++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
                        p += 3;
                } else {
                        *o++ = *p;
                }
        }
        *o = '\0';
}

/* "rw,noatime" or "ro,...": the first option says it. */
static bool options_writable(const char *options)
{
        return startswith(options, "rw") && (options[2] == ',' || options[2] == '\0');
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] -
 * FSTYPE SOURCE SUPER-OPTIONS". Lines that do not parse are skipped: the
 * kernel wrote them, and a field we cannot read says nothing of use. */
static int parse_mountinfo_line(struct mounts *m, char *line)
{
        char *field[64], *save = NULL;
        size_t n = 0, dash = 0;
        unsigned maj, min;
        enum mount_use use;
        struct stat st;

        for (char *f = strtok_r(line, " ", &save); f && n < ARRAY_SIZE(field); f = strtok_r(NULL, " ", &save))
                field[n++] = f;
        for (size_t i = 6; i < n && !dash; i++)
                if (streq(field[i], "-"))
                        dash = i;
        if (!dash || n < dash + 4 || parse_majmin_dec(field[2], &maj, &min) < 0)
                return 0;
        /* writable if either the mount or the super block is */
        use = options_writable(field[5]) || options_writable(field[dash + 3]) ? MOUNT_READ_WRITE
                                                                             : MOUNT_READ_ONLY;
        if (maj != 0)
                return mounts_add(m, makedev(maj, min), use);
        /* btrfs (and others) report an anonymous 0:N device: the source
         * names the real one, as Xen's block script reads it from /proc/mounts.
         * Only a source in /dev or of btrfs is looked at: whoever mounts a
         * FUSE file system names its source, and a stat() through another
         * FUSE mount could hang us. */
        mounts_unescape(field[dash + 2]);
        if (!startswith(field[dash + 2], "/dev/") && !streq(field[dash + 1], "btrfs"))
                return 0;
        if (field[dash + 2][0] != '/' || stat(field[dash + 2], &st) < 0 || !S_ISBLK(st.st_mode))
                return 0;
        return mounts_add(m, st.st_rdev, use);
}

/* /proc/swaps: a header, then "FILENAME TYPE SIZE USED PRIORITY". */
static int parse_swaps_line(struct mounts *m, char *line)
{
        char *save = NULL, *name = strtok_r(line, " \t", &save);
        struct stat st;

        if (!name || streq(name, "Filename"))
                return 0;
        mounts_unescape(name);
        if (stat(name, &st) < 0)
                return 0;       /* gone, or "(deleted)": nothing to compare with */
        if (S_ISBLK(st.st_mode))
                return mounts_add(m, st.st_rdev, MOUNT_SWAP);
        if (S_ISREG(st.st_mode))
                return swap_file_add(m, st.st_dev, st.st_ino);
        return 0;
}

static int parse_lines(struct mounts *m, char *text, int (*parse)(struct mounts *, char *))
{
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int r = parse(m, line);

                if (r < 0)
                        return r;
        }
        return 0;
}

int mounts_load_from(const char *mountinfo, const char *swaps, struct mounts **out)
{
        _cleanup_free_ char *text = NULL;
        struct mounts *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        r = read_file(mountinfo, &text);
        if (r == 0)
                r = parse_lines(m, text, parse_mountinfo_line);
        if (r == 0 && swaps) {
                free(text);
                text = NULL;
                r = read_file(swaps, &text);
                if (r == -ENOENT)       /* a kernel without swap */
                        r = 0;
                else if (r == 0)
                        r = parse_lines(m, text, parse_swaps_line);
        }
        if (r < 0) {
                mounts_free(m);
                return r;
        }
        *out = m;
        return 0;
}

int mounts_load(struct mounts **out)
{
        return mounts_load_from("/proc/self/mountinfo", "/proc/swaps", out);
}

void mounts_free(struct mounts *m)
{
        free(m->entries);
        free(m->swap_files);
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

bool mounts_file_is_swap(const struct mounts *m, dev_t dev, ino_t ino)
{
        for (size_t i = 0; i < m->n_swap_files; i++)
                if (m->swap_files[i].dev == dev && m->swap_files[i].ino == ino)
                        return true;
        return false;
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
