/* udev-event.h: one udev event as the block and USB helpers get it: the
 * environment udev runs them with (ACTION, DEVPATH, DEVNAME, MAJOR, MINOR
 * and the device's properties), checked once, and the program-name
 * dispatch of the helpers' mains (one program, installed under two names). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "reason.h"
#include "settings.h"

/* DEVPATH becomes a path under /sys: at most this long. */
#define UDEV_DEVPATH_MAX 4000

enum udev_action {
        UDEV_ACTION_ADD = 1 << 0,
        UDEV_ACTION_CHANGE = 1 << 1,
        UDEV_ACTION_REMOVE = 1 << 2,
};

struct udev_event {
        char *const *env;
        enum udev_action action;        /* 0 for a run by hand without ACTION */
        const char *devpath;            /* checked: /devices/..., plain components */
        const char *devname;            /* "/dev/sda1", NULL when unset */
        bool has_devno;
        dev_t devno;                    /* from MAJOR and MINOR, when both are set */
        struct config settings;         /* the admin's, from QUBES_CONFIG_FILE */
};

/* Property KEY of ENV ("KEY=VALUE" strings, NULL-terminated), of a udev
 * event in the environment or from the netlink (uevent.h); NULL when unset. */
const char *udev_env_get(char *const *env, const char *key);
const char *udev_event_get(const struct udev_event *ev, const char *key);

/* The one parser of MAJOR and MINOR: decimal, 12 and 20 bits. */
int udev_parse_devno(const char *major, const char *minor, dev_t *out);

/* Whether DEVPATH names a place under /sys/devices and nothing else
 * ("/devices/../../etc" does not): no empty, . or .. component, bounded. */
bool udev_devpath_is_valid(const char *devpath);

/* A helper of a family: its name (what argv[0] ends in), the actions it
 * handles, whether it needs DEVPATH, and what it does. RUN returns 0 or
 * -errno with WHY; a note (WHY set with error 0) is said as information. */
struct udev_helper {
        const char *name;
        unsigned actions;               /* enum udev_action bits */
        bool needs_devpath;
        int (*run)(const struct udev_event *ev, struct reason *why);
};

/* The mains of the helper programs: ARGV[0] picks the helper, the event is
 * read from ENV and checked, the helper run, its reason printed. --help
 * prints HELP (the family's, as its man page says it) and --version the
 * project's version on stdout; udev itself passes no argument. Returns the
 * exit status: 0, 1 (failed, said why), 2 (misused). */
int udev_helper_main(int argc, char **argv, char *const *env, const struct udev_helper *helpers, size_t n,
                     const char *help);
