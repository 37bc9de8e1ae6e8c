"""Inputs for the report tests: a tiny real run, and synthetic comparison and sweep tables.

The synthetic tables have the shapes an experiment runner produces (one row
per scenario and replication, paired differences, one row per sweep point),
so the compare and sweep reports are tested without running experiments.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd

from sim import Scenario, run_replications
from sim.experiments.runner import RunResult
from sim.experiments.statistics import mean_ci
from sim.results.metrics import METRIC_NAMES

# Plausible means of each metric for a year of a mid-size company.
TYPICAL: dict[str, float] = {
    "leads_created": 9_700, "mqls": 4_200, "sqls": 1_100, "opportunities": 950,
    "deals_won": 280, "deals_lost": 700, "deals_booked": 340, "in_flight_end": 300,
    "lost_never_contacted": 1_300, "lost_rejected": 400, "lost_cold": 6_600,
    "lost_in_sales": 700, "never_contacted_not_followed_up": 1_100,
    "never_contacted_expired_waiting": 200, "cold_unqualified": 600,
    "revenue": 1.1e7, "revenue_90d": 2.7e6, "revenue_1y": 1.1e7, "cohort_revenue": 9.0e6,
    "win_rate": 0.29,
    "lead_to_customer": 0.029, "mean_deal_value": 32_000, "mean_discount": 0.08,
    "cycle_days_median": 42.0, "cycle_days_mean": 53.0, "cycle_days_p90": 108.0,
    "mql_to_won_days_median": 29.0, "first_response_hours_median": 0.4,
    "rep_wait_days_mean": 0.2, "rep_utilization": 0.7, "marketing_spend": 2.0e6,
    "marketing_bonus_cost": 2.0e5, "commission_cost": 3.6e5, "rep_salary_cost": 8.0e5,
    "sales_cost": 1.16e6, "alignment_cost": 3.0e4, "total_cost": 3.39e6,
    "contribution": 3.36e6, "roi": 0.99, "cost_per_deal": 4_100,
    "customer_acquisition_cost": 12_000, "sales_cost_share": 0.13,
}
SCENARIOS = {"baseline": 1.0, "aligned": 1.06, "integrated": 1.12}
HORIZON = 365.0
REPLICATIONS = 6


def tiny_run(**overrides: object) -> RunResult:
    """A real run small enough for a unit test (~1 s)."""
    scenario = Scenario().with_overrides({"name": "tiny", "horizon_days": 150.0,
                                          "warmup_days": 30.0, "replications": 2,
                                          **overrides})
    return run_replications(scenario)


def compare_inputs(seed: int = 7) -> dict[str, pd.DataFrame]:
    """Per-replication metrics, paired differences, weekly series and won deals.

    'aligned' and 'integrated' book more revenue than 'baseline' by 6% and 12%
    with the same replication noise (common random numbers), so their paired
    differences in revenue are clear.
    """
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 0.03, size=(REPLICATIONS, len(METRIC_NAMES)))
    rows = []
    for name, factor in SCENARIOS.items():
        for r in range(REPLICATIONS):
            row: dict[str, object] = {"scenario": name, "replication": r}
            for j, metric in enumerate(METRIC_NAMES):
                base = TYPICAL.get(metric, 1.0)
                scale = factor if metric in ("revenue", "revenue_1y", "contribution",
                                             "deals_won", "win_rate") else 1.0
                if metric == "cycle_days_median":
                    scale = 1 / factor
                row[metric] = base * scale * (1 + noise[r, j])
            rows.append(row)
    per_rep = pd.DataFrame(rows)
    diffs = []
    ref = per_rep[per_rep["scenario"] == "baseline"].set_index("replication")
    for name in list(SCENARIOS)[1:]:
        other = per_rep[per_rep["scenario"] == name].set_index("replication")
        for metric in ("revenue", "revenue_90d", "contribution", "roi", "cycle_days_median",
                       "deals_won", "total_cost"):
            mean, low, high = mean_ci((other[metric] - ref[metric]).to_numpy())
            sign = -1 if metric in ("cycle_days_median", "total_cost") else 1
            verdict = ("better" if min(sign * low, sign * high) > 0 else
                       "worse" if max(sign * low, sign * high) < 0 else "no clear difference")
            diffs.append({"metric": metric, "scenario": name, "mean_diff": mean,
                          "ci_low": low, "ci_high": high, "verdict": verdict})
    weeks = np.arange(int(HORIZON // 7) + 1)
    series = []
    for name, factor in SCENARIOS.items():
        for r in range(REPLICATIONS):
            n = weeks.size
            series.append(pd.DataFrame({
                "scenario": name, "replication": r, "week": weeks, "day": weeks * 7.0,
                "leads": rng.poisson(186, n), "mqls": rng.poisson(80, n),
                "deals_won": rng.poisson(5 * factor, n),
                "bookings": rng.gamma(2.0, 85_000 * factor, n),
                "pipeline_value": 6e6 * (1 - np.exp(-weeks / 8)) * factor,
                "wip": rng.poisson(900, n), "brand_equity": np.full(n, 0.45),
            }))
    deals = []
    for name, factor in SCENARIOS.items():
        n = int(280 * factor) * REPLICATIONS
        cycle = rng.lognormal(np.log(40 / factor), 0.6, n)
        deals.append(pd.DataFrame({
            "scenario": name, "replication": rng.integers(0, REPLICATIONS, n),
            "won_time": rng.uniform(20, HORIZON, n), "cycle_days": cycle,
            "mql_to_won_days": cycle * 0.7, "value": rng.lognormal(np.log(26_000), 0.6, n),
        }))
    responses = pd.concat([pd.DataFrame({
        "scenario": name, "replication": rng.integers(0, REPLICATIONS, 500),
        "hours": rng.lognormal(np.log(0.5 / factor), 1.2, 500)}) for name in SCENARIOS],
        ignore_index=True)
    return {"per_replication": per_rep, "differences": pd.DataFrame(diffs),
            "timeseries": pd.concat(series, ignore_index=True),
            "won_deals": pd.concat(deals, ignore_index=True), "first_responses": responses}


def sweep_points(keys: int = 1, seed: int = 3) -> pd.DataFrame:
    """One row per point: revenue peaks at brand share 0.4 (and threshold 0.55)."""
    rng = np.random.default_rng(seed)
    shares = np.round(np.linspace(0.0, 1.0, 11), 2)
    grid: dict[str, np.ndarray]
    if keys == 1:
        grid = {"marketing.brand_share": shares}
    elif keys == 2:
        s, t = np.meshgrid(shares, [0.45, 0.5, 0.55, 0.6, 0.65])
        grid = {"marketing.brand_share": s.ravel(), "nurture.handoff_threshold": t.ravel()}
    else:
        s, t, r = np.meshgrid(shares[::2], [0.45, 0.55, 0.65], [6, 8, 10])
        grid = {"marketing.brand_share": s.ravel(), "nurture.handoff_threshold": t.ravel(),
                "sales.reps": r.ravel()}
    df = pd.DataFrame(grid)
    share = df["marketing.brand_share"]
    mean = 9.0e6 * (1 - 1.4 * (share - 0.4) ** 2)
    if "nurture.handoff_threshold" in df:
        mean *= 1 - 6 * (df["nurture.handoff_threshold"] - 0.55) ** 2
    mean += rng.normal(0, 2e4, len(df))
    half = 1.5e5
    df["mean"], df["ci_low"], df["ci_high"], df["n"] = mean, mean - half, mean + half, 10
    df["revenue_90d_mean"] = 7e5 * (1 - share * 0.6)
    df["revenue_90d_ci_low"] = df["revenue_90d_mean"] * 0.9
    df["revenue_90d_ci_high"] = df["revenue_90d_mean"] * 1.1
    df["cycle_days_median"] = 45 - 8 * share
    return df


# --- checking a report's HTML --------------------------------------------------------


class Links(HTMLParser):
    """Every image, link, id and script of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "img":
            self.images.append(a)
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)


def parse(report: Path) -> Links:
    parser = Links()
    parser.feed(report.read_text(encoding="utf-8"))
    return parser
