"""The calibration check: simulated figures of a scenario next to the published ones.

``python -m sim.studies.published [FILE] [--replications N]`` prints the table; the
test suite asserts that the baseline lands inside every published range.
The reference figures are those of MODEL.md ("Reference figures").
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.statistics import mean_ci
from sim.model.mechanisms import in_push_window, mean_response_decay
from sim.results.replication import SimulationResult, simulate
from sim.scenario.library import default_scenario
from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Reference:
    """A published figure and the range a calibrated model must land in."""

    figure: str
    published: str
    low: float
    high: float
    source: str
    unit: str  # "percent", "days", "ratio" or "share"


REFERENCES: tuple[Reference, ...] = (
    Reference("lead to customer", "~5 per 100", 0.02, 0.06,
              "MarketingSherpa B2B benchmark 2009", "percent"),
    Reference("lead to opportunity", "~13%", 0.07, 0.20, "Implisit 2014", "percent"),
    Reference("opportunity to win", "20-30%", 0.15, 0.35,
              "Implisit 2014; demand-waterfall glossaries", "percent"),
    Reference("sales cycle, SMB (median)", "2-4 weeks", 14.0, 28.0,
              "industry benchmarks", "days"),
    Reference("sales cycle, mid-market (median)", "1-3 months", 30.0, 91.0,
              "industry benchmarks", "days"),
    Reference("sales cycle, enterprise (median)", "3-6+ months", 91.0, 200.0,
              "industry benchmarks", "days"),
    Reference("qualify: within 1 h vs 1-2 h (curve)", "~7x", 5.0, 9.0,
              "Oldroyd et al., HBR 2011", "ratio"),
    Reference("qualify: within 1 h vs >= 24 h (curve)", ">60x (>=40x)", 40.0, 120.0,
              "Oldroyd et al., HBR 2011", "ratio"),
    Reference("qualify: within 1 h vs 1-2 h (simulated)", "~7x", 4.0, 11.0,
              "Oldroyd et al., HBR 2011", "ratio"),
    Reference("sales cost / revenue", "~10%", 0.07, 0.15,
              "Chung, Steenburgh & Sudhir 2014", "percent"),
    Reference("MQLs never contacted", "up to ~70% (worst cases)", 0.0, 0.70,
              "Sabnis et al., J. Marketing 2013", "percent"),
    Reference("prior brand share", "~46:54 brand:activation", 0.40, 0.50,
              "Binet & Field, IPA / LinkedIn B2B Institute", "share"),
    Reference("revenue lost to period-end discounts (quota plan)", "6-8%", 0.04, 0.10,
              "Larkin, JOLE 2014", "percent"),
)


def _segment_cycle(name: str) -> Callable[[SimulationResult], float]:
    def measure(result: SimulationResult) -> float:
        leads = result.leads
        won = leads[(leads["outcome"] == "won") & (leads["segment"] == name)]
        return float(np.median(won["outcome_time"] - won["sql_time"])) if len(won) else math.nan
    return measure


def _band_ratio(result: SimulationResult) -> float:
    """Qualification rate of leads first answered within 1 h over those answered in 1-2 h."""
    leads = result.leads
    answered = leads[~np.isnan(leads["first_response_hours"])]
    hours = answered["first_response_hours"]
    qualified = ~np.isnan(answered["sql_time"])
    fast, slow = qualified[hours < 1.0], qualified[(hours >= 1.0) & (hours < 2.0)]
    if not len(fast) or not slow.sum():
        return math.nan
    return float(fast.mean() / slow.mean())


def calibration_table(
    scenario: Scenario, replications: int = 5, seed: int | None = None
) -> pd.DataFrame:
    """Simulated vs published figures, one row per reference figure.

    Runs ``replications`` of the scenario with per-lead records, and the same
    number of its quota-with-accelerator variant for the period-end row.

    Returns:
        Columns ``figure, simulated, ci_low, ci_high, published, low, high,
        within, source, unit``.
    """
    seed = scenario.seed if seed is None else seed
    quota = scenario.with_overrides({"incentives.sales_plan": "quota_accelerator"})
    runs = [simulate(scenario, seed=seed, replication=r, record_leads=True)
            for r in range(replications)]
    quota_runs = [simulate(quota, seed=seed, replication=r, record_leads=True)
                  for r in range(replications)]
    decay = scenario.resolve().sales.response_decay
    first_hour = mean_response_decay(0.0, 1.0, decay.half_life_hours, decay.floor)
    second_hour = mean_response_decay(1.0, 2.0, decay.half_life_hours, decay.floor)
    day_on = mean_response_decay(24.0, math.inf, decay.half_life_hours, decay.floor)
    prior = (scenario.marketing.brand_share if scenario.marketing.prior_brand_share is None
             else scenario.marketing.prior_brand_share)
    names = [g.name for g in scenario.leads.segments]

    def metric(name: str) -> Callable[[SimulationResult], float]:
        return lambda r: r.metrics[name]

    def ratio(num: str, den: str) -> Callable[[SimulationResult], float]:
        return lambda r: r.metrics[num] / r.metrics[den] if r.metrics[den] else math.nan

    def constant(value: float) -> Callable[[SimulationResult], float]:
        return lambda _: value

    plan = quota.resolve()
    period, window = plan.sales.period_days, plan.incentives.sales.push_window_days
    push_discount = plan.incentives.sales.push_discount

    def loss(result: SimulationResult) -> float:
        """List value given away by the push discount, over revenue booked."""
        won = result.leads[result.leads["outcome"] == "won"]
        pushed = won["pushed"].to_numpy() | np.array(
            [in_push_window(t, period, window) for t in won["outcome_time"]], dtype=bool)
        given = np.sum(won["deal_size"].to_numpy()[pushed]) * push_discount
        return float(given / won["value"].sum()) if len(won) else math.nan

    measures: dict[str, tuple[Callable[[SimulationResult], float], list[SimulationResult]]] = {
        "lead to customer": (ratio("deals_won", "leads_created"), runs),
        "lead to opportunity": (ratio("opportunities", "leads_created"), runs),
        "opportunity to win": (ratio("deals_won", "opportunities"), runs),
        "qualify: within 1 h vs 1-2 h (curve)": (constant(first_hour / second_hour), runs),
        "qualify: within 1 h vs >= 24 h (curve)": (constant(first_hour / day_on), runs),
        "qualify: within 1 h vs 1-2 h (simulated)": (_band_ratio, runs),
        "sales cost / revenue": (metric("sales_cost_share"), runs),
        "MQLs never contacted": (ratio("lost_never_contacted", "mqls"), runs),
        "prior brand share": (constant(prior), runs),
        "revenue lost to period-end discounts (quota plan)": (loss, quota_runs),
    }
    for label, segment in (("SMB", "smb"), ("mid-market", "mid_market"),
                           ("enterprise", "enterprise")):
        if segment in names:
            measures[f"sales cycle, {label} (median)"] = (_segment_cycle(segment), runs)

    rows = []
    for ref in REFERENCES:
        if ref.figure not in measures:
            continue
        fn, results = measures[ref.figure]
        mean, low, high = mean_ci(np.array([fn(r) for r in results]))
        rows.append({
            "figure": ref.figure, "simulated": mean, "ci_low": low, "ci_high": high,
            "published": ref.published, "low": ref.low, "high": ref.high,
            "within": bool(ref.low <= mean <= ref.high), "source": ref.source, "unit": ref.unit,
        })
    return pd.DataFrame(rows)


def format_table(table: pd.DataFrame) -> str:
    """The calibration table as Markdown (for the terminal and scenarios/README.md)."""

    def fmt(value: float, unit: str) -> str:
        if math.isnan(value):
            return "-"
        if unit == "percent":
            return f"{100 * value:.1f}%"
        if unit == "days":
            return f"{value:.0f} d"
        if unit == "ratio":
            return f"{value:.1f}x"
        return f"{value:.2f}"

    lines = ["| figure | simulated (95% CI) | published | accepted range | ok | source |",
             "|---|---|---|---|---|---|"]
    for row in table.itertuples():
        spread = row.ci_high - row.ci_low
        ci = (f" ({fmt(row.ci_low, row.unit)} - {fmt(row.ci_high, row.unit)})"
              if not math.isnan(spread) and spread > 1e-9 * abs(row.simulated) else "")
        lines.append(
            f"| {row.figure} | {fmt(row.simulated, row.unit)}{ci} | {row.published} | "
            f"{fmt(row.low, row.unit)} - {fmt(row.high, row.unit)} | "
            f"{'yes' if row.within else 'NO'} | {row.source} |"
        )
    return "\n".join(lines)


# Assumptions without a published figure, each moved to a low and a high value.
SENSITIVITY: tuple[tuple[str, float, float], ...] = (
    ("marketing.organic_leads_per_day", 6.0, 10.0),
    ("marketing.promo_max_leads_per_day", 24.0, 36.0),
    ("marketing.brand_saturation.half_saturation_daily_spend", 2400.0, 3600.0),
    ("marketing.brand_effects.win_odds_lift", 0.25, 0.75),
    ("leads.initial_engagement_promotion", 0.2, 0.6),
    ("nurture.scoring_noise", 0.06, 0.18),
    ("nurture.cold_hazard_per_day", 1 / 120, 1 / 60),
    ("sales.qualify_probability", 0.8, 1.0),
    ("sales.qualification_days", 1.0, 3.0),
    ("sales.quality_odds_weight", 2.0, 4.0),
    ("sales.slots_per_rep", 15, 25),
    ("incentives.sales.cherry_pick", 0.3, 0.9),
    ("alignment.effects.cross_training_cycle_reduction", 0.1, 0.4),
)


def sensitivity_table(
    scenario: Scenario, replications: int = 4, seed: int | None = None
) -> pd.DataFrame:
    """Revenue change when each assumption moves to its low and high value.

    One at a time, with common random numbers against the scenario itself.

    Returns:
        Columns ``parameter, base, low, high, revenue_low, revenue_high`` (relative
        changes in whole-horizon revenue, paired means).
    """
    seed = scenario.seed if seed is None else seed

    def revenues(s: Scenario) -> np.ndarray:
        return np.array([simulate(s, seed=seed, replication=r).metrics["revenue"]
                         for r in range(replications)])

    base = revenues(scenario)
    resolved = scenario.resolve().model_dump()
    rows = []
    for path, low, high in SENSITIVITY:
        value: object = resolved
        for part in path.split("."):
            value = value[part]  # type: ignore[index]
        changes = [float(np.mean(revenues(scenario.with_overrides({path: v})) / base - 1.0))
                   for v in (low, high)]
        rows.append({"parameter": path, "base": value, "low": low, "high": high,
                     "revenue_low": changes[0], "revenue_high": changes[1]})
    return pd.DataFrame(rows)


def format_sensitivity(table: pd.DataFrame) -> str:
    """The sensitivity table as Markdown."""
    lines = ["| assumption | baseline | low -> revenue | high -> revenue |", "|---|---|---|---|"]
    for row in table.itertuples():
        lines.append(f"| `{row.parameter}` | {row.base:g} | {row.low:g} -> "
                     f"{100 * row.revenue_low:+.1f}% | {row.high:g} -> "
                     f"{100 * row.revenue_high:+.1f}% |")
    return "\n".join(lines)


def main() -> None:
    """Print the calibration table of a scenario (default: the baseline)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path,
                        help="scenario file (default: the packaged baseline)")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--sensitivity", action="store_true",
                        help="also move each assumption to a low and a high value")
    args = parser.parse_args()
    scenario = load_scenario(args.file) if args.file else default_scenario()
    print(format_table(calibration_table(scenario, replications=args.replications)))
    if args.sensitivity:
        print()
        print(format_sensitivity(sensitivity_table(scenario)))


if __name__ == "__main__":
    main()
