/* inventory.h: what one domain offers (its block and USB entries, read with
 * the entry reader) and where its block devices are attached (its
 * backend/vbd/F/DEVID nodes), read in one transaction so that an entry being
 * rewritten is never seen half-done. Malformed entries are skipped and
 * each gives one warning; the caller shows them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "domains.h"
#include "entry.h"
#include "vdev.h"

#define INVENTORY_ENTRIES_MAX   1024    /* per domain and kind; more are not read */
#define INVENTORY_FRONTENDS_MAX 1024
#define INVENTORY_VBDS_MAX      256     /* per frontend */

struct vbd {
        uint32_t frontend;
        uint32_t devid;
        char vdev[VDEV_NAME_MAX + 1];   /* empty when `dev` is missing or not xvdX */
        bool read_only;                 /* mode r */
        char params[64];                /* empty when missing, too long or not printable */
};

struct block_device {
        struct block_entry entry;
        const struct vbd *attached;     /* the first vbd whose params is /dev/NAME */
};

struct domain_devices {
        struct domain domain;
        struct block_device *block;
        size_t n_block;
        struct usb_entry *usb;
        size_t n_usb;
        struct vbd *vbds;
        size_t n_vbds;
};

struct warnings {
        char **v;
        size_t n;
};

void warnings_done(struct warnings *w);
__attribute__((format(printf, 2, 3)))
int warnings_add(struct warnings *w, const char *fmt, ...);

enum inventory_what {
        INVENTORY_BLOCK = 1,    /* block entries and the vbds they are attached by */
        INVENTORY_USB = 2,
};

/* Reads domain D. A domain that is gone gives no devices and no warning. */
int inventory_read(struct xs_handle *h, const struct domain *d, unsigned what,
                   struct domain_devices *out, struct warnings *warnings);
void domain_devices_done(struct domain_devices *dd);

const struct block_device *inventory_find_block(const struct domain_devices *dd,
                                                const char *name);
