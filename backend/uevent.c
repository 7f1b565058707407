/* uevent.c: the uevent netlink, the kernel's messages and udevd's. */
#include "uevent.h"

#include <endian.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udev-event.h"
#include "util.h"

/* udevd's messages start with this header (libudev's monitor protocol,
 * unchanged since 2009); the properties follow at properties_off. */
struct udev_monitor_header {
        char prefix[8];                 /* "libudev" */
        uint32_t magic;                 /* big endian */
        uint32_t header_size;
        uint32_t properties_off;
        uint32_t properties_len;
        uint32_t filter_subsystem_hash;
        uint32_t filter_devtype_hash;
        uint32_t filter_tag_bloom_hi;
        uint32_t filter_tag_bloom_lo;
};

#define UDEV_MONITOR_MAGIC 0xfeedcafeU

int uevent_open(enum uevent_source source, int rcvbuf, int *out, struct reason *why)
{
        struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = (uint32_t)source };
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        const char *what = source == UEVENT_UDEV ? "udev" : "kernel";
        int on = 1;

        if (fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open the uevent netlink");
        /* the sender's credentials: only the kernel's and root's count */
        if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
                return reason_set_errno(why, negative_errno(), "cannot ask for the senders of %s events", what);
        /* a storm waits in the kernel while the monitor works */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
                return reason_set_errno(why, negative_errno(), "cannot listen to %s events", what);
        *out = TAKE_FD(fd);
        return 0;
}

const char *uevent_get(const struct uevent *ev, const char *key)
{
        return udev_env_get(ev->env, key);
}

/* The NUL-separated KEY=VALUE properties in [P, END). */
static int parse_properties(struct uevent *ev, char *p, const char *end)
{
        while (p < end) {
                size_t len = strnlen(p, (size_t)(end - p));
                char *eq = memchr(p, '=', len);

                if (p + len == end)
                        return -EBADMSG;        /* the last one has no NUL */
                if (!eq || eq == p || ev->n_env >= UEVENT_PROPERTIES_MAX)
                        return -EBADMSG;
                ev->env[ev->n_env++] = p;
                p += len + 1;
        }
        ev->env[ev->n_env] = NULL;
        return 0;
}

/* DEVNAME: udevd's is "/dev/sda1", the kernel's "sda1"; neither may leave /dev. */
static int set_devname(struct uevent *ev, const char *devname)
{
        const char *name = startswith(devname, "/dev/") ? devname + 5 : devname;

        if (!*name || *name == '/' || strstr(name, "..") ||
            snprintf(ev->devname, sizeof(ev->devname), "/dev/%s", name) >= (int)sizeof(ev->devname))
                return -EBADMSG;
        return 0;
}

int uevent_parse(struct uevent *ev, size_t len, enum uevent_source source)
{
        const char *devname, *major, *minor;
        char *start, *end = ev->buf + len;
        int r;

        if (len > UEVENT_MESSAGE_MAX)
                return -EBADMSG;
        ev->buf[len] = '\0';
        ev->n_env = 0;
        ev->env[0] = NULL;
        ev->devname[0] = '\0';
        ev->has_devno = false;
        if (source == UEVENT_UDEV) {
                struct udev_monitor_header h;

                if (len < sizeof(h))
                        return -EBADMSG;
                memcpy(&h, ev->buf, sizeof(h));
                if (memcmp(h.prefix, "libudev", 8) != 0 || be32toh(h.magic) != UDEV_MONITOR_MAGIC ||
                    h.header_size < sizeof(h) || h.properties_off < h.header_size ||
                    h.properties_off > len || h.properties_len > len - h.properties_off)
                        return -EBADMSG;
                start = ev->buf + h.properties_off;
                end = start + h.properties_len;
        } else {
                /* "ACTION@DEVPATH", then the properties */
                size_t head = strnlen(ev->buf, len);

                if (head == len || !memchr(ev->buf, '@', head))
                        return -EBADMSG;
                start = ev->buf + head + 1;
        }
        r = parse_properties(ev, start, end);
        if (r < 0)
                return r;
        ev->action = uevent_get(ev, "ACTION");
        ev->devpath = uevent_get(ev, "DEVPATH");
        ev->subsystem = uevent_get(ev, "SUBSYSTEM");
        ev->devtype = uevent_get(ev, "DEVTYPE");
        if (!ev->action || !ev->subsystem || !ev->devpath || !udev_devpath_is_valid(ev->devpath))
                return -EBADMSG;
        devname = uevent_get(ev, "DEVNAME");
        if (devname && set_devname(ev, devname) < 0)
                return -EBADMSG;
        major = uevent_get(ev, "MAJOR");
        minor = uevent_get(ev, "MINOR");
        if (major || minor) {
                if (udev_parse_devno(major, minor, &ev->devno) < 0)
                        return -EBADMSG;
                ev->has_devno = true;
        }
        return 0;
}

/* Whether the message came from the kernel (SOURCE's group) or from a
 * root process (udevd's group), as its address and credentials say. */
static bool sender_is_trusted(const struct msghdr *msg, const struct sockaddr_nl *sa, enum uevent_source source)
{
        struct ucred cred;
        bool have_cred = false;

        for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
                    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                        memcpy(&cred, CMSG_DATA(c), sizeof(cred));
                        have_cred = true;
                }
        if (!have_cred || cred.uid != 0 || sa->nl_groups != (uint32_t)source)
                return false;
        /* the kernel's messages have no sending process */
        return source == UEVENT_KERNEL ? sa->nl_pid == 0 : true;
}

int uevent_receive(int fd, enum uevent_source source, struct uevent *ev)
{
        for (;;) {
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(struct ucred))];
                } control;
                struct sockaddr_nl sa = { 0 };
                struct iovec iov = { ev->buf, UEVENT_MESSAGE_MAX };
                struct msghdr msg = {
                        .msg_name = &sa, .msg_namelen = sizeof(sa),
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof(control),
                };
                ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : negative_errno();
                }
                /* someone else's, cut short, or malformed: the next one */
                if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || !sender_is_trusted(&msg, &sa, source) ||
                    uevent_parse(ev, (size_t)n, source) < 0)
                        continue;
                return 1;
        }
}
