/* usb-event.c: a USB event judged and published. */
#include "usb-event.h"

#include <dirent.h>
#include <stdio.h>

#include "log.h"
#include "udev-props.h"
#include "usb-policy.h"
#include "usbdev.h"
#include "util.h"

static int withdraw(struct store *store, const char *name, const char *sysname, const char *because,
                    struct reason *why)
{
        int r = store_drop_entry(store, STORE_USB_SUBTREE, name, why);

        if (r > 0 && because)
                reason_set(why, 0, "%s withdrawn: %s", sysname, because);
        return r < 0 ? r : 0;
}

/* EV's device judged: 1 offered (ENTRY whole), 0 not (ENTRY's name set
 * when it has one dom0 accepts, "" otherwise; *BECAUSE says why), -errno. */
static int usb_judge(const struct udev_event *ev, struct usb_entry *entry, const char **because, struct reason *why)
{
        struct usbdev dev;
        enum usb_verdict verdict;
        int r;

        entry->name[0] = '\0';
        *because = NULL;
        r = usbdev_read_event(ev, &dev, why);
        if (r < 0)
                return r;
        verdict = usb_policy_check_event(&dev);
        if (verdict == USB_OFFER) {
                r = usbdev_read_details(ev, &dev, why);
                if (r < 0)
                        return r;
                verdict = usb_policy_check_details(&dev);
        }
        if (verdict == USB_IGNORE)
                return 0;
        *because = usb_policy_reason(verdict);
        if (verdict == USB_HIDE_BAD_NAME) {     /* never written, so nothing to remove */
                reason_set(why, 0, "%s not offered: %s", dev.sysname, *because);
                return 0;
        }
        if (verdict != USB_OFFER) {
                /* a root hub (usb2) has no name dom0 accepts: never written */
                if (usb_policy_entry_name(&dev, entry->name, sizeof(entry->name)) < 0)
                        entry->name[0] = '\0';
                return 0;
        }
        r = usb_policy_make_entry(&dev, entry, why);
        return r < 0 ? r : 1;
}

static int usb_put(struct store_batch *b, const struct usb_entry *e, struct reason *why)
{
        const struct store_value values[] = {
                { "desc", e->desc }, { "usb-ver", e->usb_ver }, { "interfaces", e->interfaces },
        };

        return store_batch_put(b, e->name, values, ARRAY_SIZE(values), why);
}

struct usb_offer {
        const struct usb_entry *entry;
        struct reason unfit;            /* why the store cannot hold the entry */
};

/* An entry the store cannot hold (a QubesDB path of 64 bytes) is skipped
 * whole, as the resync and the block helpers skip one: never half-written,
 * and no error. */
static int put_if_it_fits(struct store_batch *b, void *userdata, struct reason *why)
{
        struct usb_offer *o = userdata;
        const struct usb_entry *e = o->entry;
        const struct store_value values[] = {
                { "desc", e->desc }, { "usb-ver", e->usb_ver }, { "interfaces", e->interfaces },
        };
        int r = store_batch_check(b, e->name, values, ARRAY_SIZE(values), &o->unfit);

        if (r == -EINVAL || r == -ENAMETOOLONG)
                return 0;
        if (r < 0)
                return reason_set(why, r, "%s", o->unfit.text);
        return usb_put(b, e, why);
}

int usb_event_add_change(struct store *store, const struct udev_event *ev, struct reason *why)
{
        struct usb_entry entry;
        struct usb_offer offer = { &entry, REASON_INIT };
        const char *because;
        int r = usb_judge(ev, &entry, &because, why);

        if (r < 0)
                return r;
        if (r == 0)
                return entry.name[0] ? withdraw(store, entry.name, strrchr(ev->devpath, '/') + 1, because, why) : 0;
        r = store_update(store, STORE_USB_SUBTREE, put_if_it_fits, &offer, why);
        if (r >= 0 && reason_is_set(&offer.unfit))
                reason_set(why, 0, "%s not offered: %s", strrchr(ev->devpath, '/') + 1, offer.unfit.text);
        return r < 0 ? r : 0;
}

int usb_event_remove(struct store *store, const struct udev_event *ev, struct reason *why)
{
        char name[USBDEV_SYSNAME_MAX];
        struct usbdev dev;
        int r = usbdev_read_event(ev, &dev, why);

        if (r < 0)
                return r;
        if (usb_policy_ignores_remove(&dev) || usb_policy_entry_name(&dev, name, sizeof(name)) < 0)
                return 0;
        return withdraw(store, name, dev.sysname, NULL, why);
}

/* ------------------------------------------------------------------ resync */

struct usb_resync {
        struct usb_entry *offered;
        size_t n_offered, allocated;
        size_t written, stale;
        bool judged_all;        /* else no entry is dropped: it may be of a device not judged */
};

/* Every USB device of sysfs judged with the properties udev keeps for it. */
static int usb_judge_all(struct usb_resync *rs, struct reason *why)
{
        _cleanup_closedir_ DIR *dir = opendir("/sys/bus/usb/devices");
        struct dirent *de;
        int first_error = 0;

        if (!dir)
                return errno == ENOENT ? 0 : reason_set_errno(why, negative_errno(), "cannot list /sys/bus/usb/devices");
        while ((de = readdir(dir))) {
                _cleanup_strv_free_ char **env = NULL;
                char target[UDEV_DEVPATH_MAX + 16];
                struct udev_event ev = { 0 };
                const char *because, *devpath;
                ssize_t n;
                int r;

                /* devices only: interfaces ("2-1:1.0") have no entry */
                if (de->d_name[0] == '.' || strchr(de->d_name, ':'))
                        continue;
                n = readlinkat(dirfd(dir), de->d_name, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                devpath = strstr(target, "/devices/");  /* "../../../devices/..." */
                if (!devpath || !udev_devpath_is_valid(devpath))
                        continue;
                r = udev_props_env(devpath, &env, why);
                if (r == 0) {
                        struct reason note = REASON_INIT;

                        ev = (struct udev_event){ .env = env, .devpath = devpath };
                        if (ARRAY_RESERVE(rs->offered, rs->allocated, rs->n_offered + 1) < 0)
                                return reason_set_errno(why, -ENOMEM, "cannot list the USB devices");
                        r = usb_judge(&ev, &rs->offered[rs->n_offered], &because, &note);
                        if (r > 0)
                                rs->n_offered++;
                        else if (r < 0)
                                reason_set(why, r, "%s", note.text);
                        else if (because)
                                log_debug("%s not offered: %s", de->d_name, because);
                }
                if (r < 0 && first_error == 0)
                        first_error = r;
        }
        return first_error;
}

static bool offered(const struct usb_resync *rs, const char *name)
{
        for (size_t i = 0; i < rs->n_offered; i++)
                if (streq(rs->offered[i].name, name))
                        return true;
        return false;
}

static int resync_batch(struct store_batch *b, void *userdata, struct reason *why)
{
        struct usb_resync *rs = userdata;
        _cleanup_strv_free_ char **names = NULL;
        int r = store_batch_list(b, &names, why);

        rs->written = rs->stale = 0;
        for (char **n = names; r >= 0 && rs->judged_all && n && *n; n++)
                if (!offered(rs, *n) && (r = store_batch_drop(b, *n, why)) > 0)
                        rs->stale++;
        for (size_t i = 0; r >= 0 && i < rs->n_offered; i++) {
                /* what the store cannot hold is skipped whole */
                const struct store_value values[] = {
                        { "desc", rs->offered[i].desc }, { "usb-ver", rs->offered[i].usb_ver },
                        { "interfaces", rs->offered[i].interfaces },
                };

                if (store_batch_check(b, rs->offered[i].name, values, ARRAY_SIZE(values), NULL) < 0)
                        continue;
                if ((r = usb_put(b, &rs->offered[i], why)) > 0)
                        rs->written++;
        }
        return r < 0 ? r : 0;
}

int usb_event_resync(struct store *store, size_t *written, size_t *stale, struct reason *why)
{
        struct usb_resync rs = { 0 };
        int r = usb_judge_all(&rs, why), u;

        /* what could be judged is written even if one device could not;
         * stale entries go only when every device was judged */
        rs.judged_all = r == 0;
        u = store_update(store, STORE_USB_SUBTREE, resync_batch, &rs, why);
        free(rs.offered);
        if (written)
                *written = rs.written;
        if (stale)
                *stale = rs.stale;
        return r < 0 ? r : u;
}
