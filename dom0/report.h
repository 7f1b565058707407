/* report.h: the listings, as aligned text for a terminal or as JSON. Every
 * string that came from a domain goes through text.h first. */
#pragma once

#include <stdio.h>

#include "domains.h"
#include "inventory.h"

/* DEVICES[0..N): one per domain, in order. DOMAINS names the frontends. */
void report_block_text(FILE *f, const struct domain_devices *devices, size_t n,
                       const struct domain_list *domains);
void report_block_json(FILE *f, const struct domain_devices *devices, size_t n,
                       const struct domain_list *domains);
void report_usb_text(FILE *f, const struct domain_devices *devices, size_t n);
void report_usb_json(FILE *f, const struct domain_devices *devices, size_t n);
