/* text.c: terminal-safe and JSON-safe renderings of untrusted bytes. */
#include "text.h"

#include <inttypes.h>
#include <string.h>

char *text_show(const char *in, size_t len, char *out, size_t size)
{
        text_escape_all(in, len, out, size);
        return out;
}

/* Length of the valid UTF-8 sequence at S (at most LEN bytes), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF are invalid). */
static size_t utf8_valid_length(const unsigned char *s, size_t len)
{
        size_t n;
        uint32_t cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0)
                n = 2, cp = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                n = 3, cp = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n > len)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
                return 0;
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return n;
}

void json_write_string(FILE *f, const char *in, size_t len)
{
        const unsigned char *s = (const unsigned char *)in;

        fputc('"', f);
        for (size_t i = 0; i < len;) {
                unsigned char c = s[i];
                size_t n;

                if (c == '"' || c == '\\') {
                        fputc('\\', f);
                        fputc(c, f);
                        i++;
                } else if (c < 0x20 || c == 0x7f) {
                        fprintf(f, "\\u%04x", c);
                        i++;
                } else if (c < 0x80) {
                        fputc(c, f);
                        i++;
                } else if ((n = utf8_valid_length(s + i, len - i)) > 0) {
                        fwrite(s + i, 1, n, f);
                        i += n;
                } else {
                        fputs("\\ufffd", f);
                        i++;
                }
        }
        fputc('"', f);
}

char *text_human_size(uint64_t size, char *out, size_t out_size)
{
        static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        unsigned u = 0;
        uint64_t whole = size, rest = 0;

        if (size < 1024) {
                snprintf(out, out_size, "%" PRIu64 " B", size);
                return out;
        }
        /* divide until below 1024, keeping the remainder of the last step */
        do {
                rest = whole % 1024;
                whole /= 1024;
                u++;
        } while (whole >= 1024 && u < 6);
        /* one decimal, rounded down: 1023.9 MiB is never shown as 1024.0 */
        snprintf(out, out_size, "%" PRIu64 ".%" PRIu64 " %s", whole, rest * 10 / 1024, units[u - 1]);
        return out;
}
