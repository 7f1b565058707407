/* settings.h: the admin's settings, from QUBES_CONFIG_FILE
 * (/etc/qubes/xen-devices.conf by default): `key = value` lines, `#`
 * comments. A missing file means every default.
 *
 *   store = auto | xenstore | qubesdb   where the udev helpers publish
 *                                       (auto: QubesDB when its socket exists)
 *   debug = no | yes                    debug lines on stderr / in the log
 */
#pragma once

#include <stdbool.h>

#include "reason.h"
#include "store.h"

struct config {
        enum store_choice store;
        bool debug;
};

#define CONFIG_DEFAULTS { .store = STORE_AUTO, .debug = false }


/* Read PATH into *OUT (defaults for what it does not set). -errno with WHY
 * for a file that cannot be read or a line that is not understood: *OUT
 * then holds the defaults and every valid line before the bad one. */
int config_load(const char *path, struct config *out, struct reason *why);

/* QUBES_RUNTIME_DIR (/run/qubes), made when missing: the monitor's lock,
 * QubesDB's subtree locks and the dm slave cache live there. */
int runtime_dir_ensure(struct reason *why);
