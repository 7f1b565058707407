/* coalesce.c: when waiting events are handled (coalesce.h). */
#include "coalesce.h"

void coalesce_event(struct coalesce *c, int64_t now)
{
        if (!c->first_at) {
                c->first_at = now;
                c->at_once = now >= c->last_at + c->quiet_ms;
        }
        c->last_at = now;
}

int64_t coalesce_due(const struct coalesce *c)
{
        int64_t quiet = c->last_at + c->quiet_ms;
        int64_t latest = c->first_at + c->max_delay_ms;

        if (!c->first_at || c->at_once)
                return c->first_at;
        return quiet < latest ? quiet : latest;
}

void coalesce_done(struct coalesce *c)
{
        c->first_at = 0;
}
