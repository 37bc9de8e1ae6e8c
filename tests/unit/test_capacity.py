"""Sales capacity over time: the ramp, the staffing plan, salaries and the pool."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import simpy

from sim import Scenario, load_scenario, simulate
from sim.model.capacity import (
    Spell,
    attrition_day,
    has_dynamics,
    ramp_slots,
    rep_days_by_period,
    slot_openings,
    staffing_events,
    staffing_plan,
    starting_team,
    tenure_days,
)
from sim.model.funnel import FunnelModel
from sim.model.reps import RepPool
from sim.model.streams import make_streams

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"

# -- the ramp ------------------------------------------------------------------


def test_ramp_opens_one_slot_then_one_every_ramp_over_slots_days() -> None:
    # 20 slots over 180 days: one slot on day 0, one more every 9 days.
    assert ramp_slots(20, -1.0, 180.0) == 0
    assert ramp_slots(20, 0.0, 180.0) == 1
    assert ramp_slots(20, 8.99, 180.0) == 1
    assert ramp_slots(20, 9.0, 180.0) == 2
    assert ramp_slots(20, 90.0, 180.0) == 11
    assert ramp_slots(20, 171.0, 180.0) == 20
    assert ramp_slots(20, 500.0, 180.0) == 20
    assert ramp_slots(20, 0.0, 0.0) == 20  # no ramp: all at once
    assert slot_openings(4, 10.0, 40.0) == [20.0, 30.0, 40.0]
    assert slot_openings(4, 10.0, 0.0) == []


def test_ramp_holds_half_the_slots_plus_a_half_on_average() -> None:
    # Integral of the ramp over [0, ramp): sum over slots k=1..S of
    # ramp * (1 - (k-1)/S) = ramp * (S + 1) / 2; with S = 20, ramp = 180: 1890 slot-days.
    grid = np.linspace(0.0, 180.0, 180_001)[:-1]
    integral = sum(ramp_slots(20, d, 180.0) for d in grid) * (180.0 / 180_000)
    assert integral == pytest.approx(180.0 * 21 / 2, rel=1e-4)


# -- attrition -----------------------------------------------------------------


def test_tenure_is_exponential_with_mean_365_over_the_rate() -> None:
    assert tenure_days(0.5, 0.0) == math.inf
    assert tenure_days(1 - math.exp(-1.0), 0.25) == pytest.approx(365.0 / 0.25)
    rng = np.random.default_rng(7)
    draws = np.array([tenure_days(u, 0.25) for u in rng.random(40_000)])
    # Mean 1460 days; the standard error of the mean is 1460 / 200 = 7.3 days.
    assert draws.mean() == pytest.approx(1460.0, abs=4 * 7.3)


def test_attrition_follows_the_rate_in_force_each_day() -> None:
    periods = _periods((100.0, {"sales.staffing.attrition_annual": 0.0}),
                       (200.0, {"sales.staffing.attrition_annual": 0.73}),
                       **{"sales.staffing.attrition_annual": 0.365})
    u = 1 - math.exp(-0.5)  # a unit hazard of 0.5 to go
    # 0.001 a day for 100 days (0.1), nothing for 100 days, then 0.002 a day: 0.4 / 0.002.
    assert attrition_day(u, 0.0, periods) == pytest.approx(400.0)
    assert attrition_day(u, 150.0, periods) == pytest.approx(450.0)
    assert attrition_day(1 - math.exp(-0.05), 0.0, periods) == pytest.approx(50.0)
    off = _periods((100.0, {"sales.staffing.attrition_annual": 0.0}),
                   **{"sales.staffing.attrition_annual": 0.365})
    assert attrition_day(u, 0.0, off) == math.inf


def test_attrition_set_on_the_command_line_reaches_the_starting_team() -> None:
    # --set moves from today's plan (no attrition) on day 0: reps leave from then on.
    moved = load_scenario(BASELINE, ["sales.staffing.attrition_annual=0.3"])
    spells = staffing_plan(moved.periods(), moved.horizon_days, np.random.default_rng(1).random)
    leaves = [s.leave for s in spells if s.leave < math.inf]
    assert leaves and min(leaves) >= 0.0


def _periods(*steps: tuple[float, dict[str, object]], **first: object) -> list:
    base = Scenario().with_overrides({"warmup_days": 0, "horizon_days": 1000, **first})
    timeline = [{"day": day, "set": changes} for day, changes in steps]
    return base.model_copy(update={"timeline": []}).with_overrides(
        {"timeline": timeline}).periods()


def test_a_rise_hires_after_the_lag_and_a_fall_lets_the_latest_go() -> None:
    periods = _periods((100.0, {"sales.reps": 5}), (600.0, {"sales.reps": 2}),
                       **{"sales.reps": 3, "sales.staffing.hiring_lag_days": 50,
                          "sales.staffing.ramp_days": 90})
    assert has_dynamics(periods)
    spells = staffing_plan(periods, 1000.0, iter([0.5] * 10).__next__)
    assert [(s.join, s.leave, s.ramp_days) for s in spells] == [
        (0.0, math.inf, 0.0), (0.0, math.inf, 0.0), (0.0, 600.0, 0.0),
        (150.0, 600.0, 90.0), (150.0, 600.0, 90.0)]


def test_a_fall_before_hires_join_cancels_them_first() -> None:
    periods = _periods((100.0, {"sales.reps": 5}), (120.0, {"sales.reps": 3}),
                       **{"sales.reps": 3, "sales.staffing.hiring_lag_days": 50})
    spells = staffing_plan(periods, 1000.0, iter([0.5] * 10).__next__)
    assert [(s.join, s.leave) for s in spells[3:]] == [(150.0, 150.0), (150.0, 150.0)]
    assert all(s.leave == math.inf for s in spells[:3])
    # A cancelled hire never joins, so it has no event and no pay.
    assert all(rep >= 0 and rep < 3 for _, rep, _ in staffing_events(spells, 4, 1000.0))
    assert rep_days_by_period(spells, [0.0, 100.0, 120.0], 1000.0) == [300.0, 60.0, 2640.0]


def test_attrition_leavers_are_replaced_after_the_lag() -> None:
    periods = _periods(**{"sales.reps": 1, "sales.staffing.attrition_annual": 0.365,
                          "sales.staffing.replacement_lag_days": 30,
                          "sales.staffing.ramp_days": 60})
    u = 1 - math.exp(-0.2)  # tenure: 0.2 x 1000 days = 200 days
    spells = staffing_plan(periods, 1000.0, iter([u, u, u, u, u, u]).__next__)
    assert [(round(s.join, 9), round(s.leave, 9), s.ramp_days) for s in spells] == [
        (0.0, 200.0, 0.0), (230.0, 430.0, 60.0), (460.0, 660.0, 60.0),
        (690.0, 890.0, 60.0), (920.0, math.inf, 60.0)]
    assert all(s.replaced for s in spells[:4])
    # Paid 200 days each for four reps and 80 for the last: 880 rep-days.
    assert sum(rep_days_by_period(spells, [0.0], 1000.0)) == pytest.approx(880.0)


def test_the_mean_headcount_under_attrition_matches_the_renewal_formula() -> None:
    # One post, exponential tenure with mean T = 365 / 0.3 days, then a
    # vacancy of L = 60 days: the post is filled T / (T + L) of the time.
    periods = _periods(**{"sales.reps": 1,
                          "sales.staffing.attrition_annual": 0.3,
                          "sales.staffing.replacement_lag_days": 60})
    rng = np.random.default_rng(3)
    spells = staffing_plan(periods, 200_000.0, rng.random)
    filled = sum(rep_days_by_period(spells, [0.0], 200_000.0)) / 200_000.0
    tenure = 365.0 / 0.3
    assert filled == pytest.approx(tenure / (tenure + 60.0), abs=0.01)


def test_rep_days_split_by_period_over_the_window() -> None:
    spells = [Spell(0, -50.0, 120.0), Spell(1, 80.0, math.inf)]
    # Counted from day 0: rep 0 works 0-120, rep 1 80-300; periods start 0 and 100.
    assert rep_days_by_period(spells, [-50.0, 100.0], 300.0) == [120.0, 220.0]


def test_staffing_events_open_the_ramp_and_close_on_leaving() -> None:
    spells = [Spell(0, 0.0), Spell(1, 10.0, 35.0, ramp_days=40.0)]
    assert staffing_events(spells, 4, 100.0) == [
        (0.0, 0, 4), (10.0, 1, 1), (20.0, 1, 2), (30.0, 1, 3), (35.0, 1, 0)]


# -- the pool --------------------------------------------------------------------


def test_the_headcount_set_for_day_0_is_the_starting_team_not_a_hire() -> None:
    # --set sales.reps=10 on a scenario that starts from today: the team of day 0 is
    # where the company starts (not a move from today's plan), in post throughout.
    moved = load_scenario(BASELINE, ["sales.reps=10"])
    assert moved.today == {}
    assert [s.sales.reps for _, s in moved.periods()] == [10]
    assert starting_team(moved.periods()) == 10 and not has_dynamics(moved.periods())
    on_day_0 = _periods((0.0, {"sales.reps": 12}), **{"sales.reps": 8})
    assert starting_team(on_day_0) == 12 and not has_dynamics(on_day_0)
    later = _periods((1.0, {"sales.reps": 12}), **{"sales.reps": 8})
    assert starting_team(later) == 8 and has_dynamics(later)


def test_the_pool_integrates_capacity_and_serves_the_queue_as_slots_open() -> None:
    env = simpy.Environment()
    expired: list[object] = []
    pool = RepPool(env, 2, 2, lambda lead, t: expired.append(lead), dynamic=True)
    pool.open_slots(0, 1)
    assert pool.take_free_slot() == 0
    waiting = pool.request("b", math.inf)
    assert not waiting.triggered

    def later() -> simpy.events.ProcessGenerator:
        yield env.timeout(10.0)
        pool.open_slots(1, 2)  # the queued lead goes to the new rep
        yield env.timeout(10.0)
        seats = pool.leave(0)  # rep 0 leaves with one lead
        assert len(seats) == 1
        assert pool.take_over(seats[0]) and seats[0].rep == 1
        yield env.timeout(5.0)

    env.process(later())
    env.run()
    assert waiting.triggered and waiting.value.rep == 1
    pool.close(25.0)
    # Capacity: 1 slot for 10 days, 3 for 10 days, 2 for 5 days = 50 slot-days;
    # busy: 1 for 10, 2 for 10, 2 for 5 = 40 slot-days.
    assert pool.slot_days(25.0) == pytest.approx(50.0)
    assert pool.busy_slot_days == pytest.approx(40.0)
    assert pool.load() == 1.0 and not expired


def test_sales_reps_may_change_on_the_timeline_but_not_the_slots() -> None:
    base = Scenario()
    base.with_overrides({"timeline": [{"day": 180, "set": {"sales.reps": 12}}]}).periods()
    with pytest.raises(ValueError, match="slots_per_rep"):
        base.with_overrides(
            {"timeline": [{"day": 180, "set": {"sales.slots_per_rep": 5}}]}).periods()


# -- the model -------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Scenario:
    return load_scenario(BASELINE).with_overrides(
        {"horizon_days": 365, "warmup_days": 90})


def test_salary_follows_the_headcount_day_by_day(small: Scenario) -> None:
    hire = small.with_overrides({
        "sales.staffing.hiring_lag_days": 30,
        "timeline": [{"day": 100, "set": {"sales.reps": 10}}]})
    m = simulate(hire, seed=1, replication=0).metrics
    salary = small.sales.rep_annual_salary
    # 8 reps all year, 2 more from day 130: 8 x 365 + 2 x 235 rep-days.
    assert m["rep_salary_cost"] == pytest.approx((8 * 365 + 2 * 235) * salary / 365.0)
    assert 0.0 < m["rep_utilization"] <= 1.0


def test_conservation_holds_with_attrition_and_cuts(small: Scenario) -> None:
    churn = small.with_overrides({
        "sales.staffing.attrition_annual": 2.0, "sales.staffing.handover_loss": 0.5,
        "timeline": [{"day": 200, "set": {"sales.reps": 3}}]})
    result = simulate(churn, seed=5, replication=0)
    m = result.metrics
    lost = sum(m[k] for k in ("lost_never_contacted", "lost_rejected", "lost_cold",
                              "lost_in_sales"))
    assert m["leads_created"] == m["deals_won"] + lost + m["in_flight_end"]
    assert m["rep_salary_cost"] < 8 * small.sales.rep_annual_salary


def test_the_lag_and_the_ramp_leave_a_fixed_headcount_as_it_was(small: Scenario) -> None:
    assert not has_dynamics(small.periods())
    # Without a change of headcount nobody joins or ramps: not a number moves.
    a = simulate(small, seed=2, replication=0).metrics
    b = simulate(small.with_overrides({"sales.staffing.ramp_days": 0,
                                       "sales.staffing.hiring_lag_days": 0}),
                 seed=2, replication=0).metrics
    assert a == b


def _model(scenario: Scenario) -> FunnelModel:
    model = FunnelModel(scenario, make_streams(3, 0))
    model.run()
    return model


def test_a_leavers_leads_are_lost_with_the_handover_loss(small: Scenario) -> None:
    churn = {"sales.staffing.attrition_annual": 3.0, "sales.slots_per_rep": 40}
    lossless = _model(small.with_overrides({**churn, "sales.staffing.handover_loss": 0.0}))
    lossy = _model(small.with_overrides({**churn, "sales.staffing.handover_loss": 1.0}))
    # Same staffing draws on both sides; with loss 1 every lead of every leaver is lost.
    assert lossless.spells == lossy.spells
    leavers = sum(s.leave < small.horizon_days for s in lossy.spells)
    assert leavers > 3
    assert lossy.lost_to_leavers > 10 * leavers > 0
    # With 40 slots a rep and loss 0 most leads find another rep.
    assert lossless.lost_to_leavers < lossy.lost_to_leavers / 2
    assert lossless.reps.dynamic and lossy.reps.dynamic
