/* test-parse.c: strict numbers and device numbers. */
#include <errno.h>
#include <stdint.h>

#include "check.h"
#include "parse.h"

static void test_decimal_accepts_plain_digits(void)
{
        uint64_t v;

        CHECK_INT_EQ(parse_u64("0", 10, &v), 0);
        CHECK_INT_EQ(v, 0);
        CHECK_INT_EQ(parse_u64("18446744073709551615", 10, &v), 0);
        CHECK(v == UINT64_MAX);
}

static void test_decimal_rejects_junk_sign_space_and_empty(void)
{
        uint64_t v = 7;

        CHECK_INT_EQ(parse_u64("", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("-1", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("+1", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64(" 1", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("1\n", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("12a", 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64(NULL, 10, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("99999999999999999999x", 10, &v), -EINVAL);
        CHECK_INT_EQ(v, 7);     /* untouched on failure */
}

static void test_decimal_overflow_is_erange(void)
{
        uint64_t v;
        uint32_t w;

        CHECK_INT_EQ(parse_u64("18446744073709551616", 10, &v), -ERANGE);
        CHECK_INT_EQ(parse_u32("4294967296", 10, &w), -ERANGE);
        CHECK_INT_EQ(parse_u32("4294967295", 10, &w), 0);
        CHECK(w == UINT32_MAX);
}

static void test_hex_rejects_prefix(void)
{
        uint64_t v;

        CHECK_INT_EQ(parse_u64("ff", 16, &v), 0);
        CHECK_INT_EQ(v, 255);
        CHECK_INT_EQ(parse_u64("0xff", 16, &v), -EINVAL);
        CHECK_INT_EQ(parse_u64("ffffffffffffffff0", 16, &v), -ERANGE);
}

static void test_majmin_hex_canonical_only(void)
{
        unsigned maj, min;

        CHECK_INT_EQ(parse_majmin_hex("7:3", &maj, &min), 0);
        CHECK_INT_EQ(maj, 7);
        CHECK_INT_EQ(min, 3);
        CHECK_INT_EQ(parse_majmin_hex("fe:0", &maj, &min), 0);
        CHECK_INT_EQ(maj, 0xfe);
        CHECK_INT_EQ(parse_majmin_hex("FE:0", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex("07:3", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex("7:", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex(":3", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex("7", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex("7:3:1", &maj, &min), -EINVAL);
        CHECK_INT_EQ(parse_majmin_hex("1000:0", &maj, &min), -ERANGE);
        CHECK_INT_EQ(parse_majmin_hex("7:100000", &maj, &min), -ERANGE);
        CHECK_INT_EQ(parse_majmin_hex("7:0000000000000000000001", &maj, &min), -ERANGE);
}

static void test_hex_canonical_is_what_printf_writes(void)
{
        uint64_t v = 0;

        CHECK_INT_EQ(parse_hex_canonical("0", &v), 0);
        CHECK(v == 0);
        CHECK_INT_EQ(parse_hex_canonical("1a", &v), 0);
        CHECK(v == 0x1a);
        CHECK_INT_EQ(parse_hex_canonical("ffffffffffffffff", &v), 0);
        CHECK(v == UINT64_MAX);
        CHECK_INT_EQ(parse_hex_canonical("1A", &v), -EINVAL);
        CHECK_INT_EQ(parse_hex_canonical("01a", &v), -EINVAL);
        CHECK_INT_EQ(parse_hex_canonical("00", &v), -EINVAL);
        CHECK_INT_EQ(parse_hex_canonical("", &v), -EINVAL);
        CHECK_INT_EQ(parse_hex_canonical("0x1a", &v), -EINVAL);
        CHECK_INT_EQ(parse_hex_canonical("10000000000000000", &v), -ERANGE);
}

static void test_majmin_decimal(void)
{
        unsigned maj, min;

        CHECK_INT_EQ(parse_majmin_dec("259:12", &maj, &min), 0);
        CHECK_INT_EQ(maj, 259);
        CHECK_INT_EQ(min, 12);
        CHECK_INT_EQ(parse_majmin_dec("7:a", &maj, &min), -EINVAL);
}

static void test_str_copy_refuses_truncation(void)
{
        char buf[4] = "xyz";

        CHECK_INT_EQ(str_copy(buf, sizeof(buf), "abcd"), -ENAMETOOLONG);
        CHECK_STR_EQ(buf, "xyz");
        CHECK_INT_EQ(str_copy(buf, sizeof(buf), "abc"), 0);
        CHECK_STR_EQ(buf, "abc");
}

int main(void)
{
        RUN(test_decimal_accepts_plain_digits);
        RUN(test_decimal_rejects_junk_sign_space_and_empty);
        RUN(test_decimal_overflow_is_erange);
        RUN(test_hex_rejects_prefix);
        RUN(test_majmin_hex_canonical_only);
        RUN(test_hex_canonical_is_what_printf_writes);
        RUN(test_majmin_decimal);
        RUN(test_str_copy_refuses_truncation);
        return check_summary();
}
