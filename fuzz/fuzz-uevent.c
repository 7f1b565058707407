/* fuzz-uevent.c: the netlink event parser (backend/uevent.c) on any bytes,
 * as the kernel's message (first byte even) or udevd's (odd). It never
 * crashes or reads past the message, and an event it accepts holds what
 * the monitor relies on: each property a "KEY=VALUE" string inside the
 * message with a non-empty key, ACTION, SUBSYSTEM and a DEVPATH under
 * /devices of plain components among them, a DEVNAME under /dev/ without
 * "..", and a device number only with both MAJOR and MINOR. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "udev-event.h"
#include "uevent.h"

static struct uevent ev;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum uevent_source source;

        if (size < 1)
                return 0;
        source = data[0] & 1 ? UEVENT_UDEV : UEVENT_KERNEL;
        data++;
        size--;
        if (size > UEVENT_MESSAGE_MAX)
                size = UEVENT_MESSAGE_MAX;
        memcpy(ev.buf, data, size);
        if (uevent_parse(&ev, size, source) < 0)
                return 0;
        if (ev.n_env > UEVENT_PROPERTIES_MAX || ev.env[ev.n_env] != NULL)
                abort();
        for (size_t i = 0; i < ev.n_env; i++) {
                const char *eq = strchr(ev.env[i], '=');

                if (ev.env[i] < ev.buf || ev.env[i] + strlen(ev.env[i]) >= ev.buf + size + 1 || !eq ||
                    eq == ev.env[i])
                        abort();
        }
        if (!ev.action || !ev.subsystem || !ev.devpath || !udev_devpath_is_valid(ev.devpath))
                abort();
        if (ev.devname[0] && (strncmp(ev.devname, "/dev/", 5) != 0 || !ev.devname[5] || ev.devname[5] == '/' ||
                              strstr(ev.devname, "..")))
                abort();
        if (ev.has_devno != (uevent_get(&ev, "MAJOR") && uevent_get(&ev, "MINOR")))
                abort();
        return 0;
}
