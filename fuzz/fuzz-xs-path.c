/* fuzz-xs-path.c: the xenstore test server's path rules (path.c) against
 * path.h's description, written out by hand below: validity, the resolution
 * of a relative path under a domain's home and back, watch names, parents.
 * Input: two bytes of domain id (little-endian), then the raw path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "path.h"

static const char home_prefix[] = "/local/domain/";

/* path.h: starts with '/', only [A-Za-z0-9/_@-], no "//", no trailing '/'
 * but for the root, and at most PATH_LEN_MAX bytes after "/local/domain/N/"
 * (N of 1 to 5 digits) when it lies below one, else in all. */
static bool expect_valid(const char *p)
{
        size_t len = strlen(p), counted_from = 0;

        if (p[0] != '/' || (len > 1 && p[len - 1] == '/'))
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = p[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '/' || c == '_' || c == '@' || c == '-'))
                        return false;
                if (c == '/' && p[i + 1] == '/')
                        return false;
        }
        if (strncmp(p, home_prefix, strlen(home_prefix)) == 0) {
                size_t digits = strspn(p + strlen(home_prefix), "0123456789");

                if (digits >= 1 && digits <= 5 && p[strlen(home_prefix) + digits] == '/')
                        counted_from = strlen(home_prefix) + digits + 1;
        }
        return len - counted_from <= PATH_LEN_MAX;
}

static char *resolve(const char *raw, uint32_t domid)
{
        char *path;

        if (raw[0] == '/')
                path = strdup(raw);
        else if (asprintf(&path, "%s%u/%s", home_prefix, domid, raw) < 0)
                path = NULL;
        if (!path)
                abort();
        return path;
}

static void check_canonicalize(const char *raw, uint32_t domid)
{
        char *expected = resolve(raw, domid), *out = NULL, *watch = NULL;
        bool accept = raw[0] != '@' && expect_valid(expected), relative = !(raw[0] == '/');
        int r = path_canonicalize(raw, domid, &out);

        if (!accept) {
                FUZZ_CHECK(r == -EINVAL, "'%s' for domain %u accepted (%d)", raw, domid, r);
        } else {
                FUZZ_CHECK(r == 0, "'%s' for domain %u refused (%d)", raw, domid, r);
                FUZZ_CHECK(strcmp(out, expected) == 0, "'%s' resolved to '%s'", raw, out);
                if (relative)
                        FUZZ_CHECK(strcmp(path_relative_to_home(out, domid), raw) == 0,
                                   "'%s' -> '%s' -> '%s'", raw, out, path_relative_to_home(out, domid));
        }
        free(out);

        /* a watch takes "@name" as it is, and is relative as its path was */
        relative = true;
        r = path_canonicalize_watch(raw, domid, &watch, &relative);
        if (raw[0] == '@') {
                accept = strlen(raw) <= PATH_LEN_MAX;
                FUZZ_CHECK(accept ? r == 0 && strcmp(watch, raw) == 0 && !relative : r == -EINVAL,
                           "watch '%s': %d", raw, r);
        } else {
                FUZZ_CHECK(accept ? r == 0 && strcmp(watch, expected) == 0 : r == -EINVAL,
                           "watch '%s': %d", raw, r);
                FUZZ_CHECK(r < 0 || relative == (raw[0] != '/'), "watch '%s' relative: %d", raw, relative);
        }
        free(watch);
        free(expected);
}

/* For a valid path: its parent is valid, holds it, and is one component up. */
static void check_parent(const char *path)
{
        size_t len = path_parent_len(path);
        char *parent;

        FUZZ_CHECK(path_is_child(path, path) && path_is_child(path, "/"), "'%s' not its own child", path);
        if (strcmp(path, "/") == 0) {
                FUZZ_CHECK(len == 0, "the root has a parent of %zu bytes", len);
                return;
        }
        FUZZ_CHECK(len >= 1 && len < strlen(path), "'%s': parent of %zu bytes", path, len);
        parent = strndup(path, len);
        if (!parent)
                abort();
        FUZZ_CHECK(expect_valid(parent), "'%s' has parent '%s'", path, parent);
        FUZZ_CHECK(path_is_child(path, parent), "'%s' not a child of '%s'", path, parent);
        FUZZ_CHECK(!strchr(path + len + (len > 1 ? 1 : 0), '/'), "'%s': parent '%s' not one up", path,
                   parent);
        free(parent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint32_t domid;
        char *raw;

        fuzz_begin(data, size);
        if (size < 2)
                return FUZZ_REJECT;
        domid = (uint32_t)(data[0] | data[1] << 8);
        raw = fuzz_string(data + 2, size - 2);
        if (!raw)
                return FUZZ_REJECT;

        FUZZ_CHECK(path_is_valid(raw) == expect_valid(raw), "path_is_valid('%.100s') = %d", raw,
                   path_is_valid(raw));
        check_canonicalize(raw, domid);
        if (expect_valid(raw))
                check_parent(raw);
        free(raw);
        return 0;
}
