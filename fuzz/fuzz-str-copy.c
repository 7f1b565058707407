/* fuzz-str-copy.c: str_copy() copies a string that fits whole, and refuses
 * one that does not with -ENAMETOOLONG, leaving the destination untouched.
 * Input: one byte of destination size (0..255), then the string. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned char *dst;
        size_t dst_size, len;
        char *src;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        dst_size = data[0];
        src = fuzz_string(data + 1, size - 1);
        if (!src)
                return FUZZ_REJECT;
        len = size - 1;
        dst = fuzz_buffer(dst_size);

        r = str_copy((char *)dst, dst_size, src);
        FUZZ_CHECK_SIZE_ZERO(dst, dst_size);
        if (len < dst_size) {
                FUZZ_CHECK(r == 0, "%zu bytes into %zu: %d", len, dst_size, r);
                FUZZ_CHECK(memcmp(dst, src, len + 1) == 0, "copy differs");
                FUZZ_CHECK(fuzz_buffer_untouched(dst + len + 1, dst_size - len - 1),
                           "wrote past the string's NUL");
        } else {
                FUZZ_CHECK(r == -ENAMETOOLONG, "%zu bytes into %zu: %d", len, dst_size, r);
                FUZZ_CHECK(fuzz_buffer_untouched(dst, dst_size), "refused but wrote the destination");
        }
        free(dst);
        free(src);
        return 0;
}
