/* store.h: the test server's database: entries kept sorted by path in byte
 * order, as the daemon's list is, so that LIST and MULTIREAD walk them in
 * ascending order from a prefix. No tree: a path is just a string. */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "wire.h"

struct store_entry {
        char path[WIRE_PATH_SIZE];
        char *value;
        size_t len;
};

struct store {
        struct store_entry *v;
        size_t n, cap;
};

/* Create or replace PATH's value (LEN bytes of VALUE). The caller checked
 * both. -ENOMEM. */
int store_write(struct store *s, const char *path, const char *value, size_t len);

/* The entry at exactly PATH, or NULL. */
const struct store_entry *store_find(const struct store *s, const char *path);

/* Remove PATH, or with a trailing '/' every entry starting with it. The
 * number of entries removed. */
size_t store_rm(struct store *s, const char *path);

/* The index of the first entry not below PATH in byte order: the first one
 * a prefix can match. */
size_t store_lower_bound(const struct store *s, const char *path);

/* One line "PATH=VALUE" per entry in order; in values `\` is written `\\`
 * and bytes outside 0x20..0x7e `\xNN`. */
int store_dump(const struct store *s, FILE *f);

void store_clear(struct store *s);
