/* inventory.c: one domain's offered devices and its vbd backends. */
#include "inventory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "store.h"
#include "text.h"

#define SHOWN_NAME_MAX 40       /* of a hostile entry name in a warning */

void warnings_done(struct warnings *w)
{
        for (size_t i = 0; i < w->n; i++)
                free(w->v[i]);
        free(w->v);
        w->v = NULL;
        w->n = 0;
}

int warnings_add(struct warnings *w, const char *fmt, ...)
{
        char **v = realloc(w->v, (w->n + 1) * sizeof(*v));
        va_list ap;
        int r;

        if (!v)
                return -ENOMEM;
        w->v = v;
        va_start(ap, fmt);
        r = vasprintf(&v[w->n], fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        w->n++;
        return 0;
}

static void warnings_move(struct warnings *to, struct warnings *from)
{
        for (size_t i = 0; i < from->n; i++) {
                char **v = realloc(to->v, (to->n + 1) * sizeof(*v));

                if (!v)
                        break;          /* out of memory: the rest is dropped */
                to->v = v;
                to->v[to->n++] = TAKE_PTR(from->v[i]);
        }
        warnings_done(from);
}

void domain_devices_done(struct domain_devices *dd)
{
        free(dd->block);
        free(dd->usb);
        free(dd->vbds);
        dd->block = NULL, dd->usb = NULL, dd->vbds = NULL;
        dd->n_block = dd->n_usb = dd->n_vbds = 0;
}

/* What one transaction attempt reads; reset when it is retried. */
struct reading {
        const struct domain *domain;
        unsigned what;
        char label[DOMAIN_NAME_MAX + 32];
        struct domain_devices dd;
        struct warnings warnings;
};

static void reading_reset(struct reading *rd)
{
        domain_devices_done(&rd->dd);
        warnings_done(&rd->warnings);
        rd->dd.domain = *rd->domain;
}

static int name_compare(const void *a, const void *b)
{
        return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names under SUBTREE of the domain, sorted, at most
 * INVENTORY_ENTRIES_MAX (one warning for the rest). -ENOENT: none. */
static int list_entries(struct xs_handle *h, xs_transaction_t t, struct reading *rd,
                        const char *subtree, struct store_list *out)
{
        char path[96];
        int r;

        r = store_domain_path(rd->domain->domid, subtree, path, sizeof(path));
        if (r < 0)
                return r;
        r = store_list(h, t, path, out);
        if (r < 0)
                return r;
        if (out->n > INVENTORY_ENTRIES_MAX) {
                warnings_add(&rd->warnings, "domain %s: %u entries in %s, only the first %d read",
                             rd->label, out->n, subtree + 1, INVENTORY_ENTRIES_MAX);
                out->n = INVENTORY_ENTRIES_MAX;
        }
        qsort(out->names, out->n, sizeof(char *), name_compare);
        return 0;
}

/* Reads KEYS[0..N) of entry NAME under SUBTREE into VALUES (NULL data when
 * missing); the caller frees each data. */
static int read_keys(struct xs_handle *h, xs_transaction_t t, uint32_t domid,
                     const char *subtree, const char *name, const char *const *keys,
                     size_t n, struct raw_value *values)
{
        memset(values, 0, n * sizeof(*values));        /* every slot freeable, whatever fails */
        for (size_t i = 0; i < n; i++) {
                char path[160];
                char *data;
                size_t len;
                int r;

                r = snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "%s/%s/%s",
                             domid, subtree, name, keys[i]);
                if (r < 0 || (size_t)r >= sizeof(path))
                        return -ENAMETOOLONG;
                r = store_read(h, t, path, &data, &len);
                if (r == -ENOENT)
                        continue;
                if (r < 0)
                        return r;
                values[i] = (struct raw_value) { .data = data, .len = len };
        }
        return 0;
}

static void free_values(struct raw_value *values, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free((char *)values[i].data);
}

static void warn_entry(struct reading *rd, const char *kind, const char *name, const char *why)
{
        char shown[TEXT_ESCAPED_SIZE(SHOWN_NAME_MAX)];

        text_show(name, strlen(name), shown, sizeof(shown));
        warnings_add(&rd->warnings, "domain %s: %s entry '%s' skipped: %s",
                     rd->label, kind, shown, why);
}

static int read_block_entries(struct xs_handle *h, xs_transaction_t t, struct reading *rd)
{
        static const char subtree[] = "/qubes-block-devices";
        struct store_list names = { 0 };
        int r;

        r = list_entries(h, t, rd, subtree, &names);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        rd->dd.block = calloc(names.n ? names.n : 1, sizeof(*rd->dd.block));
        if (!rd->dd.block) {
                store_list_done(&names);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < names.n; i++) {
                const char *name = names.names[i];
                struct raw_value values[BLOCK_KEY_COUNT];
                struct reason why = REASON_INIT;

                /* a bad name is skipped before any of its values is read */
                if (!entry_block_name_valid(name, strlen(name))) {
                        warn_entry(rd, "block", name, "the name is not [a-z0-9-]{1,12}");
                        continue;
                }
                r = read_keys(h, t, rd->domain->domid, subtree, name, block_key_names,
                              BLOCK_KEY_COUNT, values);
                if (r >= 0 && entry_read_block(name, strlen(name), values,
                                               &rd->dd.block[rd->dd.n_block].entry, &why) < 0)
                        warn_entry(rd, "block", name, why.text);
                else if (r >= 0)
                        rd->dd.n_block++;
                free_values(values, BLOCK_KEY_COUNT);
                if (r < 0)
                        break;
        }
        store_list_done(&names);
        return r < 0 ? r : 0;
}

static int read_usb_entries(struct xs_handle *h, xs_transaction_t t, struct reading *rd)
{
        static const char subtree[] = "/qubes-usb-devices";
        struct store_list names = { 0 };
        int r;

        r = list_entries(h, t, rd, subtree, &names);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        rd->dd.usb = calloc(names.n ? names.n : 1, sizeof(*rd->dd.usb));
        if (!rd->dd.usb) {
                store_list_done(&names);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < names.n; i++) {
                const char *name = names.names[i];
                struct raw_value values[USB_KEY_COUNT];
                struct reason why = REASON_INIT;

                if (!entry_usb_name_valid(name, strlen(name))) {
                        warn_entry(rd, "USB", name, "the name is not ^[0-9]+-[0-9]+(_[0-9]+)*$");
                        continue;
                }
                r = read_keys(h, t, rd->domain->domid, subtree, name, usb_key_names,
                              USB_KEY_COUNT, values);
                if (r >= 0 && entry_read_usb(name, strlen(name), values,
                                             &rd->dd.usb[rd->dd.n_usb], &why) < 0)
                        warn_entry(rd, "USB", name, why.text);
                else if (r >= 0)
                        rd->dd.n_usb++;
                free_values(values, USB_KEY_COUNT);
                if (r < 0)
                        break;
        }
        store_list_done(&names);
        return r < 0 ? r : 0;
}

/* One backend/vbd/F/DEVID directory. The backend domain can write there, so
 * every value is checked: a vbd that is not understood is simply left out. */
static int read_vbd(struct xs_handle *h, xs_transaction_t t, struct reading *rd,
                    uint32_t frontend, const char *devid_name)
{
        static const char *const keys[] = { "params", "dev", "mode" };
        struct raw_value v[ARRAY_SIZE(keys)];
        char subtree[64];
        struct vbd *vbd;
        uint32_t devid;
        unsigned disk;
        int r;

        if (parse_u32(devid_name, 10, &devid) < 0)
                return 0;
        snprintf(subtree, sizeof(subtree), "/backend/vbd/%" PRIu32, frontend);
        r = read_keys(h, t, rd->domain->domid, subtree, devid_name, keys, ARRAY_SIZE(keys), v);
        if (r < 0)
                goto out;
        vbd = &rd->dd.vbds[rd->dd.n_vbds];
        *vbd = (struct vbd) { .frontend = frontend, .devid = devid };
        if (v[0].data && v[0].len < sizeof(vbd->params) && strlen(v[0].data) == v[0].len)
                text_show(v[0].data, v[0].len, vbd->params, sizeof(vbd->params));
        if (v[1].data && vdev_parse(v[1].data, &disk) == 0 && vdev_devid(disk) == devid)
                vdev_format(disk, vbd->vdev, sizeof(vbd->vdev));
        vbd->read_only = !(v[2].data && v[2].data[0] == 'w');
        rd->dd.n_vbds++;
out:
        free_values(v, ARRAY_SIZE(keys));
        return r;
}

static int read_vbds(struct xs_handle *h, xs_transaction_t t, struct reading *rd)
{
        struct store_list frontends = { 0 };
        char path[96];
        size_t n;
        int r;

        store_domain_path(rd->domain->domid, "/backend/vbd", path, sizeof(path));
        r = store_list(h, t, path, &frontends);
        if (r < 0)
                return r == -ENOENT ? 0 : r;
        for (unsigned i = 0; i < frontends.n && i < INVENTORY_FRONTENDS_MAX && r >= 0; i++) {
                struct store_list devids = { 0 };
                uint32_t frontend;
                char fpath[128];
                struct vbd *v;

                if (parse_u32(frontends.names[i], 10, &frontend) < 0)
                        continue;
                snprintf(fpath, sizeof(fpath), "%s/%" PRIu32, path, frontend);
                r = store_list(h, t, fpath, &devids);
                if (r < 0) {
                        r = r == -ENOENT ? 0 : r;
                        continue;
                }
                n = devids.n < INVENTORY_VBDS_MAX ? devids.n : INVENTORY_VBDS_MAX;     /* read at most */
                v = realloc(rd->dd.vbds, (rd->dd.n_vbds + n + 1) * sizeof(*v));
                if (!v)
                        r = -ENOMEM;
                else
                        rd->dd.vbds = v;
                for (unsigned j = 0; r >= 0 && j < n; j++)
                        r = read_vbd(h, t, rd, frontend, devids.names[j]);
                store_list_done(&devids);
        }
        store_list_done(&frontends);
        return r;
}

static void match_attachments(struct domain_devices *dd)
{
        for (size_t i = 0; i < dd->n_block; i++) {
                char device[ENTRY_PARENT_MAX];

                dd->block[i].attached = NULL;
                if (entry_block_device_path(dd->block[i].entry.name, device, sizeof(device)) < 0)
                        continue;
                for (size_t j = 0; j < dd->n_vbds; j++)
                        if (streq(dd->vbds[j].params, device)) {
                                dd->block[i].attached = &dd->vbds[j];
                                break;
                        }
        }
}

static int read_domain(struct xs_handle *h, xs_transaction_t t, void *userdata)
{
        struct reading *rd = userdata;
        int r = 0;

        reading_reset(rd);
        if (rd->what & INVENTORY_BLOCK) {
                r = read_block_entries(h, t, rd);
                if (r >= 0)
                        r = read_vbds(h, t, rd);
        }
        if (r >= 0 && (rd->what & INVENTORY_USB))
                r = read_usb_entries(h, t, rd);
        return r;
}

int inventory_read(struct xs_handle *h, const struct domain *d, unsigned what,
                   struct domain_devices *out, struct warnings *warnings)
{
        struct reading rd = { .domain = d, .what = what };
        int r;

        domain_label(d, rd.label, sizeof(rd.label));
        r = store_transact(h, read_domain, &rd);
        if (r < 0) {
                reading_reset(&rd);
                return r;
        }
        match_attachments(&rd.dd);
        warnings_move(warnings, &rd.warnings);
        *out = rd.dd;
        return 0;
}

const struct block_device *inventory_find_block(const struct domain_devices *dd,
                                                const char *name)
{
        for (size_t i = 0; i < dd->n_block; i++)
                if (streq(dd->block[i].entry.name, name))
                        return &dd->block[i];
        return NULL;
}
