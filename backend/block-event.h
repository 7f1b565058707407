/* block-event.h: one udev block event: the policy context it loads once,
 * the entries it writes or withdraws, the relatives it re-evaluates in
 * process (a partition's disk, a dm device's slaves; upstream re-runs
 * itself through udevadm for each) and the dm slave cache that a remove
 * event needs, kept in the runtime dir. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "block-policy.h"
#include "blockdev.h"
#include "xs.h"

struct udev;

struct block_event {
        struct udev *udev;
        struct xsc *xs;
        struct block_policy_context policy;
        bool vbds_loaded;               /* policy.vbds read (mounts: when not NULL) */
};

/* libudev; xenstore is connected to by the first change. -errno (logged). */
int block_event_open(struct block_event *ev);
void block_event_done(struct block_event *ev);

/* add/change of BD: a dm device's slave cache renewed and the slaves it let
 * go of re-evaluated, then BD with its disk and slaves. */
int block_event_add_change(struct block_event *ev, const struct blockdev *bd);

/* remove of the device named NAME (its qubes-block-devices key), DEVNO from
 * the event (0 if unknown): the entry withdrawn, unless the device is still
 * present and attached (a synthetic remove must not make dom0 detach it);
 * a dm device's cached slaves re-evaluated and the cache dropped. */
int block_event_remove(struct block_event *ev, const char *name, dev_t devno);
