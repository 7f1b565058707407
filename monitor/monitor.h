/* monitor.h: the resident device monitor of a backend domain. It keeps
 * qubes-block-devices and qubes-usb-devices true where single udev events
 * cannot:
 *
 * - udev's events are handled in process (storms coalesced per device),
 *   from udev's netlink when udevd runs, else from the kernel's;
 * - a mount or swap change, which makes no uevent, is seen by polling
 *   /proc/self/mountinfo and /proc/swaps (POLLPRI), and the devices whose
 *   use changed are judged again;
 * - an attach or detach of one of this domain's vbds (a watch on its
 *   backend/vbd in xenstore) has the device, its disk and its siblings
 *   judged again once blkback's list shows it;
 * - both subtrees are resynchronized at start, on SIGHUP, after events were
 *   lost, and whenever the store comes back.
 *
 * While it runs it holds the monitor lock (monitor-lock.h): the rules'
 * helpers then leave the events to it. */
#pragma once

#include <stdbool.h>

#include "reason.h"
#include "store.h"

struct monitor_options {
        enum store_choice store;
        int debounce_ms;                /* quiet before an event is handled at once (coalesce.h) */
        int max_delay_ms;               /* the longest an event of a storm waits */
};

#define MONITOR_OPTIONS_DEFAULT { .store = STORE_AUTO, .debounce_ms = 10, .max_delay_ms = 100 }

/* Run until SIGTERM or SIGINT: 0, or -errno with WHY when it cannot start. */
int monitor_run(const struct monitor_options *options, struct reason *why);

/* One resync of both subtrees, waiting up to WAIT_S seconds for the store
 * to be reachable (at boot it may come up after us). */
int monitor_resync_once(enum store_choice store, int wait_s, struct reason *why);
