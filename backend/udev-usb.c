/* udev-usb.c: the udev helpers udev-usb-add-change and udev-usb-remove (one
 * program, installed under both names), keeping qubes-usb-devices/ equal to
 * the USB devices this domain may offer. udev passes the event's device
 * properties as the environment; the add helper runs through
 * IMPORT{program}, so nothing goes to stdout. usb-event.c does the work. */
#include "log.h"
#include "store.h"
#include "udev-event.h"
#include "usb-event.h"
#include "util.h"

extern char **environ;

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
         * IMPORT{program}): nothing, not even a library's chatter, goes there. */
        if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
                close(STDOUT_FILENO);
        return udev_helper_main(argc, argv, environ, helpers, ARRAY_SIZE(helpers));
}
