/* toolstack.c: libxenlight: context, domain names, disk add and remove. */
#include "toolstack.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "util.h"

#define KEPT_MESSAGES 4         /* the last error messages a failure reports */

/* A xentoollog logger that keeps libxl's last error messages. */
struct kept_logger {
        xentoollog_logger vtable;
        bool echo;                              /* XEN_DEVICES_DEBUG: print everything */
        char messages[KEPT_MESSAGES][320];
        unsigned next;
};

struct toolstack {
        struct kept_logger logger;
        libxl_ctx *ctx;
};

__attribute__((format(printf, 5, 0)))
static void kept_vmessage(xentoollog_logger *logger, xentoollog_level level, int errnoval,
                          const char *context, const char *format, va_list al)
{
        struct kept_logger *k = (struct kept_logger *)logger;
        char *slot = k->messages[k->next % KEPT_MESSAGES];
        size_t size = sizeof(k->messages[0]);
        int n;

        if (level < XTL_ERROR && !k->echo)
                return;
        n = vsnprintf(slot, size, format, al);
        if (n >= 0 && (size_t)n < size && errnoval >= 0)
                snprintf(slot + n, size - (size_t)n, ": %s", strerror(errnoval));
        if (k->echo) {
                char shown[sizeof(k->messages[0]) * 4];

                text_escape(slot, strlen(slot), shown, sizeof(shown));
                fprintf(stderr, "xen-devices: %s %s: %s\n", context ? context : "libxl",
                        xtl_level_to_string(level), shown);
        }
        if (level >= XTL_ERROR)
                k->next++;
}

static void kept_destroy(xentoollog_logger *logger)
{
}

/* The kept messages, oldest first, joined with "; ", into WHY after PREFIX
 * (escaped there: libxl quotes xenstore paths and values); ERR's text when
 * libxl said nothing. */
static int kept_reason(struct toolstack *ts, struct reason *why, int err, const char *prefix)
{
        struct kept_logger *k = &ts->logger;
        char joined[REASON_MAX] = "";
        size_t o = 0;

        for (unsigned i = k->next > KEPT_MESSAGES ? k->next - KEPT_MESSAGES : 0; i < k->next; i++) {
                int n = snprintf(joined + o, sizeof(joined) - o, "%s%s", o ? "; " : "",
                                 k->messages[i % KEPT_MESSAGES]);

                if (n < 0 || (size_t)n >= sizeof(joined) - o)
                        break;
                o += (size_t)n;
        }
        k->next = 0;
        return reason_set(why, err, "%s%s", prefix, joined[0] ? joined : strerror(-err));
}

int toolstack_open(struct toolstack **out, struct reason *why)
{
        struct toolstack *ts = calloc(1, sizeof(*ts));
        const char *debug = getenv("XEN_DEVICES_DEBUG");

        if (!ts)
                return -ENOMEM;
        ts->logger.vtable.vmessage = kept_vmessage;
        ts->logger.vtable.destroy = kept_destroy;
        ts->logger.echo = debug && *debug && !streq(debug, "0");
        if (libxl_ctx_alloc(&ts->ctx, LIBXL_VERSION, 0, &ts->logger.vtable) != 0) {
                kept_reason(ts, why, -ENODEV, "libxenlight is not available: ");
                free(ts);
                return -ENODEV;
        }
        *out = ts;
        return 0;
}

void toolstack_free(struct toolstack *ts)
{
        if (!ts)
                return;
        libxl_ctx_free(ts->ctx);
        free(ts);
}

int toolstack_list_domains(struct toolstack *ts, struct domain_list *out)
{
        struct domain_list l = { 0 };
        libxl_dominfo *info;
        int n, r = 0;

        info = libxl_list_domain(ts->ctx, &n);
        if (!info)
                return -EIO;
        for (int i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *name = libxl_domid_to_name(ts->ctx, info[i].domid);

                r = domain_list_add(&l, info[i].domid, name);
        }
        libxl_dominfo_list_free(info, n);
        if (r < 0) {
                domain_list_done(&l);
                return r;
        }
        domains_sort(&l);
        *out = l;
        return 0;
}

int toolstack_disk_add(struct toolstack *ts, const struct disk_spec *spec, struct reason *why)
{
        libxl_device_disk disk;
        int rc;

        libxl_device_disk_init(&disk);
        disk.backend_domid = spec->backend;
        disk.pdev_path = strdup(spec->pdev_path);
        disk.vdev = strdup(spec->vdev);
        disk.script = strdup("qubes-block");
        disk.format = LIBXL_DISK_FORMAT_RAW;
        disk.backend = LIBXL_DISK_BACKEND_PHY;
        disk.readwrite = spec->writable;
        if (!disk.pdev_path || !disk.vdev || !disk.script) {
                libxl_device_disk_dispose(&disk);
                return -ENOMEM;
        }
        ts->logger.next = 0;
        rc = libxl_device_disk_add(ts->ctx, spec->frontend, &disk, NULL);
        libxl_device_disk_dispose(&disk);
        if (rc != 0)
                return kept_reason(ts, why, -EIO, "libxl_device_disk_add failed: ");
        return 0;
}

int toolstack_disk_remove(struct toolstack *ts, uint32_t frontend, const char *vdev,
                          struct reason *why)
{
        libxl_device_disk disk;
        int rc;

        ts->logger.next = 0;
        libxl_device_disk_init(&disk);
        if (libxl_vdev_to_device_disk(ts->ctx, frontend, vdev, &disk) != 0) {
                libxl_device_disk_dispose(&disk);
                return kept_reason(ts, why, -ENOENT, "libxl does not know the disk: ");
        }
        rc = libxl_device_disk_remove(ts->ctx, frontend, &disk, NULL);
        libxl_device_disk_dispose(&disk);
        if (rc != 0)
                return kept_reason(ts, why, -EIO, "libxl_device_disk_remove failed: ");
        return 0;
}
