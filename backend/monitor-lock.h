/* monitor-lock.h: the hand-off between the resident monitor and the udev
 * rules' helpers. The monitor holds an exclusive lock on
 * QUBES_RUNTIME_DIR/devices-monitor.lock for as long as it runs (the kernel
 * drops it when the monitor dies, however); while it is held, the helpers
 * leave the event to the monitor, which gets the same events from udev's
 * netlink. Without a monitor, the helpers do everything, as the rules alone
 * must. The two never write at once for long: both judge from the devices
 * as they are, and the stores serialize the writes (xenstore transactions,
 * QubesDB's subtree lock). */
#pragma once

#include <stdbool.h>

#include "reason.h"

/* Take the lock (the monitor): its fd, held until exit; -EBUSY with WHY
 * when another monitor holds it. */
int monitor_lock_take(struct reason *why);

/* Whether a monitor holds the lock now (the helpers). */
bool monitor_lock_held(void);
