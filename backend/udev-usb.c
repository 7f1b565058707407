/* udev-usb.c: the udev helpers udev-usb-add-change and udev-usb-remove (one
 * program, installed under both names), keeping qubes-usb-devices/ equal to
 * the USB devices this domain may offer. udev passes the event's device
 * properties as the environment. */
#include "export.h"
#include "log.h"
#include "usb-policy.h"
#include "usbdev.h"
#include "util.h"
#include "xs.h"

static const char *udev_property(const char *key, void *userdata)
{
        return getenv(key);
}

/* ACTION is what udev ran us for; a run by hand has none. */
static int check_action(const char *expected, const char *also)
{
        const char *action = getenv("ACTION");

        if (!action || streq(action, expected) || (also && streq(action, also)))
                return 0;
        return log_error(-EINVAL, "ACTION=%s: this helper handles %s%s%s", action, expected,
                         also ? " and " : "", also ? also : "");
}

static int usb_add_change(void)
{
        const char *devpath = getenv("DEVPATH");
        _cleanup_xsc_ struct xsc *xs = NULL;
        struct usb_entry entry;
        struct usbdev dev;
        enum usb_verdict verdict;
        int r = check_action("add", "change");

        if (r < 0)
                return r;
        r = usbdev_read_event(devpath, udev_property, NULL, &dev);
        if (r < 0)
                return r;
        verdict = usb_policy_check_event(&dev);
        if (verdict == USB_OFFER) {
                r = usbdev_read_details(devpath, udev_property, NULL, &dev);
                if (r < 0)
                        return r;
                verdict = usb_policy_check_details(&dev);
        }
        if (verdict == USB_IGNORE)
                return 0;
        if (verdict == USB_HIDE_BAD_NAME) {     /* never written, so nothing to remove */
                log_info("%s not offered: %s", dev.sysname, usb_policy_reason(verdict));
                return 0;
        }
        if (verdict == USB_OFFER) {
                r = usb_policy_make_entry(&dev, &entry);
                if (r < 0)
                        return r;
        } else if (usb_policy_entry_name(&dev, entry.name, sizeof(entry.name)) < 0) {
                return 0;       /* a root hub (usb2): no name dom0 accepts, never written */
        }

        r = xsc_open(&xs);
        if (r < 0)
                return r;
        if (verdict != USB_OFFER) {
                r = export_remove_entry(xs, EXPORT_USB_SUBTREE, entry.name);
                if (r > 0)
                        log_info("%s withdrawn: %s", dev.sysname, usb_policy_reason(verdict));
                return r;
        }
        return export_write_entry(xs, EXPORT_USB_SUBTREE, entry.name,
                                  (const struct export_value[]){
                                          { "desc", entry.desc },
                                          { "usb-ver", entry.usb_ver },
                                          { "interfaces", entry.interfaces },
                                  }, 3);
}

static int usb_remove(void)
{
        const char *devpath = getenv("DEVPATH");
        _cleanup_xsc_ struct xsc *xs = NULL;
        char name[USBDEV_SYSNAME_MAX];
        struct usbdev dev;
        int r = check_action("remove", NULL);

        if (r < 0)
                return r;
        r = usbdev_read_event(devpath, udev_property, NULL, &dev);
        if (r < 0)
                return r;
        if (usb_policy_ignores_remove(&dev) || usb_policy_entry_name(&dev, name, sizeof(name)) < 0)
                return 0;
        r = xsc_open(&xs);
        if (r < 0)
                return r;
        return export_remove_entry(xs, EXPORT_USB_SUBTREE, name);
}

int main(int argc, char **argv)
{
        const char *program = argc > 0 ? argv[0] : "udev-usb-add-change";
        const char *slash = strrchr(program, '/');
        const char *name = slash ? slash + 1 : program;
        int r;

        log_init(program);
        /* udev reads the add helper's stdout as KEY=value properties (its
         * IMPORT{program}): nothing, not even a library's chatter, goes there. */
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                close(STDOUT_FILENO);
        if (argc > 1) {
                log_error(-EINVAL, "takes no arguments: udev passes the event in the environment "
                          "(ACTION, DEVPATH and the device's properties)");
                return 2;
        }
        if (streq(name, "udev-usb-remove"))
                r = usb_remove();
        else if (streq(name, "udev-usb-add-change"))
                r = usb_add_change();
        else
                r = log_error(-EINVAL, "run as %s: must be called udev-usb-add-change or udev-usb-remove",
                              name);
        return r < 0 ? 1 : 0;
}
