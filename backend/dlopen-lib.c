/* dlopen-lib.c: libraries loaded on first use. */
#include "dlopen-lib.h"

#include <dlfcn.h>
#include <errno.h>

int dlopen_library(void **handle, const char *soname, const struct dlopen_symbol *symbols, size_t n,
                   struct reason *why)
{
        void *h;

        if (*handle)
                return 0;
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return reason_set(why, -EOPNOTSUPP, "cannot load %s: %s", soname, dlerror());
        for (size_t i = 0; i < n; i++) {
                void *address = dlsym(h, symbols[i].name);

                if (!address) {
                        dlclose(h);
                        return reason_set(why, -EOPNOTSUPP, "%s lacks %s: %s", soname, symbols[i].name, dlerror());
                }
                *symbols[i].address = address;
        }
        *handle = h;
        return 0;
}
