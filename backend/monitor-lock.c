/* monitor-lock.c: the monitor's lock in the runtime dir. */
#include "monitor-lock.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "configure.h"
#include "settings.h"
#include "util.h"

#define MONITOR_LOCK QUBES_RUNTIME_DIR "/devices-monitor.lock"
/* 10 ms apart: a second for the helpers' probes to let go */
#define MONITOR_LOCK_TRIES 100

int monitor_lock_take(struct reason *why)
{
        _cleanup_close_ int fd = -1;
        int r = runtime_dir_ensure(why);

        if (r < 0)
                return r;
        fd = open(MONITOR_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
        if (fd < 0)
                return reason_set_errno(why, negative_errno(), "cannot open %s", MONITOR_LOCK);
        /* a helper asking whether we run holds the lock shared for a
         * moment (a storm of them at boot): only a holder that stays is
         * another monitor */
        for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
                if (errno != EWOULDBLOCK)
                        return reason_set_errno(why, negative_errno(), "cannot lock %s", MONITOR_LOCK);
                if (tries == MONITOR_LOCK_TRIES)
                        return reason_set(why, -EBUSY, "another monitor runs (it holds %s)", MONITOR_LOCK);
                poll(NULL, 0, 10);
        }
        return TAKE_FD(fd);
}

bool monitor_lock_held(void)
{
        _cleanup_close_ int fd = open(MONITOR_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

        /* a shared lock is refused only while the monitor holds its own */
        return fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
}
