/* monitor.c: the monitor's event loop: udev's netlink, the mount table,
 * this domain's vbds, the store's health, and the work they make. */
#include "monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <time.h>

#include "block-event.h"
#include "blockdev.h"
#include "coalesce.h"
#include "deadline.h"
#include "log.h"
#include "monitor-lock.h"
#include "mounts.h"
#include "udev-event.h"
#include "uevent.h"
#include "usb-event.h"
#include "util.h"
#include "xs.h"

/* Devices waiting to be handled; past this the queue is dropped for a
 * resync: memory stays bounded whatever the storm. */
#define PENDING_MAX 4096
/* Reconnecting to a store or xenstore that went away: from 0.5 s up to 30 s. */
#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 30000
/* blkback's list of served devices follows the vbd's nodes: looked at when
 * they change and once more a little later. */
#define VBD_SETTLE_MS 1000
#define UDEV_BUFFER_BYTES (8 << 20)

struct pending {
        bool block;
        bool removed;
        bool family;                    /* block: the disk and its partitions too */
        char *key;                      /* block: sysfs name; USB: DEVPATH */
        char *devname;                  /* block: "/dev/loop0", for a remove */
        char **env;                     /* the last event's properties (NULL: judged
                                         * on udev's database, as a relative) */
        char *devpath;                  /* block, with ENV: the event's DEVPATH */
        dev_t devno;                    /* block, with ENV */
};

struct monitor {
        struct monitor_options opts;
        struct store *store;
        int64_t store_retry_at;
        int store_backoff_ms;
        struct xsc *xs;                 /* the watch on backend/vbd */
        int64_t xs_retry_at;
        int xs_backoff_ms;
        enum uevent_source source;
        int uevent_fd;
        struct uevent *uevent;          /* the buffer each event is read into */
        int mountinfo_fd, swaps_fd, signal_fd;
        struct mounts *mounts;          /* as last seen */
        dev_t *vbds;                    /* as last seen */
        size_t n_vbds;
        int64_t vbd_check_at[2];        /* 0: none scheduled */
        struct pending *pending;
        size_t n_pending, pending_allocated;
        struct coalesce batch;          /* when the pending work is due */
        bool resync_needed, stop;
        unsigned long events, batches;
};

static void say(const struct reason *note, void *userdata)
{
        log_reason(LOG_LEVEL_INFO, note);
}

/* ---------------------------------------------------------------- pending */

static void pending_free(struct pending *p)
{
        free(p->key);
        free(p->devname);
        free(p->devpath);
        strv_free(p->env);
        *p = (struct pending){ 0 };
}

static void pending_clear(struct monitor *m)
{
        for (size_t i = 0; i < m->n_pending; i++)
                pending_free(&m->pending[i]);
        m->n_pending = 0;
        coalesce_done(&m->batch);
}

/* The pending work of device KEY, made anew when there is none: a burst of
 * events of one device is handled once, as its last event says. */
static struct pending *pending_of(struct monitor *m, bool block, const char *key)
{
        struct pending *p = NULL;

        for (size_t i = 0; i < m->n_pending && !p; i++)
                if (m->pending[i].block == block && streq(m->pending[i].key, key))
                        p = &m->pending[i];
        if (!p) {
                if (m->n_pending >= PENDING_MAX) {
                        log_warning("more than %d devices waiting: dropped for a resync", PENDING_MAX);
                        pending_clear(m);
                        m->resync_needed = true;
                        return NULL;
                }
                if (ARRAY_RESERVE(m->pending, m->pending_allocated, m->n_pending + 1) < 0)
                        return NULL;
                p = &m->pending[m->n_pending];
                *p = (struct pending){ .block = block, .key = strdup(key) };
                if (!p->key)
                        return NULL;
                m->n_pending++;
        }
        coalesce_event(&m->batch, now_ms());
        return p;
}

/* The event's properties, kept with its pending work. */
static char **env_copy(const struct uevent *ev)
{
        char **env = calloc(ev->n_env + 1, sizeof(char *));

        for (size_t i = 0; env && i < ev->n_env; i++)
                if (!(env[i] = strdup(ev->env[i]))) {
                        strv_free(env);
                        return NULL;
                }
        return env;
}

/* Block device SYSNAME, judged again; with EV, on that event's properties
 * (the netlink gives them: no database to read). */
static void pending_block(struct monitor *m, const char *sysname, const char *devname, bool removed, bool family,
                          const struct uevent *ev)
{
        struct pending *p = pending_of(m, true, sysname);

        if (!p)
                return;
        p->removed = removed;
        p->family |= family;
        if (ev && ev->has_devno) {
                strv_free(p->env);
                free(p->devpath);
                p->devpath = strdup(ev->devpath);
                p->devno = ev->devno;
                p->env = p->devpath ? env_copy(ev) : NULL;      /* without: judged on the database */
        }
        if (devname && (!p->devname || !streq(p->devname, devname))) {
                free(p->devname);
                p->devname = strdup(devname);
        }
}

/* The block device DEVNO by its sysfs name, judged again. */
static void pending_devno(struct monitor *m, dev_t devno, bool family)
{
        char link[64], target[PATH_MAX];
        ssize_t n;

        snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(devno), minor(devno));
        n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
                return;         /* gone: its remove event says so */
        target[n] = '\0';
        pending_block(m, strrchr(target, '/') ? strrchr(target, '/') + 1 : target, NULL, false, family, NULL);
}

/* ------------------------------------------------------------- uevents */

/* SYSNAME: the last component of DEVPATH. */
static const char *sysname_of(const char *devpath)
{
        return strrchr(devpath, '/') + 1;
}

static void take_uevent(struct monitor *m, const struct uevent *ev)
{
        bool removed = streq(ev->action, "remove");
        struct pending *p;

        m->events++;
        if (streq(ev->subsystem, "block")) {
                pending_block(m, sysname_of(ev->devpath), ev->devname[0] ? ev->devname : NULL, removed, false, ev);
                return;
        }
        /* USB devices only: an interface's name is no entry */
        if (!streq(ev->subsystem, "usb") || !ev->devtype || !streq(ev->devtype, "usb_device"))
                return;
        p = pending_of(m, false, ev->devpath);
        if (!p)
                return;
        p->removed = removed;
        strv_free(p->env);
        p->env = env_copy(ev);
        if (!p->env)
                m->resync_needed = true;
}

static void drain_uevents(struct monitor *m)
{
        int r;

        while ((r = uevent_receive(m->uevent_fd, m->source, m->uevent)) != 0) {
                if (r > 0) {
                        take_uevent(m, m->uevent);
                        continue;
                }
                /* the kernel dropped events: whatever they said, a resync says too */
                if (r == -ENOBUFS) {
                        log_warning("device events were lost (the receive buffer overflowed): resync");
                        m->resync_needed = true;
                        continue;
                }
                log_warning("cannot read device events: %s", strerror(-r));
                return;
        }
}

/* udevd's events when it runs (they carry its properties), else the
 * kernel's (a domain without udevd). */
static int open_uevents(struct monitor *m, struct reason *why)
{
        int r;

        m->source = access("/run/udev/control", F_OK) == 0 ? UEVENT_UDEV : UEVENT_KERNEL;
        m->uevent = malloc(sizeof(*m->uevent));
        if (!m->uevent)
                return reason_set_errno(why, -ENOMEM, "cannot listen to device events");
        r = uevent_open(m->source, UDEV_BUFFER_BYTES, &m->uevent_fd, why);
        if (r < 0)
                return r;
        log_info("listening to %s events", m->source == UEVENT_UDEV ? "udev" : "kernel");
        return 0;
}

/* ---------------------------------------------------- mounts and vbds */

struct mount_diff {
        struct monitor *m;
        const struct mounts *other;
};

static int note_changed_use(dev_t devno, enum mount_use use, void *userdata)
{
        const struct mount_diff *d = userdata;

        if (mounts_device_use(d->other, devno) != use)
                pending_devno(d->m, devno, false);
        return 0;
}

/* A mount, unmount, swapon or swapoff: the devices whose use changed. */
static void mounts_changed(struct monitor *m)
{
        struct mounts *now = NULL;
        int r = mounts_load(&now);

        if (r < 0) {
                log_warning("cannot read the mount table: %s", strerror(-r));
                return;
        }
        if (m->mounts) {
                mounts_foreach(now, note_changed_use, &(struct mount_diff){ m, m->mounts });
                mounts_foreach(m->mounts, note_changed_use, &(struct mount_diff){ m, now });
                mounts_free(m->mounts);
        }
        m->mounts = now;
}

static bool contains(const dev_t *v, size_t n, dev_t devno)
{
        for (size_t i = 0; i < n; i++)
                if (v[i] == devno)
                        return true;
        return false;
}

/* blkback's list changed: each device attached or detached since, with its
 * disk and siblings (a disk attached hides its partitions, and back). */
static void vbds_changed(struct monitor *m)
{
        struct blockdev_context ctx = { 0 };
        struct reason why = REASON_INIT;

        if (blockdev_context_load_vbds(&ctx, &why) < 0) {
                log_reason(LOG_LEVEL_WARNING, &why);
                return;
        }
        for (size_t i = 0; i < ctx.n_vbds; i++)
                if (!contains(m->vbds, m->n_vbds, ctx.vbds[i]))
                        pending_devno(m, ctx.vbds[i], true);
        for (size_t i = 0; i < m->n_vbds; i++)
                if (!contains(ctx.vbds, ctx.n_vbds, m->vbds[i]))
                        pending_devno(m, m->vbds[i], true);
        free(m->vbds);
        m->vbds = TAKE_PTR(ctx.vbds);
        m->n_vbds = ctx.n_vbds;
        blockdev_context_done(&ctx);
}

/* ------------------------------------------------------ the connections */

static int64_t next_retry(int *backoff_ms)
{
        *backoff_ms = *backoff_ms ? (*backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : *backoff_ms * 2) : RETRY_MIN_MS;
        return now_ms() + *backoff_ms;
}

static void store_lost(struct monitor *m, const struct reason *why)
{
        if (why)
                log_reason(LOG_LEVEL_WARNING, why);
        if (m->store) {
                log_warning("lost the %s store: reconnecting", store_name(m->store));
                store_close(m->store);
                m->store = NULL;
        }
        m->store_retry_at = next_retry(&m->store_backoff_ms);
}

static void store_connect(struct monitor *m)
{
        struct reason why = REASON_INIT;

        if (store_open(m->opts.store, &m->store, &why) < 0) {
                if (m->store_backoff_ms == 0)
                        log_reason(LOG_LEVEL_WARNING, &why);
                m->store = NULL;
                m->store_retry_at = next_retry(&m->store_backoff_ms);
                return;
        }
        /* whatever happened while it was away, a resync puts right */
        log_info("publishing in %s", store_name(m->store));
        m->store_backoff_ms = 0;
        m->store_retry_at = 0;
        m->resync_needed = true;
}

/* This domain's vbds (relative: its own home) watched in xenstore. A
 * domain without xenstore (none here, or not yet) simply has no attaches
 * to follow until it comes. */
static void xs_connect(struct monitor *m)
{
        struct reason why = REASON_INIT;
        int r;

        r = xsc_open(&m->xs, &why);
        if (r == 0) {
                xsc_set_budget(m->xs, -1);
                r = xsc_watch(m->xs, "backend/vbd", "vbd");
                if (r < 0)
                        reason_set_errno(&why, r, "cannot watch backend/vbd in xenstore");
        }
        if (r < 0) {
                if (m->xs_backoff_ms == 0)
                        log_info("attaches are not followed until xenstore can be watched: %s", why.text);
                if (m->xs)
                        xsc_close(m->xs);
                m->xs = NULL;
                m->xs_retry_at = next_retry(&m->xs_backoff_ms);
                return;
        }
        m->xs_backoff_ms = 0;
        m->xs_retry_at = 0;
}

static void drain_xs(struct monitor *m)
{
        char *path, *token;
        int r;

        while ((r = xsc_read_watch(m->xs, 0, &path, &token)) == 0 || r == -ENOBUFS) {
                if (r == 0) {
                        free(path);
                        free(token);
                }
                m->vbd_check_at[0] = now_ms();
                m->vbd_check_at[1] = now_ms() + VBD_SETTLE_MS;
        }
        if (r != -EAGAIN) {
                log_info("the xenstore watch ended (%s): reconnecting", strerror(-r));
                xsc_close(m->xs);
                m->xs = NULL;
                m->xs_retry_at = next_retry(&m->xs_backoff_ms);
        }
}

/* ----------------------------------------------------------------- work */

/* P's device judged into BE: as removed when it is gone, with its family
 * when an attach or a mount changed it, else with its relatives. */
static void judge_block(struct block_event *be, const struct pending *p)
{
        /* the event outlives BD, which reads its properties */
        struct udev_event ev = { .env = p->env, .devpath = p->devpath, .devname = p->devname,
                                 .has_devno = true, .devno = p->devno };
        _cleanup_blockdev_ struct blockdev *bd = NULL;
        struct reason why = REASON_INIT;
        int r = 0;

        if (!p->removed && p->env && p->devname) {
                r = blockdev_open_event(&ev, &bd, &why);
                if (r == -EINVAL) {     /* not that device any more: as a relative */
                        reason_clear(&why);
                        r = blockdev_open_sysname(p->key, &bd, &why);
                }
        } else if (!p->removed) {
                r = blockdev_open_sysname(p->key, &bd, &why);
        }
        if (p->removed || r == -ENODEV) {
                if (p->devname)
                        r = block_event_judge_removed(be, p->devname, &why);
                else
                        r = 0;
        } else if (r == 0 && p->family) {
                r = block_event_judge_family(be, bd, &why);
        } else if (r == 0) {
                r = block_event_judge(be, bd, &why);
        }
        if (r < 0)
                log_reason(LOG_LEVEL_WARNING, &why);
}

static void handle_usb(struct monitor *m, const struct pending *p)
{
        struct udev_event ev = { .env = p->env, .devpath = p->key };
        struct reason why = REASON_INIT;
        int r;

        r = p->removed ? usb_event_remove(m->store, &ev, &why) : usb_event_add_change(m->store, &ev, &why);
        if (reason_is_set(&why))
                log_reason(r < 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO, &why);
}

/* The waiting devices, the block ones written in one update. */
static void handle_pending(struct monitor *m)
{
        struct block_event be;
        struct reason why = REASON_INIT;
        int r;

        block_event_init(&be, m->store, say, NULL);
        /* the table as of the last POLLPRI: a change since is still in
         * poll's hands, and mounts_changed() queues the devices it touches */
        block_event_use_mounts(&be, m->mounts);
        for (size_t i = 0; i < m->n_pending; i++)
                if (m->pending[i].block)
                        judge_block(&be, &m->pending[i]);
        r = block_event_apply(&be, &why);
        if (r < 0 && store_error_is_lost(r))
                store_lost(m, &why);
        else if (r < 0)
                log_reason(LOG_LEVEL_WARNING, &why);
        block_event_done(&be);
        for (size_t i = 0; m->store && i < m->n_pending; i++)
                if (!m->pending[i].block)
                        handle_usb(m, &m->pending[i]);
        m->batches++;
        pending_clear(m);
}

/* Both lists made true on STORE, said in one line; each half's failure
 * with its reason. */
static void resync_store(struct store *store, int *r, struct reason *block_why, int *u, struct reason *usb_why)
{
        struct block_event be;
        size_t usb_written = 0, usb_stale = 0;

        block_event_init(&be, store, say, NULL);
        *r = block_event_resync(&be, block_why);
        *u = usb_event_resync(store, &usb_written, &usb_stale, usb_why);
        log_info("resync: %zu block entries written, %zu dropped; %zu USB entries written, %zu dropped",
                 be.n_written, be.n_stale, usb_written, usb_stale);
        block_event_done(&be);
}

static void resync(struct monitor *m)
{
        struct reason why = REASON_INIT, usb_why = REASON_INIT;
        int r, u;

        pending_clear(m);       /* a resync judges them all */
        resync_store(m->store, &r, &why, &u, &usb_why);
        m->resync_needed = false;
        if (r < 0)
                log_reason(LOG_LEVEL_WARNING, &why);
        if (u < 0)
                log_reason(LOG_LEVEL_WARNING, &usb_why);
        /* a store that failed the resync is asked again later */
        if (m->store && (store_error_is_lost(r) || store_error_is_lost(u)))
                store_lost(m, NULL);
}

/* --------------------------------------------------------------- setup */

static int open_signals(struct monitor *m, struct reason *why)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
                return reason_set_errno(why, negative_errno(), "cannot block signals");
        m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
        return m->signal_fd < 0 ? reason_set_errno(why, negative_errno(), "cannot open a signalfd") : 0;
}

static void take_signals(struct monitor *m)
{
        struct signalfd_siginfo si;

        while (read(m->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGHUP) {
                        log_info("SIGHUP: resync");
                        m->resync_needed = true;
                } else {
                        m->stop = true;
                }
        }
}

/* Tell systemd (Type=notify) that the lists are true now. */
static void notify_ready(void)
{
        const char *path = getenv("NOTIFY_SOCKET");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        size_t len;

        if (!path || !*path || strlen(path) >= sizeof(addr.sun_path))
                return;
        memcpy(addr.sun_path, path, strlen(path));
        if (addr.sun_path[0] == '@')
                addr.sun_path[0] = '\0';        /* an abstract socket */
        len = offsetof(struct sockaddr_un, sun_path) + strlen(path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd >= 0)
                sendto(fd, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&addr, (socklen_t)len);
}

static void monitor_done(struct monitor *m)
{
        pending_clear(m);
        free(m->pending);
        free(m->vbds);
        if (m->mounts)
                mounts_free(m->mounts);
        if (m->store)
                store_close(m->store);
        if (m->xs)
                xsc_close(m->xs);
        free(m->uevent);
        closep(&m->uevent_fd);
        closep(&m->mountinfo_fd);
        closep(&m->swaps_fd);
        closep(&m->signal_fd);
}

static int monitor_start(struct monitor *m, struct reason *why)
{
        int r;

        if ((r = open_signals(m, why)) < 0 || (r = open_uevents(m, why)) < 0)
                return r;
        /* the mount table and swap list say "changed" with POLLPRI */
        m->mountinfo_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        m->swaps_fd = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
        if (m->mountinfo_fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open /proc/self/mountinfo");
        mounts_changed(m);
        vbds_changed(m);
        pending_clear(m);       /* the first look is the resync's */
        store_connect(m);
        xs_connect(m);
        return 0;
}

/* ------------------------------------------------------------------ loop */

static int timeout_until(int64_t at, int64_t now, int current)
{
        int64_t wait;

        if (!at)
                return current;
        wait = at > now ? at - now : 0;
        return current < 0 || wait < current ? (int)wait : current;
}

static int next_timeout(const struct monitor *m)
{
        int64_t now = now_ms();
        int timeout = -1;

        timeout = timeout_until(coalesce_due(&m->batch), now, timeout);
        if (m->resync_needed && m->store)
                timeout = 0;
        timeout = timeout_until(m->store ? 0 : m->store_retry_at, now, timeout);
        timeout = timeout_until(m->xs ? 0 : m->xs_retry_at, now, timeout);
        timeout = timeout_until(m->vbd_check_at[0], now, timeout);
        return timeout_until(m->vbd_check_at[1], now, timeout);
}

static void poll_once(struct monitor *m)
{
        struct pollfd fds[6] = {
                { .fd = m->signal_fd, .events = POLLIN },
                { .fd = m->uevent_fd, .events = POLLIN },
                { .fd = m->mountinfo_fd, .events = POLLPRI },
                { .fd = m->swaps_fd, .events = POLLPRI },
                { .fd = m->xs ? xsc_fd(m->xs) : -1, .events = POLLIN },
                { .fd = m->store ? store_fd(m->store) : -1, .events = POLLIN },
        };

        if (poll(fds, ARRAY_SIZE(fds), next_timeout(m)) < 0)
                return;
        if (fds[0].revents)
                take_signals(m);
        if (fds[1].revents)
                drain_uevents(m);
        if ((fds[2].revents | fds[3].revents) & (POLLPRI | POLLERR))
                mounts_changed(m);
        if (m->xs && fds[4].revents)
                drain_xs(m);
        if (m->store && fds[5].revents)
                store_lost(m, NULL);    /* a store says nothing unasked: it closed */
}

static void run_due_work(struct monitor *m)
{
        int64_t now = now_ms();

        if (!m->store && m->store_retry_at && now >= m->store_retry_at)
                store_connect(m);
        if (!m->xs && m->xs_retry_at && now >= m->xs_retry_at)
                xs_connect(m);
        for (size_t i = 0; i < ARRAY_SIZE(m->vbd_check_at); i++)
                if (m->vbd_check_at[i] && now >= m->vbd_check_at[i]) {
                        m->vbd_check_at[i] = 0;
                        vbds_changed(m);
                }
        if (!m->store)
                return;         /* the work waits; the resync at reconnection does it */
        if (m->resync_needed) {
                resync(m);
                return;
        }
        if (m->n_pending && now >= coalesce_due(&m->batch))
                handle_pending(m);
}

int monitor_run(const struct monitor_options *options, struct reason *why)
{
        struct monitor m = { .opts = *options,
                             .batch = COALESCE_INIT(options->debounce_ms, options->max_delay_ms),
                             .mountinfo_fd = -1, .swaps_fd = -1, .signal_fd = -1,
                             .uevent_fd = -1 };
        _cleanup_close_ int lock = monitor_lock_take(why);
        bool ready = false;
        int r;

        if (lock < 0)
                return lock;
        r = monitor_start(&m, why);
        while (r == 0 && !m.stop) {
                run_due_work(&m);
                if (!ready && m.store && !m.resync_needed) {
                        ready = true;
                        log_info("ready: the lists are true");
                        notify_ready();
                }
                poll_once(&m);
        }
        if (r == 0)
                log_info("stopping after %lu events in %lu batches", m.events, m.batches);
        monitor_done(&m);
        return r;
}

int monitor_resync_once(enum store_choice choice, int wait_s, struct reason *why)
{
        _cleanup_store_ struct store *store = NULL;
        int64_t give_up = now_ms() + (int64_t)wait_s * 1000;
        int r, u;

        for (;;) {
                struct reason attempt = REASON_INIT;

                r = store_open(choice, &store, &attempt);
                if (r == 0)
                        break;
                if (now_ms() >= give_up)
                        return reason_set(why, r, "%s", attempt.text);
                usleep(200 * 1000);
        }
        resync_store(store, &r, why, &u, why);
        return r < 0 ? r : u;
}
