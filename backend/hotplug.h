/* hotplug.h: the Xen block hotplug protocol (shared/SPEC.md §4): what
 * `qubes-block add` and `qubes-block remove` do to one vbd backend. */
#pragma once

#include "xs.h"

/* A backend directory as libxl names it: backend/vbd/FRONTEND/DEVID, relative
 * to this domain's home, or the same under /local/domain/N/. */
struct hotplug_vbd {
        char path[128];         /* as given */
        char vbd_root[96];      /* PATH without /FRONTEND/DEVID: backend/vbd */
        unsigned frontend_domid;
        unsigned devid;
};

enum access_mode {
        ACCESS_READ,
        ACCESS_WRITE,
        ACCESS_WRITE_UNSHARED_CHECK_SKIPPED,    /* "w!": Xen's "trust me" */
};

/* The vbd's `mode` node: r, w or w!; NULL (missing) means r. -EINVAL (logged)
 * for anything else. */
int hotplug_parse_mode(const char *mode, enum access_mode *out);

/* The vbd's `params` node: non-empty, absolute, no control characters,
 * bounded, and a well-formed /dev/mapper/NAME. -errno (logged) otherwise. */
int hotplug_check_params(const char *params);

/* Validate XENBUS_PATH. -EINVAL (logged) when it is not a vbd backend path. */
int hotplug_parse_vbd(const char *xenbus_path, struct hotplug_vbd *out);

/* Result of hotplug_add beyond 0 / -errno: the device is held elsewhere. */
#define HOTPLUG_BUSY 1

/* Attach: 0 on success (also when physical-device was already written),
 * HOTPLUG_BUSY when the sharing rule refuses, -errno on failure. Every error
 * has been logged; hotplug_report_failure() records it for libxl. */
int hotplug_add(struct xsc *xs, const struct hotplug_vbd *vbd);

/* Detach: 0 when done or nothing to do, -errno on failure (logged). */
int hotplug_remove(struct xsc *xs, const struct hotplug_vbd *vbd);

/* Write hotplug-error = MESSAGE and hotplug-status = STATUS ("error" or
 * "busy") for the toolstack. */
int hotplug_report_failure(struct xsc *xs, const struct hotplug_vbd *vbd,
                           const char *status, const char *message);
