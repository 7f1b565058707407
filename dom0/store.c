/* store.c: libxenstore with errno results and EAGAIN retries. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

int store_open(struct xs_handle **out)
{
        struct xs_handle *h = xs_open(0);

        if (!h)
                return negative_errno();
        *out = h;
        return 0;
}

int store_read(struct xs_handle *h, xs_transaction_t t, const char *path,
               char **value, size_t *len)
{
        unsigned int n;
        char *v = xs_read(h, t, path, &n);

        if (!v)
                return negative_errno();
        *value = v;
        *len = n;
        return 0;
}

int store_list(struct xs_handle *h, xs_transaction_t t, const char *path,
               struct store_list *out)
{
        unsigned int n;
        char **names = xs_directory(h, t, path, &n);

        if (!names)
                return negative_errno();
        out->names = names;
        out->n = n;
        return 0;
}

int store_transact(struct xs_handle *h,
                   int (*fn)(struct xs_handle *h, xs_transaction_t t, void *userdata),
                   void *userdata)
{
        for (unsigned attempt = 0; attempt < STORE_TX_ATTEMPTS; attempt++) {
                xs_transaction_t t = xs_transaction_start(h);
                int r;

                if (t == XBT_NULL)
                        return negative_errno();
                r = fn(h, t, userdata);
                if (r < 0) {
                        int saved = errno;

                        xs_transaction_end(h, t, true);
                        errno = saved;
                        return r;
                }
                if (xs_transaction_end(h, t, false))
                        return 0;
                if (errno != EAGAIN)
                        return negative_errno();
        }
        return -EAGAIN;
}

int store_domain_path(uint32_t domid, const char *suffix, char *out, size_t size)
{
        int n = snprintf(out, size, "/local/domain/%" PRIu32 "%s", domid, suffix);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
