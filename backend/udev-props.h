/* udev-props.h: the properties udev keeps for a device it has seen (its
 * database), for the devices an event re-evaluates besides its own (a
 * partition's disk, a dm device's slaves), whose properties the event does
 * not carry. Read through libudev, loaded on first use. */
#pragma once

#include <sys/types.h>

#include "reason.h"

struct udev_props;

/* Block device DEVNO's properties. A device udev has not seen has none
 * (every lookup gives NULL). -errno with WHY when libudev cannot be used. */
int udev_props_load_block(dev_t devno, struct udev_props **out, struct reason *why);
const char *udev_props_get(const struct udev_props *p, const char *key);

/* What a udev event of the device at DEVPATH ("/devices/...") would carry:
 * its properties from udev's database as KEY=value strings (a strv), with
 * DEVPATH first; DEVPATH alone when udev has not seen the device (then the
 * helpers read sysfs, and libusb, as for a run by hand). */
int udev_props_env(const char *devpath, char ***env, struct reason *why);
void udev_props_free(struct udev_props *p);
