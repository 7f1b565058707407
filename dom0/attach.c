/* attach.c: block attach and detach: dom0's checks, libxl, the hotplug
 * script's verdict. */
#include "attach.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

#include "deadline.h"
#include "inventory.h"
#include "store.h"
#include "text.h"
#include "vdev.h"

int attach_split_device(const char *arg, char backend[DOMAIN_NAME_MAX + 1],
                        const char **device, struct reason *why)
{
        const char *colon = strchr(arg, ':');
        char shown[TEXT_ESCAPED_SIZE(32)];

        text_show(arg, strnlen(arg, 32), shown, sizeof(shown));
        if (!colon || colon == arg || (size_t)(colon - arg) > DOMAIN_NAME_MAX ||
            !entry_block_name_valid(colon + 1, strlen(colon + 1)))
                return reason_set(why, -EINVAL, "'%s' is not BACKEND:DEVICE "
                                  "(a domain, ':', a name of [a-z0-9-]{1,12})", shown);
        memcpy(backend, arg, (size_t)(colon - arg));
        backend[colon - arg] = '\0';
        *device = colon + 1;
        return 0;
}

/* Does FRONTEND have a disk with this device number (its frontend node, or
 * libxl's record of a disk it is still adding or removing)? */
static bool vdev_in_use(struct xs_handle *h, uint32_t frontend, uint32_t devid)
{
        char paths[2][96];

        snprintf(paths[0], sizeof(paths[0]), "/local/domain/%" PRIu32 "/device/vbd/%" PRIu32,
                 frontend, devid);
        snprintf(paths[1], sizeof(paths[1]), "/libxl/%" PRIu32 "/device/vbd/%" PRIu32,
                 frontend, devid);
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                _cleanup_free_ char *v = NULL;
                size_t len;

                if (store_read(h, XBT_NULL, paths[i], &v, &len) != -ENOENT)
                        return true;
        }
        return false;
}

static int choose_vdev(struct xs_handle *h, const struct domain *frontend, const char *wanted,
                       char vdev[8], struct reason *why)
{
        char label[DOMAIN_NAME_MAX + 32], shown[TEXT_ESCAPED_SIZE(16)];
        unsigned disk, first;

        domain_label(frontend, label, sizeof(label));
        if (wanted) {
                text_show(wanted, strnlen(wanted, 16), shown, sizeof(shown));
                if (vdev_parse(wanted, &disk) < 0)
                        return reason_set(why, -EINVAL, "'%s' is not a whole-disk vdev "
                                          "(xvd and one to three letters)", shown);
                if (vdev_in_use(h, frontend->domid, vdev_devid(disk)))
                        return reason_set(why, -EBUSY, "%s is in use in %s", wanted, label);
                return vdev_format(disk, vdev, 8);
        }
        vdev_parse(ATTACH_FIRST_VDEV, &first);
        for (disk = first; disk < VDEV_DISKS_MAX; disk++)
                if (!vdev_in_use(h, frontend->domid, vdev_devid(disk)))
                        return vdev_format(disk, vdev, 8);
        return reason_set(why, -EBUSY, "%s has no free vdev left", label);
}

/* The hotplug script's verdict: hotplug-status "connected" (0), or "error"
 * / "busy" (-EIO with hotplug-error), awaited with a watch on the backend
 * directory BE; -ETIMEDOUT without an answer, -ENODEV if BE vanished. */
static int hotplug_verdict(struct xs_handle *h, const char *be, struct reason *why)
{
        _cleanup_free_ char *status = NULL, *error = NULL;
        char path[160], shown[TEXT_ESCAPED_SIZE(512)];
        size_t len;
        int r;

        snprintf(path, sizeof(path), "%s/hotplug-status", be);
        r = store_read(h, XBT_NULL, path, &status, &len);
        if (r == -ENOENT) {
                free(status);
                status = NULL;
                snprintf(path, sizeof(path), "%s/state", be);
                r = store_read(h, XBT_NULL, path, &status, &len);
                return r == -ENOENT ? -ENODEV : -EAGAIN;
        }
        if (r < 0)
                return r;
        if (streq(status, "connected"))
                return 0;
        snprintf(path, sizeof(path), "%s/hotplug-error", be);
        if (store_read(h, XBT_NULL, path, &error, &len) < 0)
                return reason_set(why, -EIO, "the hotplug script failed (hotplug-status %s)",
                                  text_show(status, strlen(status), shown, 64));
        return reason_set(why, -EIO, "the hotplug script failed: %s",
                          text_show(error, len, shown, sizeof(shown)));
}

static int wait_hotplug(struct xs_handle *h, const char *be, struct reason *why)
{
        static const char token[] = "xen-devices-hotplug";
        int64_t deadline = now_ms() + ATTACH_HOTPLUG_TIMEOUT_MS;
        int r;

        if (!xs_watch(h, be, token))
                return negative_errno();
        for (;;) {
                struct pollfd p = { .fd = xs_fileno(h), .events = POLLIN };
                int64_t left = deadline - now_ms();

                r = hotplug_verdict(h, be, why);
                if (r != -EAGAIN)
                        break;
                if (left <= 0) {
                        r = reason_set(why, -ETIMEDOUT, "no answer from the hotplug script in "
                                       "%d s (does the backend domain run `xl devd`?)",
                                       ATTACH_HOTPLUG_TIMEOUT_MS / 1000);
                        break;
                }
                if (poll(&p, 1, (int)left) > 0) {
                        unsigned n;

                        free(xs_read_watch(h, &n));
                }
        }
        xs_unwatch(h, be, token);
        if (r == -ENODEV)
                return reason_set(why, -EIO, "the backend removed the device before the "
                                  "hotplug script reported");
        return r;
}

/* /local/domain/BACKEND/backend/vbd/FRONTEND/DEVID of a valid VDEV. */
static void backend_vbd_path(uint32_t backend, uint32_t frontend, const char *vdev,
                             char *out, size_t size)
{
        unsigned disk = 0;

        vdev_parse(vdev, &disk);
        snprintf(out, size, "/local/domain/%" PRIu32 "/backend/vbd/%" PRIu32 "/%" PRIu32,
                 backend, frontend, vdev_devid(disk));
}

/* The offered entry DEVICE of BACKEND, read now. */
static int find_offer(struct xs_handle *h, const struct domain *backend, const char *device,
                      struct domain_devices *dd, const struct block_device **out,
                      struct reason *why)
{
        struct warnings ignored = { 0 };
        char label[DOMAIN_NAME_MAX + 32];
        int r;

        domain_label(backend, label, sizeof(label));
        r = inventory_read(h, backend, INVENTORY_BLOCK, dd, &ignored);
        warnings_done(&ignored);
        if (r < 0)
                return reason_set(why, r, "cannot read the devices of %s: %s", label,
                                  strerror(-r));
        *out = inventory_find_block(dd, device);
        if (!*out)
                return reason_set(why, -ENOENT, "%s does not offer a block device %s now",
                                  label, device);
        return 0;
}

/* dom0's checks of a request against the entry it names. */
static int check_request(const struct domain *frontend, const struct domain *backend,
                         const struct block_device *b, const struct domain_list *domains,
                         enum attach_mode mode, struct reason *why)
{
        char label[DOMAIN_NAME_MAX + 32], other[DOMAIN_NAME_MAX + 32];

        domain_label(backend, label, sizeof(label));
        if (frontend->domid == backend->domid)
                return reason_set(why, -EPERM, "%s:%s cannot be attached to its own backend "
                                  "domain", label, b->entry.name);
        if (b->entry.read_only && mode == ATTACH_READ_WRITE)
                return reason_set(why, -EPERM, "%s:%s is offered read-only (mode r): "
                                  "it cannot be attached read-write", label, b->entry.name);
        if (b->attached) {
                const struct domain *f = domains_find_id(domains, b->attached->frontend);
                struct domain unknown = { .domid = b->attached->frontend };

                domain_label(f ? f : &unknown, other, sizeof(other));
                return reason_set(why, -EBUSY, "%s:%s is attached already, to %s as %s",
                                  label, b->entry.name, other,
                                  b->attached->vdev[0] ? b->attached->vdev : "?");
        }
        return 0;
}

int attach_block(struct xs_handle *h, struct toolstack *ts, const struct domain_list *domains,
                 const struct attach_request *req, struct attach_result *res,
                 struct reason *why)
{
        const struct domain *frontend, *backend;
        struct domain_devices dd = { 0 };
        const struct block_device *b;
        char backend_name[DOMAIN_NAME_MAX + 1], pdev[32], be[128];
        const char *device;
        struct disk_spec spec;
        struct reason ignored = REASON_INIT;
        int r;

        r = attach_split_device(req->device, backend_name, &device, why);
        if (r < 0)
                return r;
        r = domains_lookup(domains, req->frontend, &frontend, why);
        if (r >= 0)
                r = domains_lookup(domains, backend_name, &backend, why);
        if (r >= 0)
                r = find_offer(h, backend, device, &dd, &b, why);
        if (r >= 0)
                r = check_request(frontend, backend, b, domains, req->mode, why);
        if (r >= 0)
                r = choose_vdev(h, frontend, req->vdev, res->vdev, why);
        if (r < 0)
                goto out;

        res->writable = req->mode != ATTACH_READ_ONLY && !b->entry.read_only;
        entry_block_device_path(b->entry.name, pdev, sizeof(pdev));
        spec = (struct disk_spec) {
                .frontend = frontend->domid, .backend = backend->domid,
                .pdev_path = pdev, .vdev = res->vdev, .writable = res->writable,
        };
        r = toolstack_disk_add(ts, &spec, why);
        if (r < 0)
                goto out;
        backend_vbd_path(backend->domid, frontend->domid, res->vdev, be, sizeof(be));
        r = wait_hotplug(h, be, why);
        if (r < 0)      /* what the script refused is not left half-attached */
                toolstack_disk_remove(ts, frontend->domid, res->vdev, &ignored);
out:
        domain_devices_done(&dd);
        return r;
}

/* The vdev by which BACKEND:DEVICE is attached to FRONTEND. */
static int vdev_of_device(struct xs_handle *h, const struct domain_list *domains,
                          const struct domain *frontend, const char *target, char vdev[8],
                          struct reason *why)
{
        char backend_name[DOMAIN_NAME_MAX + 1], label[DOMAIN_NAME_MAX + 32];
        const struct domain *backend;
        struct domain_devices dd = { 0 };
        const struct block_device *b;
        const char *device;
        int r;

        r = attach_split_device(target, backend_name, &device, why);
        if (r >= 0)
                r = domains_lookup(domains, backend_name, &backend, why);
        if (r >= 0)
                r = find_offer(h, backend, device, &dd, &b, why);
        if (r >= 0 && (!b->attached || b->attached->frontend != frontend->domid ||
                       !b->attached->vdev[0]))
                r = reason_set(why, -ENOENT, "%s is not attached to %s", target,
                               domain_label(frontend, label, sizeof(label)));
        if (r >= 0)
                strcpy(vdev, b->attached->vdev);
        domain_devices_done(&dd);
        return r;
}

int detach_block(struct xs_handle *h, struct toolstack *ts, const struct domain_list *domains,
                 const char *frontend_arg, const char *target, char vdev[8],
                 struct reason *why)
{
        char label[DOMAIN_NAME_MAX + 32], shown[TEXT_ESCAPED_SIZE(16)];
        const struct domain *frontend;
        unsigned disk;
        int r;

        r = domains_lookup(domains, frontend_arg, &frontend, why);
        if (r < 0)
                return r;
        domain_label(frontend, label, sizeof(label));
        if (strchr(target, ':')) {
                r = vdev_of_device(h, domains, frontend, target, vdev, why);
                if (r < 0)
                        return r;
        } else {
                text_show(target, strnlen(target, 16), shown, sizeof(shown));
                if (vdev_parse(target, &disk) < 0)
                        return reason_set(why, -EINVAL, "'%s' is neither BACKEND:DEVICE nor "
                                          "a vdev (xvdX)", shown);
                vdev_format(disk, vdev, 8);
        }
        if (vdev_parse(vdev, &disk) < 0 || !vdev_in_use(h, frontend->domid, vdev_devid(disk)))
                return reason_set(why, -ENOENT, "%s has no disk %s", label, vdev);
        return toolstack_disk_remove(ts, frontend->domid, vdev, why);
}
