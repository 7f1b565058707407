/* prepare.h: giving a domain its qubes-block-devices and qubes-usb-devices.
 * libxl makes a domain's home read-only to the domain, so dom0 creates both
 * subtrees there owned by the domain (as `xenstore-chmod PATH nDOMID`): the
 * domain may then write below them, and dom0 reads everything anyway. */
#pragma once

#include <stdint.h>
#include <xenstore.h>

#include "reason.h"

extern const char *const prepare_subtrees[2];

/* Creates or re-permits both subtrees of DOMID in one transaction; what is
 * already below them is kept. -ENOENT when the domain's home does not exist
 * (the domain is unknown or went away): nothing is created then. */
int prepare_domain(struct xs_handle *h, uint32_t domid, struct reason *why);
