/* reason.h: why an operation did not do what was asked. Core code returns a
 * negative errno and fills a struct reason with a message naming what failed
 * on which object ("cannot open /srv/a.img: No such file or directory");
 * each program's main decides where to say it (stderr, hotplug-error, the
 * log) and how loudly. The library itself stays quiet. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Longest message, NUL included: one line of libxl's log. */
#define REASON_MAX 1024

struct reason {
        int error;                      /* negative errno (or a module's own code); 0: none */
        char text[REASON_MAX];          /* printable ASCII only, see text_escape() */
};

#define REASON_INIT { 0, "" }

/* Set WHY to ERROR and the formatted message, and return ERROR, so that a
 * function can `return reason_set(why, -EINVAL, "...")`. The first reason
 * set is the one kept: a cleanup failing after the cause does not replace
 * it. WHY may be NULL (the caller does not want to know). The _errno form
 * appends ": strerror(-ERROR)". */
int reason_set(struct reason *why, int error, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
int reason_set_errno(struct reason *why, int error, const char *format, ...)
        __attribute__((format(printf, 3, 4)));
int reason_setv(struct reason *why, int error, bool with_errno, const char *format, va_list ap)
        __attribute__((format(printf, 4, 0)));

static inline bool reason_is_set(const struct reason *why)
{
        return why && why->text[0];
}

void reason_clear(struct reason *why);

/* Untrusted text (xenstore values, udev properties, paths) made safe for a
 * terminal, a log line and hotplug-error: every byte outside printable
 * ASCII (controls, DEL, and all bytes from 0x80 on: C1 controls such as
 * 0x9b are terminal escapes too) written as \xNN. When the result would
 * not fit in SIZE bytes its middle is cut ("...") so that the start (the
 * object) and the end (the cause) both stay. Returns the length written. */
size_t text_escape(const char *in, size_t len, char *out, size_t size);

/* The same with '\' also written "\\": what is shown cannot be taken for
 * an escape (a listing of another domain's values on a terminal). */
size_t text_escape_all(const char *in, size_t len, char *out, size_t size);
