/* floor-helper.c: the floor qubes-block is measured against (bench/hotplug.sh):
 * a block hotplug helper that does only what any helper must, the way Qubes'
 * own C helper works. It links libxenstore, opens params, binds a free loop
 * device to it with LOOP_CONFIGURE (the same loop as qubes-block's: 512-byte
 * blocks, direct I/O, so that the kernel's work is equal), and writes physical-device,
 * physical-device-path and diskseq in one transaction. On remove it reads
 * physical-device-path back and clears that loop device.
 *
 * It checks nothing: no mode or params validation, no sharing rule, no
 * leftovers of a killed run, no hotplug-error, no bound on the waits. It is a
 * benchmark's floor, never to be installed.
 *
 *   XENBUS_PATH=backend/vbd/D/N floor-helper add|remove */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <xenstore.h>

#ifndef BLKGETDISKSEQ
#define BLKGETDISKSEQ _IOR(0x12, 128, __u64)
#endif

static int die(const char *what)
{
        fprintf(stderr, "floor-helper: %s: %s\n", what, strerror(errno));
        return 1;
}

static char *node(const char *base, const char *key)
{
        static char path[256];

        snprintf(path, sizeof(path), "%s/%s", base, key);
        return path;
}

static int add(struct xs_handle *xs, const char *base)
{
        struct loop_config config = { 0 };
        char *params, *mode, devpath[32], value[32];
        unsigned len;
        struct stat st;
        bool ro;
        int fd, ctl, loop, n;
        __u64 seq = 0;
        xs_transaction_t t;

        params = xs_read(xs, XBT_NULL, node(base, "params"), &len);
        mode = xs_read(xs, XBT_NULL, node(base, "mode"), &len);
        if (!params)
                return die("params");
        ro = !mode || mode[0] != 'w';
        fd = open(params, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return die(params);
        loop = fd;
        snprintf(devpath, sizeof(devpath), "%s", params);
        if (S_ISREG(st.st_mode)) {
                ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
                n = ctl < 0 ? -1 : ioctl(ctl, LOOP_CTL_GET_FREE);
                if (n < 0)
                        return die("loop-control");
                snprintf(devpath, sizeof(devpath), "/dev/loop%d", n);
                loop = open(devpath, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                /* the same loop as qubes-block's: 512-byte blocks, direct I/O */
                config.fd = (unsigned)fd;
                config.block_size = 512;
                config.info.lo_flags = LO_FLAGS_DIRECT_IO | (ro ? LO_FLAGS_READ_ONLY : 0);
                if (loop < 0 || ioctl(loop, LOOP_CONFIGURE, &config) < 0)
                        return die(devpath);
                if (fstat(loop, &st) < 0)
                        return die(devpath);
        }
        ioctl(loop, BLKGETDISKSEQ, &seq);
        do {
                t = xs_transaction_start(xs);
                snprintf(value, sizeof(value), "%x:%x", major(st.st_rdev), minor(st.st_rdev));
                xs_write(xs, t, node(base, "physical-device"), value, strlen(value));
                xs_write(xs, t, node(base, "physical-device-path"), devpath, strlen(devpath));
                snprintf(value, sizeof(value), "%llx", (unsigned long long)seq);
                xs_write(xs, t, node(base, "diskseq"), value, strlen(value));
        } while (!xs_transaction_end(xs, t, false) && errno == EAGAIN);
        return 0;
}

static int remove_(struct xs_handle *xs, const char *base)
{
        unsigned len;
        char *devpath = xs_read(xs, XBT_NULL, node(base, "physical-device-path"), &len);
        int loop;

        if (!devpath)
                return die("physical-device-path");
        if (strncmp(devpath, "/dev/loop", 9) == 0) {
                loop = open(devpath, O_RDONLY | O_CLOEXEC);
                if (loop < 0 || ioctl(loop, LOOP_CLR_FD) < 0)
                        return die(devpath);
        }
        return 0;
}

int main(int argc, char **argv)
{
        const char *base = getenv("XENBUS_PATH");
        struct xs_handle *xs;

        if (argc != 2 || !base)
                return 2;
        xs = xs_open(0);
        if (!xs)
                return die("xs_open");
        return strcmp(argv[1], "add") == 0 ? add(xs, base) : remove_(xs, base);
}
