/* fuzz-desc-text.c: sanitize_desc_text() writes only what dom0 keeps of a
 * desc ([A-Za-z0-9()+,-.:=_/ ], no space unless allowed), never more than
 * SIZE - 1 bytes and nothing at all for SIZE 0, one output byte per input
 * character: the ASCII character itself or '_', a Latin-1 or Latin
 * Extended-A letter's base letter, '_' for any other character and for each
 * byte that is not UTF-8.
 * The expected text is built by an oracle written apart from sanitize.c.
 * Input: a flags byte (bit 0: spaces allowed), a size byte, then the text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "sanitize.h"

static bool dom0_keeps(char c, bool spaces_allowed)
{
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                return true;
        if (c == ' ')
                return spaces_allowed;
        return c != '\0' && strchr("()+,-.:=_/", c) != NULL;
}

/* U+00C0..U+00FF by hand: letters with a diacritic give their base letter;
 * ligatures, thorn and the two signs give '_'; sharp s gives 's'. */
static char latin1_base_letter(unsigned cp)
{
        static const struct {
                unsigned first, last;
                char letter;
        } ranges[] = {
                { 0xc0, 0xc5, 'A' }, { 0xc7, 0xc7, 'C' }, { 0xc8, 0xcb, 'E' }, { 0xcc, 0xcf, 'I' },
                { 0xd0, 0xd0, 'D' }, { 0xd1, 0xd1, 'N' }, { 0xd2, 0xd6, 'O' }, { 0xd8, 0xd8, 'O' },
                { 0xd9, 0xdc, 'U' }, { 0xdd, 0xdd, 'Y' }, { 0xdf, 0xdf, 's' },
                { 0xe0, 0xe5, 'a' }, { 0xe7, 0xe7, 'c' }, { 0xe8, 0xeb, 'e' }, { 0xec, 0xef, 'i' },
                { 0xf0, 0xf0, 'd' }, { 0xf1, 0xf1, 'n' }, { 0xf2, 0xf6, 'o' }, { 0xf8, 0xf8, 'o' },
                { 0xf9, 0xfc, 'u' }, { 0xfd, 0xfd, 'y' }, { 0xff, 0xff, 'y' },
        };

        for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
                if (cp >= ranges[i].first && cp <= ranges[i].last)
                        return ranges[i].letter;
        return '_';
}

/* U+0100..U+017F by rule: runs of upper/lower pairs sharing a base letter;
 * in most runs the even code point is the capital, in the L, N (first run)
 * and Z runs the odd one; a few single letters; the IJ and OE ligatures '_'. */
static char latin_extended_a_base_letter(unsigned cp)
{
        static const struct {
                unsigned first, last;
                char upper;             /* base letter, capital */
                int capital_parity;     /* 0: even ones are capitals, 1: odd, -1: single */
        } runs[] = {
                { 0x100, 0x105, 'A', 0 }, { 0x106, 0x10d, 'C', 0 }, { 0x10e, 0x111, 'D', 0 },
                { 0x112, 0x11b, 'E', 0 }, { 0x11c, 0x123, 'G', 0 }, { 0x124, 0x127, 'H', 0 },
                { 0x128, 0x131, 'I', 0 }, { 0x134, 0x135, 'J', 0 }, { 0x136, 0x137, 'K', 0 },
                { 0x138, 0x138, 'k', -1 }, { 0x139, 0x142, 'L', 1 }, { 0x143, 0x148, 'N', 1 },
                { 0x149, 0x149, 'n', -1 }, { 0x14a, 0x14b, 'N', 0 }, { 0x14c, 0x151, 'O', 0 },
                { 0x154, 0x159, 'R', 0 }, { 0x15a, 0x161, 'S', 0 }, { 0x162, 0x167, 'T', 0 },
                { 0x168, 0x173, 'U', 0 }, { 0x174, 0x175, 'W', 0 }, { 0x176, 0x177, 'Y', 0 },
                { 0x178, 0x178, 'Y', -1 }, { 0x179, 0x17e, 'Z', 1 }, { 0x17f, 0x17f, 's', -1 },
        };

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                if (cp < runs[i].first || cp > runs[i].last)
                        continue;
                if (runs[i].capital_parity < 0 || (int)(cp & 1) == runs[i].capital_parity)
                        return runs[i].upper;
                return (char)(runs[i].upper - 'A' + 'a');
        }
        return '_';
}

/* The whole expected text (not cut) into OUT, which holds strlen(IN) + 1. */
static void reference_desc(const unsigned char *in, bool spaces_allowed, char *out)
{
        size_t o = 0;

        while (*in) {
                /* noncharacters count as invalid bytes, as udev's validator has it */
                size_t len = fuzz_utf8_length(in, true);
                char c;

                if (len == 0) {
                        c = '_';
                        len = 1;
                } else if (len == 1) {
                        c = dom0_keeps((char)in[0], spaces_allowed) ? (char)in[0] : '_';
                } else if (len == 2) {
                        unsigned cp = (unsigned)(in[0] & 0x1f) << 6 | (in[1] & 0x3f);

                        c = cp < 0x100 ? latin1_base_letter(cp) : latin_extended_a_base_letter(cp);
                } else {
                        c = '_';
                }
                out[o++] = c;
                in += len;
        }
        out[o] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        bool spaces_allowed;
        unsigned char *out;
        size_t out_size, want;
        char *in, *expected;

        fuzz_begin(data, size);
        if (size < 2)
                return FUZZ_REJECT;
        spaces_allowed = data[0] & 1;
        out_size = data[1];
        in = fuzz_string(data + 2, size - 2);
        if (!in)
                return FUZZ_REJECT;
        expected = malloc(size);
        if (!expected)
                abort();
        out = fuzz_buffer(out_size);

        reference_desc((const unsigned char *)in, spaces_allowed, expected);
        sanitize_desc_text(in, spaces_allowed, (char *)out, out_size);
        FUZZ_CHECK_SIZE_ZERO(out, out_size);
        if (out_size > 0) {
                want = strlen(expected);
                if (want > out_size - 1)
                        want = out_size - 1;    /* cut, one character per byte */
                FUZZ_CHECK(memchr(out, '\0', out_size) != NULL, "'%s': no NUL within %zu bytes", in,
                           out_size);
                FUZZ_CHECK(strlen((const char *)out) == want, "'%s' gave %zu bytes, not %zu", in,
                           strlen((const char *)out), want);
                for (size_t i = 0; i < want; i++)
                        FUZZ_CHECK(dom0_keeps((char)out[i], spaces_allowed),
                                   "'%s' gave byte 0x%02x at %zu", in, out[i], i);
                FUZZ_CHECK(memcmp(out, expected, want) == 0, "'%s' gave '%s', not '%.*s'", in,
                           (const char *)out, (int)want, expected);
        }
        free(out);
        free(expected);
        free(in);
        return 0;
}
