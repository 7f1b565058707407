/* fuzz-parse-number.c: parse_u64() and parse_u32() in base 10 and 16 accept
 * exactly the non-empty strings of digits of the base whose value fits, and
 * give strtoull()'s value for them: no sign, space, prefix or trailing junk.
 * A failure leaves the result alone and says why (-ERANGE for digits that do
 * not fit, -EINVAL for anything else, junk after digits included). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "parse.h"

static bool is_digit_of(char c, unsigned base)
{
        if (c >= '0' && c <= '9')
                return true;
        return base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'));
}

static void check_base(const char *s, unsigned base)
{
        bool digits_only = *s != '\0', fits = false;
        unsigned long long expected = 0;
        uint64_t v64 = 0x5a5a5a5a5a5a5a5a;
        uint32_t v32 = 0x5a5a5a5a;
        int r64, r32, expected_error;

        for (const char *p = s; *p; p++)
                digits_only = digits_only && is_digit_of(*p, base);
        if (digits_only) {
                char *end;

                errno = 0;
                expected = strtoull(s, &end, (int)base);
                fits = errno == 0 && *end == '\0';
        }
        /* any character that is not a digit makes it -EINVAL, however long the
         * digits before it; only an all-digit string can overflow */
        expected_error = digits_only ? -ERANGE : -EINVAL;

        r64 = parse_u64(s, base, &v64);
        if (digits_only && fits) {
                FUZZ_CHECK(r64 == 0, "parse_u64('%s', %u) = %d, a valid number", s, base, r64);
                FUZZ_CHECK(v64 == expected, "parse_u64('%s', %u) gave %llu, strtoull %llu", s, base,
                           (unsigned long long)v64, expected);
        } else {
                FUZZ_CHECK(r64 == expected_error, "parse_u64('%s', %u) = %d, not %d", s, base, r64,
                           expected_error);
                FUZZ_CHECK(v64 == 0x5a5a5a5a5a5a5a5a, "parse_u64('%s', %u) failed but wrote its result",
                           s, base);
        }

        r32 = parse_u32(s, base, &v32);
        if (digits_only && fits && expected <= UINT32_MAX) {
                FUZZ_CHECK(r32 == 0 && v32 == expected, "parse_u32('%s', %u) = %d, %u", s, base, r32, v32);
        } else {
                FUZZ_CHECK(r32 == expected_error, "parse_u32('%s', %u) = %d, not %d", s, base, r32,
                           expected_error);
                FUZZ_CHECK(v32 == 0x5a5a5a5a, "parse_u32('%s', %u) failed but wrote its result", s, base);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        fuzz_begin(data, size);
        s = fuzz_string(data, size);
        if (!s)
                return FUZZ_REJECT;
        check_base(s, 10);
        check_base(s, 16);
        /* no other base, and no NULL string */
        FUZZ_CHECK(parse_u64(s, 8, &(uint64_t){ 0 }) == -EINVAL, "base 8 accepted");
        FUZZ_CHECK(parse_u64(NULL, 10, &(uint64_t){ 0 }) == -EINVAL, "NULL accepted");
        free(s);
        return 0;
}
