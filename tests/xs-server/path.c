/* path.c: path validity and the home of a domain. */
#include "path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HOME_PREFIX "/local/domain/"

static const char path_chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-/_@";

/* Offset just after "/local/domain/N/" (N of 1 to 5 digits, as xenstored's
 * sscanf "%5u"), or 0: the length limit applies to what follows. */
static size_t path_home_offset(const char *path)
{
        const char *p;
        size_t digits;

        if (!startswith(path, HOME_PREFIX))
                return 0;
        p = path + strlen(HOME_PREFIX);
        digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 5 || p[digits] != '/')
                return 0;
        return (size_t)(p + digits + 1 - path);
}

bool path_is_valid(const char *path)
{
        size_t len = strlen(path);

        if (path[0] != '/')
                return false;
        if (strspn(path, path_chars) != len)
                return false;
        if (len > 1 && path[len - 1] == '/')
                return false;
        if (strstr(path, "//"))
                return false;
        return len - path_home_offset(path) <= PATH_LEN_MAX;
}

int path_canonicalize(const char *raw, uint32_t domid, char **out)
{
        char *path;

        /* Special names are only for watches; xenstored refuses them elsewhere. */
        if (raw[0] == '@')
                return -EINVAL;
        /* Bound before formatting: a huge relative path cannot become valid. */
        if (strlen(raw) > PATH_LEN_MAX + sizeof(HOME_PREFIX "65535/"))
                return -EINVAL;

        if (raw[0] == '/')
                path = strdup(raw);
        else if (asprintf(&path, HOME_PREFIX "%u/%s", domid, raw) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;

        if (!path_is_valid(path)) {
                free(path);
                return -EINVAL;
        }
        *out = path;
        return 0;
}

int path_canonicalize_watch(const char *raw, uint32_t domid, char **out, bool *relative)
{
        if (raw[0] == '@') {
                if (strlen(raw) > PATH_LEN_MAX)
                        return -EINVAL;
                *out = strdup(raw);
                *relative = false;
                return *out ? 0 : -ENOMEM;
        }
        *relative = raw[0] != '/';
        return path_canonicalize(raw, domid, out);
}

bool path_is_child(const char *child, const char *parent)
{
        size_t len = strlen(parent);

        if (streq(parent, "/"))
                return true;
        if (strncmp(child, parent, len) != 0)
                return false;
        return child[len] == '/' || child[len] == '\0';
}

const char *path_relative_to_home(const char *path, uint32_t domid)
{
        char home[sizeof(HOME_PREFIX "4294967295")];
        size_t len;

        len = (size_t)snprintf(home, sizeof(home), HOME_PREFIX "%u", domid);
        if (strncmp(path, home, len) != 0)
                return path;
        if (path[len] == '\0')
                return path + len;
        if (path[len] == '/')
                return path + len + 1;
        return path;
}

size_t path_parent_len(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash || streq(path, "/"))
                return 0;
        if (slash == path)
                return 1;
        return (size_t)(slash - path);
}
