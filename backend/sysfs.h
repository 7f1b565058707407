/* sysfs.h: reading sysfs attributes relative to a directory fd. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open directory PATH relative to DIRFD (AT_FDCWD for an absolute path),
 * following symlinks (sysfs device links). Returns the fd or -errno. */
int sysfs_open_dir(int dirfd, const char *path);

/* Open /sys/dev/block/MAJOR:MINOR, the device's own sysfs directory. */
int sysfs_open_block(unsigned major, unsigned minor);

/* Read attribute NAME into BUF of SIZE bytes, without the trailing newline.
 * Returns the length, or -errno; -EFBIG when it does not fit in BUF. */
int sysfs_read_attr(int dirfd, const char *name, char *buf, size_t size);

/* Read a decimal attribute strictly. */
int sysfs_read_u64(int dirfd, const char *name, uint64_t *out);

/* Call VISIT with each entry of directory NAME (relative to DIRFD) but .
 * and .., its name and d_type, until VISIT returns non-zero, which is
 * returned; 0 when all were visited, -errno when the directory cannot be
 * read. A small directory costs three syscalls (no stdio DIR). */
typedef int (*sysfs_visit)(const char *name, unsigned char type, void *userdata);
int sysfs_dir_foreach(int dirfd, const char *name, sysfs_visit visit, void *userdata);

/* Whether directory NAME (relative to DIRFD) has any entry besides . and ..:
 * 1 if it has, 0 if it is empty, -errno (-ENOENT when it does not exist). */
int sysfs_dir_has_entries(int dirfd, const char *name);

/* Line KEY=VALUE of UEVENT (the text of a device's uevent file, read once)
 * into BUF of SIZE bytes: -ENODATA when there is none, -ENAMETOOLONG when
 * the value does not fit. */
int sysfs_uevent_value(const char *uevent, const char *key, char *buf, size_t size);
