/* store.h: the xenstore operations on a tree, with xenstored's semantics:
 * permission checks, creation of parents, recursive removal, the watch events
 * each change causes, and the record of what a transaction touched. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tree.h"

/* xenstored's default quotas for unprivileged domains (dom0 has none). */
#define QUOTA_NODE_SIZE 2048    /* bytes of a node's record: ENOSPC at or above */
#define QUOTA_PERMS     5       /* entries after the owner's in SET_PERMS: ENOSPC */

/* A change that watches may report. */
struct xs_event {
        char *path;                     /* absolute, or "@name" */
        bool exact;                     /* only watches on this very path (removed descendant) */
        struct xs_perms perms[2];       /* a domain that may read under either sees it */
        unsigned n_perms;
};

struct event_list {
        struct xs_event *v;
        size_t n, cap;
};

int event_list_add(struct event_list *list, const char *path, bool exact,
                   const struct xs_perms *a, const struct xs_perms *b);
void event_list_clear(struct event_list *list);
/* May a watch of DOMID report E? (dom0 sees everything) */
bool event_visible_to(const struct xs_event *e, uint32_t domid);

struct txlog;

/* Where an operation works: the live tree, or a transaction's copy. */
struct store_view {
        struct xs_node *root;
        const struct xs_node *live;     /* in a transaction: the live tree */
        uint64_t *generation;           /* shared counter for new generations */
        struct txlog *log;              /* NULL outside a transaction */
        struct event_list *events;      /* receives the events of the change */
};

/* The node at PATH if DOMID has all of WANT (PERM_*). Like xenstored, a
 * missing node or a denied access reads as EACCES when the nearest existing
 * parent does not grant WANT either, so that existence does not leak. */
int store_get_node(struct store_view *v, uint32_t domid, const char *path,
                   unsigned want, struct xs_node **out);

/* WRITE: sets the value, creating the node and missing parents (empty values,
 * the parent's permissions, owned by the writer when it is not dom0). */
int store_write(struct store_view *v, uint32_t domid, const char *path,
                const void *data, size_t len);
/* MKDIR: creates PATH as WRITE does with an empty value, unless it exists. */
int store_mkdir(struct store_view *v, uint32_t domid, const char *path);
/* RM: removes PATH and its subtree; success if PATH is missing but its parent
 * exists, ENOENT if the parent is missing too, EINVAL for the root. */
int store_rm(struct store_view *v, uint32_t domid, const char *path);
/* SET_PERMS: needs write and ownership; other domains may not change the owner. */
int store_set_perms(struct store_view *v, uint32_t domid, const char *path,
                    const struct xs_perms *perms);
