/* parse.c: strict numbers and device numbers. */
#include "parse.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static int digit_value(char c, unsigned base)
{
        int v;

        if (c >= '0' && c <= '9')
                v = c - '0';
        else if (base == 16 && c >= 'a' && c <= 'f')
                v = c - 'a' + 10;
        else if (base == 16 && c >= 'A' && c <= 'F')
                v = c - 'A' + 10;
        else
                return -1;
        return v;
}

int parse_u64(const char *s, unsigned base, uint64_t *out)
{
        uint64_t value = 0;

        if (!s || !*s || (base != 10 && base != 16))
                return -EINVAL;
        for (const char *p = s; *p; p++)       /* junk is junk, however long the digits before it */
                if (digit_value(*p, base) < 0)
                        return -EINVAL;
        for (; *s; s++) {
                int d = digit_value(*s, base);

                if (d < 0)
                        return -EINVAL;
                if (value > (UINT64_MAX - (uint64_t)d) / base)
                        return -ERANGE;
                value = value * base + (uint64_t)d;
        }
        *out = value;
        return 0;
}

int parse_u32(const char *s, unsigned base, uint32_t *out)
{
        uint64_t v;
        int r = parse_u64(s, base, &v);

        if (r < 0)
                return r;
        if (v > UINT32_MAX)
                return -ERANGE;
        *out = (uint32_t)v;
        return 0;
}

/* Lower-case hex digits without padding, as printf's %x writes them. */
static bool is_canonical_hex(const char *s)
{
        return *s && !strpbrk(s, "ABCDEF") && !(s[0] == '0' && s[1] != '\0');
}

int parse_hex_canonical(const char *s, uint64_t *out)
{
        if (!s || !is_canonical_hex(s))
                return -EINVAL;
        return parse_u64(s, 16, out);
}

/* Split "A:B" into two numbers; CANONICAL_HEX demands lower case, no padding. */
static int parse_majmin(const char *s, unsigned base, int canonical_hex,
                        unsigned *major, unsigned *minor)
{
        char part[2][16];
        const char *colon;
        uint32_t v[2];
        size_t len;

        if (!s)
                return -EINVAL;
        colon = strchr(s, ':');
        if (!colon)
                return -EINVAL;
        len = (size_t)(colon - s);
        if (len >= sizeof(part[0]) || strlen(colon + 1) >= sizeof(part[1]))
                return -ERANGE;
        memcpy(part[0], s, len);
        part[0][len] = '\0';
        strcpy(part[1], colon + 1);

        for (int i = 0; i < 2; i++) {
                int r;

                if (canonical_hex && !is_canonical_hex(part[i]))
                        return -EINVAL;
                r = parse_u32(part[i], base, &v[i]);
                if (r < 0)
                        return r;
        }
        /* Linux device numbers: 12-bit major, 20-bit minor. */
        if (v[0] > 0xfff || v[1] > 0xfffff)
                return -ERANGE;
        *major = v[0];
        *minor = v[1];
        return 0;
}

int parse_majmin_hex(const char *s, unsigned *major, unsigned *minor)
{
        return parse_majmin(s, 16, 1, major, minor);
}

int parse_majmin_dec(const char *s, unsigned *major, unsigned *minor)
{
        return parse_majmin(s, 10, 0, major, minor);
}

int str_copy(char *dst, size_t size, const char *src)
{
        size_t len = strlen(src);

        if (len >= size)
                return -ENAMETOOLONG;
        memcpy(dst, src, len + 1);
        return 0;
}
