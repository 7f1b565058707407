/* kill-after: run a command and SIGKILL it after a given number of
 * microseconds, as libxl's 40 s timeout or an OOM kill would, at a point a
 * shell's sleep cannot aim at.
 *
 *   kill-after [-t] USEC CMD [ARGS...]
 *
 * Returns as soon as the command ends. Exits with the command's status, or
 * 128 + the signal that ended it (137 when the kill landed). With -t, the
 * command's run time in microseconds is printed on stderr ("ran N us"), to
 * aim later kills. stdin, stdout and stderr are the command's. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parse.h"

static uint64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
        bool timed = argc > 1 && strcmp(argv[1], "-t") == 0;
        char **args = argv + (timed ? 1 : 0);
        struct timespec delay;
        struct pollfd p;
        uint64_t usec, start;
        int status, pidfd, n;
        pid_t pid;

        if (argc - (timed ? 1 : 0) < 3 || parse_u64(args[1], 10, &usec) < 0) {
                fprintf(stderr, "usage: kill-after [-t] USEC CMD [ARGS...]\n");
                return 2;
        }
        start = now_us();
        pid = fork();
        if (pid < 0) {
                perror("kill-after: fork");
                return 2;
        }
        if (pid == 0) {
                execvp(args[2], args + 2);
                perror("kill-after: exec");
                _exit(127);
        }
        pidfd = pidfd_open(pid, 0);
        if (pidfd < 0) {
                perror("kill-after: pidfd_open");
                kill(pid, SIGKILL);
                return 2;
        }
        delay.tv_sec = (time_t)(usec / 1000000);
        delay.tv_nsec = (long)(usec % 1000000) * 1000;
        p = (struct pollfd){ .fd = pidfd, .events = POLLIN };
        do
                n = ppoll(&p, 1, &delay, NULL);
        while (n < 0 && errno == EINTR);
        if (n == 0)
                kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        perror("kill-after: waitpid");
                        return 2;
                }
        if (timed)
                fprintf(stderr, "ran %llu us\n", (unsigned long long)(now_us() - start));
        return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
