/* udev-block.c: the udev helpers udev-block-add-change and udev-block-remove
 * (one program, installed under both names), keeping qubes-block-devices/
 * equal to the block devices this domain may offer. The event is read from
 * udev's environment; block-event.c does the work. */
#include <sys/sysmacros.h>

#include "block-event.h"
#include "log.h"
#include "parse.h"
#include "sanitize.h"
#include "util.h"

extern char **environ;

static int add_change_main(void)
{
        _cleanup_blockdev_ struct blockdev *bd = NULL;
        struct block_event ev;
        const char *action = getenv("ACTION");
        int r;

        if (!action || (!streq(action, "add") && !streq(action, "change")))
                return log_error(-EINVAL, "ACTION '%s' is neither add nor change", action ? action : "");
        r = block_event_open(&ev);
        if (r == 0)
                r = blockdev_new_from_environment(ev.udev, environ, &bd);
        if (r == 0)
                r = block_event_add_change(&ev, bd);
        blockdev_free(TAKE_PTR(bd));
        block_event_done(&ev);
        return r;
}

/* MAJOR and MINOR of the event, 0 when udev gave none (a run by hand). */
static int event_devno(dev_t *out)
{
        const char *major_value = getenv("MAJOR"), *minor_value = getenv("MINOR");
        uint32_t maj, min;

        *out = 0;
        if (!major_value && !minor_value)
                return 0;
        if (!major_value || !minor_value || parse_u32(major_value, 10, &maj) < 0 ||
            parse_u32(minor_value, 10, &min) < 0 || maj > 0xfff || min > 0xfffff)
                return log_error(-EINVAL, "MAJOR '%s' and MINOR '%s' are no device number",
                                 major_value ? major_value : "", minor_value ? minor_value : "");
        *out = makedev(maj, min);
        return 0;
}

static int remove_main(void)
{
        struct block_event ev;
        const char *devname = getenv("DEVNAME"), *action = getenv("ACTION");
        char name[BLOCK_ENTRY_NAME_MAX];
        dev_t devno;
        int r;

        if (action && !streq(action, "remove"))
                return log_error(-EINVAL, "ACTION '%s': this helper handles remove", action);
        if (!devname || !startswith(devname, "/dev/"))
                return log_error(-EINVAL, "DEVNAME '%s' is not a device node", devname ? devname : "");
        r = event_devno(&devno);
        if (r < 0)
                return r;
        if (sanitize_block_name(devname, name, sizeof(name)) < 0)
                return 0;       /* never written, never cached */
        r = block_event_open(&ev);
        if (r == 0)
                r = block_event_remove(&ev, name, devno);
        block_event_done(&ev);
        return r;
}

int main(int argc, char *argv[])
{
        const char *program = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
        int r;

        log_init(argv[0]);
        if (argc > 1) {
                log_error(-EINVAL, "takes no arguments: udev passes the event in the environment");
                return 2;
        }
        if (streq(program, "udev-block-add-change"))
                r = add_change_main();
        else if (streq(program, "udev-block-remove"))
                r = remove_main();
        else
                r = log_error(-EINVAL, "run as udev-block-add-change or udev-block-remove");
        return r < 0 ? 1 : 0;
}
