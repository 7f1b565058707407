/* control.h: the XS_CONTROL commands of the test server: fault injection and
 * domain identity for the next connection, tree dumps, request counting. */
#pragma once

#include "server.h"

/* Run control command ARGV[0] with its ARGC - 1 arguments. On success *REPLY
 * is NULL (the reply is "OK") or a malloc'ed text. -EINVAL for an unknown
 * command or bad arguments (xenstore-control then lists the commands). */
int control_execute(struct server *s, unsigned argc, char **argv, char **reply);

/* Run a command given as one string of space-separated words ("fault drop 3"),
 * as --arm and XS_TEST_SERVER_ARM give them. */
int control_execute_line(struct server *s, const char *line);

/* The list of commands, for --help and the "help" command. */
extern const char control_help_text[];
