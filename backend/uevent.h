/* uevent.h: device events from the kernel's uevent netlink, read without
 * libudev: the kernel's own (a domain without udevd) or udevd's, sent after
 * its rules with every property. What comes in is bounded and checked: a
 * message from anyone but the kernel or root, truncated, or malformed, is
 * skipped; property values (a USB device's strings among them) stay
 * untrusted for the policies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "reason.h"

enum uevent_source {
        UEVENT_KERNEL = 1,      /* the netlink group the kernel sends to */
        UEVENT_UDEV = 2,        /* the one udevd sends to, after its rules */
};

/* udevd sends at most this much (its own receive buffer); the kernel 2 KiB. */
#define UEVENT_MESSAGE_MAX 8192
#define UEVENT_PROPERTIES_MAX 256

struct uevent {
        char buf[UEVENT_MESSAGE_MAX + 1];
        char *env[UEVENT_PROPERTIES_MAX + 1];   /* "KEY=VALUE" in BUF, NULL-terminated */
        size_t n_env;
        const char *action;
        const char *devpath;                    /* checked: udev_devpath_is_valid */
        const char *subsystem;
        const char *devtype;                    /* NULL when unset */
        char devname[64];                       /* "/dev/loop0" ("" when none) */
        bool has_devno;
        dev_t devno;
};

/* A socket for SOURCE's events, non-blocking, asking for a receive buffer
 * of RCVBUF bytes (root may go past the system's limit). */
int uevent_open(enum uevent_source source, int rcvbuf, int *fd, struct reason *why);

/* The next event: 1 with *EV filled, 0 when none is waiting, -ENOBUFS when
 * the kernel dropped events (the socket overflowed), or -errno. Messages
 * that are not events of SOURCE, or not from the kernel or root, are
 * skipped. */
int uevent_receive(int fd, enum uevent_source source, struct uevent *ev);

/* Parse the LEN bytes of EV->buf, a message of SOURCE, into EV: 0, or
 * -EBADMSG when it is no well-formed event. */
int uevent_parse(struct uevent *ev, size_t len, enum uevent_source source);

/* Property KEY of EV, NULL when unset. */
const char *uevent_get(const struct uevent *ev, const char *key);
