/* udev-usb.c: the udev helpers udev-usb-add-change and udev-usb-remove (one
 * program, installed under both names), keeping qubes-usb-devices/ equal to
 * the USB devices this domain may offer. udev passes the event's device
 * properties as the environment; the add helper runs through
 * IMPORT{program}, so nothing goes to stdout. usb-event.c does the work. */
#include "configure.h"
#include "log.h"
#include "store.h"
#include "udev-event.h"
#include "usb-event.h"
#include "util.h"

extern char **environ;

/* What udev-usb-add-change(8) says. */
static const char help[] =
        "Usage: udev-usb-add-change       (udev: IMPORT{program} on add and change)\n"
        "       udev-usb-remove           (udev: RUN+= on remove)\n"
        "       udev-usb-add-change --help | --version\n"
        "\n"
        "The USB udev helpers of 99-qubes-usb.rules: keep qubes-usb-devices/ in this\n"
        "domain's store (xenstore, or QubesDB in a Qubes qube) equal to the USB\n"
        "devices it may offer (not hubs, devices under vhci_hcd, QEMU's, or those\n"
        "with QUBES_EXPORT_USB_DEVICE=0). The event is the environment udev passes:\n"
        "ACTION, DEVPATH and the device's properties; what udev has not described\n"
        "is read through libusb-1.0. An event prints nothing on stdout (udev reads\n"
        "it as properties). Without ACTION (a run by hand) add-change judges the\n"
        "device as on change:\n"
        "  DEVPATH=/devices/pci0000:00/0000:00:14.0/usb2/2-1 \\\n"
        "      " QUBES_HELPERS_DIR "/udev-usb-add-change\n"
        "\n"
        "Settings (store = auto|xenstore|qubesdb, debug = yes): " QUBES_CONFIG_FILE "\n"
        "Debug lines also with QUBES_XEN_DEVICES_DEBUG=1.\n"
        "Exit status: 0 done or nothing to do, 1 failed (said why on stderr),\n"
        "2 an argument given.\n";

static int run(const struct udev_event *ev, struct reason *why,
               int (*handle)(struct store *, const struct udev_event *, struct reason *))
{
        _cleanup_store_ struct store *store = NULL;
        int r = store_open(ev->settings.store, &store, why);

        return r < 0 ? r : handle(store, ev, why);
}

static int add_change(const struct udev_event *ev, struct reason *why)
{
        return run(ev, why, usb_event_add_change);
}

static int remove_device(const struct udev_event *ev, struct reason *why)
{
        return run(ev, why, usb_event_remove);
}

int main(int argc, char **argv)
{
        static const struct udev_helper helpers[] = {
                { "udev-usb-add-change", UDEV_ACTION_ADD | UDEV_ACTION_CHANGE, true, add_change },
                { "udev-usb-remove", UDEV_ACTION_REMOVE, true, remove_device },
        };

        /* udev reads the add helper's stdout as KEY=value properties (its
         * IMPORT{program}): nothing, not even a library's chatter, goes there.
         * udev passes no argument; --help and --version print on stdout. */
        if (argc == 1 && dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                close(STDOUT_FILENO);
        return udev_helper_main(argc, argv, environ, helpers, ARRAY_SIZE(helpers), help);
}
