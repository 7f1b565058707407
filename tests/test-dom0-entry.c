/* test-dom0-entry.c: xen-devices' entry reader (dom0's rules for what a
 * domain publishes), the text renderings and the vdev numbering. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "entry.h"
#include "text.h"
#include "vdev.h"

#define V(s) { .data = (s), .len = sizeof(s) - 1 }
#define MISSING { .data = NULL, .len = 0 }

static int read_block(const char *name, struct raw_value desc, struct raw_value size,
                      struct raw_value mode, struct raw_value parent,
                      struct block_entry *e, struct reason *why)
{
        const struct raw_value v[BLOCK_KEY_COUNT] = {
                [BLOCK_DESC] = desc, [BLOCK_SIZE] = size, [BLOCK_MODE] = mode,
                [BLOCK_PARENT] = parent,
        };

        return entry_read_block(name, strlen(name), v, e, why);
}

static int read_usb(const char *name, struct raw_value desc, struct raw_value ver,
                    struct raw_value interfaces, struct raw_value to,
                    struct usb_entry *u, struct reason *why)
{
        const struct raw_value v[USB_KEY_COUNT] = {
                [USB_DESC] = desc, [USB_VERSION] = ver, [USB_INTERFACES] = interfaces,
                [USB_CONNECTED_TO] = to,
        };

        return entry_read_usb(name, strlen(name), v, u, why);
}

static void test_block_entry_as_our_helper_writes_it_is_read(void)
{
        struct block_entry e;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_block("loop0", (struct raw_value)V("/srv/offer.img"),
                                (struct raw_value)V("8388608"), (struct raw_value)V("w"),
                                (struct raw_value)V(""), &e, &why), 0);
        CHECK_STR_EQ(e.name, "loop0");
        CHECK_STR_EQ(e.desc, "/srv/offer.img");
        CHECK(e.size == 8388608);
        CHECK(!e.read_only);
        CHECK_STR_EQ(e.parent, "");
}

static void test_block_names_follow_dom0s_pattern(void)
{
        CHECK(entry_block_name_valid("sda", 3));
        CHECK(entry_block_name_valid("dm-2", 4));
        CHECK(entry_block_name_valid("nvme0n1p1234", 12));
        CHECK(!entry_block_name_valid("nvme0n1p12345", 13));
        CHECK(!entry_block_name_valid("", 0));
        CHECK(!entry_block_name_valid("SDA", 3));
        CHECK(!entry_block_name_valid("mapper_x", 8));
        CHECK(!entry_block_name_valid("a\0b", 3));
}

static void test_usb_names_follow_dom0s_pattern(void)
{
        CHECK(entry_usb_name_valid("2-1", 3));
        CHECK(entry_usb_name_valid("2-1_4", 5));
        CHECK(entry_usb_name_valid("10-11_2_3", 9));
        CHECK(!entry_usb_name_valid("2-1.4", 5));
        CHECK(!entry_usb_name_valid("2-", 2));
        CHECK(!entry_usb_name_valid("-1", 2));
        CHECK(!entry_usb_name_valid("2-1__4", 6));
        CHECK(!entry_usb_name_valid("2-1-4", 5));
        CHECK(!entry_usb_name_valid("usb2", 4));
        CHECK(!entry_usb_name_valid("2-1:1.0", 7));
}

static void test_desc_keeps_dom0s_characters_only(void)
{
        struct block_entry e;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("a\x1b[31mred\x7f\xc3\xa9 (x)"),
                                (struct raw_value)V("1"), (struct raw_value)V("r"),
                                (struct raw_value)MISSING, &e, &why), 0);
        CHECK_STR_EQ(e.desc, "a__31mred___ (x)");
        CHECK(e.read_only);
}

static void test_desc_of_10_kib_is_refused(void)
{
        struct raw_value big = { .data = malloc(10240), .len = 10240 };
        struct block_entry e;
        struct reason why = REASON_INIT;
        int r;

        CHECK(big.data);
        memset((char *)big.data, 'a', big.len);
        r = read_block("sda", big, (struct raw_value)V("1"), (struct raw_value)V("w"),
                       (struct raw_value)MISSING, &e, &why);
        free((char *)big.data);
        CHECK_INT_EQ(r, -EINVAL);
        CHECK(strstr(why.text, "desc is 10240 bytes long"));
}

static void test_value_with_nul_is_refused(void)
{
        struct block_entry e;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("a\0b"), (struct raw_value)V("1"),
                                (struct raw_value)V("w"), (struct raw_value)MISSING, &e, &why),
                     -EINVAL);
        CHECK_STR_EQ(why.text, "desc holds a NUL byte");
        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("a"), (struct raw_value)V("1\0"),
                                (struct raw_value)V("w"), (struct raw_value)MISSING, &e, &why),
                     -EINVAL);
}

static void test_size_must_be_decimal_digits_within_64_bits(void)
{
        static const struct raw_value bad[] = {
                V(""), V("12x"), V("-1"), V(" 1"), V("0x10"), V("18446744073709551616"),
                V("123456789012345678901"),
        };
        struct block_entry e;
        struct reason why = REASON_INIT;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_INT_EQ(read_block("sda", (struct raw_value)V("d"), bad[i],
                                        (struct raw_value)V("w"), (struct raw_value)MISSING,
                                        &e, &why), -EINVAL);
        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("d"),
                                (struct raw_value)V("18446744073709551615"),
                                (struct raw_value)V("w"), (struct raw_value)MISSING, &e, &why), 0);
        CHECK(e.size == UINT64_MAX);
}

static void test_mode_is_exactly_r_or_w(void)
{
        static const struct raw_value bad[] = { V(""), V("rw"), V("W"), V("w!"), V("w\n") };
        struct block_entry e;
        struct reason why = REASON_INIT;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_INT_EQ(read_block("sda", (struct raw_value)V("d"), (struct raw_value)V("1"),
                                        bad[i], (struct raw_value)MISSING, &e, &why), -EINVAL);
        reason_clear(&why);     /* a reason keeps its first cause */
        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("d"), (struct raw_value)V("1"),
                                (struct raw_value)MISSING, (struct raw_value)MISSING, &e, &why),
                     -EINVAL);
        CHECK_STR_EQ(why.text, "mode is missing");
}

static void test_reason_shows_hostile_bytes_escaped_and_cut(void)
{
        struct block_entry e;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_block("sda", (struct raw_value)V("d"), (struct raw_value)V("1"),
                                (struct raw_value)V("\x1b]0;evil\x07"), (struct raw_value)MISSING,
                                &e, &why), -EINVAL);
        CHECK(!strchr(why.text, '\x1b'));
        CHECK(strstr(why.text, "\\x1b]0;evil\\x07"));
        /* a long one is cut in its middle: never shown as if it were its start */
        reason_clear(&why);
        CHECK_INT_EQ(read_block("sda1", (struct raw_value)V("d"), (struct raw_value)V("1"), (struct raw_value)V("w"),
                                (struct raw_value)V("abcdefghijklmnopqrstuvwxyz0123456789-END!"), &e, &why),
                     -EINVAL);
        CHECK(strstr(why.text, "abcde"));
        CHECK(strstr(why.text, "..."));
        CHECK(strstr(why.text, "END!"));
}

static void test_parent_is_a_device_name_or_empty(void)
{
        struct block_entry e;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_block("sda1", (struct raw_value)V("d"), (struct raw_value)V("1"),
                                (struct raw_value)V("w"), (struct raw_value)V("2-1.4:1.0"),
                                &e, &why), 0);
        CHECK_STR_EQ(e.parent, "2-1.4:1.0");
        CHECK_INT_EQ(read_block("sda1", (struct raw_value)V("d"), (struct raw_value)V("1"),
                                (struct raw_value)V("w"), (struct raw_value)V("a b"),
                                &e, &why), -EINVAL);
}

static void test_usb_desc_is_decoded(void)
{
        struct usb_entry u;
        struct reason why = REASON_INIT;

        CHECK_INT_EQ(read_usb("2-1_4", (struct raw_value)V("0781:5567 SanDisk\\x20Corp Cruzer\\x1b 4C53"),
                              (struct raw_value)V("2"), (struct raw_value)V(":080650:030101:"),
                              (struct raw_value)MISSING, &u, &why), 0);
        CHECK_STR_EQ(u.vendor_id, "0781");
        CHECK_STR_EQ(u.product_id, "5567");
        CHECK_STR_EQ(u.vendor, "SanDisk Corp");
        CHECK_STR_EQ(u.model, "Cruzer\x1b");    /* decoded; made safe when shown */
        CHECK_STR_EQ(u.serial, "4C53");
        CHECK_INT_EQ(u.usb_version, 2);
        CHECK_INT_EQ(u.n_interfaces, 2);
        CHECK_STR_EQ(u.interfaces[1], "030101");
        CHECK_STR_EQ(u.connected_to, "");
}

static void test_usb_desc_needs_exactly_three_spaces_and_ids(void)
{
        static const struct raw_value bad[] = {
                V("0781:5567 a b"), V("0781:5567 a b c d"), V("0781:556 a b c"),
                V("0781-5567 a b c"), V("0781:556G a b c"), V("0781:5567 a\\x0 b c"),
                V("0781:5567 a\\x00 b c"), V("0781:5567 a\\ b c"), V("0781:5567 a\tb c d"),
                V("0781:5567 a\x1b b c"),
        };
        struct usb_entry u;
        struct reason why = REASON_INIT;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                CHECK_INT_EQ(read_usb("2-1", bad[i], (struct raw_value)V("2"),
                                      (struct raw_value)V(""), (struct raw_value)MISSING,
                                      &u, &why), -EINVAL);
        CHECK_INT_EQ(read_usb("2-1", (struct raw_value)V("0781:5567   "), (struct raw_value)V("3"),
                              (struct raw_value)V(""), (struct raw_value)MISSING, &u, &why), 0);
        CHECK_INT_EQ(u.n_interfaces, 0);
}

static void test_usb_version_interfaces_and_connected_to_are_checked(void)
{
        static const struct raw_value bad_ver[] = { V("0"), V("4"), V("2.0"), V(""), V("22") };
        static const struct raw_value bad_if[] = {
                V(":08065:"), V("080650:"), V(":080650"), V(":08065G:"), V(":0806A0:"),
        };
        struct usb_entry u;
        struct reason why = REASON_INIT;

        for (size_t i = 0; i < sizeof(bad_ver) / sizeof(bad_ver[0]); i++)
                CHECK_INT_EQ(read_usb("2-1", (struct raw_value)V("0781:5567 a b c"), bad_ver[i],
                                      (struct raw_value)V(""), (struct raw_value)MISSING,
                                      &u, &why), -EINVAL);
        for (size_t i = 0; i < sizeof(bad_if) / sizeof(bad_if[0]); i++)
                CHECK_INT_EQ(read_usb("2-1", (struct raw_value)V("0781:5567 a b c"),
                                      (struct raw_value)V("2"), bad_if[i],
                                      (struct raw_value)MISSING, &u, &why), -EINVAL);
        CHECK_INT_EQ(read_usb("2-1", (struct raw_value)V("0781:5567 a b c"), (struct raw_value)V("2"),
                              (struct raw_value)V(""), (struct raw_value)V("bad name!"),
                              &u, &why), -EINVAL);
        CHECK_INT_EQ(read_usb("2-1", (struct raw_value)V("0781:5567 a b c"), (struct raw_value)V("2"),
                              (struct raw_value)V(""), (struct raw_value)V("work"), &u, &why), 0);
        CHECK_STR_EQ(u.connected_to, "work");
}

static void test_escape_leaves_no_control_byte(void)
{
        char out[64];

        CHECK_STR_EQ(text_show("a\x1b[2J\\b\n\xff", 9, out, sizeof(out)),
                     "a\\x1b[2J\\\\b\\x0a\\xff");
        /* cut in the middle, never inside an escape: start and end stay */
        CHECK_STR_EQ(text_show("abcdefghij", 10, out, 8), "ab...ij");
        CHECK_STR_EQ(text_show("\x01\x02\x03", 3, out, 8), "...\\x03");
}

static void test_json_string_is_escaped_and_valid_utf8(void)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        CHECK(f);
        json_write_string(f, "q\"b\\\n\x1b\x7f\xc3\xa9\xff\xed\xa0\x80", 13);
        fclose(f);
        CHECK_STR_EQ(buf, "\"q\\\"b\\\\\\u000a\\u001b\\u007f\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\"");
        free(buf);
}

static void test_human_size_uses_iec_units(void)
{
        char out[32];

        CHECK_STR_EQ(text_human_size(0, out, sizeof(out)), "0 B");
        CHECK_STR_EQ(text_human_size(1023, out, sizeof(out)), "1023 B");
        CHECK_STR_EQ(text_human_size(8388608, out, sizeof(out)), "8.0 MiB");
        CHECK_STR_EQ(text_human_size(1610612736, out, sizeof(out)), "1.5 GiB");
        CHECK_STR_EQ(text_human_size(UINT64_MAX, out, sizeof(out)), "15.9 EiB");
}

static void test_vdev_names_and_device_numbers(void)
{
        unsigned disk;
        char name[8];

        CHECK_INT_EQ(vdev_parse("xvdi", &disk), 0);
        CHECK_INT_EQ(disk, 8);
        CHECK_INT_EQ(vdev_devid(disk), 51840);
        CHECK_INT_EQ(vdev_parse("xvdaa", &disk), 0);
        CHECK_INT_EQ(disk, 26);
        CHECK_INT_EQ(vdev_devid(disk), (1 << 28) | (26 << 8));
        CHECK_INT_EQ(vdev_from_devid(vdev_devid(26), &disk), 0);
        CHECK_INT_EQ(disk, 26);
        CHECK_INT_EQ(vdev_format(701, name, sizeof(name)), 0);
        CHECK_STR_EQ(name, "xvdzz");
        CHECK_INT_EQ(vdev_parse("xvdi1", &disk), -EINVAL);
        CHECK_INT_EQ(vdev_parse("xvd", &disk), -EINVAL);
        CHECK_INT_EQ(vdev_parse("sda", &disk), -EINVAL);
        CHECK_INT_EQ(vdev_parse("xvdaaaa", &disk), -EINVAL);
        CHECK_INT_EQ(vdev_from_devid(51841, &disk), -EINVAL);
}

static void test_device_path_turns_underscore_into_slash(void)
{
        char path[32];

        CHECK_INT_EQ(entry_block_device_path("loop0", path, sizeof(path)), 0);
        CHECK_STR_EQ(path, "/dev/loop0");
        CHECK_INT_EQ(entry_block_device_path("cciss_c0d0", path, sizeof(path)), 0);
        CHECK_STR_EQ(path, "/dev/cciss/c0d0");
        CHECK_INT_EQ(entry_block_device_path("loop0", path, 8), -ENAMETOOLONG);
}

int main(void)
{
        RUN(test_block_entry_as_our_helper_writes_it_is_read);
        RUN(test_block_names_follow_dom0s_pattern);
        RUN(test_usb_names_follow_dom0s_pattern);
        RUN(test_desc_keeps_dom0s_characters_only);
        RUN(test_desc_of_10_kib_is_refused);
        RUN(test_value_with_nul_is_refused);
        RUN(test_size_must_be_decimal_digits_within_64_bits);
        RUN(test_mode_is_exactly_r_or_w);
        RUN(test_reason_shows_hostile_bytes_escaped_and_cut);
        RUN(test_parent_is_a_device_name_or_empty);
        RUN(test_usb_desc_is_decoded);
        RUN(test_usb_desc_needs_exactly_three_spaces_and_ids);
        RUN(test_usb_version_interfaces_and_connected_to_are_checked);
        RUN(test_escape_leaves_no_control_byte);
        RUN(test_json_string_is_escaped_and_valid_utf8);
        RUN(test_human_size_uses_iec_units);
        RUN(test_vdev_names_and_device_numbers);
        RUN(test_device_path_turns_underscore_into_slash);
        return check_summary();
}
