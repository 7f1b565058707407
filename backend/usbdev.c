/* usbdev.c: one USB device's facts from the udev event, sysfs and libusb. */
#include "usbdev.h"

#include <fcntl.h>
#include <libusb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dlopen-lib.h"
#include "parse.h"
#include "sanitize.h"
#include "sysfs.h"
#include "util.h"

#define USBDEV_PATH_MAX   4096
/* A string descriptor holds at most 126 UTF-16 units: 378 bytes of UTF-8. */
#define USBDEV_STRING_MAX 512
/* Five hubs between a root port and the device: seven port numbers cover it. */
#define USBDEV_PORTS_MAX  8
#define USBDEV_UEVENT_MAX 4096

/* The device's sysfs directory, open, and its path for messages. */
struct usbdev_sysfs {
        int dirfd;
        char path[USBDEV_PATH_MAX];
};

static void usbdev_sysfs_closep(struct usbdev_sysfs *s)
{
        closep(&s->dirfd);
}

static int usbdev_sysfs_open(const char *devpath, struct usbdev_sysfs *s)
{
        int n = snprintf(s->path, sizeof(s->path), "/sys%s", devpath);

        if (n < 0 || (size_t)n >= sizeof(s->path))
                return -ENAMETOOLONG;   /* usbdev_read_event bounded DEVPATH already */
        s->dirfd = sysfs_open_dir(AT_FDCWD, s->path);
        return s->dirfd < 0 ? s->dirfd : 0;
}

/* Copy property KEY into BUF; "" and -ENOENT when the event lacks it. */
static int usbdev_copy_property(const struct udev_event *ev, const char *sysname, const char *key, char *buf,
                                size_t size, struct reason *why)
{
        const char *value = udev_event_get(ev, key);

        buf[0] = '\0';
        if (!value)
                return -ENOENT;
        if (str_copy(buf, size, value) < 0)
                return reason_set(why, -ENAMETOOLONG, "%s of %s is too long (%zu bytes)", key, sysname,
                                  strlen(value));
        return 0;
}

/* TYPE is the kernel's "bDeviceClass/bDeviceSubClass/bDeviceProtocol". */
static int usbdev_parse_type(const char *type, const char *sysname, int *device_class, struct reason *why)
{
        char class_text[8];
        size_t len = strcspn(type, "/");
        uint32_t value;

        if (type[len] != '/' || len >= sizeof(class_text))
                return reason_set(why, -EINVAL, "TYPE '%s' of %s is not class/subclass/protocol", type, sysname);
        memcpy(class_text, type, len);
        class_text[len] = '\0';
        if (parse_u32(class_text, 10, &value) < 0 || value > 0xff)
                return reason_set(why, -EINVAL, "TYPE '%s' of %s is not class/subclass/protocol", type, sysname);
        *device_class = (int)value;
        return 0;
}

int usbdev_read_event(const struct udev_event *ev, struct usbdev *dev, struct reason *why)
{
        _cleanup_(usbdev_sysfs_closep) struct usbdev_sysfs sysfs = { .dirfd = -1 };
        const char *export = udev_event_get(ev, "QUBES_EXPORT_USB_DEVICE");
        const char *devpath = ev->devpath;
        char type[32], uevent[USBDEV_UEVENT_MAX];
        int r;

        memset(dev, 0, sizeof(*dev));
        dev->device_class = -1;
        if (str_copy(dev->sysname, sizeof(dev->sysname), strrchr(devpath, '/') + 1) < 0)
                return reason_set(why, -EINVAL, "device name in DEVPATH '%s' is too long", devpath);
        dev->under_vhci = strstr(devpath, "/vhci_hcd") != NULL;
        dev->export_disabled = export && streq(export, "0");

        r = usbdev_copy_property(ev, dev->sysname, "ID_VENDOR", dev->vendor, sizeof(dev->vendor), why);
        if (r < 0 && r != -ENOENT)
                return r;
        r = usbdev_copy_property(ev, dev->sysname, "DEVTYPE", dev->devtype, sizeof(dev->devtype), why);
        if (r < 0 && r != -ENOENT)
                return r;
        r = usbdev_copy_property(ev, dev->sysname, "TYPE", type, sizeof(type), why);
        if (r < 0 && r != -ENOENT)
                return r;

        /* A run by hand has no properties: the kernel's are in sysfs, unless
         * the device is gone (a remove), and then they stay unknown. */
        if ((!dev->devtype[0] || !type[0]) && usbdev_sysfs_open(devpath, &sysfs) == 0 &&
            sysfs_read_attr(sysfs.dirfd, "uevent", uevent, sizeof(uevent)) >= 0) {
                /* the kernel gives USB devices and interfaces a DEVTYPE: a
                 * device without one is something else */
                if (!dev->devtype[0] &&
                    sysfs_uevent_value(uevent, "DEVTYPE", dev->devtype, sizeof(dev->devtype)) == -ENODATA)
                        strcpy(dev->devtype, "none");
                if (!type[0])
                        (void)sysfs_uevent_value(uevent, "TYPE", type, sizeof(type));
        }
        /* other devices' TYPE means something else (a SCSI device's is "0") */
        if (type[0] && (!dev->devtype[0] || streq(dev->devtype, "usb_device")))
                return usbdev_parse_type(type, dev->sysname, &dev->device_class, why);
        return 0;
}

/* libusb, loaded for a device udev has not described (a run by hand, a
 * resync): the helpers udev runs never load it. */
static void *libusb;
static __typeof__(libusb_init) *sym_libusb_init;
static __typeof__(libusb_exit) *sym_libusb_exit;
static __typeof__(libusb_get_device_list) *sym_libusb_get_device_list;
static __typeof__(libusb_free_device_list) *sym_libusb_free_device_list;
static __typeof__(libusb_get_port_numbers) *sym_libusb_get_port_numbers;
static __typeof__(libusb_get_bus_number) *sym_libusb_get_bus_number;
static __typeof__(libusb_get_device_descriptor) *sym_libusb_get_device_descriptor;
static __typeof__(libusb_get_config_descriptor) *sym_libusb_get_config_descriptor;
static __typeof__(libusb_free_config_descriptor) *sym_libusb_free_config_descriptor;
static __typeof__(libusb_strerror) *sym_libusb_strerror;

static int usbdev_load_libusb(struct reason *why)
{
        const struct dlopen_symbol symbols[] = {
                { "libusb_init", (void **)&sym_libusb_init },
                { "libusb_exit", (void **)&sym_libusb_exit },
                { "libusb_get_device_list", (void **)&sym_libusb_get_device_list },
                { "libusb_free_device_list", (void **)&sym_libusb_free_device_list },
                { "libusb_get_port_numbers", (void **)&sym_libusb_get_port_numbers },
                { "libusb_get_bus_number", (void **)&sym_libusb_get_bus_number },
                { "libusb_get_device_descriptor", (void **)&sym_libusb_get_device_descriptor },
                { "libusb_get_config_descriptor", (void **)&sym_libusb_get_config_descriptor },
                { "libusb_free_config_descriptor", (void **)&sym_libusb_free_config_descriptor },
                { "libusb_strerror", (void **)&sym_libusb_strerror },
        };

        return dlopen_library(&libusb, "libusb-1.0.so.0", symbols, ARRAY_SIZE(symbols), why);
}

/* libusb's errors as errno values, for the caller's exit status. */
static int usbdev_libusb_errno(int error)
{
        switch (error) {
        case LIBUSB_ERROR_NO_MEM:
                return -ENOMEM;
        case LIBUSB_ERROR_ACCESS:
                return -EACCES;
        case LIBUSB_ERROR_NO_DEVICE:
                return -ENODEV;
        case LIBUSB_ERROR_NOT_FOUND:
                return -ENOENT;
        default:
                return -EIO;
        }
}

static void usbdev_libusb_exitp(libusb_context **ctx)
{
        if (*ctx)
                sym_libusb_exit(*ctx);
}

static void usbdev_libusb_free_listp(libusb_device ***list)
{
        if (*list)
                sym_libusb_free_device_list(*list, 1);
}

static void usbdev_libusb_free_configp(struct libusb_config_descriptor **config)
{
        if (*config)
                sym_libusb_free_config_descriptor(*config);
}

/* Whether libusb's DEVICE is the one sysfs calls SYSNAME ("2-1.4": bus, then
 * the port on each hub from the root down). Root hubs ("usb2") never match. */
static bool usbdev_libusb_is(libusb_device *device, const char *sysname)
{
        uint8_t ports[USBDEV_PORTS_MAX];
        char name[USBDEV_SYSNAME_MAX];
        int n = sym_libusb_get_port_numbers(device, ports, (int)sizeof(ports));
        size_t len;

        if (n <= 0)
                return false;
        len = (size_t)snprintf(name, sizeof(name), "%u-%u", sym_libusb_get_bus_number(device), ports[0]);
        for (int i = 1; i < n && len < sizeof(name); i++)
                len += (size_t)snprintf(name + len, sizeof(name) - len, ".%u", ports[i]);
        return len < sizeof(name) && streq(name, sysname);
}

/* Append CONFIG's interface class triples as udev's usb_id lists them: in
 * descriptor order, each distinct ":ccsspp" once. */
static int usbdev_append_interfaces(const struct libusb_config_descriptor *config, char *out, size_t size)
{
        for (uint8_t i = 0; i < config->bNumInterfaces; i++) {
                const struct libusb_interface *interface = &config->interface[i];

                for (int a = 0; a < interface->num_altsetting; a++) {
                        const struct libusb_interface_descriptor *alt = &interface->altsetting[a];
                        size_t len = strlen(out);
                        char triple[8];

                        snprintf(triple, sizeof(triple), ":%02x%02x%02x", alt->bInterfaceClass,
                                 alt->bInterfaceSubClass, alt->bInterfaceProtocol);
                        if (strstr(out, triple))
                                continue;
                        if (len + 7 + 2 > size)         /* room for the closing ':' */
                                return -ENAMETOOLONG;
                        memcpy(out + len, triple, 8);
                }
        }
        return 0;
}

/* Vendor, product, class and interfaces from the device's descriptors. */
static int usbdev_read_descriptors(struct usbdev *dev, struct reason *why)
{
        _cleanup_(usbdev_libusb_exitp) libusb_context *ctx = NULL;
        _cleanup_(usbdev_libusb_free_listp) libusb_device **list = NULL;
        struct libusb_device_descriptor desc;
        libusb_device *device = NULL;
        ssize_t n;
        int e;

        e = usbdev_load_libusb(why);
        if (e < 0)
                return e;
        e = sym_libusb_init(&ctx);
        if (e < 0)
                return reason_set(why, usbdev_libusb_errno(e), "cannot initialize libusb: %s", sym_libusb_strerror(e));
        n = sym_libusb_get_device_list(ctx, &list);
        if (n < 0)
                return reason_set(why, usbdev_libusb_errno((int)n), "cannot list USB devices with libusb: %s",
                                 sym_libusb_strerror((int)n));
        for (ssize_t i = 0; i < n && !device; i++)
                if (usbdev_libusb_is(list[i], dev->sysname))
                        device = list[i];
        if (!device)
                return reason_set(why, -ENODEV, "libusb does not list USB device %s", dev->sysname);

        e = sym_libusb_get_device_descriptor(device, &desc);
        if (e < 0)
                return reason_set(why, usbdev_libusb_errno(e), "cannot read the device descriptor of %s: %s",
                                 dev->sysname, sym_libusb_strerror(e));
        snprintf(dev->vendor_id, sizeof(dev->vendor_id), "%04x", desc.idVendor);
        snprintf(dev->model_id, sizeof(dev->model_id), "%04x", desc.idProduct);
        dev->device_class = desc.bDeviceClass;

        dev->interfaces[0] = '\0';
        for (uint8_t c = 0; c < desc.bNumConfigurations; c++) {
                _cleanup_(usbdev_libusb_free_configp) struct libusb_config_descriptor *config = NULL;

                e = sym_libusb_get_config_descriptor(device, c, &config);
                if (e < 0)
                        return reason_set(why, usbdev_libusb_errno(e), "cannot read configuration %u of %s: %s",
                                         c, dev->sysname, sym_libusb_strerror(e));
                if (usbdev_append_interfaces(config, dev->interfaces, sizeof(dev->interfaces)) < 0)
                        return reason_set(why, -ENAMETOOLONG, "%s has too many interface classes", dev->sysname);
        }
        if (dev->interfaces[0])
                strcat(dev->interfaces, ":");
        return 0;
}

/* String attribute ATTR (the kernel's copy of a string descriptor): 1 and its
 * text, 0 when the device has none, or -errno (logged). */
static int usbdev_read_string(const struct usbdev_sysfs *s, const char *attr, char *buf, size_t size,
                              struct reason *why)
{
        int r = sysfs_read_attr(s->dirfd, attr, buf, size);

        if (r == -ENOENT) {
                buf[0] = '\0';
                return 0;
        }
        if (r < 0)
                return reason_set_errno(why, r, "cannot read %s/%s", s->path, attr);
        return 1;
}

/* udev's usb_id drops a serial it would not trust in a symlink name. */
static bool usbdev_serial_usable(const char *serial)
{
        for (const unsigned char *p = (const unsigned char *)serial; *p; p++)
                if (*p < 0x20 || *p > 0x7f || *p == ',')
                        return false;
        return true;
}

/* The strings as udev's usb_id makes ID_VENDOR(_ENC), ID_MODEL_ENC and
 * ID_SERIAL_SHORT: a missing vendor or model string falls back to the id. */
static int usbdev_read_strings(const struct usbdev_sysfs *s, struct usbdev *dev, struct reason *why)
{
        char text[USBDEV_STRING_MAX];
        int r;

        r = usbdev_read_string(s, "manufacturer", text, sizeof(text), why);
        if (r < 0)
                return r;
        if (sanitize_udev_encode(r > 0 ? text : dev->vendor_id, dev->vendor_enc, sizeof(dev->vendor_enc)) < 0 ||
            sanitize_udev_plain(r > 0 ? text : dev->vendor_id, dev->vendor, sizeof(dev->vendor)) < 0)
                return reason_set(why, -ENAMETOOLONG, "manufacturer of %s is too long", dev->sysname);

        r = usbdev_read_string(s, "product", text, sizeof(text), why);
        if (r < 0)
                return r;
        if (sanitize_udev_encode(r > 0 ? text : dev->model_id, dev->model_enc, sizeof(dev->model_enc)) < 0)
                return reason_set(why, -ENAMETOOLONG, "product of %s is too long", dev->sysname);

        r = usbdev_read_string(s, "serial", text, sizeof(text), why);
        if (r < 0)
                return r;
        dev->serial[0] = '\0';
        if (r > 0 && usbdev_serial_usable(text) &&
            sanitize_udev_plain(text, dev->serial, sizeof(dev->serial)) < 0)
                return reason_set(why, -ENAMETOOLONG, "serial of %s is too long", dev->sysname);
        return 0;
}

static int usbdev_read_properties(const struct udev_event *ev, struct usbdev *dev, struct reason *why)
{
        static const struct {
                const char *key;
                size_t offset, size;
        } fields[] = {
                { "ID_VENDOR_ID", offsetof(struct usbdev, vendor_id), sizeof(dev->vendor_id) },
                { "ID_MODEL_ID", offsetof(struct usbdev, model_id), sizeof(dev->model_id) },
                { "ID_VENDOR_ENC", offsetof(struct usbdev, vendor_enc), sizeof(dev->vendor_enc) },
                { "ID_MODEL_ENC", offsetof(struct usbdev, model_enc), sizeof(dev->model_enc) },
                { "ID_SERIAL_SHORT", offsetof(struct usbdev, serial), sizeof(dev->serial) },
                { "ID_USB_INTERFACES", offsetof(struct usbdev, interfaces), sizeof(dev->interfaces) },
        };

        for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
                int r = usbdev_copy_property(ev, dev->sysname, fields[i].key, (char *)dev + fields[i].offset,
                                             fields[i].size, why);

                /* udev leaves out an empty serial and a device without interfaces */
                if (r < 0 && r != -ENOENT)
                        return r;
        }
        return 0;
}

int usbdev_read_details(const struct udev_event *ev, struct usbdev *dev, struct reason *why)
{
        _cleanup_(usbdev_sysfs_closep) struct usbdev_sysfs sysfs = { .dirfd = -1 };
        int r = usbdev_sysfs_open(ev->devpath, &sysfs);

        if (r < 0)
                return reason_set_errno(why, r, "cannot open %s", sysfs.path);
        r = sysfs_read_attr(sysfs.dirfd, "version", dev->version, sizeof(dev->version));
        if (r < 0)
                return reason_set_errno(why, r, "cannot read %s/version", sysfs.path);

        if (udev_event_get(ev, "ID_VENDOR_ID") && udev_event_get(ev, "ID_MODEL_ID"))
                return usbdev_read_properties(ev, dev, why);

        r = usbdev_read_descriptors(dev, why);
        if (r < 0)
                return r;
        return usbdev_read_strings(&sysfs, dev, why);
}
