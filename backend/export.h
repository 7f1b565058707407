/* export.h: publishing device entries for dom0 (shared/SPEC.md §0): an entry
 * SUBTREE/NAME/{key...} and the trigger, an empty write to SUBTREE, in one
 * transaction. The only module that knows the entries live in xenstore. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "xs.h"

#define EXPORT_BLOCK_SUBTREE "qubes-block-devices"
#define EXPORT_USB_SUBTREE   "qubes-usb-devices"

struct export_value {
        const char *key;
        const char *value;
};

/* Make SUBTREE/NAME hold VALUES (other keys of the entry are left alone).
 * Writes, and fires the trigger, only when a value differs from what is
 * there. Returns 1 when something was written, 0 when all was already equal,
 * or -errno (logged; for EACCES with the reason a domU gets it). */
int export_write_entry(struct xsc *xs, const char *subtree, const char *name,
                       const struct export_value *values, size_t n_values);

/* Remove SUBTREE/NAME and fire the trigger. Returns 1 when removed, 0 when
 * there was no such entry (no trigger), or -errno (logged). */
int export_remove_entry(struct xsc *xs, const char *subtree, const char *name);

/* Whether SUBTREE/NAME exists: 1, 0, or -errno (logged). */
int export_has_entry(struct xsc *xs, const char *subtree, const char *name);
