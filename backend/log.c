/* log.c: lines on stderr and in the optional hotplug log. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <time.h>

#include "parse.h"
#include "util.h"

/* A context longer than this (XENBUS_PATH is ~30 bytes) is cut. */
#define LOG_CONTEXT_MAX 160

static const char *program = "qubes";
static char log_context[LOG_CONTEXT_MAX];
static int log_file_fd = -1;
static char log_file_path[256];         /* opened with the first line: most runs say nothing */
static bool debug_on;

void log_init(const char *program_name)
{
        const char *slash = strrchr(program_name, '/');
        const char *env = getenv("QUBES_XEN_DEVICES_DEBUG");

        program = slash ? slash + 1 : program_name;
        if (env && (streq(env, "1") || streq(env, "yes")))
                debug_on = true;
}

int log_open_file(const char *path)
{
        log_close_file();
        return str_copy(log_file_path, sizeof(log_file_path), path) < 0 ? -ENAMETOOLONG : 0;
}

/* The log file, opened at its first line; none where its directory is not
 * (no /var/log/xen: Xen's tools are not installed here). */
static int log_file(void)
{
        char dir[sizeof(log_file_path)];
        char *slash;

        if (log_file_fd >= 0 || !log_file_path[0])
                return log_file_fd;
        memcpy(dir, log_file_path, sizeof(dir));
        slash = strrchr(dir, '/');
        if (slash && slash != dir)
                *slash = '\0';
        if (access(dir, F_OK) == 0)
                log_file_fd = open(log_file_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                                   0640);
        log_file_path[0] = '\0';       /* tried once */
        return log_file_fd;
}

void log_close_file(void)
{
        closep(&log_file_fd);
        log_file_fd = -1;
        log_file_path[0] = '\0';
}

void log_set_context(const char *context)
{
        if (!context)
                log_context[0] = '\0';
        else
                text_escape(context, strlen(context), log_context, sizeof(log_context));
}

void log_set_debug(bool on)
{
        debug_on = on;
}

bool log_debug_enabled(void)
{
        return debug_on;
}

static const char *level_prefix(enum log_level level)
{
        switch (level) {
        case LOG_LEVEL_WARNING:
                return "warning: ";
        case LOG_LEVEL_DEBUG:
                return "debug: ";
        default:
                return "";
        }
}

/* TEXT is escaped already: one line, printable ASCII. */
static void log_emit(enum log_level level, const char *text)
{
        int saved = errno;

        if (level == LOG_LEVEL_DEBUG && !debug_on)
                return;
        fprintf(stderr, "%s: %s%s\n", program, level_prefix(level), text);
        if (log_file() >= 0) {
                char stamp[32] = "";
                struct tm tm;
                time_t now = time(NULL);

                if (localtime_r(&now, &tm))
                        strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
                /* One write per line so concurrent helpers do not interleave. */
                dprintf(log_file_fd, "%s %s[%d]%s%s: %s%s\n", stamp, program, (int)getpid(),
                        log_context[0] ? " " : "", log_context, level_prefix(level), text);
        }
        errno = saved;
}

void log_reason(enum log_level level, const struct reason *why)
{
        log_emit(level, why->text[0] ? why->text : "(no reason given)");
}

__attribute__((format(printf, 3, 0)))
static int log_formatted(enum log_level level, int error, const char *format, va_list ap)
{
        struct reason message = REASON_INIT;

        if (level == LOG_LEVEL_DEBUG && !debug_on)
                return error;
        reason_setv(&message, error, false, format, ap);
        log_emit(level, message.text);
        return error;
}

int log_error(int error, const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_formatted(LOG_LEVEL_ERROR, error, format, ap);
        va_end(ap);
        return error;
}

void log_warning(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_formatted(LOG_LEVEL_WARNING, 0, format, ap);
        va_end(ap);
}

void log_info(const char *format, ...)
{
        va_list ap;

        va_start(ap, format);
        log_formatted(LOG_LEVEL_INFO, 0, format, ap);
        va_end(ap);
}

void log_debug(const char *format, ...)
{
        va_list ap;

        if (!debug_on)
                return;
        va_start(ap, format);
        log_formatted(LOG_LEVEL_DEBUG, 0, format, ap);
        va_end(ap);
}
