/* hotplug.h: what `qubes-block add` and `qubes-block remove` do to one vbd
 * backend (SPEC §4): the target opened and checked (target.h), a loop
 * device made for a file (loop.h), Xen's sharing rule (sharing.h) applied to
 * this domain's uses and to the other domains' vbds, and the nodes written
 * or removed in one transaction. A run killed at any point leaves nothing
 * the next add or remove of the vbd does not recognise. */
#pragma once

#include "reason.h"
#include "sharing.h"
#include "vbd.h"
#include "xs.h"

/* Result beyond 0 / -errno: the sharing rule refuses (hotplug-status "busy"). */
#define HOTPLUG_BUSY SHARING_BUSY

/* Attach. 0 also when an earlier add set the vbd up and its device is still
 * the one it made; HOTPLUG_BUSY or -errno with WHY. */
int hotplug_add(struct xsc *xs, const struct vbd *vbd, struct reason *why);

/* Detach: physical-device and diskseq removed, and the loop device released
 * if we made it and it is still that device. 0 when done or nothing was set
 * up, -errno with WHY. */
int hotplug_remove(struct xsc *xs, const struct vbd *vbd, struct reason *why);

/* Tell the toolstack why: hotplug-error = MESSAGE, hotplug-status = STATUS
 * ("error" or "busy"), in one transaction. */
int hotplug_report_failure(struct xsc *xs, const struct vbd *vbd, const char *status, const char *message);
