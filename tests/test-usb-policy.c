/* test-usb-policy.c: which USB devices are offered and their entry values
 * (SPEC §1, §3), on facts given directly; the event facts from properties. */
#include <errno.h>
#include <stdio.h>

#include "check.h"
#include "udev-event.h"
#include "usb-policy.h"
#include "usbdev.h"
#include "util.h"

/* An event at DEVPATH with properties PAIRS (NULL-terminated key/value
 * pairs), as udev's environment gives it. */
static char env_buf[16][256];
static char *env_vars[17];

static struct udev_event event_of(const char *devpath, const char *const *pairs)
{
        size_t n = 0;

        for (const char *const *p = pairs; p[0] && n < 16; p += 2, n++) {
                snprintf(env_buf[n], sizeof(env_buf[n]), "%s=%s", p[0], p[1]);
                env_vars[n] = env_buf[n];
        }
        env_vars[n] = NULL;
        return (struct udev_event){ .env = env_vars, .devpath = devpath };
}

static int read_event(const char *devpath, const char *const *pairs, struct usbdev *dev)
{
        struct udev_event ev = event_of(devpath, pairs);

        return usbdev_read_event(&ev, dev, NULL);
}

/* A SanDisk stick behind a hub, as udev annotates it. */
static void stick(struct usbdev *dev)
{
        memset(dev, 0, sizeof(*dev));
        strcpy(dev->sysname, "2-1.4");
        strcpy(dev->devtype, "usb_device");
        dev->device_class = 0;
        strcpy(dev->vendor, "SanDisk");
        strcpy(dev->vendor_id, "0781");
        strcpy(dev->model_id, "5567");
        strcpy(dev->vendor_enc, "SanDisk");
        strcpy(dev->model_enc, "Cruzer\\x20Blade");
        strcpy(dev->serial, "4C530001");
        strcpy(dev->interfaces, ":080650:");
        strcpy(dev->version, " 2.00");
}

static void test_stick_entry_has_three_spaces_and_underscored_name(void)
{
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_OFFER);
        CHECK_INT_EQ(usb_policy_check_details(&dev), USB_OFFER);
        CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), 0);
        CHECK_STR_EQ(entry.name, "2-1_4");
        CHECK_STR_EQ(entry.desc, "0781:5567 SanDisk Cruzer\\x20Blade 4C530001");
        CHECK_STR_EQ(entry.usb_ver, "2");
        CHECK_STR_EQ(entry.interfaces, ":080650:");
}

static void test_empty_serial_leaves_a_trailing_space(void)
{
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        dev.serial[0] = '\0';
        CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), 0);
        CHECK_STR_EQ(entry.desc, "0781:5567 SanDisk Cruzer\\x20Blade ");
}

static void test_fields_keep_udev_escapes_and_encode_utf8_and_spaces(void)
{
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        /* udev's _ENC keeps valid UTF-8 as it is: dom0 wants it as \xNN */
        strcpy(dev.vendor_enc, "M\xc3\xbcller\\x20GmbH");
        strcpy(dev.model_enc, "Stick\\x2fX");
        strcpy(dev.serial, "A B\\");
        CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), 0);
        CHECK_STR_EQ(entry.desc, "0781:5567 M\\xc3\\xbcller\\x20GmbH Stick\\x2fX A\\x20B\\x5c");
}

static void test_usb_ver_is_the_major_of_sysfs_version(void)
{
        static const char *const cases[][2] = {
                { " 2.10", "2" }, { " 1.10", "1" }, { " 3.20", "3" }, { "3.00", "3" }, { "10.00", "10" },
        };
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                strcpy(dev.version, cases[i][0]);
                CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), 0);
                CHECK_STR_EQ(entry.usb_ver, cases[i][1]);
        }
}

static void test_malformed_version_is_refused(void)
{
        static const char *const bad[] = { "", "2", " a.00", "2.", ".10", " 2.1x", "-2.00", " 2 .00" };
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                strcpy(dev.version, bad[i]);
                CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), -EINVAL);
        }
}

static void test_interfaces_must_be_udev_triples(void)
{
        static const char *const good[] = { "", ":080650:", ":030101:030102:", ":ff0000:0e0100:" };
        static const char *const bad[] = { ":", "080650", ":080650", ":08065:", ":0806zz:",
                                           ":080650::", ":08065A:", ":080650:03010:" };
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
                strcpy(dev.interfaces, good[i]);
                CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), 0);
                CHECK_STR_EQ(entry.interfaces, good[i]);
        }
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                strcpy(dev.interfaces, bad[i]);
                CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), -EINVAL);
        }
}

static void test_ids_must_be_four_lower_case_hex_digits(void)
{
        static const char *const bad[] = { "", "781", "07811", "078g", "ABCD", "07 1" };
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                strcpy(dev.vendor_id, bad[i]);
                CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), -EINVAL);
        }
        stick(&dev);
        strcpy(dev.model_id, "55 7");
        CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), -EINVAL);
}

static void test_overlong_field_is_refused_not_cut(void)
{
        struct usbdev dev;
        struct usb_entry entry;

        stick(&dev);
        /* 300 spaces: 1200 bytes once encoded, past the field bound */
        memset(dev.vendor_enc, ' ', 300);
        dev.vendor_enc[300] = '\0';
        CHECK_INT_EQ(usb_policy_make_entry(&dev, &entry, NULL), -ENAMETOOLONG);
}

static void test_hub_is_not_offered(void)
{
        struct usbdev dev;

        stick(&dev);
        dev.device_class = 9;           /* known from TYPE=9/0/1 */
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_HIDE_HUB);
        dev.device_class = -1;          /* unknown until libusb reads bDeviceClass */
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_OFFER);
        dev.device_class = 9;
        CHECK_INT_EQ(usb_policy_check_details(&dev), USB_HIDE_HUB);
}

static void test_vhci_qemu_and_disabled_devices_are_not_offered(void)
{
        struct usbdev dev;

        stick(&dev);
        dev.under_vhci = true;
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_HIDE_VHCI);
        stick(&dev);
        dev.export_disabled = true;
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_HIDE_DISABLED);
        stick(&dev);
        strcpy(dev.vendor, "QEMU");
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_OFFER);
        CHECK_INT_EQ(usb_policy_check_details(&dev), USB_HIDE_QEMU);
}

static void test_interfaces_are_ignored_and_bad_names_hidden(void)
{
        struct usbdev dev;

        stick(&dev);
        strcpy(dev.sysname, "2-1.4:1.0");
        strcpy(dev.devtype, "usb_interface");
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_IGNORE);
        dev.devtype[0] = '\0';          /* unknown: the ':' still tells */
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_IGNORE);
        stick(&dev);
        strcpy(dev.sysname, "usb2");
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_HIDE_BAD_NAME);
}

static void test_remove_ignores_interfaces_qemu_and_disabled_only(void)
{
        struct usbdev dev;

        stick(&dev);
        CHECK(!usb_policy_ignores_remove(&dev));
        dev.device_class = 9;           /* a hub's entry, if any, goes */
        CHECK(!usb_policy_ignores_remove(&dev));
        stick(&dev);
        dev.under_vhci = true;
        CHECK(!usb_policy_ignores_remove(&dev));
        stick(&dev);
        strcpy(dev.vendor, "QEMU");
        CHECK(usb_policy_ignores_remove(&dev));
        stick(&dev);
        dev.export_disabled = true;
        CHECK(usb_policy_ignores_remove(&dev));
        stick(&dev);
        strcpy(dev.sysname, "2-1:1.0");
        CHECK(usb_policy_ignores_remove(&dev));
        stick(&dev);
        strcpy(dev.sysname, "usb2");
        CHECK(usb_policy_ignores_remove(&dev));
}

static void test_event_facts_come_from_the_properties(void)
{
        const char *props[] = {
                "DEVTYPE", "usb_device", "TYPE", "9/0/1", "ID_VENDOR", "Linux_Foundation",
                "QUBES_EXPORT_USB_DEVICE", "0", NULL,
        };
        struct usbdev dev;

        CHECK_INT_EQ(read_event("/devices/platform/vhci_hcd.0/usb3/3-1", props, &dev), 0);
        CHECK_STR_EQ(dev.sysname, "3-1");
        CHECK_STR_EQ(dev.devtype, "usb_device");
        CHECK_INT_EQ(dev.device_class, 9);
        CHECK(dev.under_vhci);
        CHECK(dev.export_disabled);
        CHECK_STR_EQ(dev.vendor, "Linux_Foundation");
}

static void test_export_flag_other_than_zero_keeps_offering(void)
{
        const char *props[] = { "DEVTYPE", "usb_device", "TYPE", "0/0/0", "QUBES_EXPORT_USB_DEVICE", "1", NULL };
        struct usbdev dev;

        CHECK_INT_EQ(read_event("/devices/pci0000:00/0000:00:14.0/usb2/2-1", props, &dev), 0);
        CHECK(!dev.export_disabled);
        CHECK(!dev.under_vhci);
        CHECK_INT_EQ(dev.device_class, 0);
}

/* DEVPATH becomes a path under /sys: only plain components below /devices
 * (checked by the event layer before any helper reads it). */
static void test_bad_devpath_is_refused(void)
{
        static const char *const bad[] = {
                "", "2-1", "devices/usb2/2-1", "/sys/devices/usb2/2-1", "/devices/../etc/2-1",
                "/devices/usb2/./2-1", "/devices/usb2//2-1", "/devices/usb2/2-1/", "/devices/usb2/..",
        };
        char huge[UDEV_DEVPATH_MAX + 16];

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                CHECK(!udev_devpath_is_valid(bad[i]));
        CHECK(udev_devpath_is_valid("/devices/pci0000:00/0000:00:14.0/usb2/2-1"));
        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        memcpy(huge, "/devices/", 9);
        CHECK(!udev_devpath_is_valid(huge));
}

static void test_malformed_type_is_refused(void)
{
        static const char *const bad[] = { "9", "x/0/0", "256/0/0", "-1/0/0", "/0/0" };
        struct usbdev dev;

        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                const char *props[] = { "DEVTYPE", "usb_device", "TYPE", bad[i], NULL };

                CHECK_INT_EQ(read_event("/devices/usb2/2-1", props, &dev), -EINVAL);
        }
}

static void test_type_of_other_devices_is_not_a_usb_class(void)
{
        const char *props[] = { "DEVTYPE", "scsi_device", "TYPE", "0", NULL };
        struct usbdev dev;

        CHECK_INT_EQ(read_event("/devices/pci0000:00/host0/target0:0:0/0:0:0:0", props, &dev), 0);
        CHECK_INT_EQ(dev.device_class, -1);
        CHECK_INT_EQ(usb_policy_check_event(&dev), USB_IGNORE);
}

int main(void)
{
        RUN(test_stick_entry_has_three_spaces_and_underscored_name);
        RUN(test_empty_serial_leaves_a_trailing_space);
        RUN(test_fields_keep_udev_escapes_and_encode_utf8_and_spaces);
        RUN(test_usb_ver_is_the_major_of_sysfs_version);
        RUN(test_malformed_version_is_refused);
        RUN(test_interfaces_must_be_udev_triples);
        RUN(test_ids_must_be_four_lower_case_hex_digits);
        RUN(test_overlong_field_is_refused_not_cut);
        RUN(test_hub_is_not_offered);
        RUN(test_vhci_qemu_and_disabled_devices_are_not_offered);
        RUN(test_interfaces_are_ignored_and_bad_names_hidden);
        RUN(test_remove_ignores_interfaces_qemu_and_disabled_only);
        RUN(test_event_facts_come_from_the_properties);
        RUN(test_export_flag_other_than_zero_keeps_offering);
        RUN(test_bad_devpath_is_refused);
        RUN(test_malformed_type_is_refused);
        RUN(test_type_of_other_devices_is_not_a_usb_class);
        return check_summary();
}
