/* vbd.c: XENBUS_PATH, the vbd's input rules and its nodes. */
#include "vbd.h"

#include <stdio.h>

#include "parse.h"
#include "util.h"

static int parse_decimal_component(const char *s, size_t len, unsigned *out)
{
        char buf[12];
        uint32_t v;

        /* "007" would name domain 7 while the sharing check compares names */
        if (len == 0 || len >= sizeof(buf) || (len > 1 && s[0] == '0'))
                return -EINVAL;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (parse_u32(buf, 10, &v) < 0)
                return -EINVAL;
        *out = v;
        return 0;
}

int vbd_parse_path(const char *xenbus_path, struct vbd *out, struct reason *why)
{
        const char *p = xenbus_path, *rest, *slash;
        unsigned home_domid;

        if (!p || !*p)
                return reason_set(why, -EINVAL, "XENBUS_PATH is not set: run as "
                                  "XENBUS_PATH=backend/vbd/DOMID/DEVID qubes-block add|remove");
        if (str_copy(out->path, sizeof(out->path), p) < 0)
                return reason_set(why, -EINVAL, "XENBUS_PATH '%s' is too long", p);

        /* an absolute path names the home explicitly: /local/domain/N/backend/... */
        if (startswith(p, "/local/domain/")) {
                p += strlen("/local/domain/");
                slash = strchr(p, '/');
                if (!slash || parse_decimal_component(p, (size_t)(slash - p), &home_domid) < 0)
                        goto invalid;
                p = slash + 1;
        }
        if (!startswith(p, "backend/vbd/"))
                goto invalid;
        rest = p + strlen("backend/vbd/");
        slash = strchr(rest, '/');
        if (!slash || parse_decimal_component(rest, (size_t)(slash - rest), &out->frontend_domid) < 0 ||
            parse_decimal_component(slash + 1, strlen(slash + 1), &out->devid) < 0)
                goto invalid;
        snprintf(out->root, sizeof(out->root), "%.*s", (int)(rest - 1 - xenbus_path), xenbus_path);
        return 0;
invalid:
        return reason_set(why, -EINVAL, "XENBUS_PATH '%s' is not a vbd backend (backend/vbd/DOMID/DEVID)",
                          xenbus_path);
}

int vbd_parse_mode(const char *mode, enum access_mode *out, struct reason *why)
{
        if (!mode || streq(mode, "r"))
                *out = ACCESS_READ;
        else if (streq(mode, "w"))
                *out = ACCESS_WRITE;
        else if (streq(mode, "w!"))
                *out = ACCESS_WRITE_UNCHECKED;
        else
                return reason_set(why, -EINVAL, "mode '%s' is not r, w or w!", mode);
        return 0;
}

bool vbd_mode_writes(const char *mode)
{
        return mode && strchr(mode, 'w') && !strchr(mode, '!');
}

int vbd_check_params(const char *params, struct reason *why)
{
        if (!*params)
                return reason_set(why, -EINVAL, "params is empty: no disk to attach");
        if (strlen(params) >= VBD_PARAMS_MAX)
                return reason_set(why, -ENAMETOOLONG, "params is longer than %d bytes", VBD_PARAMS_MAX - 1);
        for (const unsigned char *p = (const unsigned char *)params; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return reason_set(why, -EINVAL, "params holds a control character (0x%02x)", *p);
        if (params[0] != '/')
                return reason_set(why, -EINVAL, "params '%s' is not an absolute path", params);
        /* One spelling per file: "//dev/mapper/x" or "/dev/./mapper/x" must not
         * slip past the /dev/mapper check, nor "/a/../b" past a reader. */
        if (strstr(params, "//") || strstr(params, "/./") || strstr(params, "/../") ||
            endswith(params, "/.") || endswith(params, "/..") || (params[1] && endswith(params, "/")))
                return reason_set(why, -EINVAL, "params '%s' is not a normalized path (no //, /./, /../ "
                                  "or trailing /)", params);
        if (startswith(params, "/dev/mapper/")) {
                const char *name = params + strlen("/dev/mapper/");

                if (!*name || streq(name, ".") || streq(name, "..") || streq(name, "control") || strchr(name, '/'))
                        return reason_set(why, -EINVAL, "params '%s' does not name a device-mapper device", params);
        }
        return 0;
}

int vbd_node_path(char *buf, size_t size, const struct vbd *vbd, const char *key)
{
        return path_join(buf, size, vbd->path, key);
}

int vbd_read_path(struct xsc *xs, xsc_txn t, const char *path, char **value, struct reason *why)
{
        size_t len;
        int r = xsc_read(xs, t, path, value, &len);

        if (r == -ENOENT)
                return r;
        if (r < 0)
                return r == -EAGAIN && t != XSC_NO_TXN ? r : reason_set_errno(why, r, "cannot read xenstore %s", path);
        if (strlen(*value) != len) {
                free(*value);
                *value = NULL;
                return reason_set(why, -EINVAL, "xenstore %s holds a NUL byte", path);
        }
        return 0;
}

int vbd_read(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, char **value,
             struct reason *why)
{
        char path[NODE_PATH_MAX];

        if (vbd_node_path(path, sizeof(path), vbd, key) < 0)
                return reason_set(why, -ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        return vbd_read_path(xs, t, path, value, why);
}

int vbd_write(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, const char *value,
              struct reason *why)
{
        char path[NODE_PATH_MAX];
        int r;

        if (vbd_node_path(path, sizeof(path), vbd, key) < 0)
                return reason_set(why, -ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        r = xsc_write(xs, t, path, value);
        if (r < 0 && !(r == -EAGAIN && t != XSC_NO_TXN))
                return reason_set_errno(why, r, "cannot write xenstore %s", path);
        return r;
}

int vbd_rm(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, struct reason *why)
{
        char path[NODE_PATH_MAX];
        int r;

        if (vbd_node_path(path, sizeof(path), vbd, key) < 0)
                return reason_set(why, -ENAMETOOLONG, "xenstore path %s/%s is too long", vbd->path, key);
        r = xsc_rm(xs, t, path);
        if (r == -ENOENT)
                return 0;
        if (r < 0 && !(r == -EAGAIN && t != XSC_NO_TXN))
                return reason_set_errno(why, r, "cannot remove xenstore %s", path);
        return r;
}
