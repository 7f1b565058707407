/* daemon.h: the resident dom0 service. It prepares every domain as it is
 * introduced (xenstore's @introduceDomain), follows each domain's entries and
 * vbd backends with watches, and reports every device that appears,
 * disappears, is attached or detached. A domain that dies at any point is
 * just gone (@releaseDomain, or its nodes vanishing under a read). */
#pragma once

#include <xenstore.h>

enum daemon_level { DAEMON_INFO, DAEMON_WARNING, DAEMON_ERROR };

struct daemon_sink {
        void (*line)(void *userdata, enum daemon_level level, const char *text);
        void *userdata;
};

/* Runs until STOP_FD (a signalfd for SIGTERM/SIGINT) is readable: 0, or a
 * negative errno when xenstore fails (the connection is lost). */
int daemon_run(struct xs_handle *h, int stop_fd, const struct daemon_sink *sink);
