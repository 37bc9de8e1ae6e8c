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
from sim.model.mechanisms import in_push_window, qualify_multiplier
from sim.model.policy import Policy
from sim.model.records import Source
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
    # A figure measured on simulated outcomes that are a small sample (e.g. the few
    # qualified leads in one response band) is within when its 95% CI reaches the range.
    judged_on_ci: bool = False


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
    # Oldroyd, McElheran & Elkington (HBR 2011; 1.25 M web-generated leads of 29 B2C and
    # 13 B2B firms): a first contact within an hour was "nearly seven times as likely" to
    # qualify as one an hour later, so below 7 and nearer 7 than 6: 6-7; and "more than
    # 60 times as likely" as one after 24 hours or more, so at least 60, and below 70, a
    # round figure the authors would have quoted instead: 60-70. The rows are computed on
    # leads like those they measured, inbound inquiries: the leads whose reach is 1
    # (promotion leads and hand-raisers of SMB and mid-market). "(curve)" is the model's
    # expected ratio on their simulated response times; "(simulated)" counts the leads
    # that did qualify, a sample of a few dozen in the slow bands, so it is judged on
    # its 95% CI.
    # Not a row: MIT / InsideSales 2007 (first call within 5 vs 30 minutes: 21x the odds
    # of qualifying). The curve is stated at the hour bands above and is flat within the
    # first hour, because where inside an hour responses fall is not published and must
    # not decide a result (MODEL.md 5); a minute-level row would need that.
    Reference("qualify: within 1 h vs 1-2 h (curve)", "nearly 7x", 6.0, 7.0,
              "Oldroyd et al., HBR 2011", "ratio"),
    Reference("qualify: within 1 h vs >= 24 h (curve)", "more than 60x", 60.0, 70.0,
              "Oldroyd et al., HBR 2011", "ratio"),
    Reference("qualify: within 1 h vs 1-2 h (simulated)", "nearly 7x", 6.0, 7.0,
              "Oldroyd et al., HBR 2011", "ratio", judged_on_ci=True),
    Reference("qualify: within 1 h vs >= 24 h (simulated)", "more than 60x", 60.0, 70.0,
              "Oldroyd et al., HBR 2011", "ratio", judged_on_ci=True),
    Reference("sales cost / revenue", "~10%", 0.07, 0.15,
              "Chung, Steenburgh & Sudhir 2014", "percent"),
    Reference("MQLs never contacted", "up to ~70% (worst cases)", 0.0, 0.70,
              "Sabnis et al., J. Marketing 2013", "percent"),
    Reference("prior brand share", "~46:54 brand:activation", 0.40, 0.50,
              "Binet & Field, IPA / LinkedIn B2B Institute", "share"),
    Reference("revenue lost to period-end discounts (quota plan)", "6-8%", 0.04, 0.10,
              "Larkin, JOLE 2014", "percent"),
    # Larkin (JOLE 2014) shows deals of a quota-and-accelerator plan concentrated at
    # quarter ends; at his enterprise software vendor (12-24-month deals whose timing
    # reps control) about three quarters of the transactions closed on the quarter's
    # last day (HBS case 911-057, Arck Systems (B), citing Larkin's working paper).
    # InsideSales Labs (2017, 9.8 M deals of 151 firms): about 3x the closes on the last
    # day of a month as on other days. Spread evenly, a quarter's last week holds
    # 7 / 91.25 = 7.7% of the wins: a concentration at least twice that, 15%, is the
    # floor; a mix of SMB and mid-market deals cannot be timed like Larkin's
    # enterprise deals, so at most 50%. A plan without a push (7.7%) fails the row.
    Reference("quota-plan wins in a quarter's last week", "strongly concentrated at "
              "quarter ends (3/4 on the last day at one enterprise vendor)", 0.15, 0.50,
              "Larkin, JOLE 2014; InsideSales Labs 2017", "percent"),
    # Oyer (QJE 1998): sales are higher at the end of the fiscal year, and lower at its
    # beginning, than in the middle; the paper gives the direction for whole firms, not
    # a sales team's size of it. Row: the quota plan with an annual quota (the quarterly
    # quota x 4, sales.period_days 365): bookings in the fiscal year's last month over
    # the mean month of its middle (months 4-9). A plan without quota gives 0.9 +- 0.1
    # (month-to-month noise), so a spike must exceed 1.2; at most 3, InsideSales' ratio
    # for a single period-end day against an average day.
    Reference("fiscal-year-end spike, annual quota (last month / mid-year month)",
              "higher at the fiscal year end, lower at its start", 1.2, 3.0,
              "Oyer, QJE 1998", "ratio"),
)


def _records(result: SimulationResult) -> pd.DataFrame:
    """The per-lead records of a replication the table simulated with ``record_leads``."""
    if result.leads is None:
        raise ValueError("the calibration table needs per-lead records (record_leads=True)")
    return result.leads


def _segment_cycle(name: str) -> Callable[[SimulationResult], float]:
    def measure(result: SimulationResult) -> float:
        leads = _records(result)
        won = leads[(leads["outcome"] == "won") & (leads["segment"] == name)]
        return float(np.median(won["outcome_time"] - won["sql_time"])) if len(won) else math.nan
    return measure


# The response bands of Oldroyd et al.'s ratios, in hours.
FIRST_HOUR, SECOND_HOUR, DAY_ON = (0.0, 1.0), (1.0, 2.0), (24.0, math.inf)


def _inbound_leads(scenario: Scenario) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The answered leads like those Oldroyd et al. measured.

    Leads whose reach (source times segment) is 1, so the curve applies to them
    in full: in the baseline, promotion leads (and hand-raisers) of SMB and
    mid-market segments.
    """
    resolved = scenario.resolve()
    reach = Policy.from_scenario(resolved).response_reach
    names = [g.name for g in resolved.leads.segments]
    full = {(source.name.lower(), names[j]) for source in Source
            for j, r in enumerate(reach[source]) if r == 1.0}

    def select(leads: pd.DataFrame) -> pd.DataFrame:
        answered: pd.DataFrame = leads[~np.isnan(leads["first_response_hours"])]
        keep = [(src, seg) in full for src, seg in zip(answered["source"], answered["segment"],
                                                       strict=True)]
        return answered[np.array(keep, dtype=bool)]
    return select


def _band_ratio(select: Callable[[pd.DataFrame], pd.DataFrame], slow: tuple[float, float],
                expected: Callable[[float], float] | None = None,
                ) -> Callable[[SimulationResult], float]:
    """Qualification within an hour over qualification in the ``slow`` band.

    On the leads ``select`` keeps: the realised rates, or with ``expected`` (the
    chance multiplier at a response time) the expected ones on the simulated
    response times.
    """
    def measure(result: SimulationResult) -> float:
        leads = select(_records(result))
        hours = leads["first_response_hours"].to_numpy()
        value = (np.array([expected(h) for h in hours]) if expected is not None
                 else (~np.isnan(leads["sql_time"].to_numpy())).astype(float))
        rates = []
        for lo, hi in (FIRST_HOUR, slow):
            inside = value[(hours >= lo) & (hours < hi)]
            rates.append(inside.mean() if inside.size else math.nan)
        return float(rates[0] / rates[1]) if rates[1] > 0 else math.nan
    return measure


def _annual_quota(quota: Scenario) -> Scenario:
    """The quota plan with a fiscal-year quota: a 365-day period, the quota scaled to it."""
    plan = quota.resolve()
    per_year = 365.0 / plan.sales.period_days
    return quota.with_overrides({
        "sales.period_days": 365.0,
        "incentives.sales.quota_per_rep_period":
            plan.incentives.sales.quota_per_rep_period * per_year,
    })


def _last_week_share(period_days: float) -> Callable[[SimulationResult], float]:
    """Share of the deals booked that closed in the last 7 days of a sales period."""
    def measure(result: SimulationResult) -> float:
        won = result.won_deals
        if won is None or not len(won):
            return math.nan
        t = won["won_time"].to_numpy()
        return float(np.mean(np.ceil(t / period_days) * period_days - t <= 7.0))
    return measure


def _year_end_spike(result: SimulationResult) -> float:
    """Bookings in the fiscal year's last month over the mean month of months 4-9.

    Fiscal years start on day 0; months are twelfths of 365 days; every year of
    the run is pooled.
    """
    won = result.won_deals
    if won is None or not len(won):
        return math.nan
    t = won["won_time"].to_numpy()
    month = np.floor(np.mod(t, 365.0) / (365.0 / 12.0)).astype(int)
    by_month = np.bincount(month, weights=won["value"].to_numpy(), minlength=12)[:12]
    middle = by_month[3:9].mean()
    return float(by_month[11] / middle) if middle > 0 else math.nan


def calibration_table(
    scenario: Scenario, replications: int = 5, seed: int | None = None
) -> pd.DataFrame:
    """Simulated vs published figures, one row per reference figure.

    Runs ``replications`` of the scenario with per-lead records, and the same
    number of its quota-with-accelerator variant for the period-end rows, and
    of that variant with an annual quota for the fiscal-year-end row.

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
    annual = _annual_quota(quota)
    annual_runs = [simulate(annual, seed=seed, replication=r) for r in range(replications)]
    decay = scenario.resolve().sales.response_decay
    inbound = _inbound_leads(scenario)

    def curve(hours: float) -> float:
        return qualify_multiplier(hours, 1.0, decay.first_vs_second_hour,
                                  decay.first_hour_vs_day)
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
        leads = _records(result)
        won = leads[leads["outcome"] == "won"]
        pushed = won["pushed"].to_numpy() | np.array(
            [in_push_window(t, period, window) for t in won["outcome_time"]], dtype=bool)
        given = np.sum(won["deal_size"].to_numpy()[pushed]) * push_discount
        return float(given / won["value"].sum()) if len(won) else math.nan

    measures: dict[str, tuple[Callable[[SimulationResult], float], list[SimulationResult]]] = {
        "lead to customer": (ratio("deals_won", "leads_created"), runs),
        "lead to opportunity": (ratio("opportunities", "leads_created"), runs),
        "opportunity to win": (ratio("deals_won", "opportunities"), runs),
        "qualify: within 1 h vs 1-2 h (curve)": (_band_ratio(inbound, SECOND_HOUR, curve), runs),
        "qualify: within 1 h vs >= 24 h (curve)": (_band_ratio(inbound, DAY_ON, curve), runs),
        "qualify: within 1 h vs 1-2 h (simulated)": (_band_ratio(inbound, SECOND_HOUR), runs),
        "qualify: within 1 h vs >= 24 h (simulated)": (_band_ratio(inbound, DAY_ON), runs),
        "sales cost / revenue": (metric("sales_cost_share"), runs),
        "MQLs never contacted": (ratio("lost_never_contacted", "mqls"), runs),
        "prior brand share": (constant(prior), runs),
        "revenue lost to period-end discounts (quota plan)": (loss, quota_runs),
        "quota-plan wins in a quarter's last week": (
            _last_week_share(plan.sales.period_days), quota_runs),
        "fiscal-year-end spike, annual quota (last month / mid-year month)": (
            _year_end_spike, annual_runs),
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
        within = (bool(low <= ref.high and high >= ref.low) if ref.judged_on_ci
                  else bool(ref.low <= mean <= ref.high))
        rows.append({
            "figure": ref.figure, "simulated": mean, "ci_low": low, "ci_high": high,
            "published": ref.published, "low": ref.low, "high": ref.high,
            "within": within, "source": ref.source, "unit": ref.unit,
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
    for row in table.to_dict("records"):
        spread = row["ci_high"] - row["ci_low"]
        ci = (f" ({fmt(row['ci_low'], row['unit'])} - {fmt(row['ci_high'], row['unit'])})"
              if not math.isnan(spread) and spread > 1e-9 * abs(row["simulated"]) else "")
        lines.append(
            f"| {row['figure']} | {fmt(row['simulated'], row['unit'])}{ci} | "
            f"{row['published']} | {fmt(row['low'], row['unit'])} - "
            f"{fmt(row['high'], row['unit'])} | {'yes' if row['within'] else 'NO'} | "
            f"{row['source']} |"
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
    # First response: the spread inside a band that published figures cannot tell,
    # the reach of the decay curve by source and segment, and SLA compliance.
    ("sales.response_band_shape", 0.5, 8.0),
    ("sales.response_decay.reach_promotion", 0.7, 1.0),
    ("sales.response_decay.reach_organic", 0.25, 0.75),
    ("leads.segments.2.response_reach", 0.25, 0.75),
    ("alignment.levers.sla_compliance", 0.5, 0.95),
    # Capacity over time: attrition of 20-35% a year is commonly reported for B2B
    # reps (off in the baseline). The hiring lag, the ramp and the handover loss
    # act only when reps join or leave, so they move the baseline only with attrition.
    ("sales.staffing.attrition_annual", 0.20, 0.35),
    # Hand-raisers (demo and contact requests; off in the baseline): their rate.
    # Their gains, quality, window and reach act only when the rate is above 0
    # (scenarios/hand-raisers.yaml; ranges in leads.hand_raisers' descriptions).
    ("leads.hand_raisers.per_day", 0.5, 3.0),
    # Sales content and customer data capture (off in the baseline): their switches.
    # Their effect sizes act only when these are on (scenarios/collateral.yaml,
    # scenarios/customer-data.yaml; ranges in their schema descriptions).
    ("marketing.content.budget_share", 0.05, 0.15),
    ("sales.data_capture.capture_rate", 0.3, 0.8),
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
            value = value[int(part) if isinstance(value, list) else part]  # type: ignore[index]
        changes = [float(np.mean(revenues(scenario.with_overrides({path: v})) / base - 1.0))
                   for v in (low, high)]
        rows.append({"parameter": path, "base": value, "low": low, "high": high,
                     "revenue_low": changes[0], "revenue_high": changes[1]})
    return pd.DataFrame(rows)


def format_sensitivity(table: pd.DataFrame) -> str:
    """The sensitivity table as Markdown."""
    lines = ["| assumption | baseline | low -> revenue | high -> revenue |", "|---|---|---|---|"]
    for row in table.to_dict("records"):
        lines.append(f"| `{row['parameter']}` | {row['base']:g} | {row['low']:g} -> "
                     f"{100 * row['revenue_low']:+.1f}% | {row['high']:g} -> "
                     f"{100 * row['revenue_high']:+.1f}% |")
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
