"""Tidy tables behind the report's figures, computed from a run's results.

Every function here is pure: DataFrames in, a tidy DataFrame out (one row per
observation, one column per variable), so a figure and its CSV always show
the same numbers. Means come with 95% Student-t intervals over replications
(:func:`sim.experiments.statistics.mean_ci`); distributions pool the replications.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.report.format import fmt_horizon, fmt_param
from sim.results.catalog import Kind, describe

# The four numbers an executive reads first.
HEADLINE_METRICS: tuple[str, ...] = ("revenue", "contribution", "roi", "cycle_days_median")

# The funnel's stages and leaks, in the order a lead meets them.
FUNNEL_STAGES: tuple[str, ...] = ("leads_created", "mqls", "sqls", "opportunities", "deals_won")
LEAKS: tuple[str, ...] = (
    "lost_never_contacted", "lost_rejected", "lost_cold", "lost_in_sales", "in_flight_end",
)

# Weekly series drawn over time: (column, label, kind).
WEEKLY_SERIES: tuple[tuple[str, str, Kind], ...] = (
    ("leads", "Leads per week", "count"),
    ("mqls", "MQLs per week", "count"),
    ("bookings", "Bookings per week", "money"),
    ("pipeline_value", "Open pipeline value", "money"),
    ("brand_equity", "Brand equity", "number"),
)
WEEKLY_COLUMNS: tuple[str, ...] = tuple(column for column, _, _ in WEEKLY_SERIES)


def ci_row(values: Iterable[float]) -> dict[str, float]:
    """``{"mean", "ci_low", "ci_high", "n"}`` of replication values (NaN left out)."""
    # Here, not at the top: drawing a figure needs this module's constants, not SciPy.
    from sim.experiments.statistics import mean_ci

    x = np.asarray(list(values), dtype=float)
    mean, low, high = mean_ci(x)
    return {"mean": mean, "ci_low": low, "ci_high": high, "n": int(np.sum(~np.isnan(x)))}


def _by_scenario(df: pd.DataFrame) -> Iterable[tuple[str | None, pd.DataFrame]]:
    """Groups of a table with an optional ``scenario`` column, in order of appearance."""
    if "scenario" not in df.columns:
        yield None, df
        return
    for name in pd.unique(df["scenario"]):
        yield str(name), df[df["scenario"] == name]


def _tag(rows: list[dict[str, Any]], scenario: str | None) -> list[dict[str, Any]]:
    if scenario is None:
        return rows
    return [{"scenario": scenario, **row} for row in rows]


# --- funnel ------------------------------------------------------------------------


def funnel_table(per_replication: pd.DataFrame) -> pd.DataFrame:
    """Volumes and conversion at each funnel stage, and the leaks by reason.

    Args:
        per_replication: one row per replication with the funnel metrics; an
            optional ``scenario`` column gives one block per scenario.

    Returns:
        Columns ``[scenario,] part`` (``stage`` or ``leak``), ``metric``,
        ``label``, ``mean``, ``ci_low``, ``ci_high``, ``share_of_leads`` and
        ``conversion`` (from the previous stage; NaN for leaks and the first stage).
    """
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(per_replication):
        block: list[dict[str, Any]] = []
        leads = df["leads_created"].to_numpy(dtype=float)
        previous: np.ndarray | None = None
        for part, names in (("stage", FUNNEL_STAGES), ("leak", LEAKS)):
            for name in names:
                if name not in df.columns:
                    continue
                x = df[name].to_numpy(dtype=float)
                conversion = math.nan
                if part == "stage" and previous is not None:
                    conversion = float(np.mean(_ratio(x, previous)))
                block.append({
                    "part": part, "metric": name, "label": describe(name).label, **ci_row(x),
                    "share_of_leads": float(np.mean(_ratio(x, leads))),
                    "conversion": conversion,
                })
                if part == "stage":
                    previous = x
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # A replication with nothing upstream has no conversion; 0 keeps the mean defined.
    ratio: np.ndarray = np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b > 0)
    return ratio


# --- horizons ----------------------------------------------------------------------


def horizon_windows(horizon_days: float) -> list[tuple[str, float]]:
    """The windows of the horizon view: first 90 days, first year, whole horizon."""
    whole = f"Whole horizon ({fmt_horizon(horizon_days)})"
    windows = [(label, days) for label, days in (("First 90 days", 90.0), ("First year", 365.0))
               if days < horizon_days]
    return [*windows, (whole, float(horizon_days))]


def horizon_table(per_replication: pd.DataFrame, won_deals: pd.DataFrame | None,
                  horizon_days: float) -> pd.DataFrame:
    """Results over the first 90 days, the first year and the whole horizon.

    Revenue, deals won, revenue per day (the run rate) and the median cycle of
    the deals closed in each window come from the won-deal table, so they are
    exact; without it only revenue is given (from the metrics).

    Args:
        per_replication: one row per replication (``revenue_90d``, ``revenue_1y``,
            ``revenue``); optional ``scenario`` column.
        won_deals: one row per won deal with ``replication``, ``won_time``,
            ``value``, ``cycle_days`` (optional ``scenario``), or ``None``.
        horizon_days: the run's horizon.

    Returns:
        Columns ``[scenario,] window``, ``days``, ``measure``, ``label``,
        ``kind``, ``mean``, ``ci_low``, ``ci_high``, ``n``.
    """
    rows: list[dict[str, Any]] = []
    metric_for = {90.0: "revenue_90d", 365.0: "revenue_1y"}
    for scenario, reps in _by_scenario(per_replication):
        block: list[dict[str, Any]] = []
        deals = None
        if won_deals is not None:
            deals = won_deals if scenario is None else won_deals[won_deals["scenario"] == scenario]
        replications = reps["replication"].to_numpy() if "replication" in reps else None
        for window, days in horizon_windows(horizon_days):
            measures: tuple[tuple[str, str, Kind, np.ndarray], ...]
            if deals is not None and replications is not None:
                inside = deals[deals["won_time"] < days]
                grouped = inside.groupby("replication")
                revenue = grouped["value"].sum().reindex(replications, fill_value=0.0)
                count = grouped["value"].size().reindex(replications, fill_value=0)
                cycle = grouped["cycle_days"].median().reindex(replications)
                measures = (
                    ("revenue", "Revenue", "money", revenue.to_numpy(dtype=float)),
                    ("revenue_per_day", "Revenue per day (run rate)", "money",
                     revenue.to_numpy(dtype=float) / days),
                    ("deals_won", "Deals won", "count", count.to_numpy(dtype=float)),
                    ("cycle_days_median", "Median lead to close (deals closed)", "days",
                     cycle.to_numpy(dtype=float)),
                )
            else:
                column = metric_for.get(days, "revenue")
                totals = reps[column].to_numpy(dtype=float)
                measures = (
                    ("revenue", "Revenue", "money", totals),
                    ("revenue_per_day", "Revenue per day (run rate)", "money", totals / days),
                )
            for measure, label, kind, values in measures:
                block.append({"window": window, "days": days, "measure": measure,
                              "label": label, "kind": kind, **ci_row(values)})
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


# --- over time ---------------------------------------------------------------------


def weekly_bands(timeseries: pd.DataFrame, horizon_days: float,
                 columns: Sequence[str] = WEEKLY_COLUMNS,
                 band: tuple[float, float] = (0.1, 0.9)) -> pd.DataFrame:
    """Mean and replication band of each weekly series.

    The last week is left out when the horizon cuts it short: a 3-day week
    would look like a collapse in every weekly count.

    Args:
        timeseries: weekly rows with ``week``, ``day``, ``replication`` and the
            series columns; optional ``scenario`` column.
        horizon_days: the run's horizon.
        columns: series to keep (those missing from the table are skipped).
        band: lower and upper quantile over replications.

    Returns:
        Columns ``[scenario,] series``, ``week``, ``day``, ``mean``, ``low``, ``high``.
    """
    keep = timeseries[timeseries["day"] + 7.0 <= horizon_days + 1e-9]
    present = [c for c in columns if c in keep.columns]
    keys = (["scenario"] if "scenario" in keep.columns else []) + ["week", "day"]
    long = keep.melt(id_vars=[*keys, "replication"], value_vars=present, var_name="series")
    grouped = long.groupby([*keys[:-2], "series", "week", "day"], sort=False)["value"]
    out = pd.concat([
        grouped.mean().rename("mean"),
        grouped.quantile(band[0]).rename("low"),
        grouped.quantile(band[1]).rename("high"),
    ], axis=1).reset_index()
    return out


def cumulative_bookings(timeseries: pd.DataFrame,
                        horizon_days: float | None = None) -> pd.DataFrame:
    """Cumulative bookings by week: mean and 95% CI over replications.

    Args:
        timeseries: weekly rows with ``week``, ``day``, ``replication`` and
            ``bookings`` (optional ``scenario``).
        horizon_days: the horizon, which ends the last (maybe short) week.

    Returns:
        Columns ``[scenario,] week``, ``day`` (end of the week), ``mean``, ``ci_low``, ``ci_high``.
    """
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(timeseries):
        wide = df.pivot_table(index=["week", "day"], columns="replication", values="bookings",
                              aggfunc="sum").sort_index().cumsum()
        end = float(df["day"].max()) + 7.0 if horizon_days is None else horizon_days
        block = [{"week": week, "day": min(day + 7.0, end), **ci_row(values)}
                 for (week, day), values in zip(wide.index, wide.to_numpy(), strict=True)]
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


# --- cycle times and response ------------------------------------------------------


def stage_columns(won_deals: pd.DataFrame) -> list[str]:
    """The per-stage duration columns (``days_<stage>``) of a won-deal table."""
    return [c for c in won_deals.columns if c.startswith("days_")]


def cycle_time_table(won_deals: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of lead-to-won, MQL-to-won and per-stage days of won deals (pooled).

    Returns:
        Columns ``[scenario,] measure``, ``label``, ``deals``, ``mean``, ``p10``,
        ``p25``, ``median``, ``p75``, ``p90`` (days).
    """
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(won_deals):
        block = []
        measures = [("cycle_days", "Lead to won"), ("mql_to_won_days", "MQL to won")]
        measures += [(c, f"Stage: {c.removeprefix('days_').replace('_', ' ')}")
                     for c in stage_columns(df)]
        for column, label in measures:
            x = df[column].to_numpy(dtype=float)
            x = x[~np.isnan(x)]
            q = np.quantile(x, [0.1, 0.25, 0.5, 0.75, 0.9]) if x.size else [math.nan] * 5
            block.append({"measure": column, "label": label, "deals": int(x.size),
                          "mean": float(x.mean()) if x.size else math.nan,
                          "p10": q[0], "p25": q[1], "median": q[2], "p75": q[3], "p90": q[4]})
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


# Hour bins of the first-response histogram: minutes to weeks, even on a log axis.
RESPONSE_BINS_HOURS: tuple[float, ...] = tuple(float(x) for x in np.geomspace(1 / 60, 24 * 28, 37))


def response_histogram(first_responses: pd.DataFrame) -> pd.DataFrame:
    """First-response time histogram, as leads per replication in each hour bin.

    Args:
        first_responses: columns ``replication``, ``hours`` (optional ``scenario``).

    Returns:
        Columns ``[scenario,] hours_low``, ``hours_high``, ``leads_per_replication``,
        ``share``. Delays outside the bins are counted in the first or last bin.
    """
    edges = np.asarray(RESPONSE_BINS_HOURS)
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(first_responses):
        hours = np.clip(df["hours"].to_numpy(dtype=float), edges[0], edges[-1])
        counts = np.histogram(hours, bins=edges)[0].astype(float)
        n_reps = max(df["replication"].nunique(), 1)
        total = counts.sum()
        block = [{"hours_low": lo, "hours_high": hi, "leads_per_replication": c / n_reps,
                  "share": c / total if total else math.nan}
                 for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)]
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


def response_shares(first_responses: pd.DataFrame,
                    replications: Sequence[int] | None = None) -> pd.DataFrame:
    """Share of first responses within 1 hour, 1 to 24 hours and after 24 hours.

    These are Oldroyd et al.'s (HBR 2011) thresholds: a response within the
    hour qualifies ~7x as often as one an hour later, ~60x as often as one
    after a day.

    Returns:
        Columns ``[scenario,] band``, ``mean``, ``ci_low``, ``ci_high``, ``n``
        (a share of the leads responded to, per replication).
    """
    bands = (("Within 1 hour", 0.0, 1.0), ("1 to 24 hours", 1.0, 24.0),
             ("After 24 hours", 24.0, math.inf))
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(first_responses):
        reps = sorted(df["replication"].unique()) if replications is None else list(replications)
        hours = df["hours"]
        n = hours.groupby(df["replication"]).size().reindex(reps, fill_value=0).to_numpy(
            dtype=float)
        block = []
        for label, lo, hi in bands:
            inside = ((hours >= lo) & (hours < hi)).groupby(df["replication"]).sum()
            k = inside.reindex(reps, fill_value=0).to_numpy(dtype=float)
            share = np.divide(k, n, out=np.full_like(k, np.nan), where=n > 0)
            block.append({"band": label, **ci_row(share)})
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


# --- money -------------------------------------------------------------------------

# Gross margin down to contribution: each cost is subtracted in turn.
COSTS: tuple[str, ...] = (
    "marketing_spend", "marketing_bonus_cost", "commission_cost", "rep_salary_cost",
    "alignment_cost",
)


def money_table(per_replication: pd.DataFrame) -> pd.DataFrame:
    """Revenue, gross margin, each cost and contribution, with 95% CIs.

    Gross margin is ``contribution + total_cost``: the margin the model applied
    to revenue, recovered exactly from two metrics.

    Returns:
        Columns ``[scenario,] item``, ``label``, ``sign`` (+1 income, -1 cost),
        ``mean``, ``ci_low``, ``ci_high``, ``n``.
    """
    rows: list[dict[str, Any]] = []
    for scenario, df in _by_scenario(per_replication):
        margin = df["contribution"].to_numpy(dtype=float) + df["total_cost"].to_numpy(dtype=float)
        block = [
            {"item": "revenue", "label": "Revenue", "sign": 1, **ci_row(df["revenue"])},
            {"item": "gross_margin", "label": "Gross margin", "sign": 1, **ci_row(margin)},
        ]
        block += [{"item": c, "label": describe(c).label, "sign": -1, **ci_row(df[c])}
                  for c in COSTS if c in df.columns]
        block.append({"item": "contribution", "label": "Contribution", "sign": 1,
                      **ci_row(df["contribution"])})
        rows += _tag(block, scenario)
    return pd.DataFrame(rows)


# --- scenarios ---------------------------------------------------------------------


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """A nested dict/list as ``{dotted.path: leaf}`` (list items by index, as ``--set``).

    Empty lists and dicts are leaves, so a scenario with no timeline still has
    a ``timeline`` row.
    """
    if isinstance(data, Mapping) and data:
        out: dict[str, Any] = {}
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(data, list) and data:
        out = {}
        for i, value in enumerate(data):
            out.update(flatten(value, f"{prefix}.{i}" if prefix else str(i)))
        return out
    return {prefix: data}


def scenario_changes(scenario: Mapping[str, Any], baseline: Mapping[str, Any],
                     ignore: Iterable[str] = ("description",)) -> pd.DataFrame:
    """Keys whose values differ between two scenario dicts (expanded, JSON-like).

    Args:
        scenario: the run's expanded scenario, as ``model_dump(mode="json")``.
        baseline: the baseline's, in the same form.
        ignore: keys not worth listing (free text).

    Returns:
        Columns ``key``, ``value``, ``baseline`` (``"(absent)"`` where a side has
        no such key, e.g. a list of stages of another length), sorted by key.
    """
    a, b = flatten(scenario), flatten(baseline)
    skip = set(ignore)
    rows = [
        {"key": key, "value": show_value(a.get(key, ABSENT)),
         "baseline": show_value(b.get(key, ABSENT))}
        for key in sorted(set(a) | set(b), key=path_order)
        if key not in skip and a.get(key, ABSENT) != b.get(key, ABSENT)
    ]
    return pd.DataFrame(rows, columns=["key", "value", "baseline"])


# Marks a key one side does not have (a list of another length).
ABSENT = object()


def show_value(value: Any) -> str:
    """A parameter value as YAML would write it (``null``, ``true``, ``0.46``)."""
    if value is ABSENT:
        return "(absent)"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt_param(value)
    return str(value)


def path_order(key: str) -> tuple[Any, ...]:
    """Sort key of a dotted path: numeric parts as numbers, so stage 2 comes before 10."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in key.split("."))


def parameter_table(scenario: Mapping[str, Any], changed: Iterable[str] = ()) -> pd.DataFrame:
    """Every parameter of an expanded scenario, one row per dotted key.

    Returns:
        Columns ``key``, ``value``, ``changed`` (whether it differs from the baseline).
    """
    flat = flatten(scenario)
    marks = set(changed)
    return pd.DataFrame([{"key": k, "value": show_value(v), "changed": k in marks} for k, v in
                         flat.items()], columns=["key", "value", "changed"])
