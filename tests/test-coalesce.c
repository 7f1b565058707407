/* test-coalesce.c: when the monitor handles pending work (monitor/coalesce.c):
 * an event after a quiet spell at once, a burst once it quiets down, a
 * storm no later than the longest delay after its first event. */
#include "check.h"
#include "coalesce.h"

/* the monitor's defaults: 10 ms of quiet, 100 ms at most; times from 1000 */
#define QUIET 10
#define MAX_DELAY 100
#define T0 1000

static void test_nothing_waiting_is_never_due(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);

        CHECK_INT_EQ(coalesce_due(&c), 0);
        coalesce_event(&c, T0);
        coalesce_done(&c);
        CHECK_INT_EQ(coalesce_due(&c), 0);
}

static void test_the_first_event_is_due_at_once(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);

        coalesce_event(&c, T0);
        CHECK_INT_EQ(coalesce_due(&c), T0);
}

/* a lone event, 20 ms after the last one was handled: no debounce wait */
static void test_an_event_after_a_quiet_spell_is_due_at_once(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);

        coalesce_event(&c, T0);
        coalesce_done(&c);
        coalesce_event(&c, T0 + 20);
        CHECK_INT_EQ(coalesce_due(&c), T0 + 20);
        coalesce_done(&c);
        coalesce_event(&c, T0 + 20 + QUIET);      /* exactly the quiet time later */
        CHECK_INT_EQ(coalesce_due(&c), T0 + 20 + QUIET);
}

/* events following a handled one within the quiet time wait for quiet */
static void test_a_burst_waits_until_it_quiets_down(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);

        coalesce_event(&c, T0);
        coalesce_done(&c);
        coalesce_event(&c, T0 + 3);
        CHECK_INT_EQ(coalesce_due(&c), T0 + 3 + QUIET);
        coalesce_event(&c, T0 + 8);
        CHECK_INT_EQ(coalesce_due(&c), T0 + 8 + QUIET);
}

/* events arriving while the first is still waiting join it */
static void test_events_join_work_that_is_due_at_once(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);

        coalesce_event(&c, T0);
        coalesce_event(&c, T0 + 1);
        CHECK_INT_EQ(coalesce_due(&c), T0);
}

/* a storm, one event every 5 ms: due 100 ms after its first waiting event */
static void test_a_storm_waits_no_longer_than_the_longest_delay(void)
{
        struct coalesce c = COALESCE_INIT(QUIET, MAX_DELAY);
        int64_t t;

        coalesce_event(&c, T0);
        coalesce_done(&c);
        for (t = T0 + 5; t < T0 + 5 + 2 * MAX_DELAY; t += 5)
                coalesce_event(&c, t);
        CHECK_INT_EQ(coalesce_due(&c), T0 + 5 + MAX_DELAY);
}

int main(void)
{
        RUN(test_nothing_waiting_is_never_due);
        RUN(test_the_first_event_is_due_at_once);
        RUN(test_an_event_after_a_quiet_spell_is_due_at_once);
        RUN(test_a_burst_waits_until_it_quiets_down);
        RUN(test_events_join_work_that_is_due_at_once);
        RUN(test_a_storm_waits_no_longer_than_the_longest_delay);
        return check_summary();
}
