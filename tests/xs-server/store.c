/* store.c: xenstore operations with xenstored's semantics. */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "transaction.h"
#include "util.h"

int event_list_add(struct event_list *list, const char *path, bool exact,
                   const struct xs_perms *a, const struct xs_perms *b)
{
        const struct xs_perms *perms[] = { a, b };
        struct xs_event *e;

        if (list->n == list->cap) {
                size_t cap = list->cap ? list->cap * 2 : 8;
                struct xs_event *v = realloc(list->v, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                list->v = v;
                list->cap = cap;
        }
        e = &list->v[list->n];
        *e = (struct xs_event) { .exact = exact };
        e->path = strdup(path);
        if (!e->path)
                return -ENOMEM;
        for (size_t i = 0; i < ARRAY_SIZE(perms); i++) {
                if (!perms[i])
                        continue;
                if (perms_copy(&e->perms[e->n_perms], perms[i]) < 0)
                        break;
                e->n_perms++;
        }
        list->n++;
        return 0;
}

void event_list_clear(struct event_list *list)
{
        for (size_t i = 0; i < list->n; i++) {
                free(list->v[i].path);
                for (unsigned j = 0; j < list->v[i].n_perms; j++)
                        perms_done(&list->v[i].perms[j]);
        }
        free(list->v);
        *list = (struct event_list) { 0 };
}

bool event_visible_to(const struct xs_event *e, uint32_t domid)
{
        if (domid == 0)
                return true;
        for (unsigned i = 0; i < e->n_perms; i++)
                if (perms_access(&e->perms[i], domid) & PERM_READ)
                        return true;
        return false;
}

/* Look PATH up; inside a transaction, take the node as it is in the live tree
 * when the transaction first touches it (as xenstored does: a transaction
 * sees commits made before it looked), and note what it saw for the commit. */
static int view_lookup(struct store_view *v, const char *path, struct xs_node **out)
{
        struct xs_node *node;
        int r;

        if (v->log && !txlog_has(v->log, path)) {
                r = tree_sync_node(v->root, v->live, path);
                if (r < 0)
                        return r;
        }
        node = tree_lookup(v->root, path);
        if (v->log) {
                r = txlog_access(v->log, path, node ? node->generation : 0);
                if (r < 0)
                        return r;
        }
        *out = node;
        return 0;
}

/* NODE at PATH has changed; OLD_GENERATION is what it had (0: it is new). */
static int view_changed(struct store_view *v, struct xs_node *node, const char *path,
                        uint64_t old_generation)
{
        node->generation = ++*v->generation;
        return v->log ? txlog_modify(v->log, path, old_generation) : 0;
}

/* The size xenstored's quota counts: its record header (24 bytes), 8 bytes
 * per permission, the value and the children list. */
static size_t node_record_size(const struct xs_node *node, size_t value_len)
{
        return 24 + node->perms.n * 8 + value_len + node_children_len(node);
}

/* What DOMID may do at the nearest existing node above PATH. */
static int nearest_parent_access(struct store_view *v, uint32_t domid, const char *path,
                                 unsigned *access)
{
        _cleanup_free_ char *p = strdup(path);
        size_t len;

        if (!p)
                return -ENOMEM;
        *access = PERM_NONE;
        while ((len = path_parent_len(p)) > 0) {
                struct xs_node *node;
                int r;

                p[len] = '\0';
                r = view_lookup(v, p, &node);
                if (r < 0)
                        return r;
                if (node) {
                        *access = perms_access(&node->perms, domid);
                        break;
                }
        }
        return 0;
}

int store_get_node(struct store_view *v, uint32_t domid, const char *path,
                   unsigned want, struct xs_node **out)
{
        struct xs_node *node;
        unsigned parent_access;
        int r, err;

        r = view_lookup(v, path, &node);
        if (r < 0)
                return r;
        if (node && (perms_access(&node->perms, domid) & want) == want) {
                *out = node;
                return 0;
        }
        err = node ? -EACCES : -ENOENT;

        r = nearest_parent_access(v, domid, path, &parent_access);
        if (r < 0)
                return r;
        return (parent_access & want) ? err : -EACCES;
}

/* Create PATH with VALUE and its missing parents. The caller has checked
 * that the nearest existing parent lets DOMID write. */
static int create_node(struct store_view *v, uint32_t domid, const char *path,
                       const void *value, size_t value_len)
{
        _cleanup_(node_freep) struct xs_node *top = NULL;
        _cleanup_free_ char *anc_path = NULL;
        struct xs_node *anc = v->root, *last = NULL, *n;
        const char *p = path + 1;
        uint64_t anc_generation;
        int r;

        /* the deepest existing node on the way */
        while (*p) {
                size_t len = strcspn(p, "/");
                struct xs_node *child = node_find_child(anc, p, len);

                if (!child)
                        break;
                anc = child;
                p += len + (p[len] == '/');
        }

        /* a detached chain first, so that a failure leaves the tree as it was */
        while (*p) {
                size_t len = strcspn(p, "/");
                const struct xs_perms *inherit = last ? &last->perms : &anc->perms;

                n = node_new(p, len, inherit);
                if (!n)
                        return -ENOMEM;
                if (domid != 0)         /* unprivileged domains own what they create */
                        n->perms.v[0].domid = domid;
                if (!last)
                        top = n;
                else if (node_attach(last, n) < 0) {
                        node_free(n);
                        return -ENOMEM;
                }
                last = n;
                p += len + (p[len] == '/');
        }
        if (!last)
                return -EEXIST;         /* not reached: the caller saw ENOENT */

        if (domid != 0 && node_record_size(last, value_len) >= QUOTA_NODE_SIZE)
                return -ENOSPC;
        r = node_set_value(last, value, value_len);
        if (r < 0)
                return r;

        anc_path = node_path(anc);
        if (!anc_path)
                return -ENOMEM;
        anc_generation = anc->generation;
        r = node_attach(anc, top);
        if (r < 0)
                return r;
        n = TAKE_PTR(top);

        r = view_changed(v, anc, anc_path, anc_generation);
        for (; r >= 0 && n; n = n->n_children ? n->children[0] : NULL) {
                _cleanup_free_ char *n_path = node_path(n);

                r = n_path ? view_changed(v, n, n_path, 0) : -ENOMEM;
        }
        if (r < 0)
                return r;
        return event_list_add(v->events, path, false, &last->perms, &last->parent->perms);
}

int store_write(struct store_view *v, uint32_t domid, const char *path,
                const void *data, size_t len)
{
        struct xs_node *node;
        uint64_t old_generation;
        int r;

        r = store_get_node(v, domid, path, PERM_WRITE, &node);
        if (r == -ENOENT)
                return create_node(v, domid, path, data, len);
        if (r < 0)
                return r;

        if (domid != 0 && node_record_size(node, len) >= QUOTA_NODE_SIZE)
                return -ENOSPC;
        old_generation = node->generation;
        r = node_set_value(node, data, len);
        if (r < 0)
                return r;
        r = view_changed(v, node, path, old_generation);
        if (r < 0)
                return r;
        return event_list_add(v->events, path, false, &node->perms,
                              node->parent ? &node->parent->perms : NULL);
}

int store_mkdir(struct store_view *v, uint32_t domid, const char *path)
{
        struct xs_node *node;
        int r;

        r = store_get_node(v, domid, path, PERM_WRITE, &node);
        if (r == -ENOENT)
                return create_node(v, domid, path, "", 0);
        return r;       /* an existing node keeps its value, and no event fires */
}

/* Note the removal of NODE at PATH and of its subtree, children first, as
 * xenstored deletes them: a removed descendant fires only watches set on it. */
static int note_removed_subtree(struct store_view *v, const struct xs_node *node,
                                const char *path, bool is_top)
{
        _cleanup_free_ char **names = calloc(node->n_children + 1, sizeof(*names));
        int r = 0;

        if (!names)
                return -ENOMEM;
        /* by name: looking a child up in a transaction may drop one that went */
        for (size_t i = 0; i < node->n_children; i++)
                if (asprintf(&names[i], "%s/%s", path, node->children[i]->name) < 0) {
                        names[i] = NULL;
                        r = -ENOMEM;
                        break;
                }
        for (size_t i = 0; r >= 0 && names[i]; i++) {
                struct xs_node *child;

                r = view_lookup(v, names[i], &child);
                if (r >= 0 && child)
                        r = note_removed_subtree(v, child, names[i], false);
        }
        for (size_t i = 0; names[i]; i++)
                free(names[i]);
        if (r < 0)
                return r;
        if (v->log) {
                r = txlog_modify(v->log, path, node->generation);
                if (r < 0)
                        return r;
        }
        return event_list_add(v->events, path, !is_top, &node->perms,
                              node->parent ? &node->parent->perms : NULL);
}

int store_rm(struct store_view *v, uint32_t domid, const char *path)
{
        _cleanup_free_ char *parent_path = NULL;
        struct xs_node *node, *parent;
        uint64_t parent_generation;
        int r;

        r = store_get_node(v, domid, path, PERM_WRITE, &node);
        if (r == -ENOENT) {
                /* already gone: fine, as long as the parent exists */
                parent_path = strndup(path, path_parent_len(path));
                if (!parent_path)
                        return -ENOMEM;
                r = view_lookup(v, parent_path, &parent);
                if (r < 0)
                        return r;
                return parent ? 0 : -ENOENT;
        }
        if (r < 0)
                return r;
        if (!node->parent)
                return -EINVAL;         /* the root stays */

        r = note_removed_subtree(v, node, path, true);
        if (r < 0)
                return r;

        parent = node->parent;
        parent_path = node_path(parent);
        if (!parent_path)
                return -ENOMEM;
        parent_generation = parent->generation;
        node_detach(node);
        node_free(node);
        return view_changed(v, parent, parent_path, parent_generation);
}

int store_set_perms(struct store_view *v, uint32_t domid, const char *path,
                    const struct xs_perms *perms)
{
        struct xs_perms old;
        struct xs_node *node;
        uint64_t old_generation;
        int r;

        if (domid != 0 && perms->n - 1 > QUOTA_PERMS)
                return -ENOSPC;
        r = store_get_node(v, domid, path, PERM_WRITE | PERM_OWNER, &node);
        if (r < 0)
                return r;
        if (domid != 0 && perms->v[0].domid != node->perms.v[0].domid)
                return -EPERM;  /* only dom0 gives a node away */

        old = node->perms;
        r = perms_copy(&node->perms, perms);
        if (r < 0)
                return r;
        old_generation = node->generation;
        r = view_changed(v, node, path, old_generation);
        if (r >= 0)
                /* watchers that could read it before or can now both hear of it */
                r = event_list_add(v->events, path, false, &node->perms, &old);
        perms_done(&old);
        return r;
}
