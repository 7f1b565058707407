/* usbdev.h: facts about one USB device, for its qubes-usb-devices entry:
 * what the udev event says (udev passes the device's properties as the
 * environment), its sysfs attributes, and, when udev has not annotated it
 * (run by hand, a resync), the same facts read from its descriptors through
 * libusb-1.0, which on Linux takes them from sysfs without opening the
 * device. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"
#include "udev-event.h"

#define USBDEV_SYSNAME_MAX    64
/* One text field (vendor, model, serial), encoded: udev's own buffers hold
 * 256 bytes; a raw string descriptor encoded by us may grow to 4 bytes per
 * byte. Three of them and the rest of desc stay far below xenstore's 4096. */
#define USBDEV_FIELD_MAX      1024
/* ":ccsspp" per distinct interface class triple, udev's own bound. */
#define USBDEV_INTERFACES_MAX 512

struct usbdev {
        /* From the event itself (for DEVTYPE and TYPE, else the sysfs uevent). */
        char sysname[USBDEV_SYSNAME_MAX];       /* "2-1.4", "2-1:1.0", "usb2" */
        char devtype[32];                       /* DEVTYPE, "" when unknown */
        int device_class;                       /* bDeviceClass, -1 when unknown */
        bool under_vhci;                        /* DEVPATH runs through vhci_hcd */
        bool export_disabled;                   /* QUBES_EXPORT_USB_DEVICE=0 */
        char vendor[USBDEV_FIELD_MAX];          /* ID_VENDOR (plain form), "" when unknown */

        /* Details, for add and change, in udev's forms: its ID_* properties,
         * or made from libusb and sysfs exactly as udev's usb_id makes them. */
        char vendor_id[8];                      /* ID_VENDOR_ID: "0781" */
        char model_id[8];                       /* ID_MODEL_ID */
        char vendor_enc[USBDEV_FIELD_MAX];      /* ID_VENDOR_ENC: "SanDisk\x20Corp." */
        char model_enc[USBDEV_FIELD_MAX];       /* ID_MODEL_ENC */
        char serial[USBDEV_FIELD_MAX];          /* ID_SERIAL_SHORT, "" when none */
        char interfaces[USBDEV_INTERFACES_MAX]; /* ID_USB_INTERFACES: ":080650:" */
        char version[16];                       /* sysfs version: " 2.10" */
};

/* Fill the event facts of the device at EV's DEVPATH (checked by the event
 * layer). Reads sysfs only for what the properties lack, and tolerates its
 * absence (on remove the directory is gone). -errno with WHY. */
int usbdev_read_event(const struct udev_event *ev, struct usbdev *dev, struct reason *why);

/* Fill the details of DEV, from the properties when udev annotated the
 * device (ID_VENDOR_ID and ID_MODEL_ID are set), else from libusb (loaded
 * then) and sysfs. Also corrects device_class and vendor from the same
 * source. -errno with WHY, naming the device and what could not be read. */
int usbdev_read_details(const struct udev_event *ev, struct usbdev *dev, struct reason *why);
