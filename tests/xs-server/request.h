/* request.h: what each request type does for a connection. */
#pragma once

#include "server.h"
#include "wire.h"

/* Carry out REQ for connection C and queue its reply (and the watch events
 * it causes). A negative errno is for the caller to send as the error reply. */
int request_dispatch(struct server *s, struct conn *c, const struct wire_request *req);

/* Abandon every transaction of C (RESET_WATCHES, a closing connection). */
void conn_drop_transactions(struct conn *c);
