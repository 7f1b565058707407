/* usb-event.h: one USB device event and what it changes in the store:
 * the device judged (usb-policy.h on usbdev.h's facts) and its entry
 * written or withdrawn. Used by the udev helpers, the resident monitor and
 * the resync. */
#pragma once

#include <stddef.h>

#include "reason.h"
#include "store.h"
#include "udev-event.h"

/* add/change of EV's device: offered (entry written, the trigger when it
 * changed) or withdrawn. A note (WHY with error 0) says why it was not
 * offered. */
int usb_event_add_change(struct store *store, const struct udev_event *ev, struct reason *why);

/* remove of EV's device: its entry withdrawn, unless the rules would have
 * left it alone (an interface, QEMU's devices, QUBES_EXPORT_USB_DEVICE=0). */
int usb_event_remove(struct store *store, const struct udev_event *ev, struct reason *why);

/* Make qubes-usb-devices equal to the USB devices that may be offered now
 * (judged with the properties udev keeps for them): one update writing what
 * is missing or changed and dropping entries of devices that are gone.
 * WRITTEN and STALE (when not NULL) count what it did. */
int usb_event_resync(struct store *store, size_t *written, size_t *stale, struct reason *why);
