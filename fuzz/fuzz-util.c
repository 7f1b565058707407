/* fuzz-util.c: helpers shared by the fuzz targets (see fuzz-util.h). */
#include "fuzz-util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOWN_INPUT_MAX 512

static const uint8_t *current_data;
static size_t current_size;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        fuzz_quiet_logs();
        return 0;
}

void fuzz_quiet_logs(void)
{
        const char *keep = getenv("QXD_FUZZ_LOGS");
        FILE *null;

        if (keep && strcmp(keep, "1") == 0)
                return;
        /* glibc's stderr is an ordinary variable; libFuzzer took its own copy
         * of the pointer before this runs, so its output still shows. */
        null = fopen("/dev/null", "we");
        if (null)
                stderr = null;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
        char *s;

        if (memchr(data, '\0', size))
                return NULL;
        s = malloc(size + 1);
        if (!s)
                abort();
        if (size)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

unsigned char *fuzz_buffer(size_t size)
{
        /* malloc(0) may return NULL; one byte more would hide an overflow,
         * so ask for at least one and use SIZE of it */
        unsigned char *buf = malloc(size ? size : 1);

        if (!buf)
                abort();
        memset(buf, FUZZ_CANARY, size ? size : 1);
        return buf;
}

bool fuzz_buffer_untouched(const unsigned char *buf, size_t size)
{
        for (size_t i = 0; i < size; i++)
                if (buf[i] != FUZZ_CANARY)
                        return false;
        return true;
}

void fuzz_begin(const uint8_t *data, size_t size)
{
        current_data = data;
        current_size = size;
}

void fuzz_fail(const char *file, int line, const char *condition, const char *format, ...)
{
        va_list ap;

        dprintf(STDERR_FILENO, "\n==fuzz== property broken at %s:%d: %s\n==fuzz== ", file, line,
                condition);
        va_start(ap, format);
        vdprintf(STDERR_FILENO, format, ap);
        va_end(ap);
        dprintf(STDERR_FILENO, "\n==fuzz== input (%zu bytes):", current_size);
        for (size_t i = 0; i < current_size && i < SHOWN_INPUT_MAX; i++)
                dprintf(STDERR_FILENO, "%s%02x", i % 32 ? " " : "\n==fuzz==   ", current_data[i]);
        dprintf(STDERR_FILENO, "%s\n", current_size > SHOWN_INPUT_MAX ? " ..." : "");
        abort();
}

size_t fuzz_utf8_length(const unsigned char *s, bool udev_rules)
{
        static const struct {
                unsigned char mask, lead;       /* lead byte: (s[0] & mask) == lead */
                uint32_t min;                   /* smallest value of this length */
        } forms[] = {
                { 0xe0, 0xc0, 0x80 },
                { 0xf0, 0xe0, 0x800 },
                { 0xf8, 0xf0, 0x10000 },
        };
        uint32_t value;
        size_t len;

        if (s[0] < 0x80)
                return 1;
        for (len = 0; len < 3; len++)
                if ((s[0] & forms[len].mask) == forms[len].lead)
                        break;
        if (len == 3)
                return 0;
        value = s[0] & (unsigned char)~forms[len].mask;
        len += 2;                               /* bytes in the sequence */
        for (size_t i = 1; i < len; i++) {
                if (s[i] < 0x80 || s[i] > 0xbf) /* also stops at the NUL */
                        return 0;
                value = value << 6 | (s[i] & 0x3f);
        }
        if (value < forms[len - 2].min || value > 0x10ffff || (value >= 0xd800 && value < 0xe000))
                return 0;
        if (udev_rules && ((value >= 0xfdd0 && value <= 0xfdef) || (value & 0xfffe) == 0xfffe))
                return 0;
        return len;
}

bool fuzz_is_udev_plain(unsigned char c)
{
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               c == '#' || c == '+' || c == '-' || c == '.' || c == ':' || c == '=' || c == '@' ||
               c == '_';
}

bool fuzz_qdb_path_valid(const char *p)
{
        size_t len = strlen(p);

        if (len == 0 || len >= FUZZ_QDB_PATH_MAX || p[0] != '/')
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
                      (p[i] >= '0' && p[i] <= '9') || strchr("_/.:@-", p[i])))
                        return false;
        return true;
}
