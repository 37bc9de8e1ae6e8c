"""The hot path's shortcuts (issue 16) decide exactly what the plainer code they replace did.

Journeys are chains of callbacks, wake-ups of a large run wait in a calendar of
days, several blocks' leads are drawn at once, the least-loaded rep of a fixed
pool is a bit of an integer, the policy lookup remembers its last period, single
values take scalar paths and days of few leads skip the arrays: each is checked
against the plain way, result for result.
"""

from __future__ import annotations

import bisect
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy

from sim import load_scenario, simulate
from sim.model import funnel, timeouts, variates
from sim.model.mechanisms import (
    first_response_hours,
    nurture_crossing_days,
    nurture_crossing_days_scalar,
)
from sim.model.policy import Policy
from sim.model.records import Reason
from sim.model.reps import RepPool
from sim.model.streams import make_streams
from sim.results.replication import SimulationResult

ROOT = Path(__file__).resolve().parents[2]
# Reps leave often and take leads with them: the interrupt of a held lead is exercised.
LEAVING = {"sales.staffing.attrition_annual": 0.6, "sales.staffing.handover_loss": 0.3,
           "sales.staffing.replacement_lag_days": 20.0}


def _same(a: SimulationResult, b: SimulationResult) -> None:
    """Every output equal, to the last bit."""
    assert a.metrics.keys() == b.metrics.keys()
    for key, value in a.metrics.items():
        assert value == b.metrics[key] or (math.isnan(value) and math.isnan(b.metrics[key])), key
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries, check_exact=True)
    pd.testing.assert_frame_equal(a.won_deals, b.won_deals, check_exact=True)
    np.testing.assert_array_equal(a.first_response_hours, b.first_response_hours)
    assert a.leads is not None and b.leads is not None
    pd.testing.assert_frame_equal(a.leads, b.leads, check_exact=True)


@pytest.mark.parametrize(("file", "overrides"), [
    ("baseline.yaml", {}),
    ("hand-raisers.yaml", LEAVING),  # hand-raisers' journeys, reps leaving
])
def test_the_calendar_of_wake_ups_changes_nothing(
        file: str, overrides: dict[str, float], monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / file).with_overrides(
        {"horizon_days": 200.0, **overrides})
    monkeypatch.setattr(funnel, "CALENDAR_LEADS_PER_DAY", math.inf)  # every wake-up in the heap
    plain = simulate(scenario, seed=3, record_leads=True)
    monkeypatch.setattr(funnel, "CALENDAR_LEADS_PER_DAY", 0.0)  # every run keeps a calendar
    model = funnel.FunnelModel(scenario, make_streams(3, 0))
    assert model._calendar is not None
    _same(plain, simulate(scenario, seed=3, record_leads=True))


@pytest.mark.parametrize("waiting", [0, 3, 400])  # heapify (batch >= heap) and a push each
def test_timeouts_scheduled_at_once_fire_as_env_timeout_one_by_one(waiting: int) -> None:
    rng = np.random.default_rng(5)
    # Times at the day start's exact grid and off it, with ties among the batch and the waiting.
    times = np.concatenate([7.0 + rng.integers(0, 8, 60) / 8.0, 7.0 + rng.random(140)]).tolist()
    earlier = (7.0 + rng.integers(0, 8, waiting) / 8.0).tolist()

    def run(at_once: bool) -> list[tuple[float, str]]:
        env, fired = simpy.Environment(7.0), []
        for k, t in enumerate(earlier):  # events already in the heap
            env.timeout(t - 7.0).callbacks.append(lambda e, k=k: fired.append((e.env.now, f"w{k}")))
        due = [(t, lambda e, k=k: fired.append((e.env.now, f"d{k}"))) for k, t in enumerate(times)]
        if at_once:
            timeouts.schedule_timeouts(env, due)
        else:
            for t, callback in due:
                env.timeout(t - env.now).callbacks.append(callback)
        env.timeout(0.5).callbacks.append(lambda e: fired.append((e.env.now, "after")))
        env.run()
        return fired

    one_by_one = run(False)
    assert len(one_by_one) == waiting + len(times) + 1
    assert run(True) == one_by_one


@pytest.mark.parametrize("file", ["small-company.yaml", "customer-data.yaml",
                                  "budget-cut-brand-downturn.yaml"])
def test_drawing_several_blocks_at_once_draws_what_block_by_block_did(
        file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / file).with_overrides({"horizon_days": 400.0})
    together = simulate(scenario, seed=4, record_leads=True)
    monkeypatch.setattr(funnel, "DRAW_LEADS", 1)  # one block per draw
    _same(together, simulate(scenario, seed=4, record_leads=True))


def test_leads_of_a_leaving_rep_are_lost_when_the_rep_leaves() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "sales-hire-q3.yaml").with_overrides(
        {"horizon_days": 730.0, **LEAVING})
    model = funnel.FunnelModel(scenario, make_streams(1, 0), keep_leads=True)
    model.run()
    assert model.spells is not None and model.lost_to_leavers > 0
    blocks = list((model.totals.blocks or {}).values())
    lost = sum(int(np.sum(b.reason == Reason.REP_LEFT)) for b in blocks)
    assert lost == model.lost_to_leavers
    # The day each was lost is a day a rep left (an interrupt, not its planned end).
    leaving_days = {t for t, _, slots in funnel.staffing_events(
        model.spells, model.reps.slots, model.horizon) if slots == 0}
    for b in blocks:
        for t in b.outcome_time[b.reason == Reason.REP_LEFT].tolist():
            assert t in leaving_days
    # Nobody still holds a slot for a lead that was lost.
    assert sum(len(held) for held in model.reps.held) == model.reps.busy


def test_the_policy_lookup_is_the_bisect_in_any_order() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "budget-cut-brand-downturn.yaml")
    model = funnel.FunnelModel(scenario, make_streams(1, 0))
    assert len(model.policies) > 2
    starts = model.period_starts
    times = [*starts, *(s - 1e-9 for s in starts), -1e6, 1e6,
             *np.random.default_rng(1).uniform(-400.0, 1200.0, 2000).tolist()]
    np.random.default_rng(2).shuffle(times)
    for t in times:
        k = max(bisect.bisect_right(starts, t) - 1, 0)
        assert model.policy_at(t) is model.policies[k]


@pytest.mark.parametrize(("reps", "slots"), [(1, 4), (3, 4), (50, 4), (40, 3), (300, 20)])
def test_the_least_loaded_rep_is_the_first_of_the_least_loaded(reps: int, slots: int) -> None:
    pool = RepPool(simpy.Environment(), reps, slots, lambda lead, t: None)
    rng = np.random.default_rng(reps)
    for _ in range(20_000):
        if pool.busy < pool.capacity and (pool.busy == 0 or rng.random() < 0.52):
            expected = pool.active.index(min(pool.active))  # the scan it replaced
            assert pool.take_free_slot() == expected
        else:
            pool.release(int(rng.choice(np.flatnonzero(np.array(pool.active) > 0))))
    assert sum(pool.active) == pool.busy


def test_the_least_loaded_rep_with_capacity_over_time_is_the_first_lowest_share() -> None:
    pool = RepPool(simpy.Environment(), 12, 6, lambda lead, t: None, dynamic=True)
    rng = np.random.default_rng(12)
    for rep in range(12):
        pool.open_slots(rep, int(rng.integers(1, 7)))
    seats = []
    for _ in range(5_000):
        if pool.busy < pool.capacity and (not seats or rng.random() < 0.55):
            best, expected = math.inf, -1  # the loop it replaced
            for k, (a, o) in enumerate(zip(pool.active, pool.open, strict=True)):
                if a < o and a / o < best:
                    best, expected = a / o, k
            assert pool.take_free_slot() == expected
            assert pool.last_seat is not None
            seats.append(pool.last_seat)
        else:
            pool.release_seat(seats.pop(int(rng.integers(len(seats)))))


@pytest.mark.parametrize("file", ["baseline.yaml", "handoff-sla.yaml", "handoff-no-sla.yaml"])
def test_the_plans_share_within_the_sla_is_what_each_lead_computed(file: str) -> None:
    for _, resolved in load_scenario(ROOT / "scenarios" / file).periods():
        p = Policy.from_scenario(resolved)
        profile = (p.response_within_1h, p.response_within_24h, p.response_tail_mean_hours,
                   p.response_band_shape, p.sla_hours, p.sla_compliance)
        for u in np.linspace(0.0, 0.999, 1000).tolist():
            assert (first_response_hours(u, *profile, p.sla_met_share)
                    == first_response_hours(u, *profile))


def test_the_poisson_walk_gives_what_the_inverse_of_pdtrik_gives() -> None:
    """Daily lead counts: the walked cdf, where kept, is the plain inversion's count."""
    from scipy import special

    from sim.model import variates

    rng = np.random.default_rng(16)
    mean = np.exp(rng.uniform(math.log(1e-4), math.log(3e4), 400_000))
    mean[:1000] = 0.0
    u = rng.random(mean.size)
    # Uniforms on and next to the cdf's steps, where the two ways could part.
    for mu in (0.3, 1.55, 3.7, 12.0, 40.0, 250.0):
        steps = special.pdtr(np.arange(int(3 * mu) + 20), mu)
        near = np.concatenate([steps, np.nextafter(steps, 0.0), np.nextafter(steps, 1.0),
                               steps - 1e-12, steps + 1e-12])
        near = near[(near >= 0.0) & (near < 1.0)]
        u, mean = np.concatenate([u, near]), np.concatenate([mean, np.full(near.size, mu)])
    fast = variates.poisson(u, mean)
    np.testing.assert_array_equal(fast, variates._poisson_inverse(u, mean))
    _, kept = variates._poisson_walk(u, mean)
    usual = mean < 1e3
    assert kept[usual].mean() > 0.97  # the shortcut is taken for nearly every day
    # Shapes broadcast as before; a NaN mean is NaN.
    assert variates.poisson(0.5, np.array([[1.0, 2.0]])).shape == (1, 2)
    assert math.isnan(float(variates.poisson(0.5, math.nan)))


def test_scalar_nurture_crossing_is_bit_for_bit_the_array_one() -> None:
    rng = np.random.default_rng(16)
    n = 20_000
    quality, noise = rng.random(n), rng.normal(0.0, 0.3, n)
    engaged = rng.choice([0.0, 0.1, 0.3], n)
    noise[:5] = [np.nan, 5.0, -5.0, 0.0, 1e-12]  # NaN, never, at once, edges
    for threshold, weight, rate in ((0.6, 0.5, 0.05), (0.9, 0.2, 0.0), (0.3, 0.7, 1.3)):
        expected = nurture_crossing_days(quality, noise, threshold, weight, rate, engaged)
        got = np.array([nurture_crossing_days_scalar(q, z, threshold, weight, rate, e)
                        for q, z, e in zip(quality.tolist(), noise.tolist(), engaged.tolist(),
                                           strict=True)])
        np.testing.assert_array_equal(got, expected)  # bit-for-bit, inf included
        assert np.isfinite(expected).any() and np.isinf(expected).any()


def test_scalar_variates_are_bit_for_bit_the_array_ones() -> None:
    u = np.random.default_rng(3).random(20_000)
    for mean in (1.0, 7.5):
        expected = variates.exponential(u, mean)
        got = [variates.exponential_scalar(x, mean) for x in u.tolist()]
        np.testing.assert_array_equal(got, expected)
    assert variates.exponential_scalar(0.5, math.inf) == math.inf
    np.testing.assert_array_equal([variates.standard_normal_scalar(x) for x in u.tolist()],
                                  variates.standard_normal(u))


def test_one_period_policy_lookup_is_the_bisect() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    model = funnel.FunnelModel(scenario, make_streams(1, 0))
    assert model.single_period
    for t in (-400.0, -1.0, 0.0, 17.5, 1e6):
        k = max(bisect.bisect_right(model.period_starts, t) - 1, 0)
        assert model.policy_at(t) is model.policies[k]


@pytest.mark.parametrize("file", ["small-company.yaml", "customer-data.yaml"])
def test_days_of_few_leads_enter_nurture_as_the_array_path_puts_them(
        file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario(ROOT / "scenarios" / file).with_overrides({"horizon_days": 120.0})
    fast = simulate(scenario, seed=5, record_leads=True)
    monkeypatch.setattr(funnel, "SMALL_DAY_LEADS", -1)  # every day through the arrays
    slow = simulate(scenario, seed=5, record_leads=True)
    assert fast.metrics == slow.metrics
    assert fast.leads is not None and slow.leads is not None
    assert fast.leads.equals(slow.leads)
    assert fast.metrics["leads_created"] > 0
