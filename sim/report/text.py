"""A readable text table of a run: means with 95% confidence intervals."""

from __future__ import annotations

import math

from sim.experiments.runner import RunResult

# (section, [(metric, label, format)]) in the order people read them.
SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...] = (
    ("Funnel", (
        ("leads_created", "Leads created", "count"),
        ("mqls", "MQLs handed to sales", "count"),
        ("sqls", "SQLs (qualified)", "count"),
        ("opportunities", "Opportunities", "count"),
        ("deals_won", "Deals won", "count"),
        ("lead_to_customer", "Lead to customer", "percent"),
        ("win_rate", "Win rate (closed deals)", "percent"),
    )),
    ("Leaks", (
        ("lost_never_contacted", "Never contacted", "count"),
        ("lost_rejected", "Rejected by sales", "count"),
        ("lost_cold", "Went cold / unqualified", "count"),
        ("lost_in_sales", "Lost in the pipeline", "count"),
        ("in_flight_end", "Still in flight at the end", "count"),
    )),
    ("Revenue", (
        ("revenue_90d", "Revenue, first 90 days", "money"),
        ("revenue_1y", "Revenue, first year", "money"),
        ("revenue", "Revenue, whole horizon", "money"),
        ("mean_deal_value", "Mean deal value", "money"),
        ("mean_discount", "Mean discount", "percent"),
    )),
    ("Time", (
        ("cycle_days_median", "Lead to close, median", "days"),
        ("cycle_days_p90", "Lead to close, 90th percentile", "days"),
        ("mql_to_won_days_median", "MQL to close, median", "days"),
        ("first_response_hours_median", "First response, median", "hours"),
        ("rep_wait_days_mean", "Wait for a free rep, mean", "days"),
        ("rep_utilization", "Rep utilisation", "percent"),
    )),
    ("Cost and return", (
        ("marketing_spend", "Marketing spend", "money"),
        ("sales_cost", "Sales cost (salaries + commission)", "money"),
        ("sales_cost_share", "Sales cost / revenue", "percent"),
        ("total_cost", "Total cost", "money"),
        ("contribution", "Contribution (margin - cost)", "money"),
        ("roi", "ROI (contribution / cost)", "percent"),
    )),
)


def format_value(value: float, kind: str) -> str:
    """Format a number for people: counts with separators, money in k/M, % and units."""
    if value is None or math.isnan(value):
        return "-"
    if kind == "count":
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"
    if kind == "money":
        for size, suffix in ((1e9, " bn"), (1e6, " M"), (1e3, " k")):
            if abs(value) >= size:
                return f"{value / size:,.2f}{suffix}"
        return f"{value:,.0f}"
    if kind == "percent":
        return f"{100 * value:.1f}%"
    if kind == "days":
        return f"{value:.1f} d"
    if kind == "hours":
        return f"{value:.2f} h"
    return f"{value:.4g}"


def summary_table(run: RunResult) -> str:
    """The summary as aligned plain text."""
    s = run.scenario
    n = len(run.per_replication)
    stats = run.summary.set_index("metric")
    lines = [
        f"Scenario '{s.name}': {s.horizon_days:g} days, {n} replication{'s' * (n != 1)}, "
        f"seed {run.seed}",
        "",
        f"{'':36}{'mean':>12}   {'95% CI':<25}",
    ]
    for title, rows in SECTIONS:
        lines.append(title)
        for metric, label, kind in rows:
            row = stats.loc[metric]
            ci = (f"{format_value(row['ci_low'], kind)} .. {format_value(row['ci_high'], kind)}"
                  if not math.isnan(row["ci_low"]) else "-")
            lines.append(f"  {label:34}{format_value(row['mean'], kind):>12}   {ci:<25}")
    return "\n".join(lines)
