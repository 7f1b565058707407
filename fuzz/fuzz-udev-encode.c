/* fuzz-udev-encode.c: sanitize_udev_encode() writes udev's _ENC form: every
 * byte outside [A-Za-z0-9#+-.:=@_] as lower-case "\xNN", the others as they
 * are. Decoding it gives the raw text back; sanitize_usb_field() leaves it as
 * it is (so the libusb path and udev's path give the same desc field); a
 * result that does not fit is refused, never cut.
 * Input: one byte of output size, then the raw text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sanitize.h"

static void reference_encode(const unsigned char *in, char *out)
{
        size_t o = 0;

        for (; *in; in++) {
                if (fuzz_is_udev_plain(*in))
                        out[o++] = (char)*in;
                else
                        o += (size_t)sprintf(out + o, "\\x%02x", *in);
        }
        out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *in, *big, *expected, *decoded, *field;
        size_t out_size, big_size, len;
        unsigned char *out;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0];
        in = fuzz_string(data + 1, size - 1);
        if (!in)
                return FUZZ_REJECT;
        len = size - 1;
        big_size = 4 * len + 1;
        big = malloc(big_size);
        expected = malloc(big_size);
        decoded = malloc(big_size);
        field = malloc(big_size);
        if (!big || !expected || !decoded || !field)
                abort();

        r = sanitize_udev_encode(in, big, big_size);
        FUZZ_CHECK(r == 0, "'%s' into %zu bytes: %d", in, big_size, r);
        reference_encode((const unsigned char *)in, expected);
        FUZZ_CHECK(strcmp(big, expected) == 0, "'%s' gave '%s', not '%s'", in, big, expected);

        r = sanitize_udev_decode(big, decoded, big_size);
        FUZZ_CHECK(r == 0 && strcmp(decoded, in) == 0, "'%s' -> '%s' decodes to '%s' (%d)", in, big,
                   r == 0 ? decoded : "", r);

        r = sanitize_usb_field(big, field, big_size);
        FUZZ_CHECK(r == 0 && strcmp(field, big) == 0, "'%s' -> '%s' -> usb field '%s' (%d)", in, big,
                   r == 0 ? field : "", r);

        out = fuzz_buffer(out_size);
        r = sanitize_udev_encode(in, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (strlen(big) < out_size)
                FUZZ_CHECK(r == 0 && strcmp((const char *)out, big) == 0, "'%s' into %zu bytes: %d", in,
                           out_size, r);
        else
                FUZZ_CHECK(r == -ENAMETOOLONG, "'%s' (%zu encoded) into %zu bytes: %d", in, strlen(big),
                           out_size, r);

        free(out);
        free(field);
        free(decoded);
        free(expected);
        free(big);
        free(in);
        return 0;
}
