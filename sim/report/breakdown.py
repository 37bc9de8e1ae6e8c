"""Results by customer segment and by lead source: who brings the revenue, how fast.

Bookings, deals and cycle times come from the deals booked
(:func:`sim.results.metrics.won_deals`, kept by every run); the win rate needs
the deals lost too, which only the per-lead records hold (``record_leads:
true``): without them it is left undefined rather than guessed. Every
per-replication value is averaged over replications with its 95% CI, so a
segment's numbers read like the run's metrics.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.experiments.statistics import mean_ci
from sim.results.catalog import Kind

# The two ways of cutting the results: (column, what it is called).
DIMENSIONS: tuple[tuple[str, str], ...] = (("segment", "Segment"), ("source", "Lead source"))

# The measures of each group: (measure, label, kind).
MEASURES: tuple[tuple[str, str, Kind], ...] = (
    ("bookings", "Bookings", "money"),
    ("bookings_share", "Share of bookings", "percent"),
    ("deals", "Deals booked", "count"),
    ("mean_deal_value", "Mean deal value", "money"),
    ("cycle_days_median", "Lead to close, median", "days"),
    ("win_rate", "Win rate (cohort's deals closed)", "percent"),
)
KIND_OF: dict[str, Kind] = {measure: kind for measure, _, kind in MEASURES}

# Outcomes of the per-lead records that close a deal in the pipeline.
_WON, _LOST_IN_SALES = "won", "lost_in_sales"


def _groups(won: pd.DataFrame, leads: pd.DataFrame | None, column: str) -> list[str]:
    """The groups of a dimension in the order the scenario lists them (categories)."""
    for table in (won, leads):
        if table is not None and column in table.columns:
            values = table[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                return [str(c) for c in values.cat.categories]
    found: set[str] = set()
    for table in (won, leads):
        if table is not None and column in table.columns:
            found |= {str(v) for v in table[column].dropna().unique()}
    return sorted(found)


def _stats(values: Sequence[float] | np.ndarray) -> dict[str, float]:
    x = np.asarray(values, dtype=float)
    mean, low, high = mean_ci(x)
    return {"mean": mean, "ci_low": low, "ci_high": high, "n": int(np.sum(~np.isnan(x)))}


def breakdown_table(won_deals: pd.DataFrame, replications: Sequence[int],
                    leads: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bookings, deals, deal value, cycle and win rate by segment and by source.

    Args:
        won_deals: the deals booked of every replication (``replication``,
            ``value``, ``cycle_days``, ``segment``, ``source``); an optional
            ``scenario`` column gives one block per scenario.
        replications: the replications run (a replication with no deal in a
            group counts as zero bookings there, not as missing).
        leads: per-lead records (``replication``, ``outcome``, ``segment``,
            ``source``; optional ``scenario``), for the win rate; ``None``
            leaves it undefined.

    Returns:
        Columns ``[scenario,] dimension`` (``segment`` or ``source``), ``group``,
        ``measure``, ``label``, ``kind``, ``mean``, ``ci_low``, ``ci_high``, ``n``.
    """
    rows: list[dict[str, Any]] = []
    scenarios: list[str | None] = ([str(s) for s in pd.unique(won_deals["scenario"])]
                                   if "scenario" in won_deals.columns else [None])
    reps = list(replications)
    for scenario in scenarios:
        won = won_deals if scenario is None else won_deals[won_deals["scenario"] == scenario]
        records = leads
        if leads is not None and scenario is not None and "scenario" in leads.columns:
            records = leads[leads["scenario"] == scenario]
        total = won.groupby("replication")["value"].sum().reindex(reps, fill_value=0.0)
        for column, _ in DIMENSIONS:
            if column not in won.columns:
                continue
            for group in _groups(won, records, column):
                mine = won[won[column].astype(str) == group]
                by_rep = mine.groupby("replication")
                value = by_rep["value"].sum().reindex(reps, fill_value=0.0)
                count = by_rep["value"].size().reindex(reps, fill_value=0)
                values = {
                    "bookings": value.to_numpy(dtype=float),
                    "bookings_share": np.divide(
                        value.to_numpy(dtype=float), total.to_numpy(dtype=float),
                        out=np.full(len(reps), math.nan), where=total.to_numpy() > 0),
                    "deals": count.to_numpy(dtype=float),
                    "mean_deal_value": by_rep["value"].mean().reindex(reps).to_numpy(
                        dtype=float),
                    "cycle_days_median": by_rep["cycle_days"].median().reindex(reps).to_numpy(
                        dtype=float),
                    "win_rate": _win_rate(records, column, group, reps),
                }
                for measure, label, kind in MEASURES:
                    row = {"dimension": column, "group": group, "measure": measure,
                           "label": label, "kind": kind, **_stats(values[measure])}
                    rows.append(row if scenario is None else {"scenario": scenario, **row})
    columns = ["dimension", "group", "measure", "label", "kind", "mean", "ci_low", "ci_high",
               "n"]
    return pd.DataFrame(rows, columns=(["scenario"] if scenarios != [None] else []) + columns)


def _win_rate(leads: pd.DataFrame | None, column: str, group: str,
              reps: Sequence[int]) -> np.ndarray:
    """Won / (won + lost in the pipeline) among a group's leads, per replication."""
    if leads is None or leads.empty or column not in leads.columns:
        return np.full(len(reps), math.nan)
    mine = leads[leads[column].astype(str) == group]
    outcome = mine["outcome"].astype(str)
    won = (outcome == _WON).groupby(mine["replication"]).sum().reindex(list(reps), fill_value=0)
    lost = (outcome == _LOST_IN_SALES).groupby(mine["replication"]).sum().reindex(
        list(reps), fill_value=0)
    closed = (won + lost).to_numpy(dtype=float)
    rate: np.ndarray = np.divide(won.to_numpy(dtype=float), closed,
                                 out=np.full(len(reps), math.nan), where=closed > 0)
    return rate


def breakdown_wide(table: pd.DataFrame, dimension: str,
                   scenario: str | None = None) -> pd.DataFrame:
    """One dimension as people read it: one row per group, one column per measure (means)."""
    block = table[table["dimension"] == dimension]
    if scenario is not None:
        block = block[block["scenario"] == scenario]
    wide = block.pivot_table(index="group", columns="measure", values="mean", sort=False,
                             dropna=False)
    measures = [m for m, _, _ in MEASURES if m in wide.columns]
    return wide.reindex(columns=measures).reset_index()
