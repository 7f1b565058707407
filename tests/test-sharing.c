/* test-sharing.c: Xen's sharing rule (SPEC §4) as the pure judgements of
 * backend/sharing.c: what overlaps a target, and the verdict with its
 * reason for each kind of use found (a mount, a swap file, a holder, another
 * domain's vbd), in each mode. */
#include <sys/sysmacros.h>

#include "check.h"
#include "sharing.h"

/* A partitioned disk 8:0 with partitions 8:1 and 8:2, attached as the disk. */
static struct sharing_target target(enum access_mode mode)
{
        static dev_t family[3];

        family[0] = makedev(8, 0);
        family[1] = makedev(8, 1);
        family[2] = makedev(8, 2);
        return (struct sharing_target){
                .params = "/dev/sda", .mode = mode, .devno = makedev(8, 0),
                .family = family, .n_family = 3,
        };
}

/* An image file 254:1 inode 77, attached through loop 7:3. */
static struct sharing_target file_target(enum access_mode mode)
{
        return (struct sharing_target){
                .params = "/srv/disk.img", .mode = mode, .devno = makedev(7, 3),
                .has_file = true, .file_dev = makedev(254, 1), .file_ino = 77,
        };
}

static void test_a_disk_overlaps_itself_and_its_partitions_only(void)
{
        struct sharing_target t = target(ACCESS_WRITE);

        CHECK(sharing_device_overlaps(&t, makedev(8, 0)));
        CHECK(sharing_device_overlaps(&t, makedev(8, 2)));
        CHECK(!sharing_device_overlaps(&t, makedev(8, 16)));
        CHECK(!sharing_device_overlaps(&t, makedev(7, 0)));
}

static void test_a_file_overlaps_by_identity_not_by_device_number(void)
{
        struct sharing_target t = file_target(ACCESS_READ), dev = target(ACCESS_READ);

        CHECK(sharing_file_overlaps(&t, makedev(254, 1), 77));
        CHECK(!sharing_file_overlaps(&t, makedev(254, 1), 78));
        CHECK(!sharing_file_overlaps(&t, makedev(254, 2), 77));
        CHECK(!sharing_file_overlaps(&dev, 0, 0));      /* a device has no file */
        CHECK(sharing_device_overlaps(&t, makedev(7, 3)));
}

static void test_unused_blocks_may_be_attached_in_any_mode(void)
{
        struct sharing_target w = target(ACCESS_WRITE), r = target(ACCESS_READ);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&w, MOUNT_UNUSED, false, &why), 0);
        CHECK_INT_EQ(sharing_judge_local_use(&r, MOUNT_UNUSED, false, &why), 0);
        CHECK(!reason_is_set(&why));
}

static void test_a_read_only_mount_keeps_writers_out_but_lets_readers_share(void)
{
        struct sharing_target w = target(ACCESS_WRITE), r = target(ACCESS_READ);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&r, MOUNT_READ_ONLY, false, &why), 0);
        CHECK(!reason_is_set(&why));
        CHECK_INT_EQ(sharing_judge_local_use(&w, MOUNT_READ_ONLY, false, &why), SHARING_BUSY);
        CHECK_STR_EQ(why.text, "/dev/sda is mounted read-only in this domain: it cannot be attached read-write");
}

static void test_a_writable_mount_keeps_everyone_out(void)
{
        struct sharing_target r = target(ACCESS_READ);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&r, MOUNT_READ_WRITE, false, &why), SHARING_BUSY);
        CHECK_STR_EQ(why.text, "/dev/sda is mounted read-write in this domain: it cannot be attached read-only");
}

static void test_a_mount_through_a_loop_says_so(void)
{
        struct sharing_target t = file_target(ACCESS_WRITE);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&t, MOUNT_READ_WRITE, true, &why), SHARING_BUSY);
        CHECK_STR_EQ(why.text, "/srv/disk.img is mounted read-write in this domain (through a loop device): "
                     "it cannot be attached read-write");
}

static void test_swap_keeps_readers_out_too(void)
{
        struct sharing_target r = target(ACCESS_READ), f = file_target(ACCESS_READ);
        struct reason why = REASON_INIT, why_file = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&r, MOUNT_SWAP, false, &why), SHARING_BUSY);
        CHECK_STR_EQ(why.text, "/dev/sda is in use as swap in this domain: it cannot be attached read-only");
        CHECK_INT_EQ(sharing_judge_swap_file(&f, &why_file), SHARING_BUSY);
        CHECK_STR_EQ(why_file.text, "/srv/disk.img is in use as swap in this domain: it cannot be attached read-only");
}

static void test_a_holder_keeps_writers_out_only(void)
{
        struct sharing_target w = target(ACCESS_WRITE), r = target(ACCESS_READ);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_holders(&r, &why), 0);
        CHECK(!reason_is_set(&why));
        CHECK_INT_EQ(sharing_judge_holders(&w, &why), SHARING_BUSY);
        CHECK(strstr(why.text, "/dev/sda is in use by another block device") == why.text);
}

static void test_another_domains_vbd_follows_xens_rule(void)
{
        struct sharing_target r = target(ACCESS_READ);
        struct reason why = REASON_INIT;

        /* readers share with readers, and with "w!" (it keeps no reader out) */
        CHECK_INT_EQ(sharing_judge_other_vbd(&r, "backend/vbd", "5", "51712", "r", &why), 0);
        CHECK_INT_EQ(sharing_judge_other_vbd(&r, "backend/vbd", "5", "51712", "w!", &why), 0);
        /* a missing mode is Xen's default, read-only */
        CHECK_INT_EQ(sharing_judge_other_vbd(&r, "backend/vbd", "5", "51712", NULL, &why), 0);
        CHECK(!reason_is_set(&why));
        CHECK_INT_EQ(sharing_judge_other_vbd(&r, "backend/vbd", "5", "51712", "w", &why), SHARING_BUSY);
        CHECK_STR_EQ(why.text, "/dev/sda is already attached read-write to domain 5 (backend/vbd/5/51712)");
}

static void test_a_writer_shares_with_no_one(void)
{
        struct sharing_target w = target(ACCESS_WRITE);
        struct reason ro = REASON_INIT, unchecked = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_other_vbd(&w, "backend/vbd", "7", "832", "r", &ro), SHARING_BUSY);
        CHECK_STR_EQ(ro.text, "/dev/sda is already attached read-only to domain 7 (backend/vbd/7/832)");
        CHECK_INT_EQ(sharing_judge_other_vbd(&w, "backend/vbd", "7", "832", "w!", &unchecked), SHARING_BUSY);
        CHECK_STR_EQ(unchecked.text,
                     "/dev/sda is already attached read-write (w!, unchecked) to domain 7 (backend/vbd/7/832)");
}

static void test_the_first_refusal_is_the_reason_kept(void)
{
        struct sharing_target w = target(ACCESS_WRITE);
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(sharing_judge_local_use(&w, MOUNT_READ_WRITE, false, &why), SHARING_BUSY);
        CHECK_INT_EQ(sharing_judge_other_vbd(&w, "backend/vbd", "7", "832", "w", &why), SHARING_BUSY);
        CHECK(strstr(why.text, "mounted read-write") != NULL);
}

int main(void)
{
        RUN(test_a_disk_overlaps_itself_and_its_partitions_only);
        RUN(test_a_file_overlaps_by_identity_not_by_device_number);
        RUN(test_unused_blocks_may_be_attached_in_any_mode);
        RUN(test_a_read_only_mount_keeps_writers_out_but_lets_readers_share);
        RUN(test_a_writable_mount_keeps_everyone_out);
        RUN(test_a_mount_through_a_loop_says_so);
        RUN(test_swap_keeps_readers_out_too);
        RUN(test_a_holder_keeps_writers_out_only);
        RUN(test_another_domains_vbd_follows_xens_rule);
        RUN(test_a_writer_shares_with_no_one);
        RUN(test_the_first_refusal_is_the_reason_kept);
        return check_summary();
}
