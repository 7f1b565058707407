/* block-policy.c: which block devices are offered, and their entries. */
#include "block-policy.h"

#include <inttypes.h>
#include <stdio.h>

#include "util.h"

#define MAJOR_XEN_VBD    202

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
                why = "its backing file is below a " BLOCKDEV_EXCLUDE_MARKER;
        else if (f->cd && !f->cd_media)
                why = "a CD drive without media";

        if (reason)
                *reason = why;
        if (!why)
                return BLOCK_OFFER;
        return f->attached ? BLOCK_KEEP : BLOCK_HIDE;
}

bool block_policy_rules_exclude(unsigned major, const char *sysname, const char *dm_name,
                                const char *export_property, const char *udisks_ignore,
                                const char *udisks_ignore_ours)
{
        if (major == MAJOR_XEN_VBD || startswith(sysname, "zram"))
                return true;
        if (export_property && streq(export_property, "0"))
                return true;
        /* an earlier rule's flag; the one our rules give loop devices is marked */
        if (udisks_ignore && streq(udisks_ignore, "1") && !(udisks_ignore_ours && streq(udisks_ignore_ours, "1")))
                return true;
        /* dm devices only (the rules match KERNEL=="dm-*") */
        if (dm_name && (!*dm_name || startswith(dm_name, "snapshot-") || startswith(dm_name, "origin-")))
                return true;
        return false;
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

int block_policy_entry_name(const char *devname, char *out, size_t size)
{
        return sanitize_block_name(devname, out, size);
}

int block_policy_make_entry(const struct block_facts *f, struct block_entry *entry, struct reason *note)
{
        if (block_policy_entry_name(f->devname, entry->name, sizeof(entry->name)) < 0) {
                reason_set(note, 0, "%s not offered: dom0 accepts only names of 1 to 12 characters [a-z0-9-]",
                           f->devname);
                return -EINVAL;
        }
        block_policy_format_desc(f->dm_name, f->backing_file, f->model, f->label, entry->desc, sizeof(entry->desc));
        snprintf(entry->size, sizeof(entry->size), "%" PRIu64, f->size);
        snprintf(entry->mode, sizeof(entry->mode), "%s", f->read_only || f->cd ? "r" : "w");
        if (block_policy_format_parent(f->devpath, f->partition, entry->parent, sizeof(entry->parent)) < 0)
                reason_set(note, 0, "%s: no parent written, DEVPATH %s does not give a device name", f->devname,
                           f->devpath);
        return 0;
}
