/* report.c: block and USB listings in text and JSON. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

#include "text.h"

#define FIELD_SIZE TEXT_ESCAPED_SIZE(USB_FIELD_MAX)

static const char *domain_name_or_id(const struct domain *d, char *buf, size_t size)
{
        if (d->name[0])
                return d->name;
        snprintf(buf, size, "%" PRIu32, d->domid);
        return buf;
}

static const char *frontend_name(const struct domain_list *domains, uint32_t domid,
                                 char *buf, size_t size)
{
        const struct domain *d = domains_find_id(domains, domid);

        if (d && d->name[0])
                return d->name;
        snprintf(buf, size, "%" PRIu32, domid);
        return buf;
}

void report_block_text(FILE *f, const struct domain_devices *devices, size_t n,
                       const struct domain_list *domains)
{
        int width = (int)strlen("BACKEND:DEVICE"), desc_width = (int)strlen("DESCRIPTION");
        char buf[32], fbuf[32], size[32], where[96], device[DOMAIN_NAME_MAX + BLOCK_NAME_MAX + 2];

        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < devices[i].n_block; j++) {
                        const struct block_device *b = &devices[i].block[j];
                        int w = (int)(strlen(domain_name_or_id(&devices[i].domain, buf, sizeof(buf))) +
                                      1 + strlen(b->entry.name));
                        int dw = (int)strlen(b->entry.desc);

                        width = w > width ? w : width;
                        desc_width = dw > desc_width ? dw : desc_width;
                }
        fprintf(f, "%-*s  %-*s  %10s  %-4s  %s\n", width, "BACKEND:DEVICE", desc_width,
                "DESCRIPTION", "SIZE", "MODE", "ATTACHED");
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < devices[i].n_block; j++) {
                        const struct block_device *b = &devices[i].block[j];

                        snprintf(device, sizeof(device), "%s:%s",
                                 domain_name_or_id(&devices[i].domain, buf, sizeof(buf)),
                                 b->entry.name);
                        if (b->attached)
                                snprintf(where, sizeof(where), "%s:%s (%s)",
                                         frontend_name(domains, b->attached->frontend, fbuf,
                                                       sizeof(fbuf)),
                                         b->attached->vdev[0] ? b->attached->vdev : "?",
                                         b->attached->read_only ? "ro" : "rw");
                        else
                                strcpy(where, "-");
                        fprintf(f, "%-*s  %-*s  %10s  %-4s  %s\n", width, device, desc_width,
                                b->entry.desc, text_human_size(b->entry.size, size, sizeof(size)),
                                b->entry.read_only ? "r" : "w", where);
                }
}

static void json_key_string(FILE *f, const char *key, const char *value)
{
        fprintf(f, "\"%s\": ", key);
        json_write_string(f, value, strlen(value));
}

void report_block_json(FILE *f, const struct domain_devices *devices, size_t n,
                       const struct domain_list *domains)
{
        const char *sep = "";
        char size[32], fbuf[32];

        fputs("[", f);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < devices[i].n_block; j++) {
                        const struct block_device *b = &devices[i].block[j];

                        fprintf(f, "%s\n  {", sep);
                        sep = ",";
                        json_key_string(f, "backend", devices[i].domain.name);
                        fprintf(f, ", \"backend_id\": %" PRIu32 ", ", devices[i].domain.domid);
                        json_key_string(f, "device", b->entry.name);
                        fputs(", ", f);
                        json_key_string(f, "description", b->entry.desc);
                        fprintf(f, ", \"size\": %" PRIu64 ", ", b->entry.size);
                        json_key_string(f, "size_human",
                                        text_human_size(b->entry.size, size, sizeof(size)));
                        fprintf(f, ", \"mode\": \"%s\", ", b->entry.read_only ? "r" : "w");
                        json_key_string(f, "parent", b->entry.parent);
                        fputs(", \"attached\": ", f);
                        if (!b->attached) {
                                fputs("null}", f);
                                continue;
                        }
                        fputs("{", f);
                        json_key_string(f, "frontend", frontend_name(domains,
                                        b->attached->frontend, fbuf, sizeof(fbuf)));
                        fprintf(f, ", \"frontend_id\": %" PRIu32 ", ", b->attached->frontend);
                        json_key_string(f, "vdev", b->attached->vdev);
                        fprintf(f, ", \"mode\": \"%s\"}}", b->attached->read_only ? "r" : "w");
                }
        fputs(*sep ? "\n]\n" : "]\n", f);
}

static void interfaces_text(const struct usb_entry *u, char *out, size_t size)
{
        size_t o = 0;

        out[0] = '\0';
        for (unsigned i = 0; i < u->n_interfaces && o + 8 < size; i++)
                o += (size_t)snprintf(out + o, size - o, "%s%s", i ? "," : "", u->interfaces[i]);
        if (u->n_interfaces == 0)
                snprintf(out, size, "-");
}

void report_usb_text(FILE *f, const struct domain_devices *devices, size_t n)
{
        char buf[32], device[DOMAIN_NAME_MAX + USB_NAME_MAX + 2];
        char vendor[FIELD_SIZE], model[FIELD_SIZE], serial[FIELD_SIZE];
        char interfaces[USB_INTERFACES_MAX * 7 + 1];

        fprintf(f, "%-24s  %-9s  %-3s  %-40s  %-20s  %-20s  %s\n", "BACKEND:DEVICE", "VID:PID",
                "USB", "VENDOR MODEL", "SERIAL", "INTERFACES", "CONNECTED-TO");
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < devices[i].n_usb; j++) {
                        const struct usb_entry *u = &devices[i].usb[j];
                        char vm[2 * FIELD_SIZE + 1];

                        snprintf(device, sizeof(device), "%s:%s",
                                 domain_name_or_id(&devices[i].domain, buf, sizeof(buf)), u->name);
                        text_show(u->vendor, strlen(u->vendor), vendor, sizeof(vendor));
                        text_show(u->model, strlen(u->model), model, sizeof(model));
                        text_show(u->serial, strlen(u->serial), serial, sizeof(serial));
                        snprintf(vm, sizeof(vm), "%s %s", vendor, model);
                        interfaces_text(u, interfaces, sizeof(interfaces));
                        fprintf(f, "%-24s  %s:%s  %-3u  %-40s  %-20s  %-20s  %s\n", device,
                                u->vendor_id, u->product_id, u->usb_version, vm,
                                serial[0] ? serial : "-", interfaces,
                                u->connected_to[0] ? u->connected_to : "-");
                }
}

void report_usb_json(FILE *f, const struct domain_devices *devices, size_t n)
{
        const char *sep = "";

        fputs("[", f);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < devices[i].n_usb; j++) {
                        const struct usb_entry *u = &devices[i].usb[j];

                        fprintf(f, "%s\n  {", sep);
                        sep = ",";
                        json_key_string(f, "backend", devices[i].domain.name);
                        fprintf(f, ", \"backend_id\": %" PRIu32 ", ", devices[i].domain.domid);
                        json_key_string(f, "device", u->name);
                        fprintf(f, ", \"vendor_id\": \"%s\", \"product_id\": \"%s\", ",
                                u->vendor_id, u->product_id);
                        json_key_string(f, "vendor", u->vendor);
                        fputs(", ", f);
                        json_key_string(f, "model", u->model);
                        fputs(", ", f);
                        json_key_string(f, "serial", u->serial);
                        fprintf(f, ", \"usb_version\": %u, \"interfaces\": [", u->usb_version);
                        for (unsigned k = 0; k < u->n_interfaces; k++)
                                fprintf(f, "%s\"%s\"", k ? ", " : "", u->interfaces[k]);
                        fputs("], \"connected_to\": ", f);
                        if (u->connected_to[0])
                                json_write_string(f, u->connected_to, strlen(u->connected_to));
                        else
                                fputs("null", f);
                        fputs("}", f);
                }
        fputs(*sep ? "\n]\n" : "]\n", f);
}
