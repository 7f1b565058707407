/* xs-test-control.c: `xenstore-control CMD ARGS...` for hosts where the
 * packaged one cannot start (Debian's wrapper needs a running hypervisor to
 * find it). Same request, same output, same exit codes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "util.h"

static void xs_closep(struct xs_handle **h)
{
        if (*h)
                xs_close(*h);
}

int main(int argc, char **argv)
{
        _cleanup_(xs_closep) struct xs_handle *h = NULL;
        _cleanup_free_ char *args = NULL, *reply = NULL;
        size_t len = 0;

        if (argc < 2) {
                fprintf(stderr, "Usage:\n%s <command> [<arg>...]\n", argv[0]);
                return 2;
        }

        /* the arguments travel as NUL-terminated strings after the command */
        for (int i = 2; i < argc; i++)
                len += strlen(argv[i]) + 1;
        if (len) {
                char *p = args = malloc(len);

                if (!args) {
                        fprintf(stderr, "Allocation error.\n");
                        return 1;
                }
                for (int i = 2; i < argc; i++)
                        p = stpcpy(p, argv[i]) + 1;
        }

        h = xs_open(0);
        if (!h) {
                fprintf(stderr, "Failed to contact Xenstored.\n");
                return 1;
        }

        reply = xs_control_command(h, argv[1], args, (unsigned)len);
        if (!reply) {
                int err = errno;
                _cleanup_free_ char *help = NULL;

                if (err != EINVAL) {
                        fprintf(stderr, "Error %d when trying to execute command.\n", err);
                        return 3;
                }
                help = xs_control_command(h, "help", NULL, 0);
                if (help)
                        fprintf(stderr, "Command not supported. Valid commands are:\n%s\n", help);
                else
                        fprintf(stderr, "Error when executing command.\n");
                return 3;
        }
        if (reply[0])
                printf("%s\n", reply);
        return 0;
}
