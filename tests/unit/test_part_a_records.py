"""Running totals keep two views: the cohort (created from day 0) and the window (bookings)."""

from __future__ import annotations

import numpy as np

from sim.model.records import LeadBlock, LeadTotals, Outcome

NAN = np.nan
WON, LOST, COLD, FLIGHT = (int(Outcome.WON), int(Outcome.LOST_IN_SALES), int(Outcome.COLD),
                           int(Outcome.IN_FLIGHT))


def block(number: int, first: int, rows: list[tuple[float, float, float, int, float, float]],
          ) -> LeadBlock:
    """Leads ``(created, mql_time, sql_time, outcome, outcome_time, value)``; deal size 10."""
    b = LeadBlock(number, first, len(rows), stages=1)
    created, mql, sql, outcome, closed, value = (np.array(c) for c in zip(*rows, strict=True))
    b.created[:], b.mql_time[:], b.sql_time[:] = created, mql, sql
    b.outcome[:], b.outcome_time[:], b.value[:] = outcome, closed, value
    b.deal_size[:] = np.where(np.isnan(sql), NAN, 10.0)
    b.stage_days[:] = 1.0
    return b


def totals() -> LeadTotals:
    # Two periods: the first from the warm-up (-30), the second from day 10.
    t = LeadTotals(horizon=14.0, period_starts=[-30.0, 10.0], stages=1, keep_blocks=False)
    t.add(block(0, 0, [
        (-20.0, -15.0, -12.0, WON, -2.0, 100.0),    # warm-up, won before day 0: not booked
        (-10.0, -8.0, -5.0, WON, 3.0, 200.0),       # warm-up, won on day 3: booked
        (-9.0, -6.0, -4.0, LOST, 5.0, 0.0),         # warm-up, lost in the pipeline on day 5
        (-6.0, 2.0, 4.0, FLIGHT, NAN, 0.0),         # warm-up, MQL day 2, SQL day 4, open
        (-3.0, NAN, NAN, COLD, 1.0, 0.0),           # warm-up, went cold on day 1
    ]))
    t.add(block(1, 5, [
        (1.0, 2.0, 3.0, WON, 11.0, 50.0),           # cohort, won on day 11
        (2.0, 9.0, 12.0, LOST, 13.0, 0.0),          # cohort, lost on day 13
        (4.0, NAN, NAN, FLIGHT, NAN, 0.0),          # cohort, in nurture at the horizon
    ]))
    return t


def test_the_cohort_counts_only_leads_created_from_day_0() -> None:
    t = totals()
    assert t.leads == 3 and t.mqls == 2 and t.sqls == 2
    assert list(t.outcomes[[WON, LOST, FLIGHT, COLD]]) == [1, 1, 1, 0]
    np.testing.assert_array_equal(t.leads_by_week, [3, 0])
    # Cohort leads in the system at the week ends (7, 14): all three created by day 7;
    # by day 14 two closed.
    np.testing.assert_array_equal(t.open_at_week_ends(t.wip_opened, t.wip_closed), [3, 1])


def test_bookings_are_the_deals_closed_in_the_window_whatever_their_creation() -> None:
    won = totals().won()
    np.testing.assert_array_equal(won.value, [200.0, 50.0])
    np.testing.assert_array_equal(won.outcome_time, [3.0, 11.0])
    np.testing.assert_array_equal(won.created, [-10.0, 1.0])
    assert totals().closed_lost_in_sales == 2  # day 5 (warm-up) and day 13 (cohort)


def test_hand_offs_and_pipeline_of_the_window_count_warm_up_leads_from_day_0() -> None:
    t = totals()
    # First hand-offs in [0, 14): days 2 (warm-up), 2 and 9 (cohort); by period
    # [-30, 10) and [10, ...): 3 and 0.
    np.testing.assert_array_equal(t.mqls_by_week, [2, 1])
    np.testing.assert_array_equal(t.mqls_by_period, [3, 0])
    # SQLs in [0, 14) by period: days 4 and 3 (10 each) and day 12 (10).
    np.testing.assert_array_equal(t.sql_value_by_period, [20.0, 10.0])
    # Open pipeline at the week ends 7 and 14: at day 7 the warm-up SQLs of day -5
    # (closes day 3), -4 (day 5) are closed; day 4's (open) and day 3's (closes day 11)
    # are open: 20. At day 14: day 4's is open, day 12's closed on 13: 10.
    np.testing.assert_array_equal(t.open_at_week_ends(t.pipeline_opened, t.pipeline_closed),
                                  [20.0, 10.0])
