"""Fast paths of the hot loop decide exactly what the slower code they replace did."""

from __future__ import annotations

import bisect
import math
from pathlib import Path

import numpy as np
import pytest
import simpy

from sim import load_scenario, simulate
from sim.model import funnel, variates
from sim.model.mechanisms import nurture_crossing_days, nurture_crossing_days_scalar
from sim.model.reps import RepPool
from sim.model.streams import make_streams

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize("reps", [1, 3, 50])
def test_bucketed_least_loaded_rep_is_the_first_of_the_least_loaded(reps: int) -> None:
    pool = RepPool(simpy.Environment(), reps, 4, lambda lead, t: None)
    rng = np.random.default_rng(reps)
    for _ in range(5_000):
        if pool.busy < pool.capacity and (pool.busy == 0 or rng.random() < 0.55):
            expected = pool.active.index(min(pool.active))  # the scan it replaced
            assert pool.take_free_slot() == expected
        else:
            pool.release(int(rng.choice(np.flatnonzero(np.array(pool.active) > 0))))
    assert sum(pool.active) == pool.busy


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
