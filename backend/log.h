/* log.h: diagnostics on stderr, prefixed with the program's name, optionally
 * appended to a log file (the hotplug helper's xen-hotplug.log). */
#pragma once

#include <stdbool.h>

void log_init(const char *program_name);

/* Append every message also to PATH, when PATH's directory exists (Xen's
 * scripts log to /var/log/xen only where Xen's tools created it). The file is
 * created with mode 0640. Returns 0, or -errno when the directory exists but
 * the file cannot be opened (the caller may ignore it). */
int log_open_file(const char *path);
void log_close_file(void);

/* Context included in every file line (e.g. the XENBUS_PATH), may be NULL. */
void log_set_context(const char *context);

/* Log "program: message: strerror(-error)" and return error (a negative errno),
 * so that callers can write `return log_error_errno(r, "...")`. */
int log_error_errno(int error, const char *format, ...)
        __attribute__((format(printf, 2, 3)));
/* Log "program: message" and return error, for failures whose errno adds nothing. */
int log_error(int error, const char *format, ...)
        __attribute__((format(printf, 2, 3)));
void log_info(const char *format, ...) __attribute__((format(printf, 1, 2)));
/* Like log_error_errno, for a failure while cleaning up after an error: it is
 * said, but log_last_error() keeps the error that caused the cleanup. */
int log_warning_errno(int error, const char *format, ...)
        __attribute__((format(printf, 2, 3)));

/* The text of the last error logged (without the program prefix), or "" when
 * none was: what the hotplug helper records in hotplug-error. */
const char *log_last_error(void);
