/* udev-props.c: udev's database through libudev, loaded when first needed. */
#include "udev-props.h"

#include <libudev.h>
#include <stdlib.h>

#include "dlopen-lib.h"
#include "util.h"

/* the header's prototypes, so that the pointers match the library's */
static void *libudev;
static __typeof__(udev_new) *sym_udev_new;
static __typeof__(udev_unref) *sym_udev_unref;
static __typeof__(udev_device_new_from_devnum) *sym_udev_device_new_from_devnum;
static __typeof__(udev_device_get_property_value) *sym_udev_device_get_property_value;
static __typeof__(udev_device_unref) *sym_udev_device_unref;

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
        };

        return dlopen_library(&libudev, "libudev.so.1", symbols, ARRAY_SIZE(symbols), why);
}

int udev_props_load_block(dev_t devno, struct udev_props **out, struct reason *why)
{
        struct udev_props *p;
        int r = load_libudev(why);

        if (r < 0)
                return r;
        p = calloc(1, sizeof(*p));
        if (!p)
                return reason_set_errno(why, -ENOMEM, "cannot read udev's database");
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
        sym_udev_unref(p->udev);
        free(p);
}
