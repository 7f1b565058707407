/* coalesce.h: when the monitor handles the devices its events left waiting.
 * The first event after a quiet spell is handled at once, so that an event
 * alone costs one wakeup; the events that follow it within QUIET_MS wait
 * until QUIET_MS pass without one, and never more than MAX_DELAY_MS after
 * the first of them, so that a storm is judged a few times, not once per
 * event. Times are CLOCK_MONOTONIC milliseconds (deadline.h's now_ms()). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct coalesce {
        int quiet_ms, max_delay_ms;
        int64_t first_at;               /* the first waiting event's time; 0: none waits */
        int64_t last_at;                /* the last event's, handled or not */
        bool at_once;                   /* the waiting ones began after a quiet spell */
};

#define COALESCE_INIT(quiet, max_delay) { .quiet_ms = (quiet), .max_delay_ms = (max_delay) }

/* An event at NOW left work waiting. */
void coalesce_event(struct coalesce *c, int64_t now);

/* When the waiting work is due; 0 when none waits. */
int64_t coalesce_due(const struct coalesce *c);

/* The waiting work was handled (or dropped). */
void coalesce_done(struct coalesce *c);
