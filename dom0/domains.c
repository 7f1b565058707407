/* domains.c: the running domains, from xenstore or filled by libxl. */
#include "domains.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "store.h"
#include "text.h"

void domain_list_done(struct domain_list *l)
{
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int domain_list_add(struct domain_list *l, uint32_t domid, const char *name)
{
        struct domain *v;

        if (l->n >= DOMAINS_MAX)
                return -E2BIG;
        v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        l->v = v;
        v[l->n].domid = domid;
        v[l->n].name[0] = '\0';
        if (name && entry_domain_name_valid(name, strlen(name)))
                strcpy(v[l->n].name, name);
        l->n++;
        return 0;
}

static int domain_compare(const void *a, const void *b)
{
        const struct domain *x = a, *y = b;

        return x->domid < y->domid ? -1 : x->domid > y->domid;
}

void domains_sort(struct domain_list *l)
{
        if (l->n > 1)
                qsort(l->v, l->n, sizeof(*l->v), domain_compare);
}

int domains_read_xenstore(struct xs_handle *h, struct domain_list *out)
{
        struct store_list ids = { 0 };
        struct domain_list l = { 0 };
        int r;

        r = store_list(h, XBT_NULL, "/local/domain", &ids);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < ids.n; i++) {
                _cleanup_free_ char *name = NULL;
                char path[64];
                uint32_t domid;
                size_t len;

                if (parse_u32(ids.names[i], 10, &domid) < 0)
                        continue;       /* not a domain's home */
                snprintf(path, sizeof(path), "/local/domain/%" PRIu32 "/name", domid);
                /* a domain that is going away has lost its name: keep the id */
                if (store_read(h, XBT_NULL, path, &name, &len) < 0 || strlen(name) != len)
                        name = (free(name), NULL);
                r = domain_list_add(&l, domid, name);
                if (r < 0)
                        break;
        }
        store_list_done(&ids);
        if (r < 0) {
                domain_list_done(&l);
                return r;
        }
        domains_sort(&l);
        *out = l;
        return 0;
}

const struct domain *domains_find_id(const struct domain_list *l, uint32_t domid)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].domid == domid)
                        return &l->v[i];
        return NULL;
}

int domains_lookup(const struct domain_list *l, const char *arg,
                   const struct domain **out, struct reason *why)
{
        char shown[TEXT_ESCAPED_SIZE(DOMAIN_NAME_MAX + 1)];
        uint32_t domid;

        text_show(arg, strnlen(arg, DOMAIN_NAME_MAX + 1), shown, sizeof(shown));
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].name[0] && streq(l->v[i].name, arg)) {
                        *out = &l->v[i];
                        return 0;
                }
        if (parse_u32(arg, 10, &domid) == 0) {
                *out = domains_find_id(l, domid);
                if (*out)
                        return 0;
                return reason_set(why, -ENOENT, "no running domain has id %s", shown);
        }
        if (!entry_domain_name_valid(arg, strlen(arg)))
                return reason_set(why, -ENOENT, "'%s' is not a domain name or id", shown);
        return reason_set(why, -ENOENT, "no running domain is named '%s'", shown);
}

const char *domain_label(const struct domain *d, char *buf, size_t size)
{
        if (d->name[0])
                snprintf(buf, size, "%s (%" PRIu32 ")", d->name, d->domid);
        else
                snprintf(buf, size, "domain %" PRIu32, d->domid);
        return buf;
}
