/* alternate.c: time commands in alternation, the fair way to compare two
 * programs whose difference is smaller than the machine's drift (hyperfine
 * runs all of one command, then all of the next).
 *
 *   alternate ROUNDS NAME PREPARE COMMAND [NAME PREPARE COMMAND]...
 *
 * Each round runs, for every command in turn, its PREPARE (through sh -c,
 * not timed) and then COMMAND (split on spaces, exec'd directly: no shell
 * in the measure), timing COMMAND from its spawn to its exit. The first
 * round is a warm-up. Prints "RESULT NAME MEDIAN-MS" per command, and on
 * stderr the quartiles. A failing PREPARE or COMMAND ends it with status 1. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define ARGS_MAX 16

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* 0 when ARGV ran and exited 0. */
static int run(char *const *argv)
{
        pid_t pid;
        int status;

        if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int compare(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        int rounds = argc > 1 ? atoi(argv[1]) : 0, n = (argc - 2) / 3;
        char *cmd[16][ARGS_MAX + 1];
        double *times;

        if (rounds < 2 || n < 1 || n > 16 || (argc - 2) % 3 != 0) {
                fprintf(stderr, "usage: alternate ROUNDS NAME PREPARE COMMAND [NAME PREPARE COMMAND]...\n");
                return 2;
        }
        for (int c = 0; c < n; c++) {
                int k = 0;

                for (char *w = strtok(argv[4 + 3 * c], " "); w && k < ARGS_MAX; w = strtok(NULL, " "))
                        cmd[c][k++] = w;
                cmd[c][k] = NULL;
        }
        times = calloc((size_t)rounds * (size_t)n, sizeof(*times));
        if (!times)
                return 1;
        for (int r = 0; r < rounds; r++)
                for (int c = 0; c < n; c++) {
                        static char sh[] = "/bin/sh", dash_c[] = "-c";
                        char *prepare[] = { sh, dash_c, argv[3 + 3 * c], NULL };
                        double start;

                        if (run(prepare) < 0) {
                                fprintf(stderr, "alternate: the prepare of %s failed\n", argv[2 + 3 * c]);
                                return 1;
                        }
                        start = now_ms();
                        if (run(cmd[c]) < 0) {
                                fprintf(stderr, "alternate: %s failed\n", argv[2 + 3 * c]);
                                return 1;
                        }
                        times[c * rounds + r] = now_ms() - start;
                }
        for (int c = 0; c < n; c++) {
                double *t = times + c * rounds + 1;     /* without the warm-up */
                int m = rounds - 1;

                qsort(t, (size_t)m, sizeof(*t), compare);
                printf("RESULT %s %.3f\n", argv[2 + 3 * c], t[m / 2]);
                fprintf(stderr, "%-24s median %.3f ms, quartiles %.3f .. %.3f ms (%d runs)\n", argv[2 + 3 * c],
                        t[m / 2], t[m / 4], t[3 * m / 4], m);
        }
        free(times);
        return 0;
}
