/* event-floor.c: the floor a udev block event is measured against
 * (bench/udev-block.sh): a helper that does only what any helper must to
 * publish a device, and nothing that can be left out. From the event's
 * DEVPATH it reads the device's size and read-only flag from sysfs, connects
 * to xenstored (XENSTORED_PATH, as libxenstore does) and asks for the
 * entry's size node in one request on the wire, the read a helper needs
 * before it decides whether to write. No library but libc.
 *
 * It checks nothing: no mount, swap, holder, slave or loop checks, no
 * exclusion files, no bound on the wait, no validation of what it reads.
 * A benchmark's floor, never to be installed.
 *
 *   DEVPATH=/devices/virtual/block/loop0 event-floor */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xen/io/xs_wire.h>

static int read_attr(const char *devpath, const char *attr, char *buf, size_t size)
{
        char path[512];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/sys%s/%s", devpath, attr);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return 0;
}

int main(void)
{
        const char *devpath = getenv("DEVPATH"), *socket_path = getenv("XENSTORED_PATH");
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        struct { struct xsd_sockmsg hdr; char body[XENSTORE_PAYLOAD_MAX]; } msg = { 0 };
        char size[32], ro[8];
        int fd, n;

        if (!devpath || !socket_path || !strrchr(devpath, '/'))
                return 2;
        if (read_attr(devpath, "size", size, sizeof(size)) < 0 || read_attr(devpath, "ro", ro, sizeof(ro)) < 0)
                return 1;
        n = snprintf(msg.body, sizeof(msg.body), "qubes-block-devices/%s/size", strrchr(devpath, '/') + 1);
        msg.hdr.type = XS_READ;
        msg.hdr.len = (unsigned)n + 1;
        snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
                return 1;
        if (write(fd, &msg, sizeof(msg.hdr) + msg.hdr.len) < 0 || read(fd, &msg, sizeof(msg)) <= 0)
                return 1;
        return 0;
}
