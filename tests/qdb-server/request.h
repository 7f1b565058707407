/* request.h: the handling of one whole client message, as the daemon does. */
#pragma once

#include "server.h"

/* RAW is the header (WIRE_HDR_SIZE bytes) after wire_terminate_path(),
 * TERMINATED what that returned, DATA its data_len bytes, or NULL when they
 * were over the limit and skipped. Queues the answer on C and the events the
 * change fires; may mark C closing (a write to a path ending in '/'). */
void request_handle(struct server *s, struct conn *c, unsigned char *raw, bool terminated,
                    const char *data);
