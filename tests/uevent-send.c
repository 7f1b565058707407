/* uevent-send.c: send one device event to udevd's netlink group, as udevd
 * does after its rules (libudev's monitor format), for the monitor's tests
 * in a namespace where it listens to udev events without a udevd.
 *
 *   uevent-send KEY=VALUE...     (ACTION, DEVPATH, SUBSYSTEM among them) */
#include <endian.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        struct {
                char prefix[8];
                uint32_t magic, header_size, properties_off, properties_len, subsystem_hash, devtype_hash,
                        bloom_hi, bloom_lo;
        } h = { "libudev", htobe32(0xfeedcafe), sizeof(h), sizeof(h), 0, 0, 0, 0, 0 };
        struct sockaddr_nl to = { .nl_family = AF_NETLINK, .nl_groups = 2 };
        char buf[8192];
        size_t len = sizeof(h);
        int fd;

        for (int i = 1; i < argc; i++) {
                size_t n = strlen(argv[i]) + 1;

                if (!strchr(argv[i], '=') || len + n > sizeof(buf)) {
                        fprintf(stderr, "uevent-send: '%s' is no KEY=VALUE, or too much\n", argv[i]);
                        return 2;
                }
                memcpy(buf + len, argv[i], n);
                len += n;
        }
        h.properties_len = (uint32_t)(len - sizeof(h));
        memcpy(buf, &h, sizeof(h));
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
        if (fd < 0 || sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len) {
                perror("uevent-send");
                return 1;
        }
        close(fd);
        return 0;
}
