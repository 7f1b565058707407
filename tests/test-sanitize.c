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
        /* Latin Extended-A: Łódź, Škoda, Čeština, Őrség; ß; ſ is an s */
        sanitize_desc_text("\xc5\x81\xc3\xb3" "d\xc5\xba \xc5\xa0koda \xc4\x8c" "e\xc5\xa1tina "
                           "\xc5\x90rs\xc3\xa9g Stra\xc3\x9f" "e \xc5\xbf", true, out, sizeof(out));
        CHECK_STR_EQ(out, "Lodz Skoda Cestina Orseg Strase s");
}

static void test_udev_decode_refuses_a_zero_sized_buffer(void)
{
        char out[1] = { 'x' };

        CHECK_INT_EQ(sanitize_udev_decode("", out, 0), -ENAMETOOLONG);
        CHECK(out[0] == 'x');
}

static void test_desc_text_replaces_unicode_noncharacters(void)
{
        char out[16];

        /* U+FFFE and U+FDD0 are not characters: every byte becomes '_' */
        sanitize_desc_text("a\xef\xbf\xbe" "b\xef\xb7\x90", true, out, sizeof(out));
        CHECK_STR_EQ(out, "a___b___");
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

static void test_udev_encode_matches_udev_enc_values(void)
{
        char out[64];

        CHECK_INT_EQ(sanitize_udev_encode("Cruzer Blade", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "Cruzer\\x20Blade");
        CHECK_INT_EQ(sanitize_udev_encode("Logitech, Inc. (x)", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "Logitech\\x2c\\x20Inc.\\x20\\x28x\\x29");
        CHECK_INT_EQ(sanitize_udev_encode("a#+-.:=@_b", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "a#+-.:=@_b");
}

static void test_udev_encode_encodes_backslashes_and_utf8(void)
{
        char out[64];

        /* a literal "\x41" in a device string is text, not an escape */
        CHECK_INT_EQ(sanitize_udev_encode("a\\x41", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "a\\x5cx41");
        CHECK_INT_EQ(sanitize_udev_encode("Caf\xc3\xa9", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "Caf\\xc3\\xa9");
        /* and the result passes through the dom0 field encoder unchanged */
        CHECK_INT_EQ(sanitize_usb_field("Caf\\xc3\\xa9", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "Caf\\xc3\\xa9");
}

static void test_udev_encode_is_bounded(void)
{
        char out[8];

        CHECK_INT_EQ(sanitize_udev_encode("abcdefg", out, sizeof(out)), 0);
        CHECK_INT_EQ(sanitize_udev_encode("abcdefgh", out, sizeof(out)), -ENAMETOOLONG);
        CHECK_INT_EQ(sanitize_udev_encode("abcd ", out, sizeof(out)), -ENAMETOOLONG);
        CHECK_INT_EQ(sanitize_udev_encode("", out, 0), -ENAMETOOLONG);
}

static void test_udev_plain_trims_and_joins_whitespace(void)
{
        char out[64];

        CHECK_INT_EQ(sanitize_udev_plain("  QEMU \t", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "QEMU");
        CHECK_INT_EQ(sanitize_udev_plain("SN  12\t34", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "SN_12_34");
        CHECK_INT_EQ(sanitize_udev_plain("a/b(c)!", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "a_b_c__");
        CHECK_INT_EQ(sanitize_udev_plain("", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "");
}

static void test_udev_plain_keeps_utf8_and_hex_pairs_like_udev(void)
{
        char out[64];

        CHECK_INT_EQ(sanitize_udev_plain("Caf\xc3\xa9 \\x20", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "Caf\xc3\xa9_\\x20");
        CHECK_INT_EQ(sanitize_udev_plain("bad\xff", out, sizeof(out)), 0);
        CHECK_STR_EQ(out, "bad_");
        CHECK_INT_EQ(sanitize_udev_plain("abcdefgh", out, 8), -ENAMETOOLONG);
        CHECK_INT_EQ(sanitize_udev_plain("abc   d", out, 5), -ENAMETOOLONG);
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
        RUN(test_udev_decode_refuses_a_zero_sized_buffer);
        RUN(test_desc_text_replaces_unicode_noncharacters);
        RUN(test_usb_field_keeps_escapes_and_encodes_the_rest);
        RUN(test_udev_encode_matches_udev_enc_values);
        RUN(test_udev_encode_encodes_backslashes_and_utf8);
        RUN(test_udev_encode_is_bounded);
        RUN(test_udev_plain_trims_and_joins_whitespace);
        RUN(test_udev_plain_keeps_utf8_and_hex_pairs_like_udev);
        return check_summary();
}
