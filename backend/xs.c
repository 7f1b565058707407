/* xs.c: the xenstore client on top of libxenstore. */
#include "xs.h"

#include <stdint.h>
#include <time.h>

#include "log.h"
#include "util.h"

struct xsc {
        struct xs_handle *handle;
};

/* Inside a transaction EAGAIN means "start again", which xsc_transact does:
 * not worth a message. */
static int xsc_fail(xs_transaction_t t, const char *what, const char *path)
{
        int r = negative_errno();

        if (r == -EAGAIN && t != XBT_NULL)
                return r;
        return log_error_errno(r, "cannot %s xenstore %s", what, path);
}

static int xsc_connect(struct xs_handle **out)
{
        errno = 0;
        *out = xs_open(0);
        if (!*out) {
                int r = negative_errno();
                const char *socket = getenv("XENSTORED_PATH");

                return log_error_errno(r, "cannot connect to xenstore (%s)",
                                       socket ? socket : "xenstored socket or /dev/xen/xenbus");
        }
        return 0;
}

int xsc_open(struct xsc **out)
{
        struct xsc *xs = calloc(1, sizeof(*xs));
        int r;

        if (!xs)
                return log_error_errno(-ENOMEM, "cannot connect to xenstore");
        r = xsc_connect(&xs->handle);
        if (r < 0) {
                free(xs);
                return r;
        }
        *out = xs;
        return 0;
}

int xsc_reconnect(struct xsc *xs)
{
        struct xs_handle *h;
        int r = xsc_connect(&h);

        if (r < 0)
                return r;
        xs_close(xs->handle);
        xs->handle = h;
        return 0;
}

void xsc_close(struct xsc *xs)
{
        xs_close(xs->handle);
        free(xs);
}

struct xs_handle *xsc_handle(struct xsc *xs)
{
        return xs->handle;
}

int xsc_read(struct xsc *xs, xs_transaction_t t, const char *path, char **value, size_t *len)
{
        unsigned int n;
        char *v;

        errno = 0;
        v = xs_read(xs->handle, t, path, &n);
        if (!v) {
                if (errno == ENOENT)
                        return -ENOENT;
                return xsc_fail(t, "read", path);
        }
        *value = v;
        if (len)
                *len = n;
        return 0;
}

int xsc_write(struct xsc *xs, xs_transaction_t t, const char *path, const char *value)
{
        errno = 0;
        if (!xs_write(xs->handle, t, path, value, (unsigned int)strlen(value)))
                return xsc_fail(t, "write", path);
        return 0;
}

int xsc_rm(struct xsc *xs, xs_transaction_t t, const char *path)
{
        errno = 0;
        if (!xs_rm(xs->handle, t, path)) {
                if (errno == ENOENT)
                        return -ENOENT;
                return xsc_fail(t, "remove", path);
        }
        return 0;
}

int xsc_list(struct xsc *xs, xs_transaction_t t, const char *path, char ***names, unsigned *count)
{
        unsigned int n;
        char **v;

        errno = 0;
        v = xs_directory(xs->handle, t, path, &n);
        if (!v) {
                if (errno == ENOENT)
                        return -ENOENT;
                return xsc_fail(t, "list", path);
        }
        *names = v;
        *count = n;
        return 0;
}

/* Back off a little, growing with the attempt, so that writers racing on the
 * same nodes spread out instead of colliding in lockstep. */
static void xsc_backoff(unsigned attempt)
{
        unsigned max_us = 200u << (attempt < 6 ? attempt : 6);
        struct timespec ts = { 0, 0 };

        ts.tv_nsec = (long)(((unsigned)rand() % max_us) + 50) * 1000L;
        nanosleep(&ts, NULL);
}

int xsc_transact(struct xsc *xs, xsc_transaction_body body, void *userdata)
{
        srand((unsigned)getpid() ^ (unsigned)time(NULL));

        for (unsigned attempt = 0; attempt < XSC_TRANSACTION_ATTEMPTS; attempt++) {
                xs_transaction_t t;
                int r;

                errno = 0;
                t = xs_transaction_start(xs->handle);
                if (t == XBT_NULL)
                        return log_error_errno(negative_errno(), "cannot start a xenstore transaction");

                r = body(xs, t, userdata);
                if (r < 0) {
                        int saved = errno;
                        xs_transaction_end(xs->handle, t, true);
                        errno = saved;
                        if (r != -EAGAIN)
                                return r;
                } else {
                        errno = 0;
                        if (xs_transaction_end(xs->handle, t, false))
                                return r;
                        if (errno != EAGAIN)
                                return log_error_errno(negative_errno(),
                                                       "cannot commit a xenstore transaction");
                }
                xsc_backoff(attempt);
        }
        return log_error(-EAGAIN, "xenstore transaction kept conflicting after %d attempts",
                         XSC_TRANSACTION_ATTEMPTS);
}
