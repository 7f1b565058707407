/* udev-block.c: the udev helpers udev-block-add-change and udev-block-remove
 * (one program, installed under both names), keeping qubes-block-devices/
 * equal to the block devices this domain may offer. udev-event.c reads the
 * event, block-event.c does the work, the store writes. */
#include "block-event.h"
#include "configure.h"
#include "log.h"
#include "store.h"
#include "udev-event.h"
#include "util.h"

extern char **environ;

/* What udev-block-add-change(8) says. */
static const char help[] =
        "Usage: udev-block-add-change     (udev: RUN+= on add and change)\n"
        "       udev-block-remove         (udev: RUN+= on remove)\n"
        "       udev-block-add-change --help | --version\n"
        "\n"
        "The block udev helpers of 99-qubes-block.rules: keep qubes-block-devices/\n"
        "in this domain's store (xenstore, or QubesDB in a Qubes qube) equal to the\n"
        "block devices it may offer, the device's disk, partitions and dm slaves\n"
        "judged again with it. The event is the environment udev passes: ACTION,\n"
        "DEVPATH, DEVNAME, MAJOR, MINOR and the device's properties. Without ACTION\n"
        "(a run by hand) add-change judges the device as on change:\n"
        "  DEVPATH=/devices/virtual/block/loop0 DEVNAME=/dev/loop0 MAJOR=7 MINOR=0 \\\n"
        "      " QUBES_HELPERS_DIR "/udev-block-add-change\n"
        "\n"
        "Settings (store = auto|xenstore|qubesdb, debug = yes): " QUBES_CONFIG_FILE "\n"
        "Debug lines also with QUBES_XEN_DEVICES_DEBUG=1.\n"
        "Exit status: 0 done or nothing to do, 1 failed (said why on stderr),\n"
        "2 an argument given.\n";

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

        return udev_helper_main(argc, argv, environ, helpers, ARRAY_SIZE(helpers), help);
}
