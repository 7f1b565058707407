/* deadline.h: waits with an end. Every wait of ours (a socket to a daemon,
 * its replies) is bounded, well under the 40 s libxl gives a hotplug script:
 * a deadline is a CLOCK_MONOTONIC time in milliseconds, INT64_MAX for none
 * (a resident program's idle wait). */
#pragma once

#include <stdint.h>

int64_t now_ms(void);
/* now + TIMEOUT_MS; TIMEOUT_MS < 0: INT64_MAX. */
int64_t deadline_after(int timeout_ms);
/* The poll() timeout that ends at DEADLINE (0 once it passed, -1 for none). */
int poll_timeout_until(int64_t deadline);

/* Wait for EVENTS on FD until DEADLINE: 0 when ready (POLLHUP and POLLERR
 * too: the I/O that follows says what happened), -ETIMEDOUT, -errno. */
int fd_wait(int fd, short events, int64_t deadline);

/* A non-blocking stream socket connected to the unix socket at PATH, or
 * -errno (-ETIMEDOUT when the daemon's listen queue stayed full until
 * DEADLINE, -ENAMETOOLONG for a path a socket address cannot hold). */
int unix_connect(const char *path, int64_t deadline);
