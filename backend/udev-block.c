/* udev-block.c: the udev helpers udev-block-add-change and udev-block-remove
 * (one program, installed under both names), keeping qubes-block-devices/
 * equal to the block devices this domain may offer. udev-event.c reads the
 * event, block-event.c does the work, the store writes. */
#include "block-event.h"
#include "log.h"
#include "store.h"
#include "udev-event.h"
#include "util.h"

extern char **environ;

static void say(const struct reason *note, void *userdata)
{
        log_reason(LOG_LEVEL_INFO, note);
}

static int add_change(const struct udev_event *ev, struct reason *why)
{
        _cleanup_blockdev_ struct blockdev *bd = NULL;
        _cleanup_store_ struct store *store = NULL;
        struct block_event be;
        int r;

        if (!ev->has_devno)
                return reason_set(why, -EINVAL, "MAJOR '' / MINOR '' are not device numbers: udev sets both");
        r = blockdev_open_event(ev, &bd, why);
        if (r < 0)
                return r;
        r = store_open(ev->settings.store, &store, why);
        if (r < 0)
                return r;
        block_event_init(&be, store, say, NULL);
        r = block_event_add_change(&be, bd, why);
        block_event_done(&be);
        return r;
}

static int remove_device(const struct udev_event *ev, struct reason *why)
{
        _cleanup_store_ struct store *store = NULL;
        struct block_event be;
        int r;

        if (!ev->devname || !startswith(ev->devname, "/dev/"))
                return reason_set(why, -EINVAL, "DEVNAME '%s' is not a device node", ev->devname ? ev->devname : "");
        r = store_open(ev->settings.store, &store, why);
        if (r < 0)
                return r;
        block_event_init(&be, store, say, NULL);
        r = block_event_remove(&be, ev->devname, why);
        block_event_done(&be);
        return r;
}

int main(int argc, char **argv)
{
        static const struct udev_helper helpers[] = {
                { "udev-block-add-change", UDEV_ACTION_ADD | UDEV_ACTION_CHANGE, true, add_change },
                { "udev-block-remove", UDEV_ACTION_REMOVE, false, remove_device },
        };

        return udev_helper_main(argc, argv, environ, helpers, ARRAY_SIZE(helpers));
}
