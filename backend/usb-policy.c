/* usb-policy.c: which USB devices are offered, and their entry values. */
#include "usb-policy.h"

#include <stdint.h>
#include <stdio.h>

#include "parse.h"
#include "sanitize.h"
#include "util.h"

#define USB_CLASS_HUB 9

static bool is_lower_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

enum usb_verdict usb_policy_check_event(const struct usbdev *dev)
{
        char name[USBDEV_SYSNAME_MAX];

        /* An unknown DEVTYPE (a run by hand on a vanished device) is left to
         * the name: an interface's has a ':', which no valid name has. */
        if (dev->devtype[0] && !streq(dev->devtype, "usb_device"))
                return USB_IGNORE;
        if (strchr(dev->sysname, ':'))
                return USB_IGNORE;
        if (dev->device_class == USB_CLASS_HUB)
                return USB_HIDE_HUB;
        /* usbip's virtual host controller: the device is already forwarded */
        if (dev->under_vhci)
                return USB_HIDE_VHCI;
        if (dev->export_disabled)
                return USB_HIDE_DISABLED;
        if (usb_policy_entry_name(dev, name, sizeof(name)) < 0)
                return USB_HIDE_BAD_NAME;
        return USB_OFFER;
}

enum usb_verdict usb_policy_check_details(const struct usbdev *dev)
{
        if (dev->device_class == USB_CLASS_HUB)
                return USB_HIDE_HUB;
        /* QEMU's emulated tablet and keyboard: the domain's own input devices */
        if (streq(dev->vendor, "QEMU"))
                return USB_HIDE_QEMU;
        return USB_OFFER;
}

const char *usb_policy_reason(enum usb_verdict verdict)
{
        switch (verdict) {
        case USB_OFFER:
                return "offered";
        case USB_IGNORE:
                return "not a USB device";
        case USB_HIDE_HUB:
                return "a hub";
        case USB_HIDE_VHCI:
                return "under vhci_hcd (forwarded by usbip)";
        case USB_HIDE_QEMU:
                return "emulated by QEMU";
        case USB_HIDE_DISABLED:
                return "QUBES_EXPORT_USB_DEVICE=0";
        case USB_HIDE_BAD_NAME:
                return "a name dom0 rejects";
        }
        return "unknown";
}

bool usb_policy_ignores_remove(const struct usbdev *dev)
{
        char name[USBDEV_SYSNAME_MAX];

        if (usb_policy_check_event(dev) == USB_IGNORE)
                return true;
        if (usb_policy_entry_name(dev, name, sizeof(name)) < 0)
                return true;
        return streq(dev->vendor, "QEMU") || dev->export_disabled;
}

int usb_policy_entry_name(const struct usbdev *dev, char *out, size_t size)
{
        return sanitize_usb_name(dev->sysname, out, size);
}

static bool usb_policy_id_valid(const char *id)
{
        return strlen(id) == 4 && is_lower_hex(id[0]) && is_lower_hex(id[1]) &&
               is_lower_hex(id[2]) && is_lower_hex(id[3]);
}

/* udev's ID_USB_INTERFACES: "" or ":ccsspp:" triples of lower-case hex. */
static bool usb_policy_interfaces_valid(const char *interfaces)
{
        size_t len = strlen(interfaces);

        if (len == 0)
                return true;
        if (len < 8 || (len - 1) % 7 != 0)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (i % 7 == 0 ? interfaces[i] != ':' : !is_lower_hex(interfaces[i]))
                        return false;
        }
        return true;
}

/* sysfs `version` is the kernel's "%2x.%02x" of bcdUSB: " 2.10" gives 2. */
static int usb_policy_version_major(const char *version, unsigned *major)
{
        const char *p = version;
        char digits[4];
        size_t len;
        uint32_t value, minor;

        while (*p == ' ')
                p++;
        len = strcspn(p, ".");
        if (p[len] != '.' || len == 0 || len >= sizeof(digits))
                return -EINVAL;
        memcpy(digits, p, len);
        digits[len] = '\0';
        if (parse_u32(digits, 10, &value) < 0 || parse_u32(p + len + 1, 16, &minor) < 0)
                return -EINVAL;
        *major = value;
        return 0;
}

/* One desc field in the form dom0 decodes: no space, no raw non-ASCII. */
static int usb_policy_field(const char *value, const char *what, const char *sysname, char *out, size_t size,
                            struct reason *why)
{
        if (sanitize_usb_field(value, out, size) < 0)
                return reason_set(why, -ENAMETOOLONG, "%s of %s is too long to publish", what, sysname);
        return 0;
}

int usb_policy_make_entry(const struct usbdev *dev, struct usb_entry *entry, struct reason *why)
{
        char vendor[USBDEV_FIELD_MAX], model[USBDEV_FIELD_MAX], serial[USBDEV_FIELD_MAX];
        unsigned major;
        int r;

        if (usb_policy_entry_name(dev, entry->name, sizeof(entry->name)) < 0)
                return reason_set(why, -EINVAL, "%s is not a USB device name dom0 accepts", dev->sysname);
        if (!usb_policy_id_valid(dev->vendor_id) || !usb_policy_id_valid(dev->model_id))
                return reason_set(why, -EINVAL, "%s: vendor/product id '%s:%s' is not two 4-digit hex numbers",
                                 dev->sysname, dev->vendor_id, dev->model_id);
        if (!usb_policy_interfaces_valid(dev->interfaces))
                return reason_set(why, -EINVAL, "%s: interfaces '%s' are not :ccsspp: triples",
                                 dev->sysname, dev->interfaces);
        if (usb_policy_version_major(dev->version, &major) < 0)
                return reason_set(why, -EINVAL, "%s: USB version '%s' is not MAJOR.MINOR",
                                 dev->sysname, dev->version);

        r = usb_policy_field(dev->vendor_enc, "vendor", dev->sysname, vendor, sizeof(vendor), why);
        if (r < 0)
                return r;
        r = usb_policy_field(dev->model_enc, "model", dev->sysname, model, sizeof(model), why);
        if (r < 0)
                return r;
        r = usb_policy_field(dev->serial, "serial", dev->sysname, serial, sizeof(serial), why);
        if (r < 0)
                return r;

        /* exactly three spaces: dom0 splits desc into these five parts */
        snprintf(entry->desc, sizeof(entry->desc), "%s:%s %s %s %s",
                 dev->vendor_id, dev->model_id, vendor, model, serial);
        snprintf(entry->usb_ver, sizeof(entry->usb_ver), "%u", major);
        return str_copy(entry->interfaces, sizeof(entry->interfaces), dev->interfaces);
}
