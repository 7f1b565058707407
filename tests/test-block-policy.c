/* test-block-policy.c: the offer decision and the entry values, on facts
 * and strings (the same code is exercised on devices by the scenario tests). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block-policy.h"
#include "check.h"

static enum block_verdict decide(struct block_facts f, const char **reason)
{
        return block_policy_decide(&f, reason);
}

static void test_plain_device_is_offered(void)
{
        const char *reason = "x";

        CHECK_INT_EQ(decide((struct block_facts){ 0 }, &reason), BLOCK_OFFER);
        CHECK(reason == NULL);
}

static void test_every_filter_hides(void)
{
        const struct block_facts hidden[] = {
                { .rules_excluded = true },
                { .disk_rules_disabled = true },
                { .partition = true, .disk_attached = true },
                { .mount_use = MOUNT_READ_ONLY },
                { .mount_use = MOUNT_READ_WRITE },
                { .mount_use = MOUNT_SWAP },
                { .holders = true },
                { .dm = true, .dm_open_count = 1 },
                { .partition_busy = true },
                { .loop = true, .loop_bound = false },
                { .nbd = true, .nbd_connected = false },
                { .loop = true, .loop_bound = true, .loop_excluded = true },
                { .cd = true, .cd_media = false },
        };

        for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
                const char *reason = NULL;

                CHECK_INT_EQ(block_policy_decide(&hidden[i], &reason), BLOCK_HIDE);
                CHECK(reason != NULL);
        }
}

static void test_offerable_variants(void)
{
        CHECK_INT_EQ(decide((struct block_facts){ .dm = true, .dm_open_count = 0 }, NULL), BLOCK_OFFER);
        CHECK_INT_EQ(decide((struct block_facts){ .loop = true, .loop_bound = true }, NULL), BLOCK_OFFER);
        CHECK_INT_EQ(decide((struct block_facts){ .nbd = true, .nbd_connected = true }, NULL), BLOCK_OFFER);
        CHECK_INT_EQ(decide((struct block_facts){ .cd = true, .cd_media = true }, NULL), BLOCK_OFFER);
        CHECK_INT_EQ(decide((struct block_facts){ .partition = true }, NULL), BLOCK_OFFER);
        /* the flag is overridden on purpose by QUBES_EXPORT_BLOCK_DEVICE=1 */
        CHECK_INT_EQ(decide((struct block_facts){ .disk_rules_disabled = true, .export_forced = true }, NULL),
                     BLOCK_OFFER);
}

static void test_attached_device_keeps_its_entry(void)
{
        /* blkback holds it open: looks busy, but dom0 would force-detach */
        CHECK_INT_EQ(decide((struct block_facts){ .attached = true, .dm = true, .dm_open_count = 1 }, NULL),
                     BLOCK_KEEP);
        CHECK_INT_EQ(decide((struct block_facts){ .attached = true, .mount_use = MOUNT_READ_WRITE }, NULL),
                     BLOCK_KEEP);
        CHECK_INT_EQ(decide((struct block_facts){ .attached = true }, NULL), BLOCK_OFFER);
}

static void test_rules_exclusions(void)
{
        CHECK(block_policy_rules_exclude(202, "xvdb", NULL, NULL, NULL, NULL));
        CHECK(block_policy_rules_exclude(252, "zram0", NULL, NULL, NULL, NULL));
        CHECK(block_policy_rules_exclude(8, "sda", NULL, "0", NULL, NULL));
        CHECK(block_policy_rules_exclude(8, "sda", NULL, NULL, "1", NULL));
        CHECK(block_policy_rules_exclude(253, "dm-0", "snapshot-x", NULL, NULL, NULL));
        CHECK(block_policy_rules_exclude(253, "dm-0", "origin-x", NULL, NULL, NULL));
        CHECK(block_policy_rules_exclude(253, "dm-0", "", NULL, NULL, NULL));
        /* our own rules set UDISKS_IGNORE=1 on loop devices, which stay offered */
        CHECK(!block_policy_rules_exclude(7, "loop0", NULL, NULL, "1", "1"));
        /* an earlier rule's flag on a loop device: skipped, as by the rules */
        CHECK(block_policy_rules_exclude(7, "loop0", NULL, NULL, "1", NULL));
        CHECK(!block_policy_rules_exclude(253, "dm-0", "vg-data", "1", NULL, NULL));
        CHECK(!block_policy_rules_exclude(8, "sda", NULL, NULL, NULL, NULL));
}

static void test_desc_precedence(void)
{
        char desc[SANITIZE_DESC_MAX];

        block_policy_format_desc("vg-data", "/img", "Disk", "L", desc, sizeof(desc));
        CHECK_STR_EQ(desc, "vg-data");
        block_policy_format_desc(NULL, "/var/lib/my disk.img", "Disk", "L", desc, sizeof(desc));
        CHECK_STR_EQ(desc, "/var/lib/my_disk.img");
        block_policy_format_desc("", "", "SanDisk_Ultra", "DATA", desc, sizeof(desc));
        CHECK_STR_EQ(desc, "SanDisk_Ultra (DATA)");
        block_policy_format_desc(NULL, NULL, NULL, NULL, desc, sizeof(desc));
        CHECK_STR_EQ(desc, " ()");
}

static void test_desc_transliterates_utf8_and_drops_control_characters(void)
{
        char desc[SANITIZE_DESC_MAX];

        block_policy_format_desc(NULL, NULL, "Kingst\xc3\xb6n Dr\xc3\xafve", "Fotos \xc3\xa9t\xc3\xa9\x01\x1b[2J",
                                 desc, sizeof(desc));
        CHECK_STR_EQ(desc, "Kingston_Drive (Fotos ete___2J)");
}

static void test_desc_is_bounded(void)
{
        char long_label[400], desc[SANITIZE_DESC_MAX];

        memset(long_label, 'a', sizeof(long_label) - 1);
        long_label[sizeof(long_label) - 1] = '\0';
        block_policy_format_desc(NULL, NULL, "M", long_label, desc, sizeof(desc));
        CHECK_INT_EQ(strlen(desc), SANITIZE_DESC_MAX - 1);
        CHECK(strncmp(desc, "M (aaa", 6) == 0);
        block_policy_format_desc(NULL, long_label, NULL, NULL, desc, sizeof(desc));
        CHECK_INT_EQ(strlen(desc), SANITIZE_DESC_MAX - 1);
}

static void test_parent_rule(void)
{
        char parent[BLOCK_ENTRY_PARENT_MAX];

        CHECK_INT_EQ(block_policy_format_parent("/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1.4/2-1.4:1.0/"
                                                "host6/target6:0:0/6:0:0:0/block/sdb", false,
                                                parent, sizeof(parent)), 0);
        CHECK_STR_EQ(parent, "2-1.4:1.0");
        CHECK_INT_EQ(block_policy_format_parent("/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/"
                                                "0:0:0:0/block/sda", false, parent, sizeof(parent)), 0);
        CHECK_STR_EQ(parent, "ata1");
        CHECK_INT_EQ(block_policy_format_parent("/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/"
                                                "0:0:0:0/block/sda/sda2", true, parent, sizeof(parent)), 0);
        CHECK_STR_EQ(parent, "sda");
        CHECK_INT_EQ(block_policy_format_parent("/devices/virtual/block/loop0", false, parent, sizeof(parent)), 0);
        CHECK_STR_EQ(parent, "");
        CHECK_INT_EQ(block_policy_format_parent("/devices/virtual/block/dm-0", false, parent, sizeof(parent)), 0);
        CHECK_STR_EQ(parent, "");
        CHECK_INT_EQ(block_policy_format_parent("/devices/x/bad name/host0/block/sdz", false,
                                                parent, sizeof(parent)), -EINVAL);
        CHECK_STR_EQ(parent, "");
}

static char scratch[64];

static void touch(const char *relative)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", scratch, relative);
        close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
}

static void test_exclude_marker_in_any_ancestor(void)
{
        char path[256], dirs[256];

        snprintf(dirs, sizeof(dirs), "%s/a/b/c", scratch);
        CHECK(mkdir(dirs, 0755) == 0 || errno == EEXIST);
        snprintf(path, sizeof(path), "%s/a/b/c/disk.img", scratch);
        CHECK_INT_EQ(blockdev_backing_file_excluded(path, NULL), 0);
        touch("a/" BLOCKDEV_EXCLUDE_MARKER);
        CHECK_INT_EQ(blockdev_backing_file_excluded(path, NULL), 1);
        snprintf(path, sizeof(path), "%s/a/disk.img", scratch);
        CHECK_INT_EQ(blockdev_backing_file_excluded(path, NULL), 1);
        /* a marker below the file's directory does not count */
        snprintf(path, sizeof(path), "%s/other.img", scratch);
        CHECK_INT_EQ(blockdev_backing_file_excluded(path, NULL), 0);
        /* the file itself may be deleted meanwhile */
        snprintf(path, sizeof(path), "%s/a/b/gone/x.img (deleted)", scratch);
        CHECK_INT_EQ(blockdev_backing_file_excluded(path, NULL), 1);
        CHECK_INT_EQ(blockdev_backing_file_excluded("relative.img", NULL), -EINVAL);
}

int main(void)
{
        char cmd[128];
        int failed;

        if (check_scratch_dir(scratch, sizeof(scratch), "policy") < 0 ||
            (mkdir(strcat(strcpy(cmd, scratch), "/a"), 0755) < 0) ||
            (mkdir(strcat(strcpy(cmd, scratch), "/a/b"), 0755) < 0))
                return 2;
        RUN(test_plain_device_is_offered);
        RUN(test_every_filter_hides);
        RUN(test_offerable_variants);
        RUN(test_attached_device_keeps_its_entry);
        RUN(test_rules_exclusions);
        RUN(test_desc_precedence);
        RUN(test_desc_transliterates_utf8_and_drops_control_characters);
        RUN(test_desc_is_bounded);
        RUN(test_parent_rule);
        RUN(test_exclude_marker_in_any_ancestor);
        failed = check_summary();
        return check_scratch_remove(scratch) < 0 ? 2 : failed;
}
