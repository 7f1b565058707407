/* fuzz-text-escape.c: text_escape() (backend/reason.c), which every message
 * that quotes another domain's or the kernel's text passes through. For any
 * bytes and any size: the output is printable ASCII only, fits the size,
 * and is either the exact escape (every byte outside 0x20..0x7e as \xNN) or
 * the escape of a prefix, "...", and the escape of a suffix: the object and
 * the cause of a message both stay. Written apart from reason.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "reason.h"

/* The exact escape of IN, into a buffer big enough (4 bytes a byte). */
static size_t escape(const uint8_t *in, size_t len, char *out)
{
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                if (in[i] >= 0x20 && in[i] < 0x7f)
                        out[o++] = (char)in[i];
                else
                        o += (size_t)sprintf(out + o, "\\x%02x", in[i]);
        }
        out[o] = '\0';
        return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t out_size, len, full_len, n;
        char *out, *full;
        const char *dots;

        fuzz_begin(data, size);
        if (size < 1)
                return FUZZ_REJECT;
        out_size = data[0];     /* 0..255: small sizes cut often */
        data++;
        size--;
        out = (char *)fuzz_buffer(out_size ? out_size : 1);
        full = malloc(size * 4 + 1);
        if (!full)
                abort();
        full_len = escape(data, size, full);
        len = text_escape((const char *)data, size, out, out_size);
        FUZZ_CHECK_SIZE_ZERO((unsigned char *)out, out_size);
        if (out_size == 0)
                goto done;
        FUZZ_CHECK(len == strlen(out) && len < out_size, "length %zu in a buffer of %zu", len, out_size);
        for (size_t i = 0; i < len; i++)
                FUZZ_CHECK(out[i] >= 0x20 && out[i] < 0x7f, "byte %#x written", (unsigned)(unsigned char)out[i]);
        if (full_len < out_size) {
                FUZZ_CHECK(strcmp(out, full) == 0, "fits, yet not the exact escape");
                goto done;
        }
        if (len == 0)
                goto done;      /* too small for even the cut mark */
        /* some "..." splits it into the escape's start and its end (the
         * text may hold "..." itself) */
        for (dots = strstr(out, "..."); dots; dots = strstr(dots + 1, "...")) {
                n = strlen(dots + 3);
                if (strncmp(full, out, (size_t)(dots - out)) == 0 && n <= full_len &&
                    strcmp(full + full_len - n, dots + 3) == 0)
                        break;
        }
        FUZZ_CHECK(dots, "not the escape's start, a cut mark and its end: '%s'", out);
done:
        free(out);
        free(full);
        return 0;
}
