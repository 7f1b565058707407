/* log.h: what the programs say: lines on stderr prefixed with the program's
 * name, optionally appended to a log file (the hotplug helper's
 * xen-hotplug.log). Everything printed goes through text_escape(): only
 * printable ASCII, one bounded line per message.
 *
 * The library does not log its failures: it returns them with a struct
 * reason, and the programs' mains print them here. Core code may call
 * log_debug(), which prints only when the debug switch is on (the config
 * key `debug`, or QUBES_XEN_DEVICES_DEBUG=1 in the environment). */
#pragma once

#include <stdbool.h>

#include "reason.h"

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

void log_init(const char *program_name);

/* Append every message also to PATH, when PATH's directory exists (Xen's
 * scripts log to /var/log/xen only where Xen's tools created it). The file is
 * opened (created with mode 0640) with the first message: a run that says
 * nothing never touches it, and one that cannot open it says its messages
 * on stderr alone. Returns 0, or -ENAMETOOLONG. */
int log_open_file(const char *path);
void log_close_file(void);

/* Context included in every file line (the XENBUS_PATH), copied escaped and
 * bounded; NULL for none. */
void log_set_context(const char *context);

void log_set_debug(bool on);
bool log_debug_enabled(void);

/* Print WHY's text at LEVEL. */
void log_reason(enum log_level level, const struct reason *why);

/* Format and print a message of the program's own (a main's). log_error()
 * returns ERROR. */
int log_error(int error, const char *format, ...) __attribute__((format(printf, 2, 3)));
void log_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *format, ...) __attribute__((format(printf, 1, 2)));
