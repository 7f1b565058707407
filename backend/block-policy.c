/* block-policy.c: which block devices are offered, and their entries. */
#include "block-policy.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "log.h"
#include "parse.h"
#include "util.h"

#define MAJOR_LOOP       7
#define MAJOR_NBD        43
#define MAJOR_XEN_VBD    202

static bool property_is(const struct blockdev *bd, const char *key, const char *value)
{
        const char *v = blockdev_property(bd, key);

        return v && streq(v, value);
}

enum block_verdict block_policy_decide(const struct block_facts *f, const char **reason)
{
        const char *why = NULL;

        if (f->rules_excluded)
                why = "excluded by the udev rules' filters";
        else if (f->disk_rules_disabled && !f->export_forced)
                why = "DM_UDEV_DISABLE_DISK_RULES_FLAG=1 without QUBES_EXPORT_BLOCK_DEVICE=1";
        else if (f->partition && f->disk_attached)
                why = "its disk is attached";
        else if (f->mount_use != MOUNT_UNUSED)
                why = mount_use_to_string(f->mount_use);
        else if (f->holders)
                why = "another device is built on it (holders)";
        else if (f->dm && f->dm_open_count > 0)
                why = "an open dm device";
        else if (f->partition_busy)
                why = "one of its partitions is in use or attached";
        else if (f->loop && !f->loop_bound)
                why = "a loop device without backing file";
        else if (f->nbd && !f->nbd_connected)
                why = "an nbd device without server";
        else if (f->loop_excluded)
                why = "its backing file is below a " BLOCK_POLICY_EXCLUDE_MARKER;
        else if (f->cd && !f->cd_media)
                why = "a CD drive without media";

        if (reason)
                *reason = why;
        if (!why)
                return BLOCK_OFFER;
        return f->attached ? BLOCK_KEEP : BLOCK_HIDE;
}

bool block_policy_rules_exclude(unsigned major, const char *sysname, const char *dm_name,
                                const char *export_property, const char *udisks_ignore)
{
        if (major == MAJOR_XEN_VBD || startswith(sysname, "zram"))
                return true;
        if (export_property && streq(export_property, "0"))
                return true;
        if (udisks_ignore && streq(udisks_ignore, "1") && major != MAJOR_LOOP)
                return true;
        /* dm devices only (the rules match KERNEL=="dm-*") */
        if (dm_name && (!*dm_name || startswith(dm_name, "snapshot-") || startswith(dm_name, "origin-")))
                return true;
        return false;
}

int block_policy_backing_file_excluded(const char *backing_file)
{
        char dir[PATH_MAX], path[PATH_MAX + sizeof(BLOCK_POLICY_EXCLUDE_MARKER) + 1];

        if (backing_file[0] != '/')
                return log_error(-EINVAL, "backing file '%s' is not an absolute path", backing_file);
        if (str_copy(dir, sizeof(dir), backing_file) < 0)
                return log_error(-ENAMETOOLONG, "backing file '%s' is too long", backing_file);

        for (;;) {
                char *slash = strrchr(dir, '/');
                struct stat st;

                /* "/" itself is not checked: a marker there would hide every
                 * loop device, which is what the rules' switch is for */
                if (slash == dir)
                        return 0;
                *slash = '\0';
                snprintf(path, sizeof(path), "%s/%s", dir, BLOCK_POLICY_EXCLUDE_MARKER);
                if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
                        return 1;
                /* the file may be gone since (" (deleted)"): nothing to find there */
                if (errno != ENOENT && errno != ENOTDIR)
                        return log_error_errno(negative_errno(), "cannot check %s", path);
        }
}

int block_policy_device_busy(const struct block_policy_context *ctx, const struct blockdev *bd)
{
        char dm_name[256];
        uint32_t open_count;
        int r;

        if (mounts_device_use(ctx->mounts, blockdev_devno(bd)) != MOUNT_UNUSED)
                return 1;
        r = blockdev_has_holders(bd);
        if (r != 0)
                return r;
        r = blockdev_dm_name(bd, dm_name, sizeof(dm_name));
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = blockdev_dm_open_count(bd, &open_count);
        return r < 0 ? r : open_count > 0;
}

static int gather_dm(const struct blockdev *bd, struct block_facts *f, const char **dm_name_out,
                     char *buf, size_t size)
{
        int r = blockdev_dm_name(bd, buf, size);

        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        f->dm = true;
        /* the rules see udev's DM_NAME; sysfs is the fallback when the
         * database has no dm properties (yet) */
        *dm_name_out = blockdev_property(bd, "DM_NAME");
        if (!*dm_name_out)
                *dm_name_out = buf;
        return blockdev_dm_open_count(bd, &f->dm_open_count);
}

static int gather_loop(const struct blockdev *bd, struct block_facts *f)
{
        char backing_file[PATH_MAX];
        int r = blockdev_loop_backing_file(bd, backing_file, sizeof(backing_file));

        f->loop = true;
        if (r == -ENOENT || r == 0)
                return 0;
        if (r < 0)
                return r;
        f->loop_bound = true;
        r = block_policy_backing_file_excluded(backing_file);
        if (r < 0)
                return r;
        f->loop_excluded = r;
        return 0;
}

static int gather_relatives(const struct block_policy_context *ctx, const struct blockdev *bd,
                            struct block_facts *f)
{
        _cleanup_names_ char **partitions = NULL;
        int r;

        if (f->partition) {
                _cleanup_blockdev_ struct blockdev *disk = NULL;

                r = blockdev_new_disk_of(bd, &disk);
                if (r < 0)
                        return r;
                f->disk_attached = blockdev_vbds_contain(&ctx->vbds, blockdev_devno(disk));
                return 0;
        }

        r = blockdev_list_partitions(bd, &partitions);
        if (r < 0)
                return r;
        for (char **p = partitions; *p && !f->partition_busy; p++) {
                _cleanup_blockdev_ struct blockdev *part = NULL;

                r = blockdev_new_partition(bd, *p, &part);
                if (r < 0)
                        return r;
                /* attaching both a disk and its partition would give two
                 * domains the same blocks */
                r = blockdev_vbds_contain(&ctx->vbds, blockdev_devno(part));
                if (r == 0)
                        r = block_policy_device_busy(ctx, part);
                if (r < 0)
                        return r;
                f->partition_busy = r;
        }
        return 0;
}

int block_policy_gather(const struct block_policy_context *ctx, const struct blockdev *bd,
                        struct block_facts *facts)
{
        struct block_facts f = { 0 };
        unsigned maj = major(blockdev_devno(bd));
        const char *dm_name = NULL;
        char dm_buf[256];
        int r;

        f.attached = blockdev_vbds_contain(&ctx->vbds, blockdev_devno(bd));
        f.partition = blockdev_is_partition(bd);
        f.disk_rules_disabled = property_is(bd, "DM_UDEV_DISABLE_DISK_RULES_FLAG", "1");
        f.export_forced = property_is(bd, "QUBES_EXPORT_BLOCK_DEVICE", "1");
        f.cd = property_is(bd, "ID_TYPE", "cd");
        f.cd_media = property_is(bd, "ID_CDROM_MEDIA", "1");
        f.mount_use = mounts_device_use(ctx->mounts, blockdev_devno(bd));

        r = gather_dm(bd, &f, &dm_name, dm_buf, sizeof(dm_buf));
        if (r < 0)
                return r;
        f.rules_excluded = block_policy_rules_exclude(maj, blockdev_sysname(bd), dm_name,
                                                      blockdev_property(bd, "QUBES_EXPORT_BLOCK_DEVICE"),
                                                      blockdev_property(bd, "UDISKS_IGNORE"));
        r = blockdev_is_read_only(bd);
        if (r < 0)
                return r;
        f.read_only = r;
        r = blockdev_has_holders(bd);
        if (r < 0)
                return r;
        f.holders = r;
        if (maj == MAJOR_LOOP) {
                r = gather_loop(bd, &f);
                if (r < 0)
                        return r;
        }
        if (maj == MAJOR_NBD) {
                f.nbd = true;
                f.nbd_connected = blockdev_nbd_is_connected(bd);
        }
        r = gather_relatives(ctx, bd, &f);
        if (r < 0)
                return r;
        *facts = f;
        return 0;
}

void block_policy_format_desc(const char *dm_name, const char *backing_file, const char *model,
                              const char *label, char *out, size_t size)
{
        char model_part[SANITIZE_DESC_MAX / 2], label_part[SANITIZE_DESC_MAX];

        if (dm_name && *dm_name) {
                sanitize_desc_text(dm_name, false, out, size);
                return;
        }
        if (backing_file && *backing_file) {
                sanitize_desc_text(backing_file, false, out, size);
                return;
        }
        sanitize_desc_text(model ? model : "", false, model_part, sizeof(model_part));
        sanitize_desc_text(label ? label : "", true, label_part, sizeof(label_part));
        /* the label is what gets shortened when both do not fit */
        snprintf(out, size, "%s (%.*s)", model_part,
                 (int)(size > strlen(model_part) + 4 ? size - strlen(model_part) - 4 : 0), label_part);
}

static bool is_parent_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == ':' || c == '-' || c == '_' || c == '+';
}

int block_policy_format_parent(const char *devpath, bool partition, char *out, size_t size)
{
        const char *end, *start;
        size_t len;

        out[0] = '\0';
        if (partition) {
                end = strrchr(devpath, '/');
        } else {
                end = strstr(devpath, "/host");
                if (!end)
                        return 0;
        }
        if (!end)
                return -EINVAL;
        start = end;
        while (start > devpath && start[-1] != '/')
                start--;
        len = (size_t)(end - start);
        if (len == 0 || len >= size)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if (!is_parent_char(start[i]))
                        return -EINVAL;
        memcpy(out, start, len);
        out[len] = '\0';
        return 0;
}

int block_policy_build_entry(const struct blockdev *bd, const struct block_facts *facts,
                             struct block_entry *entry)
{
        const char *devname = blockdev_devname(bd), *dm_name = NULL;
        char dm_buf[256], backing_file[PATH_MAX] = "";
        uint64_t size;
        int r;

        if (sanitize_block_name(devname, entry->name, sizeof(entry->name)) < 0) {
                log_info("%s not offered: dom0 accepts only names of 1 to 12 characters [a-z0-9-]",
                         devname);
                return 1;
        }
        if (facts->dm) {
                dm_name = blockdev_property(bd, "DM_NAME");
                if (!dm_name && blockdev_dm_name(bd, dm_buf, sizeof(dm_buf)) >= 0)
                        dm_name = dm_buf;
        }
        if (facts->loop_bound) {
                r = blockdev_loop_backing_file(bd, backing_file, sizeof(backing_file));
                if (r < 0)
                        return r == -ENOENT ? log_error(r, "%s lost its backing file", devname) : r;
        }
        block_policy_format_desc(dm_name, backing_file, blockdev_property(bd, "ID_MODEL"),
                                 blockdev_property(bd, "ID_FS_LABEL"), entry->desc, sizeof(entry->desc));

        r = blockdev_size_bytes(bd, &size);
        if (r < 0)
                return r;
        snprintf(entry->size, sizeof(entry->size), "%" PRIu64, size);
        snprintf(entry->mode, sizeof(entry->mode), "%s", facts->read_only || facts->cd ? "r" : "w");

        if (block_policy_format_parent(blockdev_devpath(bd), facts->partition, entry->parent,
                                       sizeof(entry->parent)) < 0)
                log_error(-EINVAL, "%s: no parent written, DEVPATH %s does not give a device name",
                          devname, blockdev_devpath(bd));
        return 0;
}
