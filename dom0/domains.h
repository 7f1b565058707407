/* domains.h: the running domains, their ids and names, and the lookup of a
 * DOMAIN argument (a name, or a number). Filled from libxl (toolstack.h)
 * where a libxl context can be made, else from xenstore's /local/domain. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenstore.h>

#include "entry.h"
#include "reason.h"

#define DOMAINS_MAX 4096        /* more than Xen's practical limit of guests */

struct domain {
        uint32_t domid;
        char name[DOMAIN_NAME_MAX + 1];         /* valid characters only; empty when unknown */
};

struct domain_list {
        struct domain *v;
        size_t n;
};

void domain_list_done(struct domain_list *l);

/* Every /local/domain/N with its name node, sorted by id. A name that is
 * missing or not a valid domain name is left empty. */
int domains_read_xenstore(struct xs_handle *h, struct domain_list *out);

/* Append one domain (the list stays unsorted until domains_sort). */
int domain_list_add(struct domain_list *l, uint32_t domid, const char *name);
void domains_sort(struct domain_list *l);

const struct domain *domains_find_id(const struct domain_list *l, uint32_t domid);

/* ARG is a domain name, or a domain id in decimal. -ENOENT (WHY says which)
 * when no running domain matches, -EINVAL when ARG cannot be one. */
int domains_lookup(const struct domain_list *l, const char *arg,
                   const struct domain **out, struct reason *why);

/* "name (id)" or "domain id" for messages. */
const char *domain_label(const struct domain *d, char *buf, size_t size);
