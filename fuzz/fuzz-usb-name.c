/* fuzz-usb-name.c: sanitize_usb_name() gives only names dom0 accepts
 * (^[0-9]+-[0-9]+(_[0-9]+)*$, matched by hand below), and exactly the sysfs
 * name with '.' -> '_'; it refuses no sysfs name (digits, '-', '.') whose
 * result would match and fit.
 * Input: one byte of output size (0..31), then the sysfs name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sanitize.h"

static size_t skip_digits(const char *s)
{
        size_t n = 0;

        while (s[n] >= '0' && s[n] <= '9')
                n++;
        return n;
}

/* dom0's pattern, whole string: ^[0-9]+-[0-9]+(_[0-9]+)*$ */
static bool dom0_accepts_usb_name(const char *s)
{
        size_t n = skip_digits(s);

        if (n == 0 || s[n] != '-')
                return false;
        s += n + 1;
        for (;;) {
                n = skip_digits(s);
                if (n == 0)
                        return false;
                s += n;
                if (*s == '\0')
                        return true;
                if (*s != '_')
                        return false;
                s++;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *out;
        size_t out_size, len;
        char *sysname, *expected;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0] % 32;
        sysname = fuzz_string(data + 1, size - 1);
        if (!sysname)
                return FUZZ_REJECT;
        len = size - 1;
        out = fuzz_buffer(out_size);

        expected = strdup(sysname);
        if (!expected)
                abort();
        for (char *p = expected; *p; p++)
                if (*p == '.')
                        *p = '_';

        r = sanitize_usb_name(sysname, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (r == 0) {
                FUZZ_CHECK(dom0_accepts_usb_name((const char *)out), "'%s' gave '%s'", sysname,
                           (const char *)out);
                FUZZ_CHECK(strcmp((const char *)out, expected) == 0, "'%s' gave '%s'", sysname,
                           (const char *)out);
        } else {
                /* a sysname with '_' of its own is refused: it would collide with a dotted one */
                bool sysfs_chars = strspn(sysname, "0123456789-.") == len;

                FUZZ_CHECK(r == -EINVAL, "'%s': %d", sysname, r);
                FUZZ_CHECK(!sysfs_chars || !dom0_accepts_usb_name(expected) || len >= out_size,
                           "'%s' refused, but '%s' matches and fits %zu bytes", sysname, expected,
                           out_size);
        }
        free(expected);
        free(out);
        free(sysname);
        return 0;
}
