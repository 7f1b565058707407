/* fuzz-udev-decode.c: sanitize_udev_decode() against a decoder written
 * apart from it: "\xNN" (either case of hex digit) becomes the byte NN,
 * everything else is copied; "\x" without two hex digits after it and
 * "\x00" are refused; a result that does not fit is refused, never cut.
 * Input: one byte of output size, then the encoded text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "open-findings.h"
#include "sanitize.h"

static int hex_digit(char c)
{
        const char *digits = "0123456789abcdef0123456789ABCDEF";
        const char *at = c ? strchr(digits, c) : NULL;

        return at ? (int)((at - digits) % 16) : -1;
}

/* The oracle: OUT has room for strlen(IN) + 1 bytes. */
static int reference_decode(const char *in, char *out, size_t *len)
{
        size_t i = 0, o = 0;

        while (in[i]) {
                if (in[i] == '\\' && in[i + 1] == 'x') {
                        int hi = hex_digit(in[i + 2]);
                        int lo = hi < 0 ? -1 : hex_digit(in[i + 3]);

                        if (lo < 0 || (hi | lo) == 0)
                                return -EINVAL;
                        out[o++] = (char)(hi << 4 | lo);
                        i += 4;
                } else {
                        out[o++] = in[i++];
                }
        }
        out[o] = '\0';
        *len = o;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *out;
        size_t out_size, expected_len = 0;
        char *in, *expected;
        int r, expected_r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0];
        in = fuzz_string(data + 1, size - 1);
        if (!in)
                return FUZZ_REJECT;
        expected = malloc(size);
        if (!expected)
                abort();
        out = fuzz_buffer(out_size);

        expected_r = reference_decode(in, expected, &expected_len);
        if (OPEN_FINDING_DECODE_SIZE_ZERO && out_size == 0)
                goto out;
        r = sanitize_udev_decode(in, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (expected_r < 0) {
                /* which error depends on whether the output fills up first */
                FUZZ_CHECK(r == -EINVAL || r == -ENAMETOOLONG, "'%s' is malformed, got %d", in, r);
        } else if (expected_len >= out_size) {
                FUZZ_CHECK(r == -ENAMETOOLONG, "'%s' decodes to %zu bytes, does not fit %zu, got %d",
                           in, expected_len, out_size, r);
        } else {
                FUZZ_CHECK(r == 0, "'%s' decodes to %zu bytes, fits %zu, got %d", in, expected_len,
                           out_size, r);
                FUZZ_CHECK(memcmp(out, expected, expected_len + 1) == 0, "'%s' decoded differently", in);
        }
        /* a decoded result holds no NUL: a NUL would cut a value short unseen */
        if (r == 0)
                FUZZ_CHECK(strlen((const char *)out) == expected_len, "'%s' decoded with a NUL", in);
out:
        free(out);
        free(expected);
        free(in);
        return 0;
}
