/* vbd.h: one vbd backend as libxl hands it to the hotplug script (SPEC §4):
 * the XENBUS_PATH naming it, the input rules of its `params` and `mode`
 * nodes, and reading and writing its nodes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "reason.h"
#include "xs.h"

/* backend/vbd/FRONTEND/DEVID, relative to this domain's home, or the same
 * under /local/domain/N/. */
struct vbd {
        char path[128];         /* as given */
        char root[96];          /* the path up to and including backend/vbd */
        unsigned frontend_domid;
        unsigned devid;
};

enum access_mode {
        ACCESS_READ,
        ACCESS_WRITE,
        ACCESS_WRITE_UNCHECKED,         /* "w!": Xen's "trust me", no sharing check */
};

/* The longest params accepted (a path). */
#define VBD_PARAMS_MAX 4096
/* A node path of a vbd (its path, "/", a key): room enough for any. */
#define NODE_PATH_MAX 192

/* Parse XENBUS_PATH. -EINVAL with WHY when it is not a vbd backend path. */
int vbd_parse_path(const char *xenbus_path, struct vbd *out, struct reason *why);

/* The `mode` node: r, w or w!; NULL (missing) means r, as in Xen. */
int vbd_parse_mode(const char *mode, enum access_mode *out, struct reason *why);

/* Whether a vbd with mode node MODE writes, as Xen's canonicalise_mode
 * has it: a 'w' without '!' ("w!" keeps no reader out). */
bool vbd_mode_writes(const char *mode);

/* The `params` node: non-empty, absolute, no control characters, bounded,
 * one spelling per file (no //, /./, /../, trailing /), and a well-formed
 * /dev/mapper/NAME. */
int vbd_check_params(const char *params, struct reason *why);

/* Node KEY of VBD, or of another vbd under the same root (DOMID/DEVID). */
int vbd_node_path(char *buf, size_t size, const struct vbd *vbd, const char *key);

/* Read node KEY: -ENOENT (WHY untouched) when missing; a value holding a
 * NUL is refused, since every consumer treats it as a C string. */
int vbd_read(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, char **value,
             struct reason *why);
int vbd_write(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, const char *value,
              struct reason *why);
/* Remove node KEY; missing is fine. */
int vbd_rm(struct xsc *xs, xsc_txn t, const struct vbd *vbd, const char *key, struct reason *why);

/* Read a node by its full PATH (another vbd's), with the same rules. */
int vbd_read_path(struct xsc *xs, xsc_txn t, const char *path, char **value, struct reason *why);
