"""The SimPy model: conservation, reproducibility, and neutral mode against queueing theory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import Scenario, simulate
from sim.model.queueing import mmc_mean_in_system, mmc_mean_wait, mmc_utilization
from sim.model.records import Outcome
from sim.scenario.presets import SALES_PLANS

LOST = ("lost_never_contacted", "lost_rejected", "lost_cold", "lost_in_sales")


def conservation_gap(m: dict[str, float]) -> float:
    return m["leads_created"] - (m["deals_won"] + sum(m[k] for k in LOST) + m["in_flight_end"])


def short(**overrides: object) -> Scenario:
    return Scenario().with_overrides({"horizon_days": 300, **overrides})


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({}, marks=pytest.mark.smoke),
        pytest.param({"incentives.sales_plan": "quota_accelerator"}, marks=pytest.mark.smoke),
        {"incentives.sales_plan": "shared_revenue", "incentives.marketing_plan": "mql_volume"},
        {"alignment.stage": "undefined"},
        pytest.param({"alignment.stage": "integrated", "sales.reps": 1,
                      "sales.slots_per_rep": 5}, marks=pytest.mark.smoke),
        {"warmup_days": 90, "sales.reps": 2, "alignment.stage": "aligned"},
        pytest.param({"timeline": [{"day": 100, "set": {
            "marketing.annual_budget": 5e6, "incentives.sales_plan": "quota_accelerator"}}]},
            marks=pytest.mark.smoke),
        {"neutral": True, "sales.reps": 1, "sales.slots_per_rep": 2},
    ],
    ids=["baseline", "quota", "shared", "undefined", "integrated-1rep", "warmup-busy",
         "timeline", "neutral-overloaded"],
)
def test_conservation_holds_exactly_in_every_replication(overrides: dict) -> None:
    scenario = short(**overrides)
    for replication in range(3):
        m = simulate(scenario, seed=11, replication=replication).metrics
        assert conservation_gap(m) == 0, m
        assert m["leads_created"] > 0


@pytest.mark.smoke
def test_same_seed_gives_identical_results_and_replications_differ() -> None:
    scenario = short()
    a, b = simulate(scenario, seed=5), simulate(scenario, seed=5)
    assert a.metrics == b.metrics
    assert a.timeseries.equals(b.timeseries)
    other = simulate(scenario, seed=5, replication=1)
    assert other.metrics["leads_created"] != a.metrics["leads_created"]


@pytest.mark.smoke
def test_lead_records_agree_with_metrics() -> None:
    result = simulate(short(), seed=2, record_leads=True)
    leads, m = result.leads, result.metrics
    assert leads is not None
    assert len(leads) == m["leads_created"]
    counts = leads["outcome"].value_counts()
    assert counts["won"] == m["deals_won"]
    assert counts["in_flight"] == m["in_flight_end"]
    # The records hold the cohort; bookings also count warm-up leads' deals.
    assert leads.loc[leads["outcome"] == "won", "value"].sum() == pytest.approx(
        m["cohort_revenue"])
    # Every won lead went through every stage; lost ones stop where they were lost.
    won = leads[leads["outcome"] == "won"]
    assert (won["stage_reached"] == len(result.leads.filter(like="days_").columns)).all()
    assert (won["outcome_time"] >= won["created"]).all()


@pytest.mark.smoke
def test_timeseries_totals_match_metrics() -> None:
    result = simulate(short(), seed=4)
    ts, m = result.timeseries, result.metrics
    assert ts["leads"].sum() == m["leads_created"]
    assert ts["deals_booked"].sum() == m["deals_booked"]
    assert ts["bookings"].sum() == pytest.approx(m["revenue"])
    assert ts["wip"].iloc[-1] == m["in_flight_end"]
    assert ts["brand_equity"].between(0, 1).all()
    # Weekly MQLs are the hand-offs of the window, warm-up leads' included; with no
    # warm-up they are the cohort's.
    assert ts["mqls"].sum() > m["mqls"]
    cold = simulate(short(warmup_days=0), seed=4)
    assert cold.timeseries["mqls"].sum() == cold.metrics["mqls"]


def test_sla_response_share_is_exact_when_reps_are_free() -> None:
    # No waiting (ample reps): the share of first responses within the SLA's hours
    # is its compliance, up to sampling (a binomial share of the leads answered).
    scenario = short(**{"sales.reps": 200, "alignment.levers": {
        "sla": True, "sla_hours": 2.5, "sla_compliance": 0.8}})
    result = simulate(scenario, seed=1, record_leads=True)
    leads = result.leads[~np.isnan(result.leads["first_response_hours"])]
    assert len(leads) > 1000
    assert (leads["wait_days"] == 0).all()
    within = float(np.mean(leads["first_response_hours"] < 2.5))
    assert abs(within - 0.8) < 3 * np.sqrt(0.8 * 0.2 / len(leads))


def test_quota_plan_pulls_deals_to_period_ends_with_deeper_discounts() -> None:
    quota = simulate(short(**{"incentives.sales_plan": "quota_accelerator"}), seed=3,
                     record_leads=True).leads
    plain = simulate(short(), seed=3, record_leads=True).leads
    assert not plain["pushed"].any()
    won = quota[quota["outcome"] == "won"]
    pushed = won[won["pushed"]]
    assert len(pushed) > 0
    # Pulled deals close inside the last push_window_days of a quarter.
    window = SALES_PLANS["quota_accelerator"]["push_window_days"]
    to_end = np.ceil(pushed["outcome_time"] / 91.25) * 91.25 - pushed["outcome_time"]
    assert (to_end <= window + 1e-9).all()
    assert pushed["discount"].mean() > won.loc[~won["pushed"], "discount"].mean()


def test_budget_raise_on_the_timeline_brings_more_leads_after_the_change() -> None:
    scenario = short(**{"horizon_days": 360, "timeline": [
        {"day": 180, "set": {"marketing.annual_budget": 6e6}}]})
    ts = simulate(scenario, seed=8).timeseries
    before = ts.loc[ts["day"] < 175, "leads"].mean()
    after = ts.loc[ts["day"] >= 210, "leads"].mean()
    # The spend plan expects 1.32 times as many leads; weekly counts over ~20 weeks
    # put a replication's ratio within about 0.06 of it.
    assert after > 1.2 * before


# --- neutral mode: an open queueing network ----------------------------------------------


def neutral_mmc(rate: float, reps: int, slots: int, mean_service: float) -> Scenario:
    """Poisson arrivals at ``rate``, one exponential stage, c = reps x slots servers."""
    return Scenario().with_overrides({
        "neutral": True, "horizon_days": 1500.0, "warmup_days": 60.0, "replications": 8,
        "marketing.organic_leads_per_day": rate, "marketing.promo_max_leads_per_day": 0.0,
        "leads.segments": [{"name": "all", "share": 1.0, "cycle_multiplier": 1.0}],
        "sales.reps": reps, "sales.slots_per_rep": slots,
        "sales.stages": [{"name": "work", "duration": {"distribution": "exponential",
                                                        "mean_days": mean_service}}],
    })


def ci99(values: list[float]) -> tuple[float, float]:
    """99% Student-t interval of independent replications (wider than 95% so that
    a correct model fails the check about once in a hundred seeds, not one in twenty)."""
    x = np.asarray(values)
    half = stats.t.ppf(0.995, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size)
    return x.mean() - half, x.mean() + half


@pytest.mark.parametrize(
    ("rate", "reps", "slots", "mean_service"),
    [(10.0, 4, 3, 1.0), pytest.param(2.0, 3, 1, 1.0, marks=pytest.mark.smoke)],
    ids=["M/M/12 rho=0.83", "M/M/3 rho=0.67"],
)
def test_neutral_mode_matches_erlang_c_and_littles_law(
    rate: float, reps: int, slots: int, mean_service: float
) -> None:
    scenario = neutral_mmc(rate, reps, slots, mean_service)
    servers = reps * slots
    waits, utils, in_system, little, arrivals = [], [], [], [], []
    for r in range(scenario.replications):
        result = simulate(scenario, seed=2024, replication=r)
        m, ts = result.metrics, result.timeseries
        assert conservation_gap(m) == 0
        assert m["mqls"] == m["leads_created"]  # threshold 0: every lead is an MQL at once
        waits.append(m["rep_wait_days_mean"])
        utils.append(m["rep_utilization"])
        arrivals.append(m["leads_created"] / scenario.horizon_days)
        steady = ts[ts["day"] >= 60.0]  # counted leads fill the system within weeks
        in_system.append(steady["wip"].mean())
        # Little's law from simulated quantities: L = lambda x W.
        little.append(arrivals[-1] * m["cycle_days_mean"])

    wq = mmc_mean_wait(rate, mean_service, servers)
    lo, hi = ci99(waits)
    assert lo <= wq <= hi, (wq, lo, hi)
    lo, hi = ci99(utils)
    assert lo <= mmc_utilization(rate, mean_service, servers) <= hi
    lo, hi = ci99(arrivals)
    assert lo <= rate <= hi
    expected_l = mmc_mean_in_system(rate, mean_service, servers)
    lo, hi = ci99(in_system)
    assert lo <= expected_l <= hi, (expected_l, lo, hi)
    lo, hi = ci99(little)
    assert lo <= expected_l <= hi, (expected_l, lo, hi)


@pytest.mark.smoke
def test_neutral_mode_switches_every_behavioural_loss_off() -> None:
    scenario = neutral_mmc(5.0, 2, 5, 1.0).with_overrides({"horizon_days": 200.0})
    result = simulate(scenario, seed=1, record_leads=True)
    m = result.metrics
    for key in LOST:
        assert m[key] == 0, key
    assert m["win_rate"] == 1.0
    assert m["mean_discount"] == 0.0
    leads = result.leads
    assert set(leads["outcome"].unique()) <= {Outcome.WON.name.lower(),
                                             Outcome.IN_FLIGHT.name.lower()}
    # Threshold 0 and no noise: every lead is an MQL the moment it is created.
    assert (leads["mql_time"] == leads["created"]).all()
