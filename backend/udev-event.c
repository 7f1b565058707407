/* udev-event.c: the event udev passes in the environment, checked once. */
#include "udev-event.h"

#include <sys/sysmacros.h>

#include "configure.h"
#include "log.h"
#include "monitor-lock.h"
#include "parse.h"
#include "settings.h"
#include "util.h"

const char *udev_env_get(char *const *env, const char *key)
{
        size_t len = strlen(key);

        for (char *const *e = env; e && *e; e++)
                if (strncmp(*e, key, len) == 0 && (*e)[len] == '=')
                        return *e + len + 1;
        return NULL;
}

const char *udev_event_get(const struct udev_event *ev, const char *key)
{
        return udev_env_get(ev->env, key);
}

int udev_parse_devno(const char *major, const char *minor, dev_t *out)
{
        uint32_t maj, min;

        if (!major || !minor || parse_u32(major, 10, &maj) < 0 || parse_u32(minor, 10, &min) < 0 ||
            maj > 0xfff || min > 0xfffff)
                return -EINVAL;
        *out = makedev(maj, min);
        return 0;
}

bool udev_devpath_is_valid(const char *devpath)
{
        if (!startswith(devpath, "/devices/") || strlen(devpath) > UDEV_DEVPATH_MAX)
                return false;
        for (const char *p = devpath; *p;) {
                size_t len;

                p++;            /* the '/' */
                len = strcspn(p, "/");
                if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += len;
        }
        return true;
}

static const char *actions_text(unsigned actions)
{
        if (actions == (UDEV_ACTION_ADD | UDEV_ACTION_CHANGE))
                return "add and change";
        return actions == UDEV_ACTION_REMOVE ? "remove" : "add, change and remove";
}

static int parse_action(const char *action, unsigned allowed, enum udev_action *out, struct reason *why)
{
        static const struct {
                const char *name;
                enum udev_action action;
        } actions[] = {
                { "add", UDEV_ACTION_ADD }, { "change", UDEV_ACTION_CHANGE }, { "remove", UDEV_ACTION_REMOVE },
        };

        *out = 0;
        if (!action)
                return 0;       /* a run by hand */
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
                if (streq(action, actions[i].name) && (allowed & actions[i].action)) {
                        *out = actions[i].action;
                        return 0;
                }
        return reason_set(why, -EINVAL, "ACTION '%s': this helper handles %s", action, actions_text(allowed));
}

static int udev_event_parse(char *const *env, const struct udev_helper *helper, struct udev_event *ev,
                            struct reason *why)
{
        const char *major, *minor;
        int r;

        *ev = (struct udev_event){ .env = env };
        r = parse_action(udev_event_get(ev, "ACTION"), helper->actions, &ev->action, why);
        if (r < 0)
                return r;
        ev->devpath = udev_event_get(ev, "DEVPATH");
        if (ev->devpath && !*ev->devpath)
                ev->devpath = NULL;
        if (!ev->devpath && helper->needs_devpath)
                return reason_set(why, -EINVAL, "DEVPATH is not set (run by udev, or set DEVPATH=/devices/...)");
        if (ev->devpath && strlen(ev->devpath) > UDEV_DEVPATH_MAX)
                return reason_set(why, -EINVAL, "DEVPATH is too long (%zu bytes)", strlen(ev->devpath));
        if (ev->devpath && !udev_devpath_is_valid(ev->devpath))
                return reason_set(why, -EINVAL, "DEVPATH '%s' is not a sysfs device path (/devices/... of "
                                  "plain components)", ev->devpath);
        ev->devname = udev_event_get(ev, "DEVNAME");
        major = udev_event_get(ev, "MAJOR");
        minor = udev_event_get(ev, "MINOR");
        if (!major && !minor)
                return 0;
        if (udev_parse_devno(major, minor, &ev->devno) < 0)
                return reason_set(why, -EINVAL, "MAJOR '%s' / MINOR '%s' are not device numbers",
                                  major ? major : "", minor ? minor : "");
        ev->has_devno = true;
        return 0;
}

static void load_settings(struct config *config)
{
        struct reason why = REASON_INIT;

        if (config_load(QUBES_CONFIG_FILE, config, &why) < 0)
                log_reason(LOG_LEVEL_WARNING, &why);
        if (config->debug)
                log_set_debug(true);
}

int udev_helper_main(int argc, char **argv, char *const *env, const struct udev_helper *helpers, size_t n,
                     const char *help)
{
        const char *program = argc > 0 ? argv[0] : "";
        const char *name = strrchr(program, '/') ? strrchr(program, '/') + 1 : program;
        const struct udev_helper *helper = NULL;
        struct reason why = REASON_INIT;
        struct udev_event ev;
        int r;

        log_init(program);
        if (argc == 2 && streq(argv[1], "--help")) {
                fputs(help, stdout);
                return 0;
        }
        if (argc == 2 && streq(argv[1], "--version")) {
                printf("%s %s\n", name, PACKAGE_VERSION);
                return 0;
        }
        if (argc > 1) {
                log_error(-EINVAL, "takes no arguments but --help or --version: udev passes the event in "
                          "the environment (ACTION, DEVPATH and the device's properties)");
                return 2;
        }
        for (size_t i = 0; i < n && !helper; i++)
                if (streq(name, helpers[i].name))
                        helper = &helpers[i];
        if (!helper) {
                log_error(-EINVAL, "run as %s: must be called %s or %s", name, helpers[0].name,
                          n > 1 ? helpers[1].name : helpers[0].name);
                return 1;
        }
        r = udev_event_parse(env, helper, &ev, &why);
        load_settings(&ev.settings);
        /* the monitor gets the same event from udev's netlink */
        if (r == 0 && monitor_lock_held()) {
                log_debug("the monitor handles this event");
                return 0;
        }
        if (r == 0)
                r = helper->run(&ev, &why);
        if (r < 0 && !reason_is_set(&why))
                reason_set_errno(&why, r, "%s failed", name);
        if (reason_is_set(&why))
                log_reason(r < 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, &why);
        return r < 0 ? 1 : 0;
}
