/* util.h: cleanup attributes and small helpers shared by every module. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p)
{
        free(*(void **)p);
}

static inline void closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;      /* close() must not clobber a pending error */
                close(*fd);
                errno = saved;
        }
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d) {
                int saved = errno;
                closedir(*d);
                errno = saved;
        }
}

#define _cleanup_(f)       __attribute__((cleanup(f)))
#define _cleanup_free_     _cleanup_(freep)
#define _cleanup_close_    _cleanup_(closep)
#define _cleanup_fclose_   _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

/* Hand ownership on: return the value and leave the cleanup variable empty. */
#define TAKE_PTR(p) ({ __typeof__(p) take_ptr_ = (p); (p) = NULL; take_ptr_; })
#define TAKE_FD(fd) ({ int take_fd_ = (fd); (fd) = -1; take_fd_; })

/* errno as a negative value, never 0 (some libraries fail without setting it). */
static inline int negative_errno(void)
{
        return errno > 0 ? -errno : -EIO;
}

static inline bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline bool endswith(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);

        return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

/* A "/" B into BUF of SIZE bytes (A alone when B is NULL): -ENAMETOOLONG
 * rather than a path cut short. */
static inline int path_join(char *buf, size_t size, const char *a, const char *b)
{
        int n = b ? snprintf(buf, size, "%s/%s", a, b) : snprintf(buf, size, "%s", a);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Make room in *P, an array of *ALLOCATED elements of SIZE bytes, for NEED
 * of them (growing geometrically): 0, or -ENOMEM with *P untouched. */
static inline int array_reserve(void **p, size_t *allocated, size_t need, size_t size)
{
        size_t want;
        void *grown;

        if (need <= *allocated)
                return 0;
        want = *allocated ? *allocated * 2 : 8;
        if (want < need)
                want = need;
        grown = reallocarray(*p, want, size);
        if (!grown)
                return -ENOMEM;
        *p = grown;
        *allocated = want;
        return 0;
}
#define ARRAY_RESERVE(p, allocated, need) \
        array_reserve((void **)&(p), &(allocated), (need), sizeof(*(p)))

/* A NULL-terminated array of malloc'd strings ("strv", as systemd has it). */
static inline void strv_free(char **v)
{
        for (char **s = v; s && *s; s++)
                free(*s);
        free(v);
}

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

static inline size_t strv_length(char *const *v)
{
        size_t n = 0;

        while (v && v[n])
                n++;
        return n;
}

/* Append a copy of S to *V (which may be NULL). 0 or -ENOMEM (*V intact). */
static inline int strv_extend(char ***v, const char *s)
{
        size_t n = strv_length(*v);
        char *copy = strdup(s);
        char **grown;

        if (!copy)
                return -ENOMEM;
        grown = reallocarray(*v, n + 2, sizeof(char *));
        if (!grown) {
                free(copy);
                return -ENOMEM;
        }
        grown[n] = copy;
        grown[n + 1] = NULL;
        *v = grown;
        return 0;
}

static inline bool strv_contains(char *const *v, const char *s)
{
        for (; v && *v; v++)
                if (streq(*v, s))
                        return true;
        return false;
}

/* The same strings in the same order (NULL is the empty strv). */
static inline bool strv_equal(char *const *a, char *const *b)
{
        for (; a && *a && b && *b; a++, b++)
                if (strcmp(*a, *b) != 0)
                        return false;
        return !(a && *a) && !(b && *b);
}
