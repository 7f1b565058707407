/* tree.h: the node tree of the store: values, permissions, generations,
 * the per-node copies transactions take, and the text dump the tests compare. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Access bits, as XS_PERM_* of <xenstore_lib.h>. */
#define PERM_NONE  0x00
#define PERM_READ  0x01
#define PERM_WRITE 0x02
#define PERM_OWNER 0x08

struct xs_perm {
        uint32_t domid;
        unsigned access;        /* PERM_READ | PERM_WRITE */
};

/* v[0] names the owner and the access of every domain not listed after it. */
struct xs_perms {
        struct xs_perm *v;
        size_t n;
};

struct xs_node {
        char *name;                     /* last path component, "" for the root */
        struct xs_node *parent;
        struct xs_node **children;      /* in creation order, as xenstored lists them */
        size_t n_children, cap_children;
        char *value;                    /* value_len bytes and a NUL */
        size_t value_len;
        struct xs_perms perms;          /* never empty */
        uint64_t generation;            /* new value on every change of the node */
};

/* Access of DOMID to a node with PERMS: everything for dom0 and the owner,
 * else the first later entry naming DOMID, else v[0]'s access. */
unsigned perms_access(const struct xs_perms *perms, uint32_t domid);

int perms_copy(struct xs_perms *dst, const struct xs_perms *src);
void perms_done(struct xs_perms *perms);

/* "r5" etc.: one of n r w b, then a decimal domid. -EINVAL otherwise. */
int perm_parse(const char *s, struct xs_perm *out);
/* "b0" for a write+read entry; BUF holds at least 12 bytes. */
void perm_format(const struct xs_perm *perm, char buf[static 12]);

/* A node named NAME (LEN bytes) with a copy of PERMS and an empty value. */
struct xs_node *node_new(const char *name, size_t len, const struct xs_perms *perms);
/* Frees NODE and its subtree; NODE must not be attached to a parent. */
void node_free(struct xs_node *node);
void node_freep(struct xs_node **node);

struct xs_node *node_find_child(const struct xs_node *node, const char *name, size_t len);
int node_attach(struct xs_node *parent, struct xs_node *child);
void node_detach(struct xs_node *child);
int node_set_value(struct xs_node *node, const void *value, size_t len);
/* Bytes of the children list on the wire: each name and its NUL. */
size_t node_children_len(const struct xs_node *node);
/* The absolute path of NODE, malloc'ed. */
char *node_path(const struct xs_node *node);

/* The node at absolute, valid PATH below ROOT, or NULL. */
struct xs_node *tree_lookup(struct xs_node *root, const char *path);
/* A copy of SRC without its children (detached), or NULL on ENOMEM. */
struct xs_node *node_copy(const struct xs_node *src);
/* Make the node at absolute, valid PATH below DST_ROOT what it is below
 * SRC_ROOT: removed with its subtree if SRC has no such node; else created
 * (with missing parents, as childless copies) and given SRC's value,
 * permissions, generation and list of children, where a child DST lacked is
 * a childless copy and one SRC lacks is freed. On failure DST is unchanged
 * but for parents it gained. */
int tree_sync_node(struct xs_node *dst_root, const struct xs_node *src_root, const char *path);

/* One line "PATH=VALUE" per node, depth first with children in byte order of
 * their names; VALUE has '\' as "\\" and bytes outside 0x20..0x7e as "\xNN". */
int tree_dump(const struct xs_node *root, FILE *f);
