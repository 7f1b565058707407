/* daemon.c: watches, domain bookkeeping and the diff of what each domain
 * offers, reported as lines through the sink. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "domains.h"
#include "inventory.h"
#include "prepare.h"
#include "store.h"

#define TOKEN_DOMAINS "domains"         /* @introduceDomain and @releaseDomain */
#define TOKEN_DOMAIN  "domain"          /* "domain:N": something of domain N changed */
#define WATCHED_PER_DOMAIN 3

static const char *const watched_suffixes[WATCHED_PER_DOMAIN] = {
        "/qubes-block-devices", "/qubes-usb-devices", "/backend/vbd",
};

struct tracked {
        struct domain domain;
        struct domain_devices devices;  /* as last reported */
        struct warnings warnings;       /* as last reported, so each is said once */
        bool dirty;
        bool present;                   /* seen in the last domain scan */
};

struct daemon {
        struct xs_handle *h;
        const struct daemon_sink *sink;
        struct tracked *v;
        size_t n;
};

__attribute__((format(printf, 3, 4)))
static void say(struct daemon *d, enum daemon_level level, const char *fmt, ...)
{
        char text[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        d->sink->line(d->sink->userdata, level, text);
}

static struct tracked *tracked_find(struct daemon *d, uint32_t domid)
{
        for (size_t i = 0; i < d->n; i++)
                if (d->v[i].domain.domid == domid)
                        return &d->v[i];
        return NULL;
}

static void domain_watches(struct daemon *d, uint32_t domid, bool on)
{
        char path[96], token[32];

        snprintf(token, sizeof(token), TOKEN_DOMAIN ":%" PRIu32, domid);
        for (size_t i = 0; i < WATCHED_PER_DOMAIN; i++) {
                store_domain_path(domid, watched_suffixes[i], path, sizeof(path));
                if (on && !xs_watch(d->h, path, token))
                        say(d, DAEMON_WARNING, "cannot watch %s: %m", path);
                else if (!on)
                        xs_unwatch(d->h, path, token);
        }
}

static const struct block_device *block_named(const struct domain_devices *dd, const char *name)
{
        return inventory_find_block(dd, name);
}

static const struct usb_entry *usb_named(const struct domain_devices *dd, const char *name)
{
        for (size_t i = 0; i < dd->n_usb; i++)
                if (streq(dd->usb[i].name, name))
                        return &dd->usb[i];
        return NULL;
}

static bool same_attachment(const struct vbd *a, const struct vbd *b)
{
        if (!a || !b)
                return a == b;
        return a->frontend == b->frontend && streq(a->vdev, b->vdev);
}

static void report_block_changes(struct daemon *d, const char *label,
                                 const struct domain_devices *old, const struct domain_devices *now)
{
        for (size_t i = 0; i < now->n_block; i++) {
                const struct block_device *b = &now->block[i], *was = block_named(old, b->entry.name);

                if (!was)
                        say(d, DAEMON_INFO, "block device %s:%s appeared: %s, %" PRIu64 " bytes, "
                            "mode %s", label, b->entry.name, b->entry.desc, b->entry.size,
                            b->entry.read_only ? "r" : "w");
                if (same_attachment(was ? was->attached : NULL, b->attached))
                        continue;
                if (was && was->attached)
                        say(d, DAEMON_INFO, "block device %s:%s detached from domain %" PRIu32
                            " (%s)", label, b->entry.name, was->attached->frontend,
                            was->attached->vdev);
                if (b->attached)
                        say(d, DAEMON_INFO, "block device %s:%s attached to domain %" PRIu32
                            " as %s (%s)", label, b->entry.name, b->attached->frontend,
                            b->attached->vdev[0] ? b->attached->vdev : "?",
                            b->attached->read_only ? "ro" : "rw");
        }
        for (size_t i = 0; i < old->n_block; i++)
                if (!block_named(now, old->block[i].entry.name))
                        say(d, DAEMON_INFO, "block device %s:%s disappeared", label,
                            old->block[i].entry.name);
}

static void report_usb_changes(struct daemon *d, const char *label,
                               const struct domain_devices *old, const struct domain_devices *now)
{
        for (size_t i = 0; i < now->n_usb; i++) {
                const struct usb_entry *u = &now->usb[i], *was = usb_named(old, u->name);

                if (!was)
                        say(d, DAEMON_INFO, "USB device %s:%s appeared: %s:%s", label, u->name,
                            u->vendor_id, u->product_id);
                if (was && streq(was->connected_to, u->connected_to))
                        continue;
                if (was && was->connected_to[0])
                        say(d, DAEMON_INFO, "USB device %s:%s detached from %s", label, u->name,
                            was->connected_to);
                if (u->connected_to[0])
                        say(d, DAEMON_INFO, "USB device %s:%s attached to %s", label, u->name,
                            u->connected_to);
        }
        for (size_t i = 0; i < old->n_usb; i++)
                if (!usb_named(now, old->usb[i].name))
                        say(d, DAEMON_INFO, "USB device %s:%s disappeared", label,
                            old->usb[i].name);
}

static bool warning_known(const struct warnings *w, const char *text)
{
        for (size_t i = 0; i < w->n; i++)
                if (streq(w->v[i], text))
                        return true;
        return false;
}

/* Reads domain T again and reports what changed since the last time. */
static void domain_refresh(struct daemon *d, struct tracked *t)
{
        struct domain_devices now = { 0 };
        struct warnings warnings = { 0 };
        char label[DOMAIN_NAME_MAX + 32];
        int r;

        t->dirty = false;
        snprintf(label, sizeof(label), "%s", t->domain.name[0] ? t->domain.name : "");
        if (!label[0])
                snprintf(label, sizeof(label), "%" PRIu32, t->domain.domid);
        r = inventory_read(d->h, &t->domain, INVENTORY_BLOCK | INVENTORY_USB, &now, &warnings);
        if (r < 0) {
                say(d, DAEMON_WARNING, "cannot read the devices of domain %s: %s", label,
                    strerror(-r));
                return;
        }
        for (size_t i = 0; i < warnings.n; i++)
                if (!warning_known(&t->warnings, warnings.v[i]))
                        say(d, DAEMON_WARNING, "%s", warnings.v[i]);
        report_block_changes(d, label, &t->devices, &now);
        report_usb_changes(d, label, &t->devices, &now);
        domain_devices_done(&t->devices);
        warnings_done(&t->warnings);
        t->devices = now;
        t->warnings = warnings;
}

static void domain_introduced(struct daemon *d, const struct domain *dom)
{
        struct tracked *v = realloc(d->v, (d->n + 1) * sizeof(*v));
        char label[DOMAIN_NAME_MAX + 32];
        struct reason why = REASON_INIT;
        int r;

        if (!v) {
                say(d, DAEMON_ERROR, "out of memory: domain %" PRIu32 " not followed", dom->domid);
                return;
        }
        d->v = v;
        v[d->n] = (struct tracked) { .domain = *dom, .dirty = true, .present = true };
        d->n++;
        domain_label(dom, label, sizeof(label));
        /* dom0 may write its own home: only guests need the subtrees made */
        if (dom->domid != 0) {
                r = prepare_domain(d->h, dom->domid, &why);
                if (r == -ENOENT)
                        say(d, DAEMON_INFO, "domain %s went away before it was prepared", label);
                else if (r < 0)
                        say(d, DAEMON_ERROR, "cannot prepare domain %s: %s", label, why.text);
                else
                        say(d, DAEMON_INFO, "domain %s prepared", label);
        }
        domain_watches(d, dom->domid, true);
}

static void domain_released(struct daemon *d, size_t i)
{
        struct tracked *t = &d->v[i];
        struct domain_devices none = { 0 };
        char label[DOMAIN_NAME_MAX + 32];

        snprintf(label, sizeof(label), "%s", t->domain.name[0] ? t->domain.name : "");
        if (!label[0])
                snprintf(label, sizeof(label), "%" PRIu32, t->domain.domid);
        report_block_changes(d, label, &t->devices, &none);
        report_usb_changes(d, label, &t->devices, &none);
        say(d, DAEMON_INFO, "domain %s is gone", label);
        domain_watches(d, t->domain.domid, false);
        domain_devices_done(&t->devices);
        warnings_done(&t->warnings);
        d->v[i] = d->v[--d->n];
}

static int domains_rescan(struct daemon *d)
{
        struct domain_list now = { 0 };
        int r;

        r = domains_read_xenstore(d->h, &now);
        if (r < 0)
                return r;
        for (size_t i = 0; i < d->n; i++)
                d->v[i].present = false;
        for (size_t i = 0; i < now.n; i++) {
                struct tracked *t = tracked_find(d, now.v[i].domid);

                if (t)
                        t->present = true;
                else
                        domain_introduced(d, &now.v[i]);
        }
        for (size_t i = d->n; i-- > 0;)
                if (!d->v[i].present)
                        domain_released(d, i);
        domain_list_done(&now);
        return 0;
}

/* Takes every queued watch event and marks what must be read again: 1 when
 * the domains must be scanned, 0 when not, -errno when xenstore is lost. */
static int drain_events(struct daemon *d)
{
        bool rescan = false;
        char **event;

        while ((event = xs_check_watch(d->h))) {
                const char *token = event[XS_WATCH_TOKEN];
                uint32_t domid;

                if (streq(token, TOKEN_DOMAINS)) {
                        rescan = true;
                } else if (sscanf(token, TOKEN_DOMAIN ":%" SCNu32, &domid) == 1) {
                        struct tracked *t = tracked_find(d, domid);

                        if (t)
                                t->dirty = true;
                }
                free(event);
        }
        if (errno != EAGAIN)
                return negative_errno();
        return rescan;
}

int daemon_run(struct xs_handle *h, int stop_fd, const struct daemon_sink *sink)
{
        struct daemon d = { .h = h, .sink = sink };
        int r = 0;

        if (!xs_watch(h, "@introduceDomain", TOKEN_DOMAINS) ||
            !xs_watch(h, "@releaseDomain", TOKEN_DOMAINS))
                return negative_errno();
        say(&d, DAEMON_INFO, "watching for domains");
        for (;;) {
                struct pollfd p[2] = {
                        { .fd = xs_fileno(h), .events = POLLIN },
                        { .fd = stop_fd, .events = POLLIN },
                };

                r = drain_events(&d);
                if (r > 0)
                        r = domains_rescan(&d);
                if (r < 0)
                        break;
                for (size_t i = 0; i < d.n; i++)
                        if (d.v[i].dirty)
                                domain_refresh(&d, &d.v[i]);
                if (poll(p, 2, -1) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (p[1].revents)
                        break;
                if (p[0].revents & (POLLERR | POLLHUP)) {
                        r = -ECONNRESET;
                        break;
                }
        }
        for (size_t i = 0; i < d.n; i++) {
                domain_devices_done(&d.v[i].devices);
                warnings_done(&d.v[i].warnings);
        }
        free(d.v);
        return r;
}
