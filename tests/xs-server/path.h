/* path.h: xenstore path syntax as xenstored 4.17 checks it, and the mapping
 * between relative paths and a domain's home /local/domain/DOMID. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest path xenstored accepts, counted after "/local/domain/N/" when the
 * path lies below a domain's home (its quota_max_path_len default). */
#define PATH_LEN_MAX 2048       /* XENSTORE_REL_PATH_MAX */

/* Starts with '/', only [A-Za-z0-9/_@-], no "//", no trailing '/' except
 * for the root, and not longer than PATH_LEN_MAX as counted above. */
bool path_is_valid(const char *path);

/* RAW as a client sent it, resolved for a connection of domain DOMID:
 * relative paths lie below /local/domain/DOMID. Stores a malloc'ed absolute
 * path in *OUT. -EINVAL for an invalid path, which includes "@..." names. */
int path_canonicalize(const char *raw, uint32_t domid, char **out);

/* The same for a WATCH: "@name" (xenstored's special events, any name up to
 * PATH_LEN_MAX) is kept as it is. *RELATIVE says whether RAW was relative,
 * because its events must then be relative too. */
int path_canonicalize_watch(const char *raw, uint32_t domid, char **out, bool *relative);

/* xenstored's is_child(): CHILD is PARENT, lies below it, or PARENT is "/". */
bool path_is_child(const char *child, const char *parent);

/* PATH as a relative path of DOMID's home ("" for the home itself), or PATH
 * itself when it is not below the home. */
const char *path_relative_to_home(const char *path, uint32_t domid);

/* Length of the parent's path inside PATH ("/a/b" -> 2, "/a" -> 1 for "/");
 * 0 for the root, which has no parent. */
size_t path_parent_len(const char *path);
