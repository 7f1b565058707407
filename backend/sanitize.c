/* sanitize.c: names and descriptions in the forms dom0 accepts. */
#include "sanitize.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool is_lower_alnum_or_dash(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int sanitize_block_name(const char *devname, char *out, size_t size)
{
        const char *name = devname;
        size_t len;

        if (strncmp(name, "/dev/", 5) == 0)
                name += 5;
        len = strlen(name);
        if (len == 0 || len > 12 || len >= size)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                char c = name[i] == '/' ? '_' : name[i];

                /* dom0's pattern has no '_': a nested name (mapper/x) is refused */
                if (!is_lower_alnum_or_dash(c))
                        return -EINVAL;
                out[i] = c;
        }
        out[len] = '\0';
        return 0;
}

int sanitize_usb_name(const char *sysname, char *out, size_t size)
{
        size_t len = strlen(sysname), i = 0;
        bool after_separator = true;    /* a digit is required here */
        unsigned dashes = 0;

        if (len == 0 || len >= size)
                return -EINVAL;
        for (i = 0; i < len; i++) {
                char c = sysname[i];

                if (is_digit(c)) {
                        after_separator = false;
                } else if ((c == '-' && dashes == 0 && i > 0) || (c == '.' && dashes == 1)) {
                        if (after_separator)
                                return -EINVAL;
                        if (c == '-')
                                dashes++;
                        after_separator = true;
                        c = c == '.' ? '_' : c;
                } else {
                        return -EINVAL;
                }
                out[i] = c;
        }
        if (after_separator || dashes != 1)
                return -EINVAL;
        out[len] = '\0';
        return 0;
}

int sanitize_udev_decode(const char *in, char *out, size_t size)
{
        size_t o = 0;

        if (size == 0)
                return -ENAMETOOLONG;
        for (const char *p = in; *p; p++) {
                char c = *p;

                if (c == '\\' && p[1] == 'x') {
                        int hi = hex_value(p[2]), lo = hi >= 0 ? hex_value(p[3]) : -1;

                        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                                return -EINVAL;
                        c = (char)(hi * 16 + lo);
                        p += 3;
                }
                if (o + 1 >= size)
                        return -ENAMETOOLONG;
                out[o++] = c;
        }
        out[o] = '\0';
        return 0;
}

/* Decode one UTF-8 sequence at S; returns its length (0 when invalid). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
        size_t len;
        uint32_t v;

        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        } else if ((s[0] & 0xe0) == 0xc0) {
                len = 2, v = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                len = 3, v = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                len = 4, v = s[0] & 0x07;
        } else {
                return 0;
        }
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = (v << 6) | (s[i] & 0x3f);
        }
        /* reject overlong forms, surrogates and values past Unicode */
        if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
            (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
                return 0;
        /* noncharacters: udev's validator refuses them, so must we, or the
         * libusb path would describe a device differently from udev's */
        if ((v >= 0xfdd0 && v <= 0xfdef) || (v & 0xfffe) == 0xfffe)
                return 0;
        *cp = v;
        return len;
}

/* Base letters of U+00C0..U+017F, Latin-1 and Latin Extended-A: the letters
 * of European languages' disk labels and vendor names ('_' where there is
 * no single base letter: ×, ÷, Æ, Œ, Ĳ, ...). */
static const char latin_base[] =
        "AAAAAA_CEEEEIIII" "DNOOOOO_OUUUUY_s"       /* U+00C0 */
        "aaaaaa_ceeeeiiii" "dnooooo_ouuuuy_y"       /* U+00E0 */
        "AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg"       /* U+0100 */
        "GgGgHhHhIiIiIiIi" "Ii__JjKkkLlLlLlL"       /* U+0120 */
        "lLlNnNnNnnNnOoOo" "Oo__RrRrRrSsSsSs"       /* U+0140 */
        "SsTtTtTtUuUuUuUu" "UuUuWwYyYZzZzZzs";      /* U+0160 */

static char transliterate(uint32_t cp)
{
        if (cp >= 0xc0 && cp < 0xc0 + sizeof(latin_base) - 1)
                return latin_base[cp - 0xc0];
        return '_';
}

static bool is_desc_char(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) ||
               strchr("()+,-.:=_/ ", c) != NULL;
}

void sanitize_desc_text(const char *in, bool spaces_allowed, char *out, size_t size)
{
        const unsigned char *p = (const unsigned char *)in;
        size_t o = 0;

        if (size == 0)
                return;
        while (*p && o + 1 < size) {
                uint32_t cp;
                size_t len = utf8_decode(p, &cp);
                char c;

                if (len == 0) {         /* not UTF-8: one byte, replaced */
                        c = '_';
                        len = 1;
                } else {
                        c = cp < 0x80 ? (char)cp : transliterate(cp);
                }
                if (c == '\0' || !is_desc_char(c) || (c == ' ' && !spaces_allowed))
                        c = '_';
                out[o++] = c;
                p += len;
        }
        out[o] = '\0';
}

/* The one \xNN encoder of the USB fields. KEEP_ESCAPES leaves an "\xNN"
 * that is already there as it is (udev's _ENC values); IS_PLAIN says which
 * other bytes stay as they are. */
static int encode_usb_text(const char *in, bool keep_escapes, bool (*is_plain)(unsigned char),
                           char *out, size_t size)
{
        size_t o = 0;

        if (size == 0)
                return -ENAMETOOLONG;
        for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
                bool kept_escape = keep_escapes && p[0] == '\\' && p[1] == 'x' &&
                                   hex_value((char)p[2]) >= 0 && hex_value((char)p[3]) >= 0;
                bool plain = is_plain(*p);
                size_t need = plain ? 1 : 4;

                if (o + need >= size)
                        return -ENAMETOOLONG;
                if (kept_escape) {
                        memcpy(out + o, p, 4);
                        p += 3;
                } else if (plain) {
                        out[o] = (char)*p;
                } else {
                        snprintf(out + o, 5, "\\x%02x", *p);
                }
                o += need;
        }
        out[o] = '\0';
        return 0;
}

/* dom0 splits desc at spaces and decodes \xNN: only printable ASCII other
 * than the space and the backslash can stand for itself. */
static bool is_usb_field_plain(unsigned char c)
{
        return c > ' ' && c < 0x7f && c != '\\';
}

/* udev's own set of bytes that its _ENC values leave unencoded. */
static bool is_udev_plain(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit((char)c) ||
               (c != '\0' && strchr("#+-.:=@_", c) != NULL);
}

int sanitize_usb_field(const char *in, char *out, size_t size)
{
        return encode_usb_text(in, true, is_usb_field_plain, out, size);
}

int sanitize_udev_encode(const char *in, char *out, size_t size)
{
        return encode_usb_text(in, false, is_udev_plain, out, size);
}

/* udev's whitespace is the C locale's isspace(). */
static bool is_udev_space(char c)
{
        return c != '\0' && strchr(" \t\n\v\f\r", c) != NULL;
}

int sanitize_udev_plain(const char *in, char *out, size_t size)
{
        const char *start = in, *end = in + strlen(in);
        bool pending_space = false;
        size_t o = 0;

        if (size == 0)
                return -ENAMETOOLONG;
        while (start < end && is_udev_space(*start))
                start++;
        while (end > start && is_udev_space(end[-1]))
                end--;
        for (const char *p = start; p < end; p++) {
                char c = *p;
                uint32_t cp;
                size_t len;

                if (is_udev_space(c)) {
                        pending_space = true;
                        continue;
                }
                if (o + (pending_space ? 2 : 1) >= size)
                        return -ENAMETOOLONG;
                if (pending_space) {
                        out[o++] = '_';
                        pending_space = false;
                }
                /* udev lets an "\x" through: it may be its own encoding */
                if (c == '\\' && p + 1 < end && p[1] == 'x') {
                        if (o + 2 >= size)
                                return -ENAMETOOLONG;
                        out[o++] = c;
                        out[o++] = *++p;
                        continue;
                }
                len = utf8_decode((const unsigned char *)p, &cp);
                if (len > 1 && p + len <= end) {        /* udev keeps UTF-8 */
                        if (o + len >= size)
                                return -ENAMETOOLONG;
                        memcpy(out + o, p, len);
                        o += len;
                        p += len - 1;
                        continue;
                }
                out[o++] = is_udev_plain((unsigned char)c) ? c : '_';
        }
        out[o] = '\0';
        return 0;
}
