/* prepare.c: both subtrees in a domain's home, writable by the domain. */
#include "prepare.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "store.h"

const char *const prepare_subtrees[2] = { "/qubes-block-devices", "/qubes-usb-devices" };

static int prepare_in_transaction(struct xs_handle *h, xs_transaction_t t, void *userdata)
{
        const uint32_t domid = *(const uint32_t *)userdata;
        struct xs_permissions owner = { .id = domid, .perms = XS_PERM_NONE };
        _cleanup_free_ char *home_value = NULL;
        char home[64], path[96];
        size_t len;
        int r;

        /* Reading the home makes the commit fail if the domain is released
         * meanwhile; without it, mkdir would recreate a dead domain's home. */
        store_domain_path(domid, "", home, sizeof(home));
        r = store_read(h, t, home, &home_value, &len);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(prepare_subtrees); i++) {
                store_domain_path(domid, prepare_subtrees[i], path, sizeof(path));
                if (!xs_mkdir(h, t, path))
                        return negative_errno();
                if (!xs_set_permissions(h, t, path, &owner, 1))
                        return negative_errno();
        }
        return 0;
}

int prepare_domain(struct xs_handle *h, uint32_t domid, struct reason *why)
{
        int r = store_transact(h, prepare_in_transaction, &domid);

        if (r == -ENOENT)
                return reason_set(why, r, "/local/domain/%" PRIu32 " does not exist", domid);
        if (r < 0)
                return reason_set(why, r, "cannot create the subtrees in /local/domain/%" PRIu32
                                  ": %s", domid, strerror(-r));
        return 0;
}
