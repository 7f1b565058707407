/* control.h: the test server's control commands (DIR/control, one line per
 * connection; qdb-test-control sends them): faults armed for the next client
 * connection, the database dump, counters. */
#pragma once

#include "server.h"

/* Run the command LINE (space-separated words; NULL: a line too long).
 * Returns the malloc'd reply: "OK\n" and the command's output, or
 * "ERROR: REASON\n". NULL only without memory. */
char *control_run(struct server *s, char *line);

/* The same for --arm and QDB_TEST_SERVER_ARM: 0, or -EINVAL. */
int control_execute_line(struct server *s, const char *line);

/* The list of commands, for --help and the "help" command. */
extern const char control_help_text[];
