"""The five stylized facts of MODEL.md section 12, each stated by its test's name.

Each fact is asked the plain way a user asks it: ``--set`` on the baseline file
(``load_scenario(BASELINE, overrides)``), so a changed plan is a move from today's
plan on day 0 and revenue windows are bookings. Every comparison uses common
random numbers (the same seed and replication indices, so both scenarios see the
same leads and the same luck) and a paired
95% confidence interval of the difference: a fact holds when the interval
excludes zero in the stated direction. The fast variants use a few
replications; ``pytest -m slow`` runs the stronger ones with more.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from sim import Scenario, load_scenario, simulate
from sim.experiments.statistics import mean_ci
from sim.model.mechanisms import in_push_window
from sim.scenario.presets import SALES_PLANS

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
FAST, STRONG = 6, 24
SEED = 20240601


@cache
def baseline() -> Scenario:
    return load_scenario(BASELINE)


@cache
def runs(overrides: tuple[tuple[str, object], ...], replications: int) -> list[dict]:
    """Metrics of replications 0..n-1 of the baseline with ``--set overrides`` (cached)."""
    scenario = load_scenario(BASELINE, dict(overrides))
    return [simulate(scenario, seed=SEED, replication=r).metrics for r in range(replications)]


def paired(a: list[dict], b: list[dict], metric: str | Callable[[dict], float]
           ) -> tuple[float, float, float]:
    """Mean and 95% CI of b - a over paired replications."""
    get = metric if callable(metric) else (lambda m: m[metric])
    return mean_ci(np.array([get(y) - get(x) for x, y in zip(a, b, strict=True)]))


def assert_positive(ci: tuple[float, float, float], what: str) -> None:
    mean, low, high = ci
    assert low > 0, f"{what}: mean {mean:.4g}, 95% CI {low:.4g} .. {high:.4g} should be > 0"


def key(**overrides: object) -> tuple[tuple[str, object], ...]:
    return tuple(sorted(overrides.items()))


# --- 1. brand vs promotion --------------------------------------------------------------

SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)


def brand_runs(n: int) -> dict[float, list[dict]]:
    return {s: runs(key(**{"marketing.brand_share": s}), n) for s in SHARES}


def check_brand_vs_promotion(n: int) -> None:
    # Over the first 90 days, all-promotion books more than all-brand. Plans
    # with different splits see different lead streams, so common random
    # numbers help less here: the 90-day check runs 90-day horizons with three
    # times the replications.
    quarter = {"horizon_days": 90.0}
    early_runs = {s: runs(key(**quarter, **{"marketing.brand_share": s}), 3 * n)
                  for s in (0.0, 1.0)}
    assert_positive(paired(early_runs[1.0], early_runs[0.0], "revenue"),
                    "90-day revenue, all-promotion minus all-brand")
    by_share = brand_runs(n)
    # Over three years the revenue-best share is interior and beats both ends.
    means = {s: np.mean([m["revenue"] for m in r]) for s, r in by_share.items()}
    best = max(means, key=means.get)
    assert 0.0 < best < 1.0, means
    assert_positive(paired(by_share[0.0], by_share[best], "revenue"), "3-year, best vs 0")
    assert_positive(paired(by_share[1.0], by_share[best], "revenue"), "3-year, best vs 1")
    # The best share grows with the horizon: a brand-heavier plan gains on a
    # promotion-heavier one as the window lengthens. Starting from today, the first
    # 90 days' bookings come mostly from today's pipeline, so they barely tell shares
    # 0-0.5 apart and a grid's 90-day argmax is noise; the tilt of revenue across
    # shares is what moves with the horizon. Same replications, so paired: the
    # ratio of 0.75's to 0.25's bookings is higher over three years than over the
    # first 90 days.
    def tilt(m_brand: dict, m_promo: dict, metric: str) -> float:
        return m_brand[metric] / m_promo[metric]

    gains = np.array([tilt(b, p, "revenue") - tilt(b, p, "revenue_90d")
                      for b, p in zip(by_share[0.75], by_share[0.25], strict=True)])
    assert_positive(mean_ci(gains), "revenue ratio 0.75 / 0.25, three years minus 90 days")


def test_brand_vs_promotion_promotion_wins_90_days_interior_best_share_grows_with_horizon(
) -> None:
    check_brand_vs_promotion(FAST)


@pytest.mark.slow
def test_brand_vs_promotion_strong() -> None:
    check_brand_vs_promotion(STRONG)


# --- 2. hand-off threshold ---------------------------------------------------------------

THRESHOLDS = (0.1, 0.35, 0.6, 0.8)


def check_threshold(n: int) -> None:
    r = {t: runs(key(**{"nurture.handoff_threshold": t}), n) for t in THRESHOLDS}

    def win_per_mql(m: dict) -> float:
        return m["deals_won"] / m["mqls"]

    for lo, hi in pairwise(THRESHOLDS):
        assert_positive(paired(r[hi], r[lo], "mqls"), f"MQL volume falls, {lo}->{hi}")
        assert_positive(paired(r[lo], r[hi], win_per_mql), f"MQL-to-win rises, {lo}->{hi}")
    means = {t: np.mean([m["revenue"] for m in runs_]) for t, runs_ in r.items()}
    best = max(means, key=means.get)
    assert THRESHOLDS[0] < best < THRESHOLDS[-1], means
    assert_positive(paired(r[THRESHOLDS[0]], r[best], "revenue"), f"revenue, {best} vs lowest")
    assert_positive(paired(r[THRESHOLDS[-1]], r[best], "revenue"), f"revenue, {best} vs highest")


def test_threshold_fewer_better_mqls_as_it_rises_and_revenue_peaks_inside() -> None:
    check_threshold(FAST)


@pytest.mark.slow
def test_threshold_strong() -> None:
    check_threshold(STRONG)


# --- 3. response time --------------------------------------------------------------------


def check_response_time(n: int) -> None:
    one_year = {"horizon_days": 365.0}
    base = runs(key(**one_year), n)

    def qualified_per_mql(m: dict) -> float:
        return m["sqls"] / m["mqls"]

    for variant, name in (({"sales.reps": 4}, "half the reps"),
                          ({"alignment.levers.sla": False}, "no SLA")):
        slow = runs(key(**one_year, **variant), n)
        assert_positive(paired(base, slow, "first_response_hours_median"),
                        f"first response slower with {name}")
        assert_positive(paired(slow, base, qualified_per_mql),
                        f"MQL-to-qualified lower with {name}")


def test_response_time_fewer_reps_or_no_sla_slow_response_and_lose_qualified_leads() -> None:
    check_response_time(FAST)


@pytest.mark.slow
def test_response_time_strong() -> None:
    check_response_time(STRONG)


def test_response_decay_reproduces_oldroyd_ratios_on_simulated_response_times() -> None:
    # The curve's ratios on simulated data are rows of the calibration table,
    # checked in tests/validation/test_calibration.py; here the direction on every
    # band, for the leads the curve applies to in full, those like Oldroyd et al.'s
    # inbound web leads: promotion leads of segments whose reach is 1.
    scenario = baseline().with_overrides({"horizon_days": 365.0})
    leads = simulate(scenario, seed=SEED, record_leads=True).leads
    full = [g.name for g in scenario.leads.segments if g.response_reach == 1.0]
    answered = leads[~np.isnan(leads["first_response_hours"]) & leads["segment"].isin(full)
                     & (leads["source"] == "promotion")]
    qualified = ~np.isnan(answered["sql_time"])
    hours = answered["first_response_hours"]
    bands = [qualified[(hours >= lo) & (hours < hi)].mean()
             for lo, hi in ((0, 1), (1, 2), (2, 24), (24, np.inf))]
    assert bands[0] > 4 * bands[1] > 0
    assert bands[1] > bands[2] > bands[3]


# --- 4. incentives ----------------------------------------------------------------------


def check_incentives(n: int) -> None:
    quota_plan = SALES_PLANS["quota_accelerator"]
    window, period = quota_plan["push_window_days"], baseline().sales.period_days
    scenario = baseline().with_overrides({"incentives.sales_plan": "quota_accelerator"})
    spikes, discount_gaps = [], []
    for r in range(n):
        leads = simulate(scenario, seed=SEED, replication=r, record_leads=True).leads
        won = leads[leads["outcome"] == "won"]
        at_end = np.array([in_push_window(t, period, window) for t in won["outcome_time"]])
        # Closes per day in the push window vs the rest of the period.
        spikes.append((at_end.mean() / window) / ((1 - at_end.mean()) / (period - window)))
        discount_gaps.append(won["discount"][at_end].mean() - won["discount"][~at_end].mean())
    spike = mean_ci(np.array(spikes))
    assert spike[1] > 2.0, f"period-end close rate / other days: {spike}"
    assert_positive(mean_ci(np.array(discount_gaps)), "deeper discounts at period end")

    loaded = {"sales.reps": 5}
    revenue_only = runs(key(**loaded, **{"incentives.sales_plan": "revenue_commission"}), n)
    shared = runs(key(**loaded, **{"incentives.sales_plan": "shared_revenue"}), n)
    # "Leaves uncontacted" is the reps' choice: MQLs not followed up. MQLs that expire
    # waiting for a free slot are a matter of capacity, and a plan that follows up every
    # MQL fills the queue and lets more of them expire, so the total never contacted
    # would mix the behaviour the fact is about with its capacity consequence.
    assert_positive(paired(shared, revenue_only, "never_contacted_not_followed_up"),
                    "MQLs not followed up, revenue-only minus shared revenue, under load")


def test_incentives_quota_spikes_closes_at_period_end_revenue_only_neglects_mqls() -> None:
    check_incentives(FAST)


@pytest.mark.slow
def test_incentives_strong() -> None:
    check_incentives(STRONG)


# --- 5. alignment -------------------------------------------------------------------------

STAGES = ("undefined", "defined", "aligned", "integrated")


def check_alignment(n: int) -> None:
    r = {s: runs(key(**{"alignment.stage": s}), n) for s in STAGES}
    for a, b in pairwise(STAGES):
        assert_positive(paired(r[b], r[a], "cycle_days_median"), f"shorter cycle, {a}->{b}")
        assert_positive(paired(r[a], r[b], "revenue"), f"more revenue, {a}->{b}")
        assert_positive(paired(r[a], r[b], "alignment_cost"), f"more overhead, {a}->{b}")
    # The overhead shows in contribution: for a small firm with a short cycle the
    # last step does not pay (Kotler et al.), though it still brings revenue.
    folder = BASELINE.parent
    small = load_scenario(folder / "small-company.yaml")
    integrated = load_scenario(folder / "small-company-integrated.yaml")
    a = [simulate(small, seed=SEED, replication=i).metrics for i in range(n)]
    b = [simulate(integrated, seed=SEED, replication=i).metrics for i in range(n)]
    assert_positive(paired(a, b, "revenue"), "small firm: integration brings revenue")
    assert_positive(paired(b, a, "contribution"), "small firm: integration costs contribution")


def test_alignment_each_stage_shortens_cycle_raises_revenue_and_overhead_shows() -> None:
    check_alignment(FAST)


@pytest.mark.slow
def test_alignment_strong() -> None:
    check_alignment(STRONG)
