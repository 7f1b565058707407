/* sysfs.c: sysfs attributes relative to a directory fd. */
#include "sysfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>

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

        /* sysfs hands an attribute out in one read, but a short read is legal. */
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

int sysfs_dir_has_entries(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *dir;
        struct dirent *de;
        int found = 0;

        if (fd < 0)
                return negative_errno();
        dir = fdopendir(fd);
        if (!dir) {
                int r = negative_errno();
                close(fd);
                return r;
        }
        while ((de = readdir(dir))) {
                if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
                        found = 1;
                        break;
                }
        }
        closedir(dir);
        return found;
}
