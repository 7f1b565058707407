/* store.c: the sorted entries of the test server's database. */
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t store_lower_bound(const struct store *s, const char *path)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (strcmp(s->v[mid].path, path) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

const struct store_entry *store_find(const struct store *s, const char *path)
{
        size_t i = store_lower_bound(s, path);

        return i < s->n && streq(s->v[i].path, path) ? &s->v[i] : NULL;
}

int store_write(struct store *s, const char *path, const char *value, size_t len)
{
        size_t i = store_lower_bound(s, path);
        char *copy = malloc(len ? len : 1);

        if (!copy)
                return -ENOMEM;
        if (len)
                memcpy(copy, value, len);

        if (i < s->n && streq(s->v[i].path, path)) {
                free(s->v[i].value);
                s->v[i].value = copy;
                s->v[i].len = len;
                return 0;
        }
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 64;
                struct store_entry *v = reallocarray(s->v, cap, sizeof(*v));

                if (!v) {
                        free(copy);
                        return -ENOMEM;
                }
                s->v = v;
                s->cap = cap;
        }
        memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
        s->v[i] = (struct store_entry) { .value = copy, .len = len };
        memcpy(s->v[i].path, path, strlen(path) + 1);
        s->n++;
        return 0;
}

size_t store_rm(struct store *s, const char *path)
{
        size_t first = store_lower_bound(s, path), end = first;

        if (endswith(path, "/")) {
                while (end < s->n && startswith(s->v[end].path, path))
                        end++;
        } else if (first < s->n && streq(s->v[first].path, path)) {
                end = first + 1;
        }
        if (end == first)
                return 0;       /* also keeps a NULL s->v out of memmove() */
        for (size_t i = first; i < end; i++)
                free(s->v[i].value);
        memmove(&s->v[first], &s->v[end], (s->n - end) * sizeof(*s->v));
        s->n -= end - first;
        return end - first;
}

int store_dump(const struct store *s, FILE *f)
{
        for (size_t i = 0; i < s->n; i++) {
                fprintf(f, "%s=", s->v[i].path);
                for (size_t j = 0; j < s->v[i].len; j++) {
                        unsigned char c = (unsigned char)s->v[i].value[j];

                        if (c == '\\')
                                fputs("\\\\", f);
                        else if (c < 0x20 || c > 0x7e)
                                fprintf(f, "\\x%02x", c);
                        else
                                fputc(c, f);
                }
                fputc('\n', f);
        }
        return ferror(f) ? -EIO : 0;
}

void store_clear(struct store *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i].value);
        free(s->v);
        *s = (struct store) { 0 };
}
