/* export.c: device entries and their trigger, written atomically. */
#include "export.h"

#include <stdio.h>

#include "log.h"
#include "util.h"

#define EXPORT_PATH_MAX 256

struct export_request {
        const char *subtree;
        const char *name;
        const struct export_value *values;
        size_t n_values;
};

static int export_path(char *buf, size_t size, const char *subtree, const char *name, const char *key)
{
        int n = key ? snprintf(buf, size, "%s/%s/%s", subtree, name, key)
                    : snprintf(buf, size, "%s/%s", subtree, name);

        if (n < 0 || (size_t)n >= size)
                return log_error(-ENAMETOOLONG, "xenstore path for %s/%s is too long", subtree, name);
        return 0;
}

/* A domU cannot create nodes in its own home (libxl makes it read-only to the
 * domain): dom0's tooling has to create the subtree writable for it. */
static int export_explain(int r, const char *subtree)
{
        if (r == -EACCES)
                log_error(r, "no permission to write %s in this domain's xenstore home: "
                          "dom0 has to create %s there, writable by this domain", subtree, subtree);
        return r;
}

static int export_write_body(struct xsc *xs, xs_transaction_t t, void *userdata)
{
        const struct export_request *req = userdata;
        char path[EXPORT_PATH_MAX];
        bool changed = false;
        int r;

        for (size_t i = 0; i < req->n_values; i++) {
                _cleanup_free_ char *current = NULL;

                r = export_path(path, sizeof(path), req->subtree, req->name, req->values[i].key);
                if (r < 0)
                        return r;
                r = xsc_read(xs, t, path, &current, NULL);
                if (r < 0 && r != -ENOENT)
                        return r;
                if (r == 0 && streq(current, req->values[i].value))
                        continue;
                r = xsc_write(xs, t, path, req->values[i].value);
                if (r < 0)
                        return r;
                changed = true;
        }
        if (!changed)
                return 0;
        r = xsc_write(xs, t, req->subtree, "");
        return r < 0 ? r : 1;
}

int export_write_entry(struct xsc *xs, const char *subtree, const char *name,
                       const struct export_value *values, size_t n_values)
{
        struct export_request req = { subtree, name, values, n_values };

        return export_explain(xsc_transact(xs, export_write_body, &req), subtree);
}

static int export_remove_body(struct xsc *xs, xs_transaction_t t, void *userdata)
{
        const struct export_request *req = userdata;
        char path[EXPORT_PATH_MAX];
        int r = export_path(path, sizeof(path), req->subtree, req->name, NULL);

        _cleanup_free_ char *value = NULL;

        if (r < 0)
                return r;
        /* xenstored answers RM of a missing node with success when its parent
         * exists, so existence is read, or every remove would fire the trigger. */
        r = xsc_read(xs, t, path, &value, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        r = xsc_rm(xs, t, path);
        if (r < 0 && r != -ENOENT)
                return r;
        r = xsc_write(xs, t, req->subtree, "");
        return r < 0 ? r : 1;
}

int export_remove_entry(struct xsc *xs, const char *subtree, const char *name)
{
        struct export_request req = { subtree, name, NULL, 0 };

        return export_explain(xsc_transact(xs, export_remove_body, &req), subtree);
}

int export_has_entry(struct xsc *xs, const char *subtree, const char *name)
{
        _cleanup_free_ char *value = NULL;
        char path[EXPORT_PATH_MAX];
        int r = export_path(path, sizeof(path), subtree, name, NULL);

        if (r < 0)
                return r;
        r = xsc_read(xs, XBT_NULL, path, &value, NULL);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? r : 1;
}
