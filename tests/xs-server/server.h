/* server.h: the test xenstore server: the store, the client connections on a
 * unix socket served by one poll() loop, and the per-connection behaviour
 * (domain, injected faults) that control commands arm. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transaction.h"
#include "tree.h"
#include "watch.h"
#include "wire.h"

/* How a connection behaves; armed by control commands for the next one. */
struct conn_settings {
        uint32_t domid;                 /* 0: dom0, privileged */
        uint64_t error_at;              /* request number answered with error_errno; 0: none */
        int error_errno;
        uint64_t drop_at;               /* request number at which it is closed; 0: none */
        uint64_t lose_at;               /* request carried out, then closed unanswered */
        uint64_t stall_at;              /* from this request on nothing is read or answered */
        unsigned eagain_commits;        /* commits still to be refused with EAGAIN */
};

struct conn {
        struct conn *next;
        int fd;
        uint64_t seq;                   /* accept order, from 1 */
        bool started;                   /* has sent a request */
        bool dead;                      /* to be closed after this round */
        bool stalled;                   /* a hung daemon: input discarded, nothing sent */
        struct conn_settings settings;
        uint64_t n_requests;
        char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
        size_t in_len;
        char *out;
        size_t out_len, out_sent, out_cap;
        struct xs_tx *txs;
        uint32_t next_tx_id;
        unsigned n_txs;
        struct watch_list watches;
};

struct server {
        int listen_fd;
        struct conn *conns;
        uint64_t accept_seq;
        struct xs_node *root;
        uint64_t generation;
        struct xs_perms special_perms[2];       /* @introduceDomain, @releaseDomain */
        uint64_t n_requests;                    /* on all connections so far */
        struct {
                bool armed;
                uint64_t after_seq;     /* for connections accepted after this one */
                struct conn_settings settings;
        } pending;
        bool verbose;
};

/* The store of a dom0 host ("/", /local/domain/0, /tool), listening on LISTEN_FD. */
int server_init(struct server *s, int listen_fd);
/* Closes every connection and frees the store (not LISTEN_FD). */
void server_done(struct server *s);

/* Serve until STOP_FD (a signalfd) becomes readable. */
int server_run(struct server *s, int stop_fd);

/* The settings the next connection will take, armed now. */
struct conn_settings *server_arm(struct server *s);

/* The whole tree as tree_dump() writes it. */
int server_dump(struct server *s, FILE *f);

/* Replies to REQ: PAYLOAD (E2BIG instead if it does not fit a message),
 * "OK", a string with its NUL, or the name of ERRNUM. */
void conn_reply(struct conn *c, const struct wire_request *req, const void *payload, size_t len);
void conn_reply_ok(struct conn *c, const struct wire_request *req);
void conn_reply_string(struct conn *c, const struct wire_request *req, const char *s);
void conn_reply_error(struct conn *c, const struct xsd_sockmsg *req, int errnum);

/* The event of watch W of C for a change at PATH. */
void conn_send_watch_event(struct conn *c, const struct xs_watch *w, const char *path);
/* EVENTS to every watch that matches and may see them, on all connections. */
void server_fire(struct server *s, const struct event_list *events);

/* Fires special watch NAME ("@introduceDomain" or "@releaseDomain") on the
 * watches set on exactly that name, as xenstored's fire_special_watches();
 * a domain's watch only if the name's permissions let it read. -EINVAL for
 * another name. */
int server_fire_special(struct server *s, const char *name);

/* With --verbose: a line about connection C on stderr. */
void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
