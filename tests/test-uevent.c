/* test-uevent.c: device events from the netlink (backend/uevent.c): the
 * kernel's and udevd's message formats parsed, every malformed message
 * refused, and, on the real netlink, a loop device's change event received,
 * a udevd-format message from root received, and a message forged into the
 * kernel's group by a process skipped. */
#include <endian.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "uevent.h"
#include "util.h"

static struct uevent ev;

/* A kernel message: "ACTION@DEVPATH" then PROPS ("K=V\0..."), into ev.buf. */
static size_t kernel_message(const char *head, const char *props, size_t props_len)
{
        size_t n = strlen(head) + 1;

        memcpy(ev.buf, head, n);
        memcpy(ev.buf + n, props, props_len);
        return n + props_len;
}

struct header {
        char prefix[8];
        uint32_t magic, header_size, properties_off, properties_len, subsystem_hash, devtype_hash, bloom_hi,
                bloom_lo;
};

/* A udevd message: its header, then PROPS. */
static size_t udev_message(char *buf, const char *props, size_t props_len)
{
        struct header h = { "libudev", htobe32(0xfeedcafe), sizeof(h), sizeof(h), (uint32_t)props_len, 0, 0, 0, 0 };

        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), props, props_len);
        return sizeof(h) + props_len;
}

#define LOOP_PROPS(devname) \
        "ACTION=change\0DEVPATH=/devices/virtual/block/loop3\0SUBSYSTEM=block\0MAJOR=7\0MINOR=3\0" \
        "DEVNAME=" devname "\0DEVTYPE=disk\0SEQNUM=12\0"

static void test_kernel_message_is_parsed_and_its_devname_made_absolute(void)
{
        static const char props[] = LOOP_PROPS("loop3");
        size_t len = kernel_message("change@/devices/virtual/block/loop3", props, sizeof(props) - 1);

        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_KERNEL), 0);
        CHECK_STR_EQ(ev.action, "change");
        CHECK_STR_EQ(ev.devpath, "/devices/virtual/block/loop3");
        CHECK_STR_EQ(ev.subsystem, "block");
        CHECK_STR_EQ(ev.devtype, "disk");
        CHECK_STR_EQ(ev.devname, "/dev/loop3");
        CHECK(ev.has_devno && ev.devno == makedev(7, 3));
        CHECK_INT_EQ(ev.n_env, 8);
        CHECK_STR_EQ(uevent_get(&ev, "SEQNUM"), "12");
        CHECK(ev.env[8] == NULL);
}

static void test_udev_message_is_parsed_with_all_its_properties(void)
{
        static const char props[] = LOOP_PROPS("/dev/loop3") "ID_FS_LABEL=Fotos\0UDISKS_IGNORE=1\0";
        size_t len = udev_message(ev.buf, props, sizeof(props) - 1);

        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_UDEV), 0);
        CHECK_STR_EQ(ev.devname, "/dev/loop3");
        CHECK_STR_EQ(uevent_get(&ev, "ID_FS_LABEL"), "Fotos");
        CHECK(uevent_get(&ev, "ID_MODEL") == NULL);
        /* the same bytes are no kernel message */
        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_KERNEL), -EBADMSG);
}

static void test_a_udev_header_that_lies_is_refused(void)
{
        static const char props[] = LOOP_PROPS("/dev/loop3");
        struct header h;
        size_t len;

        len = udev_message(ev.buf, props, sizeof(props) - 1);
        memcpy(&h, ev.buf, sizeof(h));
        h.magic = htobe32(0xfeedcafd);
        memcpy(ev.buf, &h, sizeof(h));
        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_UDEV), -EBADMSG);
        len = udev_message(ev.buf, props, sizeof(props) - 1);
        h.magic = htobe32(0xfeedcafe);
        h.properties_len = (uint32_t)sizeof(props);     /* one byte past the message */
        memcpy(ev.buf, &h, sizeof(h));
        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_UDEV), -EBADMSG);
        h.properties_len = 0xffffffffU;                 /* would wrap */
        memcpy(ev.buf, &h, sizeof(h));
        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_UDEV), -EBADMSG);
        h.properties_len = (uint32_t)sizeof(props) - 1;
        h.properties_off = 8;                           /* inside the header */
        memcpy(ev.buf, &h, sizeof(h));
        CHECK_INT_EQ(uevent_parse(&ev, len, UEVENT_UDEV), -EBADMSG);
        CHECK_INT_EQ(uevent_parse(&ev, sizeof(h) - 1, UEVENT_UDEV), -EBADMSG);
}

static void test_malformed_properties_are_refused(void)
{
        static const struct {
                const char *what;
                const char *props;
                size_t len;
        } cases[] = {
#define CASE(what, s) { what, s, sizeof(s) - 1 }
                CASE("no NUL after the last", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block"),
                CASE("no =", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0JUNK\0"),
                CASE("empty key", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0=x\0"),
                CASE("no ACTION", "DEVPATH=/devices/x\0SUBSYSTEM=block\0"),
                CASE("no SUBSYSTEM", "ACTION=add\0DEVPATH=/devices/x\0"),
                CASE("DEVPATH out of /devices", "ACTION=add\0DEVPATH=/devices/../../etc\0SUBSYSTEM=block\0"),
                CASE("DEVNAME out of /dev", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0DEVNAME=../etc/shadow\0"),
                CASE("DEVNAME empty", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0DEVNAME=/dev/\0"),
                CASE("MAJOR alone", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0MAJOR=7\0"),
                CASE("MINOR not a number", "ACTION=add\0DEVPATH=/devices/x\0SUBSYSTEM=block\0MAJOR=7\0MINOR=0x3\0"),
#undef CASE
        };

        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                size_t len = kernel_message("add@/devices/x", cases[i].props, cases[i].len);

                if (uevent_parse(&ev, len, UEVENT_KERNEL) != -EBADMSG) {
                        printf("  accepted: %s\n", cases[i].what);
                        CHECK(false);
                }
        }
        CHECK_INT_EQ(uevent_parse(&ev, 5, UEVENT_KERNEL), -EBADMSG);   /* "add@/" alone, no NUL */
}

static void test_too_many_properties_are_refused(void)
{
        char props[UEVENT_MESSAGE_MAX];
        size_t n = 0;

        n += (size_t)sprintf(props + n, "ACTION=add") + 1;
        n += (size_t)sprintf(props + n, "DEVPATH=/devices/x") + 1;
        n += (size_t)sprintf(props + n, "SUBSYSTEM=block") + 1;
        for (int i = 0; i < UEVENT_PROPERTIES_MAX; i++)
                n += (size_t)sprintf(props + n, "K%d=v", i) + 1;
        CHECK_INT_EQ(uevent_parse(&ev, kernel_message("add@/devices/x", props, n), UEVENT_KERNEL), -EBADMSG);
        CHECK_INT_EQ(uevent_parse(&ev, UEVENT_MESSAGE_MAX + 1, UEVENT_KERNEL), -EBADMSG);
}

/* ------------------------------------------------------ the real netlink */

static int wait_readable(int fd)
{
        struct pollfd p = { fd, POLLIN, 0 };

        return poll(&p, 1, 2000);
}

/* LOOP's change event, made and waited for: 1 when it came. */
static int receive_change_of(const char *loop)
{
        char path[64];
        _cleanup_close_ int fd = -1;
        FILE *f;
        int r = 0;

        if (uevent_open(UEVENT_KERNEL, 1 << 20, &fd, &(struct reason)REASON_INIT) < 0)
                return -1;
        snprintf(path, sizeof(path), "/sys/block/%s/uevent", loop);
        f = fopen(path, "we");
        if (!f || fputs("change", f) < 0 || fclose(f) != 0)
                return -1;
        /* other devices may speak first: this one's change must come */
        for (int i = 0; i < 100 && r == 0; i++) {
                if (wait_readable(fd) != 1)
                        return -1;
                while ((r = uevent_receive(fd, UEVENT_KERNEL, &ev)) > 0 &&
                       !(streq(ev.action, "change") && endswith(ev.devpath, loop)))
                        ;
        }
        return r;
}

static void test_a_loop_devices_change_comes_from_the_kernel(void)
{
        char loop[32] = "", cmd[96];
        FILE *f = popen("truncate -s 1M /tmp/qxd-uevent.img && losetup -f --show /tmp/qxd-uevent.img", "r");
        int r = f && fscanf(f, "/dev/%31s", loop) == 1 ? receive_change_of(loop) : -1;

        if (f)
                pclose(f);
        snprintf(cmd, sizeof(cmd), "%s%s; rm -f /tmp/qxd-uevent.img", loop[0] ? "losetup -d /dev/" : "true ", loop);
        CHECK(system(cmd) == 0);
        CHECK_INT_EQ(r, 1);
        CHECK_STR_EQ(ev.subsystem, "block");
        CHECK_STR_EQ(ev.devname + 5, loop);
}

/* A message to GROUP of the uevent netlink, from this (root) process. */
static int send_to_group(uint32_t group, const char *buf, size_t len)
{
        struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_groups = group };
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

        if (fd < 0)
                return -1;
        return sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len ? 0 : -1;
}

static void test_root_sends_udev_events_and_a_forged_kernel_event_is_skipped(void)
{
        static const char props[] = LOOP_PROPS("/dev/loop3") "QXD_TEST=uevent\0";
        _cleanup_close_ int udev_fd = -1, kernel_fd = -1;
        char buf[UEVENT_MESSAGE_MAX];
        size_t len;
        int r;

        CHECK_INT_EQ(uevent_open(UEVENT_UDEV, 1 << 20, &udev_fd, &(struct reason)REASON_INIT), 0);
        CHECK_INT_EQ(uevent_open(UEVENT_KERNEL, 1 << 20, &kernel_fd, &(struct reason)REASON_INIT), 0);
        len = udev_message(buf, props, sizeof(props) - 1);
        CHECK_INT_EQ(send_to_group(UEVENT_UDEV, buf, len), 0);
        CHECK(wait_readable(udev_fd) == 1);
        CHECK_INT_EQ(uevent_receive(udev_fd, UEVENT_UDEV, &ev), 1);
        CHECK_STR_EQ(uevent_get(&ev, "QXD_TEST"), "uevent");
        /* the kernel's group, from a process: not the kernel */
        memcpy(buf, "change@/devices/virtual/block/loop3", 36);
        memcpy(buf + 36, props, sizeof(props) - 1);
        CHECK_INT_EQ(send_to_group(UEVENT_KERNEL, buf, 36 + sizeof(props) - 1), 0);
        CHECK(wait_readable(kernel_fd) == 1);      /* it arrived: now it must be skipped */
        while ((r = uevent_receive(kernel_fd, UEVENT_KERNEL, &ev)) > 0)
                CHECK(!uevent_get(&ev, "QXD_TEST"));
        CHECK_INT_EQ(r, 0);
}

int main(void)
{
        RUN(test_kernel_message_is_parsed_and_its_devname_made_absolute);
        RUN(test_udev_message_is_parsed_with_all_its_properties);
        RUN(test_a_udev_header_that_lies_is_refused);
        RUN(test_malformed_properties_are_refused);
        RUN(test_too_many_properties_are_refused);
        RUN(test_a_loop_devices_change_comes_from_the_kernel);
        RUN(test_root_sends_udev_events_and_a_forged_kernel_event_is_skipped);
        return check_summary();
}
