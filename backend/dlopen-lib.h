/* dlopen-lib.h: a library loaded on first use, as systemd loads its
 * optional ones: the helpers that never need it never pay for it (the
 * dynamic loader's relocations are most of a short-lived helper's time). */
#pragma once

#include <stddef.h>

#include "reason.h"

struct dlopen_symbol {
        const char *name;
        void **address;         /* where the function pointer goes */
};

/* Load SONAME once and resolve SYMBOLS into their addresses; *HANDLE keeps
 * it loaded (a second call with *HANDLE set does nothing). -EOPNOTSUPP
 * with WHY naming the library or symbol when it is missing. */
int dlopen_library(void **handle, const char *soname, const struct dlopen_symbol *symbols, size_t n,
                   struct reason *why);
