/* sysfs.c: sysfs attributes relative to a directory fd. */
#include "sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include "parse.h"
#include "util.h"

int sysfs_open_dir(int dirfd, const char *path)
{
        int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        return fd < 0 ? negative_errno() : fd;
}

int sysfs_open_block(unsigned major, unsigned minor)
{
        char path[64];

        snprintf(path, sizeof(path), "/sys/dev/block/%u:%u", major, minor);
        return sysfs_open_dir(AT_FDCWD, path);
}

int sysfs_read_attr(int dirfd, const char *name, char *buf, size_t size)
{
        _cleanup_close_ int fd = -1;
        size_t len = 0;

        if (size == 0)
                return -EFBIG;
        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return negative_errno();

        /* sysfs hands an attribute out in one read, ending in a newline: then
         * the read that would say EOF is spared. A short read is legal,
         * though, and is followed up. */
        for (;;) {
                ssize_t n = read(fd, buf + len, size - len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (n == 0)
                        break;
                len += (size_t)n;
                if (len == size)
                        return -EFBIG;  /* no room left for the terminating NUL */
                if (len == (size_t)n && buf[len - 1] == '\n')
                        break;
        }
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        return (int)len;
}

int sysfs_read_u64(int dirfd, const char *name, uint64_t *out)
{
        char buf[32];
        int r = sysfs_read_attr(dirfd, name, buf, sizeof(buf));

        if (r < 0)
                return r;
        return parse_u64(buf, 10, out);
}

int sysfs_dir_foreach(int dirfd, const char *name, sysfs_visit visit, void *userdata)
{
        /* a record is at most its header and a 255-byte name, rounded up */
        enum { RECORD_MAX = offsetof(struct dirent64, d_name) + 256 + 8 };
        _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        union {
                struct dirent64 align;
                char bytes[8192];
        } buf;

        if (fd < 0)
                return negative_errno();
        for (;;) {
                ssize_t n = getdents64(fd, buf.bytes, sizeof(buf.bytes));

                if (n < 0)
                        return negative_errno();
                for (ssize_t off = 0; off < n;) {
                        /* records are 8-byte aligned, as the buffer is */
                        const struct dirent64 *de = (const void *)(buf.bytes + off);
                        int r;

                        off += de->d_reclen;
                        if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                                continue;
                        r = visit(de->d_name, de->d_type, userdata);
                        if (r != 0)
                                return r;
                }
                /* the kernel stops early only when the next record does not
                 * fit: with room for one left, that was the last of them */
                if (n == 0 || (size_t)n <= sizeof(buf.bytes) - RECORD_MAX)
                        return 0;
        }
}

static int found_one(const char *name, unsigned char type, void *userdata)
{
        return 1;
}

int sysfs_dir_has_entries(int dirfd, const char *name)
{
        return sysfs_dir_foreach(dirfd, name, found_one, NULL);
}

int sysfs_uevent_value(const char *uevent, const char *key, char *buf, size_t size)
{
        size_t key_len = strlen(key);

        for (const char *line = uevent; *line;) {
                size_t len = strcspn(line, "\n");

                if (len > key_len && strncmp(line, key, key_len) == 0 && line[key_len] == '=') {
                        len -= key_len + 1;
                        if (len >= size)
                                return -ENAMETOOLONG;
                        memcpy(buf, line + key_len + 1, len);
                        buf[len] = '\0';
                        return 0;
                }
                line += len + (line[len] == '\n');
        }
        return -ENODATA;
}
