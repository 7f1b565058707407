/* check.h: a minimal scenario test harness for the C unit tests.
 *
 * Each test is a function `static void test_xxx(void)`; CHECK() records a
 * failure with file:line and the failed expression and returns from the test.
 * RUN_TESTS ends with the "N passed, M failed" line that ctest output shows. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_in_test;
static int check_passed, check_failed;

#define CHECK(expr)                                                            \
        do {                                                                   \
                if (!(expr)) {                                                 \
                        fprintf(stdout, "  %s:%d: CHECK(%s) failed\n",         \
                                __FILE__, __LINE__, #expr);                    \
                        check_failed_in_test = 1;                              \
                        return;                                                \
                }                                                              \
        } while (0)

#define CHECK_STR_EQ(actual, expected)                                         \
        do {                                                                   \
                const char *check_a_ = (actual), *check_e_ = (expected);      \
                if (!check_a_ || strcmp(check_a_, check_e_) != 0) {            \
                        fprintf(stdout, "  %s:%d: %s is \"%s\", expected \"%s\"\n", \
                                __FILE__, __LINE__, #actual,                   \
                                check_a_ ? check_a_ : "(null)", check_e_);     \
                        check_failed_in_test = 1;                              \
                        return;                                                \
                }                                                              \
        } while (0)

#define CHECK_INT_EQ(actual, expected)                                         \
        do {                                                                   \
                long long check_a_ = (long long)(actual);                      \
                long long check_e_ = (long long)(expected);                    \
                if (check_a_ != check_e_) {                                    \
                        fprintf(stdout, "  %s:%d: %s is %lld, expected %lld\n", \
                                __FILE__, __LINE__, #actual, check_a_, check_e_); \
                        check_failed_in_test = 1;                              \
                        return;                                                \
                }                                                              \
        } while (0)

static inline void check_run(void (*fn)(void), const char *name)
{
        check_failed_in_test = 0;
        fn();
        if (check_failed_in_test) {
                check_failed++;
                printf("FAIL %s\n", name);
        } else {
                check_passed++;
                printf("PASS %s\n", name);
        }
        fflush(stdout);
}

#define RUN(test) check_run(test, #test)

/* A scratch directory for a test program: DIR (at least 64 bytes) gets
 * $TMPDIR/qxd-NAME.XXXXXX, made. 0, or -1 when it cannot be. */
static inline int check_scratch_dir(char *dir, size_t size, const char *name)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, size, "%s/qxd-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
        return mkdtemp(dir) ? 0 : -1;
}

/* Removes it and everything in it. */
static inline int check_scratch_remove(const char *dir)
{
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static inline int check_summary(void)
{
        printf("%d passed, %d failed\n", check_passed, check_failed);
        return check_failed ? 1 : 0;
}
