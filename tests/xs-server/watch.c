/* watch.c: watch lists and the matching of events to watches. */
#include "watch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "util.h"

static void watch_free(struct xs_watch *w)
{
        free(w->path);
        free(w->token);
        free(w);
}

int watch_add(struct watch_list *list, const char *path, const char *token, bool relative,
              struct xs_watch **out)
{
        struct xs_watch *w, **tail = &list->head;

        for (w = list->head; w; w = w->next) {
                if (streq(w->path, path) && streq(w->token, token))
                        return -EEXIST;
                tail = &w->next;
        }

        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->path = strdup(path);
        w->token = strdup(token);
        w->relative = relative;
        if (!w->path || !w->token) {
                watch_free(w);
                return -ENOMEM;
        }
        *tail = w;      /* events go out in the order the watches were set */
        list->n++;
        *out = w;
        return 0;
}

int watch_remove(struct watch_list *list, const char *path, const char *token)
{
        for (struct xs_watch **p = &list->head; *p; p = &(*p)->next) {
                struct xs_watch *w = *p;

                if (streq(w->path, path) && streq(w->token, token)) {
                        *p = w->next;
                        watch_free(w);
                        list->n--;
                        return 0;
                }
        }
        return -ENOENT;
}

void watch_list_clear(struct watch_list *list)
{
        while (list->head) {
                struct xs_watch *w = list->head;

                list->head = w->next;
                watch_free(w);
        }
        list->n = 0;
}

bool watch_matches(const struct xs_watch *w, const struct xs_event *e)
{
        if (e->exact)
                return streq(e->path, w->path);
        return path_is_child(e->path, w->path);
}

int watch_event_payload(const struct xs_watch *w, const char *path, uint32_t domid,
                        char **out, size_t *len)
{
        const char *shown = w->relative ? path_relative_to_home(path, domid) : path;
        size_t path_len = strlen(shown) + 1, token_len = strlen(w->token) + 1;
        char *payload = malloc(path_len + token_len);

        if (!payload)
                return -ENOMEM;
        memcpy(payload, shown, path_len);
        memcpy(payload + path_len, w->token, token_len);
        *out = payload;
        *len = path_len + token_len;
        return 0;
}
