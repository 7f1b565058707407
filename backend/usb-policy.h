/* usb-policy.h: "may this USB device be offered to dom0?" (shared/SPEC.md §3)
 * and the values of its qubes-usb-devices entry (§1). Pure functions on the
 * facts usbdev gathered. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"
#include "usbdev.h"

enum usb_verdict {
        USB_OFFER,              /* write (or update) the entry */
        USB_IGNORE,             /* not a USB device (an interface): nothing to do */
        USB_HIDE_HUB,           /* the rest: not offered, entry removed if present */
        USB_HIDE_VHCI,
        USB_HIDE_QEMU,
        USB_HIDE_DISABLED,
        USB_HIDE_BAD_NAME,
};

/* What the event alone decides: interfaces, hubs known from TYPE, devices
 * under vhci_hcd, QUBES_EXPORT_USB_DEVICE=0, names dom0 rejects. USB_OFFER
 * means "read the details and ask usb_policy_check_details". */
enum usb_verdict usb_policy_check_event(const struct usbdev *dev);

/* The rest, once the details are known: hubs and QEMU's emulated devices. */
enum usb_verdict usb_policy_check_details(const struct usbdev *dev);

/* Why a device is not offered, for the message. */
const char *usb_policy_reason(enum usb_verdict verdict);

/* Whether a remove event leaves qubes-usb-devices alone: interfaces (':' is
 * no key character), names dom0 rejects (never written), and, as the rules
 * do, QEMU's devices and QUBES_EXPORT_USB_DEVICE=0. */
bool usb_policy_ignores_remove(const struct usbdev *dev);

/* The entry name: sysfs name with '.' -> '_' ("2-1.4" -> "2-1_4"), or
 * -EINVAL when dom0 would reject it. */
int usb_policy_entry_name(const struct usbdev *dev, char *out, size_t size);

/* two ids, ':', three spaces and three encoded fields */
#define USB_ENTRY_DESC_MAX (2 * 8 + 4 + 3 * USBDEV_FIELD_MAX)

struct usb_entry {
        char name[USBDEV_SYSNAME_MAX];
        char desc[USB_ENTRY_DESC_MAX];          /* "VID:PID VENDOR MODEL SERIAL" */
        char usb_ver[4];                        /* "2" */
        char interfaces[USBDEV_INTERFACES_MAX]; /* ":080650:" */
};

/* The entry of an offered device. -EINVAL with WHY (naming the device and
 * the value) when a fact is malformed: ids that are not 4 lower-case hex
 * digits, a version without a decimal major, interfaces not ":ccsspp:"
 * triples; -ENAMETOOLONG when an encoded field does not fit. */
int usb_policy_make_entry(const struct usbdev *dev, struct usb_entry *entry, struct reason *why);
