/* reason.h: a failure's explanation, carried in the result so that the
 * program's main decides how to show it (the library prints nothing). */
#pragma once

#include <stdarg.h>
#include <stdio.h>

#define REASON_MAX 1024

struct reason {
        char text[REASON_MAX];
};

/* Formats the reason into R (when R is not NULL) and returns ERR, so that a
 * caller can `return reason_set(why, -ENOENT, "...", ...)`. */
__attribute__((format(printf, 3, 4)))
static inline int reason_set(struct reason *r, int err, const char *fmt, ...)
{
        va_list ap;

        if (r) {
                va_start(ap, fmt);
                vsnprintf(r->text, sizeof(r->text), fmt, ap);
                va_end(ap);
        }
        return err;
}
