/* fuzz-udev-plain.c: sanitize_udev_plain() against udev's own two steps,
 * written after systemd's udev_replace_whitespace() and udev_replace_chars()
 * (NULL allow list): leading and trailing whitespace dropped, each inner run
 * one '_'; then [A-Za-z0-9#+-.:=@_] kept, an "\x" pair kept, a valid
 * multi-byte UTF-8 character kept (as systemd's utf8_encoded_valid_unichar()
 * judges it), any other byte '_'. The result never holds whitespace, and a
 * result that does not fit is refused, never cut.
 * Input: one byte of output size, then the raw text. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "open-findings.h"
#include "sanitize.h"

/* OUT holds strlen(IN) + 1 bytes. */
static void reference_plain(const char *in, char *out)
{
        size_t start = 0, end = strlen(in), o = 0;
        bool pending_space = false;

        /* udev_replace_whitespace() */
        while (start < end && isspace((unsigned char)in[start]))
                start++;
        while (end > start && isspace((unsigned char)in[end - 1]))
                end--;
        for (size_t i = start; i < end; i++) {
                if (isspace((unsigned char)in[i])) {
                        pending_space = true;
                        continue;
                }
                if (pending_space)
                        out[o++] = '_';
                pending_space = false;
                out[o++] = in[i];
        }
        out[o] = '\0';

        /* udev_replace_chars(), in place */
        for (size_t i = 0; out[i];) {
                size_t len;

                if (fuzz_is_udev_plain((unsigned char)out[i])) {
                        i++;
                } else if (out[i] == '\\' && out[i + 1] == 'x') {
                        i += 2;
                } else if ((len = fuzz_utf8_length((const unsigned char *)out + i,
                                                   !OPEN_FINDING_PLAIN_NONCHARACTERS)) > 1) {
                        i += len;
                } else {
                        out[i++] = '_';
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t out_size, big_size;
        char *in, *big, *expected;
        unsigned char *out;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0];
        in = fuzz_string(data + 1, size - 1);
        if (!in)
                return FUZZ_REJECT;
        big_size = size;        /* never longer than the input */
        big = malloc(big_size);
        expected = malloc(big_size);
        if (!big || !expected)
                abort();

        r = sanitize_udev_plain(in, big, big_size);
        FUZZ_CHECK(r == 0, "'%s' into %zu bytes: %d", in, big_size, r);
        reference_plain(in, expected);
        FUZZ_CHECK(strcmp(big, expected) == 0, "'%s' gave '%s', udev gives '%s'", in, big, expected);
        for (const char *p = big; *p; p++)
                FUZZ_CHECK(!isspace((unsigned char)*p), "'%s' gave whitespace", in);

        out = fuzz_buffer(out_size);
        r = sanitize_udev_plain(in, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (strlen(big) < out_size)
                FUZZ_CHECK(r == 0 && strcmp((const char *)out, big) == 0, "'%s' into %zu bytes: %d", in,
                           out_size, r);
        else
                FUZZ_CHECK(r == -ENAMETOOLONG, "'%s' (%zu plain) into %zu bytes: %d", in, strlen(big),
                           out_size, r);

        free(out);
        free(expected);
        free(big);
        free(in);
        return 0;
}
