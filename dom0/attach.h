/* attach.h: attaching an offered block device to a frontend domain and
 * detaching it, with dom0's checks before libxl is asked: the device is
 * offered now and not attached, it does not go to its own backend, an `r`
 * entry is not written, the vdev is free. After libxl, the backend's
 * hotplug-status is awaited (a driver domain's `xl devd` runs qubes-block
 * after libxl has returned) and its hotplug-error reported. */
#pragma once

#include <stdbool.h>
#include <xenstore.h>

#include "domains.h"
#include "reason.h"
#include "toolstack.h"

#define ATTACH_HOTPLUG_TIMEOUT_MS 60000 /* libxl kills the script after 40 s */
#define ATTACH_FIRST_VDEV "xvdi"        /* Qubes starts there: xvda..xvdh are the VM's own */

enum attach_mode { ATTACH_DEFAULT, ATTACH_READ_ONLY, ATTACH_READ_WRITE };

struct attach_request {
        const char *frontend;           /* DOMAIN argument */
        const char *device;             /* BACKEND:DEVICE */
        enum attach_mode mode;
        const char *vdev;               /* NULL: the first free from xvdi */
};

struct attach_result {
        char vdev[8];
        bool writable;
};

/* Errors: -EINVAL malformed argument; -ENOENT unknown domain or device not
 * offered; -EPERM own backend or rw of an r entry; -EBUSY vdev in use or
 * device attached already; -EIO libxl or the hotplug script failed. */
int attach_block(struct xs_handle *h, struct toolstack *ts, const struct domain_list *domains,
                 const struct attach_request *req, struct attach_result *res,
                 struct reason *why);

/* TARGET is BACKEND:DEVICE or the vdev (xvdX) in FRONTEND. */
int detach_block(struct xs_handle *h, struct toolstack *ts, const struct domain_list *domains,
                 const char *frontend, const char *target, char vdev_out[8],
                 struct reason *why);

/* Splits "BACKEND:DEVICE" into BACKEND (a copy, DOMAIN_NAME_MAX) and DEVICE. */
int attach_split_device(const char *arg, char backend[DOMAIN_NAME_MAX + 1],
                        const char **device, struct reason *why);
