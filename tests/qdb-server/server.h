/* server.h: the QubesDB test server: the database, the client connections
 * on the read-write and read-only sockets and on the control socket, served
 * by one poll() loop, and the faults that control commands arm for the next
 * client connection. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"
#include "wire.h"

enum conn_kind {
        CONN_RW,
        CONN_RO,                /* qubesdb.ro.sock: no WRITE, no RM */
        CONN_CONTROL,           /* one line in, the reply out, closed */
};

/* What `fault corrupt N KIND` puts in place of a reply. */
enum corruption {
        CORRUPT_NONE,
        CORRUPT_TYPE,           /* a type that is no reply (42) */
        CORRUPT_PATH,           /* a path field without NUL */
        CORRUPT_LENGTH,         /* data_len of 1 MiB, no data following */
        CORRUPT_ECHO,           /* another path than the request's */
        CORRUPT_NUL,            /* a READ value holding a NUL */
        CORRUPT_REPLY,          /* a reply type the request does not get */
};

/* How a client connection misbehaves; armed by control commands for the
 * next one. Request numbers count from 1; 0 is "never". */
struct conn_settings {
        uint64_t drop_at;               /* closed when it arrives, not carried out */
        uint64_t lose_at;               /* carried out, closed before the reply */
        uint64_t stall_at;              /* neither carried out nor answered; nothing
                                         * read or sent on the connection afterwards */
        uint64_t error_at;              /* answered ERROR, not carried out */
        uint64_t watch_before_at;       /* a watch event just before the reply */
        uint64_t watch_amid_at;         /* ... and before every further message of it */
        char watch_path[WIRE_PATH_SIZE];/* of those events; "": the request's path */
        uint64_t corrupt_at;            /* carried out, the reply replaced */
        enum corruption corrupt;
};

struct watch {
        struct watch *next;
        char path[WIRE_PATH_SIZE];      /* a trailing '/' watches by prefix */
};

/* The longest message a client may send whole; longer data is skipped. */
#define CONN_IN_MAX (WIRE_HDR_SIZE + WIRE_DATA_MAX)
#define CONTROL_LINE_MAX 1024

struct conn {
        struct conn *next;
        int fd;                         /* -1 in the fuzz target: output stays queued */
        enum conn_kind kind;
        uint64_t seq;                   /* accept order, from 1 */
        bool dead;                      /* to be closed after this round */
        bool closing;                   /* closed once the output is out */
        bool stalled;
        struct conn_settings settings;
        uint64_t n_requests;
        unsigned char in[CONN_IN_MAX > CONTROL_LINE_MAX ? CONN_IN_MAX : CONTROL_LINE_MAX];
        size_t in_len;
        uint64_t skip_left;             /* data of an oversized message still to skip */
        char *out;
        size_t out_len, out_sent, out_cap;
        struct watch *watches;
};

struct server {
        int listen_fd[3];               /* by enum conn_kind */
        struct conn *conns;
        uint64_t accept_seq;
        struct store store;
        uint64_t n_requests;            /* on all client connections so far */
        struct {
                bool armed;
                uint64_t after_seq;     /* for connections accepted after this one */
                struct conn_settings settings;
        } pending;
        bool verbose;
};

/* An empty database; the listening sockets are given (-1: none). */
void server_init(struct server *s, int rw_fd, int ro_fd, int control_fd);
/* Closes every connection and frees the database (not the listening sockets). */
void server_done(struct server *s);

/* Serve until STOP_FD (a signalfd) becomes readable. */
int server_run(struct server *s, int stop_fd);

/* A connection on FD (accepted, or -1 for the fuzz target), at the end of
 * the list; a client connection takes the armed settings. NULL: no memory. */
struct conn *server_add_conn(struct server *s, int fd, enum conn_kind kind);

/* Bytes received on C: whole messages are handled as they complete. */
void conn_receive(struct server *s, struct conn *c, const void *buf, size_t len);

/* The settings the next client connection will take, armed now. */
struct conn_settings *server_arm(struct server *s);

/* Queue LEN bytes on C's output (a client that stops reading is dropped
 * past a bound). */
void conn_queue(struct conn *c, const void *buf, size_t len);
/* A header with no data: the request's raw header REQ echoed with TYPE,
 * as the daemon answers. */
void conn_queue_echo(struct conn *c, const unsigned char *req, uint8_t type);
/* A watch event for PATH on C (nothing on a stalled connection). */
void conn_queue_event(struct conn *c, const char *path);

/* The event a watch-before-reply or watch-amid-reply fault puts before a
 * reply message of a request for REQUEST_PATH. */
void conn_inject_event(struct conn *c, const char *request_path);

/* A change at PATH: an event on every matching watch of every connection. */
void server_fire(struct server *s, const char *path);

/* With --verbose: a line about connection C on stderr. */
void conn_log(const struct server *s, const struct conn *c, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
