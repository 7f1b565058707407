/* fuzz-block-name.c: sanitize_block_name() gives only names dom0 accepts
 * ([a-z0-9-]{1,12}, matched by hand below), gives the DEVNAME itself minus
 * "/dev/" when it does, and refuses nothing that would be accepted.
 * Input: one byte of output size (0..31), then the DEVNAME. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sanitize.h"

/* dom0's pattern, whole string: [a-z0-9-]{1,12} */
static bool dom0_accepts_block_name(const char *s)
{
        size_t n = 0;

        for (; s[n]; n++)
                if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '-'))
                        return false;
        return n >= 1 && n <= 12;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *expected;
        unsigned char *out;
        size_t out_size;
        char *devname;
        int r;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0] % 32;
        devname = fuzz_string(data + 1, size - 1);
        if (!devname)
                return FUZZ_REJECT;
        out = fuzz_buffer(out_size);

        /* '/' would become '_', which dom0's pattern lacks: the name stays as it is */
        expected = strncmp(devname, "/dev/", 5) == 0 ? devname + 5 : devname;
        r = sanitize_block_name(devname, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (r == 0) {
                FUZZ_CHECK(dom0_accepts_block_name((const char *)out), "'%s' gave '%s'", devname,
                           (const char *)out);
                FUZZ_CHECK(strcmp((const char *)out, expected) == 0, "'%s' gave '%s'", devname,
                           (const char *)out);
        } else {
                FUZZ_CHECK(r == -EINVAL, "'%s': %d", devname, r);
                FUZZ_CHECK(!dom0_accepts_block_name(expected) || strlen(expected) >= out_size,
                           "'%s' refused, but '%s' matches and fits %zu bytes", devname, expected,
                           out_size);
        }
        free(out);
        free(devname);
        return 0;
}
