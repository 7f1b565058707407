/* udev-props.c: udev's database through libudev, loaded when first needed. */
#include "udev-props.h"

#include <errno.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dlopen-lib.h"
#include "util.h"

/* the header's prototypes, so that the pointers match the library's */
static void *libudev;
static __typeof__(udev_new) *sym_udev_new;
static __typeof__(udev_unref) *sym_udev_unref;
static __typeof__(udev_device_new_from_devnum) *sym_udev_device_new_from_devnum;
static __typeof__(udev_device_get_property_value) *sym_udev_device_get_property_value;
static __typeof__(udev_device_unref) *sym_udev_device_unref;
static __typeof__(udev_device_new_from_syspath) *sym_udev_device_new_from_syspath;
static __typeof__(udev_device_get_properties_list_entry) *sym_udev_device_get_properties_list_entry;
static __typeof__(udev_list_entry_get_next) *sym_udev_list_entry_get_next;
static __typeof__(udev_list_entry_get_name) *sym_udev_list_entry_get_name;
static __typeof__(udev_list_entry_get_value) *sym_udev_list_entry_get_value;

struct udev_props {
        struct udev *udev;
        struct udev_device *device;     /* NULL: udev has not seen it */
};

static int load_libudev(struct reason *why)
{
        const struct dlopen_symbol symbols[] = {
                { "udev_new", (void **)&sym_udev_new },
                { "udev_unref", (void **)&sym_udev_unref },
                { "udev_device_new_from_devnum", (void **)&sym_udev_device_new_from_devnum },
                { "udev_device_get_property_value", (void **)&sym_udev_device_get_property_value },
                { "udev_device_unref", (void **)&sym_udev_device_unref },
                { "udev_device_new_from_syspath", (void **)&sym_udev_device_new_from_syspath },
                { "udev_device_get_properties_list_entry", (void **)&sym_udev_device_get_properties_list_entry },
                { "udev_list_entry_get_next", (void **)&sym_udev_list_entry_get_next },
                { "udev_list_entry_get_name", (void **)&sym_udev_list_entry_get_name },
                { "udev_list_entry_get_value", (void **)&sym_udev_list_entry_get_value },
        };

        return dlopen_library(&libudev, "libudev.so.1", symbols, ARRAY_SIZE(symbols), why);
}

/* Without libudev, and with no database of udev's either (a domain run by
 * busybox's mdev or with no device manager at all): no device has any
 * properties, as for a device udev has not seen. */
static bool udev_absent(void)
{
        return access("/run/udev/data", F_OK) < 0 && errno == ENOENT;
}

int udev_props_load_block(dev_t devno, struct udev_props **out, struct reason *why)
{
        struct reason missing = REASON_INIT;
        struct udev_props *p = calloc(1, sizeof(*p));
        int r = load_libudev(&missing);

        if (!p)
                return reason_set_errno(why, -ENOMEM, "cannot read udev's database");
        if (r < 0 && udev_absent()) {
                *out = p;               /* no udev, no properties */
                return 0;
        }
        if (r < 0) {
                free(p);
                return reason_set(why, r, "%s", missing.text);
        }
        p->udev = sym_udev_new();
        if (!p->udev) {
                free(p);
                return reason_set_errno(why, -ENOMEM, "cannot initialize libudev");
        }
        p->device = sym_udev_device_new_from_devnum(p->udev, 'b', devno);
        *out = p;
        return 0;
}

const char *udev_props_get(const struct udev_props *p, const char *key)
{
        return p->device ? sym_udev_device_get_property_value(p->device, key) : NULL;
}

void udev_props_free(struct udev_props *p)
{
        if (p->device)
                sym_udev_device_unref(p->device);
        if (p->udev)
                sym_udev_unref(p->udev);
        free(p);
}

static int env_add(char ***env, const char *key, const char *value)
{
        _cleanup_free_ char *kv = NULL;

        if (asprintf(&kv, "%s=%s", key, value ? value : "") < 0)
                return -ENOMEM;
        return strv_extend(env, kv);
}

int udev_props_env(const char *devpath, char ***out, struct reason *why)
{
        _cleanup_strv_free_ char **env = NULL;
        struct udev_list_entry *e;
        struct udev_device *device;
        struct udev *udev;
        char syspath[PATH_MAX];
        struct reason missing = REASON_INIT;
        int r = load_libudev(&missing);

        if (env_add(&env, "DEVPATH", devpath) < 0)
                return reason_set_errno(why, -ENOMEM, "cannot read udev's database");
        if (r < 0 && udev_absent()) {
                *out = TAKE_PTR(env);   /* no udev: DEVPATH alone */
                return 0;
        }
        if (r < 0) {
                return reason_set(why, r, "%s", missing.text);
        }
        if (snprintf(syspath, sizeof(syspath), "/sys%s", devpath) >= (int)sizeof(syspath))
                return reason_set(why, -ENAMETOOLONG, "DEVPATH '%s' is too long", devpath);
        udev = sym_udev_new();
        if (!udev)
                return reason_set_errno(why, -ENOMEM, "cannot initialize libudev");
        device = sym_udev_device_new_from_syspath(udev, syspath);
        for (e = device ? sym_udev_device_get_properties_list_entry(device) : NULL; e && r == 0;
             e = sym_udev_list_entry_get_next(e)) {
                const char *key = sym_udev_list_entry_get_name(e);

                /* the event's own keys stay what the caller says */
                if (!streq(key, "DEVPATH") && !streq(key, "ACTION"))
                        r = env_add(&env, key, sym_udev_list_entry_get_value(e));
        }
        if (device)
                sym_udev_device_unref(device);
        sym_udev_unref(udev);
        if (r < 0)
                return reason_set_errno(why, r, "cannot read udev's database");
        *out = TAKE_PTR(env);
        return 0;
}
