/* fuzz-parse-majmin.c: parse_majmin_hex() accepts exactly the canonical
 * "%x:%x" form of a Linux device number (12-bit major, 20-bit minor): what it
 * accepts formats back to the identical string. parse_majmin_dec() accepts
 * "MAJ:MIN" in decimal, with the values strtoul() gives, and never refuses
 * the form sysfs writes ("%u:%u"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "parse.h"

#define MAJOR_MAX 0xfffu
#define MINOR_MAX 0xfffffu

/* "A:B" with A and B non-empty runs of the given digits: the two halves. */
static bool split_two_numbers(const char *s, const char *digits, const char **colon)
{
        size_t a = strspn(s, digits);

        if (a == 0 || s[a] != ':')
                return false;
        *colon = s + a;
        return strspn(s + a + 1, digits) == strlen(s + a + 1) && s[a + 1] != '\0';
}

static void check_hex(const char *s)
{
        unsigned major = 12345, minor = 67890;
        const char *colon;
        char formatted[32];
        int r = parse_majmin_hex(s, &major, &minor);

        if (r == 0) {
                FUZZ_CHECK(major <= MAJOR_MAX && minor <= MINOR_MAX, "'%s' gave %x:%x", s, major, minor);
                snprintf(formatted, sizeof(formatted), "%x:%x", major, minor);
                FUZZ_CHECK(strcmp(formatted, s) == 0, "'%s' accepted as %s", s, formatted);
                return;
        }
        FUZZ_CHECK(r < 0, "parse_majmin_hex('%s') = %d", s, r);
        FUZZ_CHECK(major == 12345 && minor == 67890, "'%s' refused but written", s);

        /* refused: then it is not the canonical form of any device number */
        if (split_two_numbers(s, "0123456789abcdef", &colon)) {
                unsigned long a = strtoul(s, NULL, 16), b = strtoul(colon + 1, NULL, 16);
                bool in_range = colon - s <= 3 && strlen(colon + 1) <= 5 && a <= MAJOR_MAX &&
                                b <= MINOR_MAX;

                snprintf(formatted, sizeof(formatted), "%lx:%lx", a, b);
                FUZZ_CHECK(!in_range || strcmp(formatted, s) != 0,
                           "parse_majmin_hex('%s') = %d for a canonical device number", s, r);
        }
}

static void check_dec(const char *s)
{
        unsigned major = 12345, minor = 67890;
        const char *colon;
        bool shape = split_two_numbers(s, "0123456789", &colon);
        int r = parse_majmin_dec(s, &major, &minor);

        if (r == 0) {
                FUZZ_CHECK(shape, "parse_majmin_dec('%s') accepted it", s);
                FUZZ_CHECK(major == strtoul(s, NULL, 10) && minor == strtoul(colon + 1, NULL, 10),
                           "'%s' gave %u:%u", s, major, minor);
                FUZZ_CHECK(major <= MAJOR_MAX && minor <= MINOR_MAX, "'%s' gave %u:%u", s, major, minor);
                return;
        }
        FUZZ_CHECK(r < 0, "parse_majmin_dec('%s') = %d", s, r);
        FUZZ_CHECK(major == 12345 && minor == 67890, "'%s' refused but written", s);
        if (shape && colon - s <= 4 && strlen(colon + 1) <= 7) {
                unsigned long a = strtoul(s, NULL, 10), b = strtoul(colon + 1, NULL, 10);
                char formatted[32];

                snprintf(formatted, sizeof(formatted), "%lu:%lu", a, b);
                FUZZ_CHECK(a > MAJOR_MAX || b > MINOR_MAX || strcmp(formatted, s) != 0,
                           "parse_majmin_dec('%s') = %d for sysfs' form of a device number", s, r);
        }
}

/* The other direction: any device number, written as Xen's scripts and
 * sysfs write it, parses back to itself. */
static void check_device_number(const uint8_t *data, size_t size)
{
        unsigned major, minor, got_major = 0, got_minor = 0;
        char text[32];

        if (size < 5)
                return;
        major = (unsigned)(data[0] | data[1] << 8) & MAJOR_MAX;
        minor = (unsigned)(data[2] | data[3] << 8 | data[4] << 16) & MINOR_MAX;

        snprintf(text, sizeof(text), "%x:%x", major, minor);
        FUZZ_CHECK(parse_majmin_hex(text, &got_major, &got_minor) == 0 && got_major == major &&
                   got_minor == minor, "'%s' did not parse back", text);
        snprintf(text, sizeof(text), "%u:%u", major, minor);
        FUZZ_CHECK(parse_majmin_dec(text, &got_major, &got_minor) == 0 && got_major == major &&
                   got_minor == minor, "'%s' did not parse back", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s;

        fuzz_begin(data, size);
        check_device_number(data, size);
        s = fuzz_string(data, size);
        if (!s)
                return 0;       /* the device number above still counted */
        check_hex(s);
        check_dec(s);
        free(s);
        return 0;
}
