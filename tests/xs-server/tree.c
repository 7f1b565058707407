/* tree.c: nodes of the store and their permissions. */
#include "tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "util.h"

unsigned perms_access(const struct xs_perms *perms, uint32_t domid)
{
        if (domid == 0 || perms->v[0].domid == domid)
                return PERM_READ | PERM_WRITE | PERM_OWNER;
        for (size_t i = 1; i < perms->n; i++)
                if (perms->v[i].domid == domid)
                        return perms->v[i].access;
        return perms->v[0].access;
}

int perms_copy(struct xs_perms *dst, const struct xs_perms *src)
{
        struct xs_perm *v = malloc(src->n * sizeof(*v));

        if (!v)
                return -ENOMEM;
        memcpy(v, src->v, src->n * sizeof(*v));
        dst->v = v;
        dst->n = src->n;
        return 0;
}

void perms_done(struct xs_perms *perms)
{
        free(perms->v);
        perms->v = NULL;
        perms->n = 0;
}

int perm_parse(const char *s, struct xs_perm *out)
{
        static const char letters[] = "nrwb";   /* index == access bits */
        const char *letter = s[0] ? strchr(letters, s[0]) : NULL;
        uint32_t domid;

        if (!letter || parse_u32(s + 1, 10, &domid) < 0 || domid > UINT16_MAX)
                return -EINVAL;
        out->domid = domid;
        out->access = (unsigned)(letter - letters);
        return 0;
}

void perm_format(const struct xs_perm *perm, char buf[static 12])
{
        snprintf(buf, 12, "%c%u", "nrwb"[perm->access & 3], perm->domid);
}

struct xs_node *node_new(const char *name, size_t len, const struct xs_perms *perms)
{
        struct xs_node *node = calloc(1, sizeof(*node));

        if (!node)
                return NULL;
        node->name = strndup(name, len);
        node->value = strdup("");
        if (!node->name || !node->value || perms_copy(&node->perms, perms) < 0) {
                node_free(node);
                return NULL;
        }
        return node;
}

void node_free(struct xs_node *node)
{
        if (!node)
                return;
        for (size_t i = 0; i < node->n_children; i++)
                node_free(node->children[i]);
        free(node->children);
        free(node->name);
        free(node->value);
        perms_done(&node->perms);
        free(node);
}

void node_freep(struct xs_node **node)
{
        node_free(*node);
}

struct xs_node *node_find_child(const struct xs_node *node, const char *name, size_t len)
{
        for (size_t i = 0; i < node->n_children; i++) {
                struct xs_node *c = node->children[i];

                if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
                        return c;
        }
        return NULL;
}

int node_attach(struct xs_node *parent, struct xs_node *child)
{
        if (parent->n_children == parent->cap_children) {
                size_t cap = parent->cap_children ? parent->cap_children * 2 : 4;
                struct xs_node **v = realloc(parent->children, cap * sizeof(*v));

                if (!v)
                        return -ENOMEM;
                parent->children = v;
                parent->cap_children = cap;
        }
        parent->children[parent->n_children++] = child;
        child->parent = parent;
        return 0;
}

void node_detach(struct xs_node *child)
{
        struct xs_node *parent = child->parent;

        if (!parent)
                return;
        for (size_t i = 0; i < parent->n_children; i++) {
                if (parent->children[i] != child)
                        continue;
                /* keep the creation order of the others, as xenstored does */
                memmove(&parent->children[i], &parent->children[i + 1],
                        (parent->n_children - i - 1) * sizeof(parent->children[0]));
                parent->n_children--;
                break;
        }
        child->parent = NULL;
}

int node_set_value(struct xs_node *node, const void *value, size_t len)
{
        char *v = malloc(len + 1);

        if (!v)
                return -ENOMEM;
        memcpy(v, value, len);
        v[len] = '\0';
        free(node->value);
        node->value = v;
        node->value_len = len;
        return 0;
}

size_t node_children_len(const struct xs_node *node)
{
        size_t len = 0;

        for (size_t i = 0; i < node->n_children; i++)
                len += strlen(node->children[i]->name) + 1;
        return len;
}

char *node_path(const struct xs_node *node)
{
        size_t len = 0, off;
        char *path;

        if (!node->parent)
                return strdup("/");
        for (const struct xs_node *n = node; n->parent; n = n->parent)
                len += strlen(n->name) + 1;
        path = malloc(len + 1);
        if (!path)
                return NULL;
        off = len;
        path[off] = '\0';
        for (const struct xs_node *n = node; n->parent; n = n->parent) {
                size_t l = strlen(n->name);

                off -= l;
                memcpy(path + off, n->name, l);
                path[--off] = '/';
        }
        return path;
}

/* The next component of a path at *P (its length, 0 at the end), with *P
 * moved to its start. */
static size_t path_next_component(const char **p)
{
        if (**p == '/')
                (*p)++;
        return strcspn(*p, "/");
}

struct xs_node *tree_lookup(struct xs_node *root, const char *path)
{
        struct xs_node *node = root;
        const char *p = path;
        size_t len;

        while (node && (len = path_next_component(&p)) > 0) {
                node = node_find_child(node, p, len);
                p += len;
        }
        return node;
}

struct xs_node *node_copy(const struct xs_node *src)
{
        struct xs_node *copy = node_new(src->name, strlen(src->name), &src->perms);

        if (!copy)
                return NULL;
        if (node_set_value(copy, src->value, src->value_len) < 0) {
                node_free(copy);
                return NULL;
        }
        copy->generation = src->generation;
        return copy;
}

/* DST takes SRC's value, permissions, generation and list of children. */
static int node_sync(struct xs_node *dst, const struct xs_node *src)
{
        size_t cap = src->n_children ? src->n_children : 4;
        _cleanup_free_ struct xs_node **kids = calloc(cap, sizeof(*kids));
        _cleanup_free_ bool *made = calloc(cap, sizeof(*made));
        struct xs_perms perms;
        int r = -ENOMEM;

        if (!kids || !made || perms_copy(&perms, &src->perms) < 0)
                return -ENOMEM;

        /* every allocation first, so that a failure leaves DST as it was */
        for (size_t i = 0; i < src->n_children; i++) {
                const struct xs_node *s = src->children[i];

                kids[i] = node_find_child(dst, s->name, strlen(s->name));
                if (!kids[i]) {
                        kids[i] = node_copy(s);
                        if (!kids[i])
                                goto fail;
                        made[i] = true;
                }
        }
        r = node_set_value(dst, src->value, src->value_len);
        if (r < 0)
                goto fail;

        for (size_t i = 0; i < dst->n_children; i++) {
                struct xs_node *old = dst->children[i];

                if (!node_find_child(src, old->name, strlen(old->name)))
                        node_free(old);         /* gone from SRC, with its subtree */
        }
        for (size_t i = 0; i < src->n_children; i++)
                kids[i]->parent = dst;
        free(dst->children);
        dst->children = TAKE_PTR(kids);
        dst->n_children = src->n_children;
        dst->cap_children = cap;
        perms_done(&dst->perms);
        dst->perms = perms;
        dst->generation = src->generation;
        return 0;

fail:
        for (size_t i = 0; i < src->n_children; i++)
                if (made[i])
                        node_free(kids[i]);
        perms_done(&perms);
        return r;
}

int tree_sync_node(struct xs_node *dst_root, const struct xs_node *src_root, const char *path)
{
        struct xs_node *dst = dst_root;
        const struct xs_node *src = src_root;
        const char *p = path;
        size_t len;

        while ((len = path_next_component(&p)) > 0) {
                struct xs_node *dst_child, *gone;
                const struct xs_node *src_child;

                src_child = node_find_child(src, p, len);
                if (!src_child) {
                        /* PATH is not in SRC: nor will it be in DST */
                        gone = tree_lookup(dst, p);
                        if (gone && gone != dst) {
                                node_detach(gone);
                                node_free(gone);
                        }
                        return 0;
                }
                dst_child = node_find_child(dst, p, len);
                if (!dst_child) {
                        dst_child = node_copy(src_child);
                        if (!dst_child)
                                return -ENOMEM;
                        if (node_attach(dst, dst_child) < 0) {
                                node_free(dst_child);
                                return -ENOMEM;
                        }
                }
                dst = dst_child;
                src = src_child;
                p += len;
        }
        return node_sync(dst, src);
}

static void dump_escaped(const char *value, size_t len, FILE *f)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)value[i];

                if (c == '\\')
                        fputs("\\\\", f);
                else if (c < 0x20 || c > 0x7e)
                        fprintf(f, "\\x%02x", c);
                else
                        fputc(c, f);
        }
}

static int compare_names(const void *a, const void *b)
{
        const struct xs_node *const *x = a, *const *y = b;

        return strcmp((*x)->name, (*y)->name);
}

static int dump_node(const struct xs_node *node, const char *path, FILE *f)
{
        _cleanup_free_ struct xs_node **sorted = NULL;

        fprintf(f, "%s=", path);
        dump_escaped(node->value, node->value_len, f);
        fputc('\n', f);

        if (node->n_children == 0)
                return 0;
        sorted = malloc(node->n_children * sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        memcpy(sorted, node->children, node->n_children * sizeof(*sorted));
        qsort(sorted, node->n_children, sizeof(*sorted), compare_names);

        for (size_t i = 0; i < node->n_children; i++) {
                _cleanup_free_ char *child = NULL;
                int r;

                if (asprintf(&child, "%s/%s", node->parent ? path : "",
                             sorted[i]->name) < 0) {
                        child = NULL;   /* undefined after a failure */
                        return -ENOMEM;
                }
                r = dump_node(sorted[i], child, f);
                if (r < 0)
                        return r;
        }
        return 0;
}

int tree_dump(const struct xs_node *root, FILE *f)
{
        int r = dump_node(root, "/", f);

        if (r < 0)
                return r;
        return ferror(f) ? -EIO : 0;
}
