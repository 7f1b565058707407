/* netlink-floor.c: the floor of the monitor's CPU per event
 * (bench/monitor.sh): a process that receives the kernel's uevents and does
 * nothing with them. Each event wakes it once, as it wakes the monitor; its
 * CPU per event is what any resident listener pays before any work. It says
 * how many it received when SIGTERM ends it. A benchmark's floor, never to be
 * installed.
 *
 *   netlink-floor        (stderr on SIGTERM: "received N events") */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

int main(void)
{
        struct sockaddr_nl addr = { .nl_family = AF_NETLINK, .nl_groups = 1 };  /* the kernel's group */
        int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
        unsigned long received = 0;
        char buf[8192];

        if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                perror("netlink-floor: uevent socket");
                return 1;
        }
        signal(SIGTERM, on_term);
        while (!stop) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return 1;
                while (recv(fd, buf, sizeof(buf), 0) > 0)
                        received++;
        }
        fprintf(stderr, "received %lu events\n", received);
        return 0;
}
