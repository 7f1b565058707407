/* fuzz-qdb-server.c: the QubesDB test server's request handling
 * (tests/qdb-server: server.c's framing and faults, request.c, store.c) on
 * three connections that never touch a socket: two read-write, one
 * read-only. Every byte it sends is checked against a model of SPEC §6
 * written here apart from the server: its own framing of the requests, path
 * rule, database and watches. Each request gets exactly the answer the
 * model expects (ERROR exactly when a rule is broken, READ the model's
 * value, LIST/MULTIREAD the model's entries in order and the end marker,
 * echoed paths), each change the events the model's watches expect, on
 * every connection and in order; at the end the database equals the model.
 *
 * Input: a fault for connection 0 (0 none, 1 drop, 2 stall, 3 error,
 * 4 watch-before-reply, 5 watch-amid-reply; modulo 6) and its request
 * number, then records: a byte whose value modulo 3 picks the connection,
 * a 16-bit little-endian length (cut to what is left), that many bytes of
 * the connection's stream. */
#include <stdlib.h>
#include <string.h>

#include "fuzz-util.h"
#include "server.h"

#define CLIENTS 3
#define HDR FUZZ_QDB_HDR
#define FIELD FUZZ_QDB_PATH_MAX
#define VALUE_MAX 3071
#define MODEL_MAX 512           /* entries and watches; inputs stay far below */
#define PENDING_MAX 16384     /* events one record may cause on a connection */

enum { READ, WRITE, MULTIREAD, LIST, RM, WATCH, UNWATCH,
       OK, NOENT, ERROR, R_READ, R_MULTIREAD, R_LIST, EVENT };

struct model_entry {
        char path[FIELD];
        char value[VALUE_MAX];
        size_t len;
};

struct request {
        unsigned char hdr[HDR];
        uint8_t type;
        bool terminated;        /* the path field held a NUL */
        char path[FIELD];
        uint32_t len;
        const char *data;       /* NULL when over the limit */
};

struct client {
        struct conn *conn;
        bool off;               /* closed, stalled or closing: no longer checked */
        bool ro;
        uint64_t n;             /* requests framed */
        unsigned char in[HDR + VALUE_MAX];
        size_t in_len;
        uint64_t skip;
        char watches[MODEL_MAX][FIELD];
        size_t n_watches;
        char events[PENDING_MAX][FIELD];        /* expected, not yet seen */
        size_t n_events;
        size_t cursor;          /* into conn->out */
};

static struct model_entry model[MODEL_MAX];
static size_t model_n;
static struct client clients[CLIENTS];
static unsigned fault_kind;
static uint64_t fault_at;

/* ---- the model ---- */

static bool ends_with_slash(const char *p)
{
        return p[0] && p[strlen(p) - 1] == '/';
}

static struct model_entry *model_find(const char *path)
{
        for (size_t i = 0; i < model_n; i++)
                if (strcmp(model[i].path, path) == 0)
                        return &model[i];
        return NULL;
}

static bool model_matches_rm(const char *entry, const char *path)
{
        return ends_with_slash(path) ? strncmp(entry, path, strlen(path)) == 0 :
                                       strcmp(entry, path) == 0;
}

static size_t model_rm(const char *path)
{
        size_t removed = 0;

        for (size_t i = 0; i < model_n;) {
                if (model_matches_rm(model[i].path, path)) {
                        model[i] = model[--model_n];
                        removed++;
                } else {
                        i++;
                }
        }
        return removed;
}

/* The entries starting with PREFIX, ascending, into ORDER; their number. */
static size_t model_list(const char *prefix, size_t *order)
{
        size_t n = 0;

        for (size_t i = 0; i < model_n; i++) {
                size_t j;

                if (strncmp(model[i].path, prefix, strlen(prefix)) != 0)
                        continue;
                for (j = n; j > 0 && strcmp(model[order[j - 1]].path, model[i].path) > 0; j--)
                        order[j] = order[j - 1];
                order[j] = i;
                n++;
        }
        return n;
}

/* A change at PATH: the events every client's watches expect. */
static void model_fire(const char *path)
{
        for (size_t k = 0; k < CLIENTS; k++) {
                struct client *cl = &clients[k];

                for (size_t w = 0; w < cl->n_watches && !cl->off; w++) {
                        const char *wp = cl->watches[w];
                        bool hit = ends_with_slash(wp) ? strncmp(path, wp, strlen(wp)) == 0 :
                                                         strcmp(path, wp) == 0;

                        if (!hit)
                                continue;
                        FUZZ_CHECK(cl->n_events < PENDING_MAX, "more events than the model holds");
                        strcpy(cl->events[cl->n_events++], path);
                }
        }
}

/* ---- the client's stream, framed by the model ---- */

static uint32_t get_len(const unsigned char *hdr)
{
        uint32_t len;

        memcpy(&len, hdr + 68, 4);
        return len;
}

/* Take bytes of a stream; a whole request into *REQ returns true, with
 * *USED the bytes taken. */
static bool frame(struct client *cl, const uint8_t *buf, size_t len, size_t *used,
                  struct request *req)
{
        size_t want, n;

        *used = 0;
        if (cl->skip) {
                n = len < cl->skip ? len : cl->skip;
                cl->skip -= n;
                *used = n;
                if (cl->skip)
                        return false;
        } else {
                want = cl->in_len < HDR ? HDR - cl->in_len : HDR + get_len(cl->in) - cl->in_len;
                n = len < want ? len : want;
                memcpy(cl->in + cl->in_len, buf, n);
                cl->in_len += n;
                *used = n;
                if (cl->in_len < HDR)
                        return false;
                if (get_len(cl->in) > VALUE_MAX && cl->in_len == HDR && n > 0 &&
                    (cl->skip = get_len(cl->in)) > 0) {
                        cl->in_len++;   /* the header is in; its data is skipped */
                        return false;
                }
                if (get_len(cl->in) <= VALUE_MAX && cl->in_len < HDR + get_len(cl->in))
                        return false;
        }
        memcpy(req->hdr, cl->in, HDR);
        req->type = req->hdr[0];
        req->terminated = memchr(req->hdr + 1, '\0', FIELD) != NULL;
        req->hdr[FIELD] = '\0';         /* the field's last byte, as the daemon */
        memcpy(req->path, req->hdr + 1, FIELD);
        req->len = get_len(req->hdr);
        req->data = req->len <= VALUE_MAX ? (const char *)cl->in + HDR : NULL;
        cl->in_len = 0;
        return true;
}

/* ---- checking the output ---- */

/* The next message on CL's output: header and data into *HDR and *DATA. */
static bool next_out(struct client *cl, unsigned char *hdr, const char **data)
{
        struct conn *c = cl->conn;
        uint32_t len;

        if (cl->cursor == c->out_len)
                return false;
        FUZZ_CHECK(c->out_len - cl->cursor >= HDR, "output ends inside a header");
        memcpy(hdr, c->out + cl->cursor, HDR);
        len = get_len(hdr);
        FUZZ_CHECK(hdr[0] >= OK && hdr[0] <= EVENT, "reply type %u", hdr[0]);
        FUZZ_CHECK(hdr[FIELD] == '\0', "path field without its last NUL");
        FUZZ_CHECK(len <= VALUE_MAX && c->out_len - cl->cursor - HDR >= len, "data_len %u", len);
        FUZZ_CHECK(len == 0 || hdr[0] == R_READ || hdr[0] == R_MULTIREAD, "data on type %u", hdr[0]);
        *data = c->out + cl->cursor + HDR;
        FUZZ_CHECK(!memchr(*data, '\0', len), "a value holding a NUL went out");
        cl->cursor += HDR + len;
        return true;
}

/* The next message is TYPE for PATH (data checked by the caller). */
static void expect_msg(struct client *cl, uint8_t type, const char *path, const char **data,
                       uint32_t *len)
{
        unsigned char hdr[HDR];
        const char *d = NULL;

        FUZZ_CHECK(next_out(cl, hdr, &d), "no message; expected type %u '%s'", type, path);
        FUZZ_CHECK(hdr[0] == type && strcmp((char *)hdr + 1, path) == 0,
                   "got type %u '%s', expected type %u '%s'", hdr[0], (char *)hdr + 1, type, path);
        if (data) {
                *data = d;
                *len = get_len(hdr);
        } else {
                FUZZ_CHECK(get_len(hdr) == 0, "type %u with data", type);
        }
}

/* The events the model expects of CL, in order, then nothing else yet. */
static void expect_events(struct client *cl)
{
        for (size_t i = 0; i < cl->n_events; i++)
                expect_msg(cl, EVENT, cl->events[i], NULL, NULL);
        cl->n_events = 0;
}

static const char *injected_path(const struct request *req)
{
        return req->terminated && fuzz_qdb_path_valid(req->path) ? req->path : "/";
}

/* Why the daemon must refuse REQ with ERROR, before the database. */
static bool refused(const struct client *cl, const struct request *req)
{
        if (req->type > UNWATCH || !req->terminated || !fuzz_qdb_path_valid(req->path) || !req->data)
                return true;
        if (req->len > 0 && req->type != WRITE)
                return true;
        if (cl->ro && (req->type == WRITE || req->type == RM))
                return true;
        return req->type == WRITE && memchr(req->data, '\0', req->len);
}

static void check_list(struct client *cl, const struct request *req, bool amid)
{
        static size_t order[MODEL_MAX];
        uint8_t type = req->type == LIST ? R_LIST : R_MULTIREAD;
        size_t n = model_list(req->path, order);
        const char *data;
        uint32_t len;

        for (size_t i = 0; i <= n; i++) {
                if (amid && i > 0)
                        expect_msg(cl, EVENT, injected_path(req), NULL, NULL);
                if (i == n) {
                        expect_msg(cl, type, "", NULL, NULL);
                        break;
                }
                expect_msg(cl, type, model[order[i]].path, &data, &len);
                FUZZ_CHECK(type == R_LIST ? len == 0 :
                           len == model[order[i]].len && memcmp(data, model[order[i]].value, len) == 0,
                           "entry %s with other data", model[order[i]].path);
        }
}

/* WRITE and RM carried out by the model, and their replies. */
static void check_change(struct client *cl, const struct request *req)
{
        if (req->type == WRITE) {
                struct model_entry *e = model_find(req->path);

                if (ends_with_slash(req->path)) {
                        expect_msg(cl, ERROR, req->path, NULL, NULL);
                        FUZZ_CHECK(cl->conn->closing, "a write to P/ did not close");
                        cl->off = true;
                        return;
                }
                if (!e) {
                        FUZZ_CHECK(model_n < MODEL_MAX, "model full");
                        e = &model[model_n++];
                        strcpy(e->path, req->path);
                }
                memcpy(e->value, req->data, req->len);
                e->len = req->len;
        } else if (model_rm(req->path) == 0) {
                expect_msg(cl, NOENT, req->path, NULL, NULL);
                return;
        }
        expect_msg(cl, OK, req->path, NULL, NULL);
        model_fire(req->path);
        expect_events(cl);      /* its own come right after the reply */
}

static void check_watch(struct client *cl, const struct request *req)
{
        if (req->type == WATCH) {
                FUZZ_CHECK(cl->n_watches < MODEL_MAX, "too many watches");
                strcpy(cl->watches[cl->n_watches++], req->path);
                expect_msg(cl, OK, req->path, NULL, NULL);
                return;
        }
        for (size_t w = 0; w < cl->n_watches; w++)
                if (strcmp(cl->watches[w], req->path) == 0) {
                        memmove(cl->watches[w], cl->watches[w + 1],
                                (cl->n_watches - w - 1) * FIELD);
                        cl->n_watches--;
                        expect_msg(cl, OK, req->path, NULL, NULL);
                        return;
                }
        expect_msg(cl, NOENT, req->path, NULL, NULL);
}

/* The answer REQ of CL (its request number N) must get. */
static void check_answer(struct client *cl, const struct request *req, uint64_t n)
{
        bool armed = cl == &clients[0] && n == fault_at;
        const struct model_entry *e;
        const char *data;
        uint32_t len;

        if (armed && (fault_kind == 1 || fault_kind == 2)) {
                FUZZ_CHECK(fault_kind == 1 ? cl->conn->dead : cl->conn->stalled,
                           "fault %u at %llu had no effect", fault_kind, (unsigned long long)n);
                cl->off = true;
                return;
        }
        if (armed && (fault_kind == 4 || fault_kind == 5))
                expect_msg(cl, EVENT, injected_path(req), NULL, NULL);
        if ((armed && fault_kind == 3) || refused(cl, req)) {
                expect_msg(cl, ERROR, req->path, NULL, NULL);
                return;
        }
        switch (req->type) {
        case READ:
                e = model_find(req->path);
                if (!e) {
                        expect_msg(cl, NOENT, req->path, NULL, NULL);
                        break;
                }
                expect_msg(cl, R_READ, req->path, &data, &len);
                FUZZ_CHECK(len == e->len && memcmp(data, e->value, len) == 0, "READ %s differs",
                           req->path);
                break;
        case LIST:
        case MULTIREAD:
                check_list(cl, req, armed && fault_kind == 5);
                break;
        case WRITE:
        case RM:
                check_change(cl, req);
                break;
        default:
                check_watch(cl, req);
        }
}

/* ---- driving ---- */

static void feed(struct server *s, struct client *cl, const uint8_t *buf, size_t len)
{
        struct request req;
        size_t off = 0, used;

        conn_receive(s, cl->conn, buf, len);
        while (off < len && !cl->off) {
                bool whole = frame(cl, buf + off, len - off, &used, &req);

                off += used;
                if (whole)
                        check_answer(cl, &req, ++cl->n);
        }
        for (size_t k = 0; k < CLIENTS; k++) {
                struct client *other = &clients[k];

                if (other->off)
                        continue;
                expect_events(other);
                FUZZ_CHECK(other->cursor == other->conn->out_len,
                           "connection %zu: %zu bytes more than expected", k,
                           other->conn->out_len - other->cursor);
        }
        for (size_t k = 0; k < CLIENTS; k++) {
                clients[k].conn->out_len = 0;   /* as if sent */
                clients[k].cursor = 0;
                clients[k].n_events = 0;
                clients[k].off |= clients[k].conn->dead || clients[k].conn->stalled ||
                                  clients[k].conn->closing;
        }
}

static void check_database(const struct server *s)
{
        FUZZ_CHECK(s->store.n == model_n, "%zu entries, the model has %zu", s->store.n, model_n);
        for (size_t i = 0; i < s->store.n; i++) {
                const struct model_entry *e = model_find(s->store.v[i].path);

                FUZZ_CHECK(e && e->len == s->store.v[i].len &&
                           memcmp(e->value, s->store.v[i].value, e->len) == 0,
                           "entry %s differs from the model", s->store.v[i].path);
                FUZZ_CHECK(i == 0 || strcmp(s->store.v[i - 1].path, s->store.v[i].path) < 0,
                           "entries out of order");
        }
}

static void arm(struct server *s, const uint8_t *data)
{
        struct conn_settings *f = server_arm(s);

        fault_kind = data[0] % 6;
        fault_at = data[1];
        switch (fault_kind) {
        case 1: f->drop_at = fault_at; break;
        case 2: f->stall_at = fault_at; break;
        case 3: f->error_at = fault_at; break;
        case 4: f->watch_before_at = fault_at; break;
        case 5: f->watch_amid_at = fault_at; break;
        default: s->pending.armed = false;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct server s;
        size_t off = 2;

        fuzz_begin(data, size);
        if (size < 2)
                return FUZZ_REJECT;
        server_init(&s, -1, -1, -1);
        model_n = 0;
        arm(&s, data);
        for (size_t k = 0; k < CLIENTS; k++) {
                struct client *cl = &clients[k];

                /* field by field: the arrays are large and need no zeroing */
                cl->conn = server_add_conn(&s, -1, k == 2 ? CONN_RO : CONN_RW);
                if (!cl->conn)
                        abort();
                cl->ro = k == 2;
                cl->off = false;
                cl->n = cl->skip = 0;
                cl->in_len = cl->n_watches = cl->n_events = cl->cursor = 0;
        }

        while (size - off >= 3) {
                struct client *cl = &clients[data[off] % CLIENTS];
                size_t len = (size_t)(data[off + 1] | data[off + 2] << 8);
                unsigned char *copy;

                off += 3;
                if (len > size - off)
                        len = size - off;
                copy = fuzz_buffer(len);        /* reads past it are ASan's */
                memcpy(copy, data + off, len);
                off += len;
                if (!cl->off)
                        feed(&s, cl, copy, len);
                free(copy);
        }
        check_database(&s);
        server_done(&s);
        return 0;
}
