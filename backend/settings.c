/* settings.c: the settings file, parsed strictly. */
#include "settings.h"

#include <sys/stat.h>

#include "configure.h"
#include "util.h"

#define CONFIG_LINE_MAX 256

static char *trim(char *s)
{
        char *end;

        while (*s == ' ' || *s == '\t')
                s++;
        end = s + strlen(s);
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
                end--;
        *end = '\0';
        return s;
}

static int parse_bool(const char *value, bool *out)
{
        if (streq(value, "yes") || streq(value, "1") || streq(value, "true"))
                *out = true;
        else if (streq(value, "no") || streq(value, "0") || streq(value, "false"))
                *out = false;
        else
                return -EINVAL;
        return 0;
}

static int parse_store(const char *value, enum store_choice *out)
{
        if (streq(value, "auto"))
                *out = STORE_AUTO;
        else if (streq(value, "xenstore"))
                *out = STORE_XENSTORE;
        else if (streq(value, "qubesdb"))
                *out = STORE_QUBESDB;
        else
                return -EINVAL;
        return 0;
}

static int config_set(struct config *c, const char *key, const char *value)
{
        if (streq(key, "store"))
                return parse_store(value, &c->store);
        if (streq(key, "debug"))
                return parse_bool(value, &c->debug);
        return -ENOENT;
}

int config_load(const char *path, struct config *out, struct reason *why)
{
        _cleanup_fclose_ FILE *f = NULL;
        char line[CONFIG_LINE_MAX];
        unsigned number = 0;

        *out = (struct config) CONFIG_DEFAULTS;
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : reason_set_errno(why, negative_errno(), "cannot read %s", path);
        while (fgets(line, sizeof(line), f)) {
                char *key, *value, *eq;
                int r;

                number++;
                if (!strchr(line, '\n') && !feof(f))
                        return reason_set(why, -EINVAL, "%s:%u: line longer than %d bytes", path, number,
                                          CONFIG_LINE_MAX - 2);
                key = trim(line);
                if (!*key || *key == '#')
                        continue;
                eq = strchr(key, '=');
                if (!eq)
                        return reason_set(why, -EINVAL, "%s:%u: '%s' is not key = value", path, number, key);
                *eq = '\0';
                value = trim(eq + 1);
                key = trim(key);
                r = config_set(out, key, value);
                if (r == -ENOENT)
                        return reason_set(why, -EINVAL, "%s:%u: unknown key '%s'", path, number, key);
                if (r < 0)
                        return reason_set(why, -EINVAL, "%s:%u: '%s' is no valid value of %s", path, number,
                                          value, key);
        }
        if (ferror(f))
                return reason_set_errno(why, -EIO, "cannot read %s", path);
        return 0;
}

int runtime_dir_ensure(struct reason *why)
{
        if (mkdir(QUBES_RUNTIME_DIR, 0755) < 0 && errno != EEXIST)
                return reason_set_errno(why, negative_errno(), "cannot create %s", QUBES_RUNTIME_DIR);
        return 0;
}
