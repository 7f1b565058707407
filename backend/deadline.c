/* deadline.c: waits with an end. */
#include "deadline.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* How long to wait before trying a full listen queue again. */
#define CONNECT_RETRY_MS 10

int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t deadline_after(int timeout_ms)
{
        return timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
}

int poll_timeout_until(int64_t deadline)
{
        int64_t left;

        if (deadline == INT64_MAX)
                return -1;
        left = deadline - now_ms();
        return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

int fd_wait(int fd, short events, int64_t deadline)
{
        for (;;) {
                struct pollfd p = { .fd = fd, .events = events };
                int timeout = poll_timeout_until(deadline);
                int n = poll(&p, 1, timeout);

                if (n > 0)
                        return 0;
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n == 0 && timeout == 0)
                        return -ETIMEDOUT;
        }
}

int unix_connect(const char *path, int64_t deadline)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        socklen_t len = sizeof(int);
        int err;

        if (strlen(path) >= sizeof(addr.sun_path))
                return -ENAMETOOLONG;
        memcpy(addr.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        for (;;) {
                if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) == 0)
                        return TAKE_FD(fd);
                if (errno == EINTR)
                        continue;
                if (errno == EINPROGRESS)
                        break;
                if (errno != EAGAIN)    /* a unix socket's full listen queue */
                        return -errno;
                if (now_ms() >= deadline)
                        return -ETIMEDOUT;
                poll(NULL, 0, CONNECT_RETRY_MS);
        }
        err = fd_wait(fd, POLLOUT, deadline);
        if (err < 0)
                return err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
                return -errno;
        return err ? -err : TAKE_FD(fd);
}
