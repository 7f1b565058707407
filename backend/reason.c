/* reason.c: messages for results, escaped and bounded. */
#include "reason.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

#define CUT_MARK "..."

static bool byte_is_plain(unsigned char c, bool all)
{
        return c >= 0x20 && c < 0x7f && !(all && c == '\\');
}

static size_t escaped_width(unsigned char c, bool all)
{
        return byte_is_plain(c, all) ? 1 : c == '\\' ? 2 : 4;
}

static size_t escape_into(const unsigned char *in, size_t len, bool all, char *out)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                if (byte_is_plain(in[i], all)) {
                        out[o++] = (char)in[i];
                        continue;
                }
                out[o++] = '\\';
                if (in[i] == '\\') {
                        out[o++] = '\\';
                        continue;
                }
                out[o++] = 'x';
                out[o++] = hex[in[i] >> 4];
                out[o++] = hex[in[i] & 0xf];
        }
        return o;
}

static size_t escape_cut(const char *text, size_t len, bool all, char *out, size_t size)
{
        const unsigned char *in = (const unsigned char *)text;
        size_t width = 0, head = 0, tail = 0, head_width = 0, tail_width = 0, room, o;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < len; i++)
                width += escaped_width(in[i], all);
        if (width < size) {
                o = escape_into(in, len, all, out);
                out[o] = '\0';
                return o;
        }
        if (size < sizeof(CUT_MARK) + 2) {
                out[0] = '\0';
                return 0;
        }
        /* whole input bytes on either side of the cut, never half an escape */
        room = size - 1 - strlen(CUT_MARK);
        while (head < len && head_width + escaped_width(in[head], all) <= room / 2)
                head_width += escaped_width(in[head++], all);
        while (tail < len - head && tail_width + escaped_width(in[len - 1 - tail], all) <= room - head_width)
                tail_width += escaped_width(in[len - 1 - tail++], all);
        o = escape_into(in, head, all, out);
        memcpy(out + o, CUT_MARK, strlen(CUT_MARK));
        o += strlen(CUT_MARK);
        o += escape_into(in + len - tail, tail, all, out + o);
        out[o] = '\0';
        return o;
}

size_t text_escape(const char *text, size_t len, char *out, size_t size)
{
        return escape_cut(text, len, false, out, size);
}

size_t text_escape_all(const char *text, size_t len, char *out, size_t size)
{
        return escape_cut(text, len, true, out, size);
}

int reason_setv(struct reason *why, int error, bool with_errno, const char *format, va_list ap)
{
        _cleanup_free_ char *raw = NULL;
        int n;

        if (!why || why->text[0])
                return error;
        why->error = error;
        n = vasprintf(&raw, format, ap);
        if (n < 0) {
                raw = NULL;
                snprintf(why->text, sizeof(why->text), "(no memory for the message)%s%s",
                         with_errno ? ": " : "", with_errno ? strerror(-error) : "");
                return error;
        }
        if (with_errno) {
                char *full = NULL;

                if (asprintf(&full, "%s: %s", raw, strerror(-error)) < 0)
                        full = NULL;
                if (full) {
                        free(raw);
                        raw = full;
                }
        }
        text_escape(raw, strlen(raw), why->text, sizeof(why->text));
        return error;
}

int reason_set(struct reason *why, int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        reason_setv(why, error, false, format, ap);
        va_end(ap);
        return error;
}

int reason_set_errno(struct reason *why, int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        reason_setv(why, error, true, format, ap);
        va_end(ap);
        return error;
}

void reason_clear(struct reason *why)
{
        if (why)
                *why = (struct reason) REASON_INIT;
}
