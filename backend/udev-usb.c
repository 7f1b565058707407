/* udev-usb.c: the udev helpers udev-usb-add-change and udev-usb-remove (one
 * program, installed under both names), keeping qubes-usb-devices/ equal to
 * the USB devices this domain may offer. udev passes the event's device
 * properties as the environment; the add helper runs through
 * IMPORT{program}, so nothing goes to stdout. */
#include "log.h"
#include "store.h"
#include "udev-event.h"
#include "usb-policy.h"
#include "usbdev.h"
#include "util.h"

extern char **environ;

static int withdraw(const struct udev_event *ev, const char *name, const char *sysname, const char *because,
                    struct reason *why)
{
        _cleanup_store_ struct store *store = NULL;
        int r = store_open(ev->settings.store, &store, why);

        if (r < 0)
                return r;
        r = store_drop_entry(store, STORE_USB_SUBTREE, name, why);
        if (r > 0 && because)
                reason_set(why, 0, "%s withdrawn: %s", sysname, because);
        return r < 0 ? r : 0;
}

static int offer(const struct udev_event *ev, const struct usb_entry *entry, struct reason *why)
{
        _cleanup_store_ struct store *store = NULL;
        const struct store_value values[] = {
                { "desc", entry->desc }, { "usb-ver", entry->usb_ver }, { "interfaces", entry->interfaces },
        };
        int r = store_open(ev->settings.store, &store, why);

        if (r < 0)
                return r;
        r = store_put_entry(store, STORE_USB_SUBTREE, entry->name, values, ARRAY_SIZE(values), why);
        return r < 0 ? r : 0;
}

static int add_change(const struct udev_event *ev, struct reason *why)
{
        struct usb_entry entry;
        struct usbdev dev;
        enum usb_verdict verdict;
        int r;

        r = usbdev_read_event(ev, &dev, why);
        if (r < 0)
                return r;
        verdict = usb_policy_check_event(&dev);
        if (verdict == USB_OFFER) {
                r = usbdev_read_details(ev, &dev, why);
                if (r < 0)
                        return r;
                verdict = usb_policy_check_details(&dev);
        }
        if (verdict == USB_IGNORE)
                return 0;
        if (verdict == USB_HIDE_BAD_NAME)       /* never written, so nothing to remove */
                return reason_set(why, 0, "%s not offered: %s", dev.sysname, usb_policy_reason(verdict));
        if (verdict != USB_OFFER) {
                /* a root hub (usb2) has no name dom0 accepts: never written */
                if (usb_policy_entry_name(&dev, entry.name, sizeof(entry.name)) < 0)
                        return 0;
                return withdraw(ev, entry.name, dev.sysname, usb_policy_reason(verdict), why);
        }
        r = usb_policy_make_entry(&dev, &entry, why);
        if (r < 0)
                return r;
        return offer(ev, &entry, why);
}

static int remove_device(const struct udev_event *ev, struct reason *why)
{
        char name[USBDEV_SYSNAME_MAX];
        struct usbdev dev;
        int r = usbdev_read_event(ev, &dev, why);

        if (r < 0)
                return r;
        if (usb_policy_ignores_remove(&dev) || usb_policy_entry_name(&dev, name, sizeof(name)) < 0)
                return 0;
        return withdraw(ev, name, dev.sysname, NULL, why);
}

int main(int argc, char **argv)
{
        static const struct udev_helper helpers[] = {
                { "udev-usb-add-change", UDEV_ACTION_ADD | UDEV_ACTION_CHANGE, true, add_change },
                { "udev-usb-remove", UDEV_ACTION_REMOVE, true, remove_device },
        };

        /* udev reads the add helper's stdout as KEY=value properties (its
         * IMPORT{program}): nothing, not even a library's chatter, goes there. */
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                close(STDOUT_FILENO);
        return udev_helper_main(argc, argv, environ, helpers, ARRAY_SIZE(helpers));
}
