/* test-sanitize.c: names and descriptions in the forms dom0 accepts. */
#include <errno.h>

#include "check.h"
#include "sanitize.h"

static void test_block_name_strips_dev_and_accepts_dom0_pattern(void)
{
        char name[32];

        CHECK_INT_EQ(sanitize_block_name("/dev/loop3", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "loop3");
        CHECK_INT_EQ(sanitize_block_name("/dev/nvme0n1p1", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "nvme0n1p1");
        CHECK_INT_EQ(sanitize_block_name("dm-2", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "dm-2");
}

static void test_block_name_rejects_what_dom0_rejects(void)
{
        char name[32];

        CHECK_INT_EQ(sanitize_block_name("/dev/mapper/x", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_block_name("/dev/abcdefghijklm", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_block_name("/dev/SDA", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_block_name("/dev/", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_block_name("/dev/sd a", name, sizeof(name)), -EINVAL);
}

static void test_usb_name_dots_become_underscores(void)
{
        char name[32];

        CHECK_INT_EQ(sanitize_usb_name("2-1.4", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "2-1_4");
        CHECK_INT_EQ(sanitize_usb_name("1-10", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "1-10");
        CHECK_INT_EQ(sanitize_usb_name("3-2.1.7", name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "3-2_1_7");
}

static void test_usb_name_rejects_interfaces_roots_and_junk(void)
{
        char name[32];

        CHECK_INT_EQ(sanitize_usb_name("2-1:1.0", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("usb1", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("2-", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("-1", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("2-1..4", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("2.1", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("2-1-4", name, sizeof(name)), -EINVAL);
        CHECK_INT_EQ(sanitize_usb_name("", name, sizeof(name)), -EINVAL);
}

static void test_udev_decode_turns_escapes_into_bytes(void)
{
        char out[32];

        CHECK_INT_EQ(sanitize_udev_decode("My\\x20Disk\\x2f1", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "My Disk/1");
        CHECK_INT_EQ(sanitize_udev_decode("bad\\x2", out, sizeof(out)), -EINVAL);
        CHECK_INT_EQ(sanitize_udev_decode("nul\\x00", out, sizeof(out)), -EINVAL);
        CHECK_INT_EQ(sanitize_udev_decode("0123456789", out, 8), -ENAMETOOLONG);
}

static void test_desc_text_transliterates_and_filters(void)
{
        char out[64];

        sanitize_desc_text("Caf\xc3\xa9 Dr\xc3\xbcve", true, out, sizeof(out));
        CHECK_STR_EQ(out, "Cafe Druve");
        sanitize_desc_text("Caf\xc3\xa9 Dr\xc3\xbcve", false, out, sizeof(out));
        CHECK_STR_EQ(out, "Cafe_Druve");
        sanitize_desc_text("a\tb\x01" "c;d\xe2\x82\xac" "e", true, out, sizeof(out));
        CHECK_STR_EQ(out, "a_b_c_d_e");
        sanitize_desc_text("\xff\xfe/x(1):=+,.", true, out, sizeof(out));
        CHECK_STR_EQ(out, "__/x(1):=+,.");
}

static void test_desc_text_is_bounded(void)
{
        char out[8];

        sanitize_desc_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", true, out, sizeof(out));
        CHECK_STR_EQ(out, "eeeeeee");
}

static void test_usb_field_keeps_escapes_and_encodes_the_rest(void)
{
        char out[64];

        CHECK_INT_EQ(sanitize_usb_field("SanDisk\\x20Corp.", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "SanDisk\\x20Corp.");
        CHECK_INT_EQ(sanitize_usb_field("a b\\c\xc3\xa9", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "a\\x20b\\x5cc\\xc3\\xa9");
        CHECK_INT_EQ(sanitize_usb_field("", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "");
        CHECK_INT_EQ(sanitize_usb_field("     ", out, 16), -ENAMETOOLONG);
}

int main(void)
{
        RUN(test_block_name_strips_dev_and_accepts_dom0_pattern);
        RUN(test_block_name_rejects_what_dom0_rejects);
        RUN(test_usb_name_dots_become_underscores);
        RUN(test_usb_name_rejects_interfaces_roots_and_junk);
        RUN(test_udev_decode_turns_escapes_into_bytes);
        RUN(test_desc_text_transliterates_and_filters);
        RUN(test_desc_text_is_bounded);
        RUN(test_usb_field_keeps_escapes_and_encodes_the_rest);
        return check_summary();
}
