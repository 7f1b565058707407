/* log.c: diagnostics on stderr and the optional hotplug log file. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <time.h>

#include "util.h"

#define LOG_MESSAGE_MAX 1024

static const char *program = "qubes";
static const char *log_context;
static int log_file_fd = -1;
static char last_error[LOG_MESSAGE_MAX];

void log_init(const char *program_name)
{
        const char *slash = strrchr(program_name, '/');

        program = slash ? slash + 1 : program_name;
}

int log_open_file(const char *path)
{
        _cleanup_free_ char *dir = strdup(path);
        char *slash;

        if (!dir)
                return -ENOMEM;
        slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = '\0';
        if (access(dir, F_OK) < 0)
                return 0;       /* no /var/log/xen: Xen's tools are not installed here */

        log_close_file();
        log_file_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0640);
        return log_file_fd < 0 ? negative_errno() : 0;
}

void log_close_file(void)
{
        closep(&log_file_fd);
        log_file_fd = -1;
}

void log_set_context(const char *context)
{
        log_context = context;
}

/* Messages quote untrusted values (xenstore nodes, udev properties): a
 * control character is written as \xNN so that a value cannot forge a log
 * line or a terminal sequence, in place, bounded by the buffer. */
static void log_escape_controls(char *message, size_t size)
{
        char escaped[LOG_MESSAGE_MAX];
        size_t o = 0;

        for (const unsigned char *p = (const unsigned char *)message; *p && o + 5 < sizeof(escaped); p++) {
                if (*p < 0x20 || *p == 0x7f)
                        o += (size_t)snprintf(escaped + o, 5, "\\x%02x", *p);
                else
                        escaped[o++] = (char)*p;
        }
        escaped[o] = '\0';
        snprintf(message, size, "%s", escaped);
}

static void log_emit(char *message, size_t size)
{
        int saved = errno;

        log_escape_controls(message, size);

        fprintf(stderr, "%s: %s\n", program, message);
        if (log_file_fd >= 0) {
                char stamp[32] = "";
                struct tm tm;
                time_t now = time(NULL);

                if (localtime_r(&now, &tm))
                        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
                /* One write per line so concurrent helpers do not interleave. */
                dprintf(log_file_fd, "%s %s[%d]%s%s: %s\n", stamp, program, (int)getpid(),
                        log_context ? " " : "", log_context ? log_context : "", message);
        }
        errno = saved;
}

__attribute__((format(printf, 5, 0)))
static void log_format(char *buf, size_t size, int error, bool with_errno, const char *format, va_list ap)
{
        int n = vsnprintf(buf, size, format, ap);

        if (n < 0)
                snprintf(buf, size, "(unprintable message)");
        if (with_errno && n >= 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, ": %s", strerror(-error));
}

__attribute__((format(printf, 3, 0)))
static int log_error_va(int error, bool with_errno, const char *format, va_list ap)
{
        log_format(last_error, sizeof(last_error), error, with_errno, format, ap);
        log_emit(last_error, sizeof(last_error));
        return error;
}

int log_error_errno(int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_error_va(error, true, format, ap);
        va_end(ap);
        return error;
}

int log_error(int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_error_va(error, false, format, ap);
        va_end(ap);
        return error;
}

int log_warning_errno(int error, const char *format, ...)
{
        char message[LOG_MESSAGE_MAX];
        va_list ap;

        va_start(ap, format);
        log_format(message, sizeof(message), error, true, format, ap);
        va_end(ap);
        log_emit(message, sizeof(message));
        return error;
}

void log_info(const char *format, ...)
{
        char message[LOG_MESSAGE_MAX];
        va_list ap;

        va_start(ap, format);
        vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);
        log_emit(message, sizeof(message));
}

const char *log_last_error(void)
{
        return last_error;
}
