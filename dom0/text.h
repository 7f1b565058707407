/* text.h: making untrusted bytes safe to show: on a terminal (printable
 * ASCII only, everything else as \xNN), in JSON (a valid, escaped string),
 * and sizes in human units. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "reason.h"

/* text_escape_all() of the backend (bytes 0x20..0x7e but '\' copied, '\'
 * as "\\", every other byte as "\xNN"; too long: cut in the middle with
 * "..."), returning OUT for use in an expression. */
char *text_show(const char *in, size_t len, char *out, size_t size);

/* Room text_show needs for LEN bytes without cutting. */
#define TEXT_ESCAPED_SIZE(len) ((len) * 4 + 1)

/* Writes IN (LEN bytes) as a JSON string with its quotes: '"', '\' and
 * control characters escaped, DEL as \u007f, valid UTF-8 kept, every byte of
 * invalid UTF-8 as U+FFFD, so the output is always valid JSON. */
void json_write_string(FILE *f, const char *in, size_t len);

/* SIZE bytes as "512 B", "8.0 MiB", "1.5 TiB" (IEC units, one decimal). */
char *text_human_size(uint64_t size, char *out, size_t out_size);
