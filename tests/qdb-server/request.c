/* request.c: each request type with the daemon's replies, refusals and
 * watch events (SPEC §6). Replies are built from the request's raw header,
 * so that they echo its path field as the daemon does. */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A reply message: header RAW with TYPE and LEN bytes of DATA. */
static void queue_message(struct conn *c, unsigned char *raw, uint8_t type, const char *data,
                          size_t len)
{
        wire_set_type(raw, type);
        wire_set_data_len(raw, (uint32_t)len);
        conn_queue(c, raw, WIRE_HDR_SIZE);
        if (len)
                conn_queue(c, data, len);
}

static void handle_read(struct conn *c, const struct store *st, unsigned char *raw,
                        const char *path)
{
        const struct store_entry *e = store_find(st, path);

        if (!e) {
                conn_queue_echo(c, raw, WIRE_RESP_ERROR_NOENT);
                return;
        }
        queue_message(c, raw, WIRE_RESP_READ, e->value, e->len);
}

/* LIST and MULTIREAD: the entries starting with the plain string PATH,
 * ascending, then an end marker with an empty path. The daemon reuses one
 * header for all of them, so the marker keeps the last path's bytes after
 * its NUL: clients must read a path only up to the first one. */
static void handle_list(struct server *s, struct conn *c, unsigned char *raw, const char *path,
                        bool values)
{
        unsigned char hdr[WIRE_HDR_SIZE];
        char *field = (char *)hdr + WIRE_OFF_PATH;
        uint8_t type = values ? WIRE_RESP_MULTIREAD : WIRE_RESP_LIST;
        bool amid = c->settings.watch_amid_at == c->n_requests;
        const struct store *st = &s->store;
        size_t sent = 0;

        memcpy(hdr, raw, sizeof(hdr));
        for (size_t i = store_lower_bound(st, path);
             i < st->n && startswith(st->v[i].path, path); i++) {
                const struct store_entry *e = &st->v[i];

                /* the first message had its event before (server.c) */
                if (amid && sent++ > 0)
                        conn_inject_event(c, path);
                /* the daemon's strncpy(): the rest of the field zeroed */
                memset(field, 0, WIRE_PATH_SIZE);
                memcpy(field, e->path, strlen(e->path));
                queue_message(c, hdr, type, e->value, values ? e->len : 0);
        }
        if (amid && sent > 0)
                conn_inject_event(c, path);
        field[0] = '\0';
        queue_message(c, hdr, type, NULL, 0);
}

static void handle_write(struct server *s, struct conn *c, unsigned char *raw, const char *path,
                         const char *data, size_t len)
{
        if (memchr(data, '\0', len)) {
                conn_log(s, c, "WRITE %s: value holds a NUL", path);
                conn_queue_echo(c, raw, WIRE_RESP_ERROR);
                return;
        }
        /* the daemon's insert refuses it, and the failed write ends the client */
        if (endswith(path, "/") || store_write(&s->store, path, data, len) < 0) {
                conn_log(s, c, "WRITE %s refused: closing", path);
                conn_queue_echo(c, raw, WIRE_RESP_ERROR);
                c->closing = true;
                return;
        }
        conn_queue_echo(c, raw, WIRE_RESP_OK);
        server_fire(s, path);   /* after the reply, as the daemon */
}

static void handle_rm(struct server *s, struct conn *c, unsigned char *raw, const char *path)
{
        if (store_rm(&s->store, path) == 0) {
                conn_queue_echo(c, raw, WIRE_RESP_ERROR_NOENT);
                return;
        }
        conn_queue_echo(c, raw, WIRE_RESP_OK);
        server_fire(s, path);   /* once, with the path as given ("P/") */
}

static void handle_watch(struct conn *c, unsigned char *raw, const char *path)
{
        struct watch *w = calloc(1, sizeof(*w));

        if (!w) {
                conn_queue_echo(c, raw, WIRE_RESP_ERROR);
                return;
        }
        /* a second registration of the same path is a watch of its own */
        memcpy(w->path, path, strlen(path) + 1);
        w->next = c->watches;
        c->watches = w;
        conn_queue_echo(c, raw, WIRE_RESP_OK);
}

static void handle_unwatch(struct conn *c, unsigned char *raw, const char *path)
{
        for (struct watch **p = &c->watches; *p; p = &(*p)->next) {
                struct watch *w = *p;

                if (streq(w->path, path)) {
                        *p = w->next;
                        free(w);
                        conn_queue_echo(c, raw, WIRE_RESP_OK);
                        return;
                }
        }
        conn_queue_echo(c, raw, WIRE_RESP_ERROR_NOENT);
}

/* Why the daemon answers ERROR before looking at the database, or NULL. */
static const char *refusal(const struct conn *c, uint8_t type, bool terminated,
                           const char *path, uint32_t len, const char *data)
{
        if (!wire_type_is_request(type))
                return "not a request type";
        if (!terminated || !wire_path_is_valid(path))
                return "invalid path";
        if (!data)
                return "data over the limit";
        if (len > 0 && type != WIRE_WRITE)
                return "data on a command that takes none";
        if (c->kind == CONN_RO && (type == WIRE_WRITE || type == WIRE_RM))
                return "change on the read-only socket";
        return NULL;
}

void request_handle(struct server *s, struct conn *c, unsigned char *raw, bool terminated,
                    const char *data)
{
        uint8_t type = wire_get_type(raw);
        uint32_t len = wire_get_data_len(raw);
        const char *path = wire_path(raw), *why;

        why = refusal(c, type, terminated, path, len, data);
        if (why) {
                conn_log(s, c, "%s (type %u): %s", wire_type_name(type), type, why);
                conn_queue_echo(c, raw, WIRE_RESP_ERROR);
                return;
        }
        conn_log(s, c, "%s %s", wire_type_name(type), path);

        switch (type) {
        case WIRE_READ:
                handle_read(c, &s->store, raw, path);
                break;
        case WIRE_WRITE:
                handle_write(s, c, raw, path, data, len);
                break;
        case WIRE_MULTIREAD:
        case WIRE_LIST:
                handle_list(s, c, raw, path, type == WIRE_MULTIREAD);
                break;
        case WIRE_RM:
                handle_rm(s, c, raw, path);
                break;
        case WIRE_WATCH:
                handle_watch(c, raw, path);
                break;
        case WIRE_UNWATCH:
                handle_unwatch(c, raw, path);
                break;
        }
}
