"""Summary statistics of an export, each with its standard error and record count.

The same function measures a company's export and a simulated one, so a
statistic need not be an unbiased estimate of a model parameter: what matters
is that it moves with the parameter and is measured alike on both sides (what
a statistic leaves out, such as deals too recent to have closed, is left out
of both). Statistics are kept on a *working scale* (logit of a share, log of a
duration or an amount) where their sampling error is close to normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.calibration.survival import kaplan_meier, lognormal_regression
from sim.calibration.tables import CLOSING_STAGES, WON_STAGE, CrmTables

# Touches this close to the export day may not have been qualified yet.
QUALIFY_LAG_DAYS = 14.0


@dataclass(frozen=True)
class Stat:
    """One summary statistic.

    Attributes:
        name: its key (``advance:proposal``, ``amount:smb`` ...).
        value: on the natural scale, for people (a share, days, currency).
        work: on the working scale (logit, log), where estimates are updated.
        se: standard error of ``work``.
        count: records it was computed from.
        label: what it measures, for people.
    """

    name: str
    value: float
    work: float
    se: float
    count: int
    label: str


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def dispersion(values: np.ndarray, times: np.ndarray | None, block_days: float = 30.0) -> float:
    """How much more a mean varies than if its records were independent (at least 1).

    Records close in time share the state of the company (reps busy or idle,
    brand equity, the scoring learnt so far), so shares and means over them
    vary more than independent records would. The batch-means estimate groups
    records by ``block_days`` of their time and compares the spread of the
    group means with the independent-records spread.
    """
    if times is None:
        return 1.0
    v = np.asarray(values, dtype=float)
    block = np.floor(np.asarray(times, dtype=float) / block_days).astype(np.int64)
    keep = np.isfinite(v) & (block >= 0)
    v, block = v[keep], block[keep]
    if v.size < 20:
        return 1.0
    _, group = np.unique(block, return_inverse=True)
    sizes = np.bincount(group)
    if sizes.size < 6:
        return 1.0
    means = np.bincount(group, weights=v) / sizes
    overall = v.mean()
    batch = float(np.sum(sizes**2 * (means - overall) ** 2)) / v.size**2 * sizes.size / (
        sizes.size - 1)
    independent = float(np.var(v, ddof=1)) / v.size
    if independent <= 0:
        return 1.0
    return float(np.clip(batch / independent, 1.0, 25.0))


def share_stat(name: str, hits: np.ndarray, label: str,
               times: np.ndarray | None = None) -> Stat | None:
    """A share on the logit scale (``None`` with too few records or a share of 0 or 1).

    Args:
        name: the statistic's key.
        hits: one boolean per record.
        label: what it measures.
        times: each record's time, to allow for records close in time moving together.
    """
    hits = np.asarray(hits, dtype=bool)
    n, k = hits.size, int(hits.sum())
    if n < 10 or k <= 0 or k >= n:
        return None
    p = k / n
    se = math.sqrt(dispersion(hits, times) / (n * p * (1.0 - p)))
    return Stat(name, p, _logit(p), se, n, label)


def _log_mean_stats(name: str, values: np.ndarray, label: str, spread_label: str,
                    times: np.ndarray | None = None) -> list[Stat]:
    """Mean and spread of ``log(values)``: a lognormal's median and sigma."""
    keep = np.isfinite(values) & (values > 0)
    logs = np.log(values[keep])
    n = logs.size
    if n < 10:
        return []
    sd = float(np.std(logs, ddof=1))
    inflate = dispersion(logs, None if times is None else times[keep])
    out = [Stat(name, float(np.exp(logs.mean())), float(logs.mean()),
                sd * math.sqrt(inflate / n), n, label)]
    if sd > 0:
        out.append(Stat(f"{name}:spread", sd, math.log(sd), 1.0 / math.sqrt(2.0 * (n - 1)), n,
                        spread_label))
    return out


def observe(tables: CrmTables, stages: list[str], segments: list[str],
            reference_segment: str | None) -> dict[str, Stat]:
    """Every statistic the export supports.

    Args:
        tables: the export.
        stages: pipeline stage names in order (stage history rows with other
            names are set aside).
        segments: segment names measured separately.
        reference_segment: the segment whose durations the stage durations
            describe; the other segments' durations are measured relative to it.
    """
    out: list[Stat] = []
    out += _funnel(tables)
    out += _pipeline(tables, stages, segments, reference_segment)
    out += _amounts(tables, segments)
    # A statistic the data pin down exactly (a discount with no spread) still gets
    # a little error, so intervals are never empty.
    return {s.name: Stat(s.name, s.value, s.work, max(s.se, 1e-3), s.count, s.label)
            for s in out if s is not None and np.isfinite(s.work)}


def _funnel(tables: CrmTables) -> list[Stat]:
    leads = tables.leads
    out: list[Stat | None] = []
    if tables.has("leads", "mql"):
        mql = leads["mql"].notna()
        out.append(share_stat("mql_share", mql.to_numpy(), "share of leads that became MQLs",
                              leads["created"].to_numpy()))
        if tables.has("leads", "touch"):
            touched = leads.loc[mql, "touch"].notna()
            out.append(share_stat("contact_share", touched.to_numpy(),
                                  "share of MQLs touched by sales",
                                  leads.loc[mql, "mql"].to_numpy()))
    opps = tables.opportunities
    if opps is not None and tables.has("opportunities", "lead_id") and tables.has("leads",
                                                                                 "touch"):
        worked = leads[leads["touch"] < tables.as_of - QUALIFY_LAG_DAYS]
        qualified = worked["lead_id"].isin(set(opps["lead_id"].dropna()))
        out.append(share_stat("qualify_share", qualified.to_numpy(),
                              "share of touched MQLs that became opportunities",
                              worked["touch"].to_numpy()))
    if opps is not None and tables.has("opportunities", "status"):
        closed = opps[opps["status"].isin(("won", "lost"))]
        out.append(share_stat("win_share", (closed["status"] == "won").to_numpy(),
                              "share of closed opportunities won", closed["created"].to_numpy()))
    return [s for s in out if s is not None]


def stage_passages(tables: CrmTables, stages: list[str]) -> pd.DataFrame:
    """One row per stage passage: opportunity, stage, entered, duration, ended, advanced.

    A passage ends when the next stage is entered or the deal closes;
    ``advanced`` is True when what follows is a later stage or a win, False
    for a loss, NaN when the passage has not ended (or goes back a stage).
    """
    history, opps = tables.stage_history, tables.opportunities
    if history is None or opps is None or history.empty:
        return pd.DataFrame(columns=["opportunity_id", "stage", "entered", "duration", "ended",
                                     "advanced", "segment"])
    h = history.sort_values(["opportunity_id", "entered"], kind="stable")
    same_next = h["opportunity_id"].shift(-1) == h["opportunity_id"]
    next_stage = h["stage"].shift(-1).where(same_next)
    next_time = h["entered"].shift(-1).where(same_next)
    position = {name: i for i, name in enumerate(stages)}
    rank = h["stage"].map(position)
    next_rank = next_stage.map(position)
    info = opps.set_index("opportunity_id")
    status = h["opportunity_id"].map(info["status"])
    closed = h["opportunity_id"].map(info["closed"])
    ended_at = next_time.where(next_time.notna(), closed.where(status.isin(("won", "lost"))))
    ended = ended_at.notna()
    advanced = pd.Series(np.nan, index=h.index)
    advanced[(next_rank > rank) | (next_stage == WON_STAGE)] = 1.0
    advanced[next_stage == "closed_lost"] = 0.0
    advanced[next_stage.isna() & ended] = (status[next_stage.isna() & ended] == "won").astype(
        float)
    out = pd.DataFrame({
        "opportunity_id": h["opportunity_id"],
        "stage": h["stage"],
        "entered": h["entered"],
        "duration": np.where(ended, ended_at - h["entered"], tables.as_of - h["entered"]),
        "ended": ended.to_numpy(),
        "advanced": advanced,
        "segment": h["opportunity_id"].map(info["segment"]),
    })
    keep = out["stage"].isin(stages) & ~out["stage"].isin(CLOSING_STAGES)
    return out[keep].reset_index(drop=True)


def _pipeline(tables: CrmTables, stages: list[str], segments: list[str],
              reference: str | None) -> list[Stat]:
    opps = tables.opportunities
    if opps is None:
        return []
    out: list[Stat | None] = []
    passages = stage_passages(tables, stages) if stages else pd.DataFrame()
    if not passages.empty:
        for stage in stages:
            p = passages[(passages["stage"] == stage) & passages["advanced"].notna()]
            out.append(share_stat(f"advance:{stage}", p["advanced"].to_numpy() > 0.5,
                                  f"share of {stage} passages that advanced (or won)",
                                  p["entered"].to_numpy(dtype=float)))
        durations = passages
        units = [s for s in stages if (durations["stage"] == s).sum() >= 10]
    else:
        # No stage history: the pipeline as one stage, from creation to close.
        closed = opps["status"].isin(("won", "lost")) & opps["closed"].notna()
        durations = pd.DataFrame({
            "stage": "pipeline",
            "duration": np.where(closed, opps["closed"] - opps["created"],
                                 tables.as_of - opps["created"]),
            "ended": closed.to_numpy(),
            "segment": opps["segment"],
        })
        units = ["pipeline"] if len(durations) >= 10 else []
    durations = durations[durations["stage"].isin(units)]
    out += _duration_fit(durations, units, segments, reference)
    return [s for s in out if s is not None]


def _duration_fit(passages: pd.DataFrame, units: list[str], segments: list[str],
                  reference: str | None) -> list[Stat]:
    """Censored lognormal fit: a log-duration per stage, a log-multiplier per segment."""
    if not units or int(passages["ended"].sum()) < 10:
        return []
    ref_ok = reference is not None and int((passages["segment"] == reference).sum()) >= 10
    others = [s for s in segments if ref_ok and s != reference
              and int(((passages["segment"] == s) & passages["ended"]).sum()) >= 10]
    if ref_ok:
        passages = passages[passages["segment"].isin([reference, *others])]
    design = np.column_stack(
        [(passages["stage"] == u).to_numpy(dtype=float) for u in units]
        + [(passages["segment"] == s).to_numpy(dtype=float) for s in others])
    try:
        fit = lognormal_regression(passages["duration"].to_numpy(dtype=float),
                                   passages["ended"].to_numpy(dtype=bool), design)
    except ValueError:
        return []
    out = []
    for i, unit in enumerate(units):
        n = int((passages["stage"] == unit).sum())
        out.append(Stat(f"duration:{unit}", float(np.exp(fit.beta[i])), float(fit.beta[i]),
                        float(fit.beta_se[i]), n,
                        f"median days in {unit} (censored lognormal fit)"))
    for j, segment in enumerate(others):
        i = len(units) + j
        n = int((passages["segment"] == segment).sum())
        out.append(Stat(f"cycle:{segment}", float(np.exp(fit.beta[i])), float(fit.beta[i]),
                        float(fit.beta_se[i]), n,
                        f"{segment} stage durations relative to {reference}"))
    out.append(Stat("duration:spread", float(np.exp(fit.log_sigma)), fit.log_sigma,
                    fit.log_sigma_se, fit.n, "spread of stage durations (sd of log days)"))
    return out


def _amounts(tables: CrmTables, segments: list[str]) -> list[Stat]:
    """Deal sizes by segment: all opportunity amounts, else won leads' amounts."""
    opps = tables.opportunities
    if opps is not None and tables.has("opportunities", "amount"):
        frame = opps[["segment", "amount"]]
        where = "opportunity amounts"
    elif tables.has("leads", "amount"):
        frame = tables.leads.loc[tables.leads["status"] == "won", ["segment", "amount"]]
        where = "won amounts"
    else:
        return []
    out: list[Stat] = []
    for segment in segments:
        values = frame.loc[frame["segment"] == segment, "amount"].to_numpy(dtype=float)
        out += _log_mean_stats(f"amount:{segment}", values,
                               f"{segment} {where} (geometric mean)",
                               f"{segment} spread of {where} (sd of log)")
    if opps is not None and tables.has("opportunities", "discount"):
        d = opps.loc[opps["status"] == "won", "discount"].to_numpy(dtype=float)
        d = d[np.isfinite(d)]
        if d.size >= 10 and d.mean() > 0:
            m = float(d.mean())
            out.append(Stat("discount", m, math.log(m),
                            float(np.std(d, ddof=1)) / (m * math.sqrt(d.size)), int(d.size),
                            "mean discount of won deals"))
    return out


# -- descriptive statistics (reported, not fitted) -----------------------------------


def describe(tables: CrmTables, period_end_days: float = 15.0) -> dict[str, float]:
    """Figures for the fit report: conversion, cycle quantiles, closes near period ends.

    Keys: ``leads_per_day``, ``lead_to_won``, ``win_share``, ``won_cycle_p25``,
    ``won_cycle_p50``, ``won_cycle_p75`` (days from lead creation to win),
    ``pipeline_km_median`` (days from opportunity to close, Kaplan-Meier with
    open deals censored), ``open_opportunities``, ``open_pipeline_amount``,
    ``period_end_share`` (wins in the last ``period_end_days`` of a calendar
    quarter) and ``period_end_uniform`` (that share if closes were even).
    """
    leads = tables.leads
    out: dict[str, float] = {"leads_per_day": len(leads) / tables.as_of}
    won = leads[leads["status"] == "won"]
    if leads["status"].notna().any():
        out["lead_to_won"] = len(won) / len(leads)
        cycle = (won["closed"] - won["created"]).dropna().to_numpy(dtype=float)
        if cycle.size:
            for q in (25, 50, 75):
                out[f"won_cycle_p{q}"] = float(np.percentile(cycle, q))
    opps = tables.opportunities
    if opps is not None and opps["status"].notna().any():
        closed = opps["status"].isin(("won", "lost")) & opps["closed"].notna()
        n_closed = int(closed.sum())
        if n_closed:
            out["win_share"] = float((opps["status"] == "won").sum() / n_closed)
        km = kaplan_meier(
            np.where(closed, opps["closed"] - opps["created"], tables.as_of - opps["created"]),
            closed.to_numpy())
        out["pipeline_km_median"] = km.quantile(0.5)
        is_open = opps["status"] == "open"
        out["open_opportunities"] = float(is_open.sum())
        out["open_pipeline_amount"] = float(opps.loc[is_open, "amount"].sum())
        closes = opps.loc[opps["status"] == "won", "closed"].dropna().to_numpy(dtype=float)
    else:
        closes = won["closed"].dropna().to_numpy(dtype=float)
    if closes.size:
        stamps = tables.origin + pd.to_timedelta(closes, unit="D")
        quarter_end = (stamps.to_period("Q") + 1).start_time
        late = (quarter_end - stamps) / pd.Timedelta(days=1) <= period_end_days
        out["period_end_share"] = float(np.mean(late))
        out["period_end_uniform"] = period_end_days / (365.25 / 4)
    return out
