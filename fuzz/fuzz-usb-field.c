/* fuzz-usb-field.c: sanitize_usb_field() writes a USB desc field dom0 can
 * split at spaces and decode: printable ASCII without a space; udev's "\xNN"
 * escapes kept as they are, every other byte that cannot stand for itself
 * as "\xNN". So decoding the field with sanitize_udev_decode() gives the
 * input back when the input has no escapes of its own (and what decoding
 * the input gives when it has valid ones); an encoded field is left as it
 * is by a second pass; a field that does not fit is refused, never cut.
 * Input: one byte of output size, then the raw field. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sanitize.h"

static bool is_hex(char c)
{
        return c != '\0' && strchr("0123456789abcdefABCDEF", c) != NULL;
}

/* The oracle, into OUT of 4 * strlen(IN) + 1 bytes. */
static void reference_field(const char *in, char *out)
{
        size_t o = 0;

        for (size_t i = 0; in[i];) {
                unsigned char c = (unsigned char)in[i];

                if (c == '\\' && in[i + 1] == 'x' && is_hex(in[i + 2]) && is_hex(in[i + 3])) {
                        memcpy(out + o, in + i, 4);
                        o += 4;
                        i += 4;
                        continue;
                }
                if (c > 0x20 && c < 0x7f && c != '\\')
                        out[o++] = (char)c;
                else
                        o += (size_t)sprintf(out + o, "\\x%02x", c);
                i++;
        }
        out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t out_size, big_size, len;
        char *in, *big, *again, *expected, *decoded_in, *decoded_field;
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
        again = malloc(big_size);
        expected = malloc(big_size);
        decoded_in = malloc(len + 1);
        decoded_field = malloc(big_size);
        if (!big || !again || !expected || !decoded_in || !decoded_field)
                abort();

        /* every byte at most 4: the field always fits 4 * len + 1 */
        r = sanitize_usb_field(in, big, big_size);
        FUZZ_CHECK(r == 0, "'%s' into %zu bytes: %d", in, big_size, r);
        reference_field(in, expected);
        FUZZ_CHECK(strcmp(big, expected) == 0, "'%s' gave '%s', not '%s'", in, big, expected);
        for (const char *p = big; *p; p++)
                FUZZ_CHECK(*p > ' ' && *p < 0x7f, "'%s' gave byte 0x%02x", in, (unsigned char)*p);

        /* dom0's side: decoding gives the device's text back */
        r = sanitize_udev_decode(big, decoded_field, big_size);
        if (!strstr(in, "\\x")) {
                FUZZ_CHECK(r == 0, "field '%s' of '%s' does not decode: %d", big, in, r);
                FUZZ_CHECK(strcmp(decoded_field, in) == 0, "'%s' -> '%s' -> '%s'", in, big,
                           decoded_field);
        }
        if (sanitize_udev_decode(in, decoded_in, len + 1) == 0) {
                FUZZ_CHECK(r == 0, "field '%s' of '%s' does not decode: %d", big, in, r);
                FUZZ_CHECK(strcmp(decoded_field, decoded_in) == 0, "'%s' -> '%s' decodes differently",
                           in, big);
        }

        /* an encoded field passes a second time unchanged */
        r = sanitize_usb_field(big, again, big_size);
        FUZZ_CHECK(r == 0 && strcmp(again, big) == 0, "'%s' -> '%s' -> '%s'", in, big, again);

        /* the size given: all or nothing */
        out = fuzz_buffer(out_size);
        r = sanitize_usb_field(in, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (strlen(big) < out_size)
                FUZZ_CHECK(r == 0 && strcmp((const char *)out, big) == 0, "'%s' into %zu bytes: %d", in,
                           out_size, r);
        else
                FUZZ_CHECK(r == -ENAMETOOLONG, "'%s' (%zu encoded) into %zu bytes: %d", in, strlen(big),
                           out_size, r);

        free(out);
        free(decoded_field);
        free(decoded_in);
        free(expected);
        free(again);
        free(big);
        free(in);
        return 0;
}
