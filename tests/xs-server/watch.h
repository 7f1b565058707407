/* watch.h: the watches of one connection and the events they report. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct xs_watch {
        char *path;             /* absolute, or "@name" */
        char *token;
        bool relative;          /* set with a relative path: events are relative too */
        struct xs_watch *next;
};

struct watch_list {
        struct xs_watch *head;
        size_t n;
};

/* -EEXIST if the connection already watches PATH with TOKEN, as xenstored. */
int watch_add(struct watch_list *list, const char *path, const char *token, bool relative,
              struct xs_watch **out);
/* -ENOENT if there is no such watch. */
int watch_remove(struct watch_list *list, const char *path, const char *token);
void watch_list_clear(struct watch_list *list);

/* Does W report E? A change reports on watches at or above its path; a
 * removed descendant (E->exact) only on watches set on exactly that path. */
bool watch_matches(const struct xs_watch *w, const struct xs_event *e);

/* The WATCH_EVENT payload "PATH\0TOKEN\0" for a change at PATH, with PATH
 * relative to DOMID's home if W was set relative. Malloc'ed into *OUT. */
int watch_event_payload(const struct xs_watch *w, const char *path, uint32_t domid,
                        char **out, size_t *len);
