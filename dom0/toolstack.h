/* toolstack.h: the part of xen-devices that goes through libxenlight:
 * the domain list and the adding and removing of disks. The only module
 * that includes libxl.h. libxl's log messages are kept, not printed: the
 * errors among them travel in the results (XEN_DEVICES_DEBUG=1 prints them
 * all on stderr as they come). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domains.h"
#include "reason.h"

struct toolstack;

/* -ENODEV when no libxl context can be made (no hypervisor, no privcmd,
 * not dom0), with libxl's own message in WHY. */
int toolstack_open(struct toolstack **out, struct reason *why);
void toolstack_free(struct toolstack *ts);
static inline void toolstack_freep(struct toolstack **ts)
{
        toolstack_free(*ts);
}

/* The running domains with their names (libxl_list_domain). */
int toolstack_list_domains(struct toolstack *ts, struct domain_list *out);

struct disk_spec {
        uint32_t frontend, backend;
        const char *pdev_path;          /* the device inside the backend: /dev/NAME */
        const char *vdev;               /* xvdX */
        bool writable;
};

/* libxl_device_disk_add: raw, phy, script qubes-block, synchronous. */
int toolstack_disk_add(struct toolstack *ts, const struct disk_spec *spec, struct reason *why);
/* libxl_device_disk_remove of FRONTEND's disk VDEV. */
int toolstack_disk_remove(struct toolstack *ts, uint32_t frontend, const char *vdev,
                          struct reason *why);
