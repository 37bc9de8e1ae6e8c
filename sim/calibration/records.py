"""A simulated company seen through its CRM: per-lead records -> export tables.

The simulator's per-lead records (``simulate(..., record_leads=True).leads``)
know everything; a CRM export knows what happened up to the day it was taken.
:func:`tables_from_records` writes the records as that export, as of a given
day: later events are hidden, exactly as :func:`sim.calibration.tables.censor`
hides them in a company's export.

The owner of a lead or opportunity is the rep who held it last (``rep-007``
for rep 7; after a handover, the rep who took it over), named once a rep took
the lead on by the export day; empty for a lead no rep ever took. What the
records cannot give: for a deal still open when the simulation ended, the
stages it passed after the first (the simulator writes stage times when a deal
closes). Simulating past the export day (``as_of`` before the horizon) gives
those deals their full stage history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.tables import LOST_STAGE, WON_STAGE, CrmTables, with_current_stage

# Outcome names of the per-lead records (sim.results.metrics.lead_records).
_LOST_OUTCOMES = ("never_contacted", "rejected", "cold", "lost_in_sales")
_REASONS = {
    "not_followed_up": "not followed up",
    "expired_waiting": "no rep in time",
    "rejected": "rejected by sales",
    "went_cold": "went cold",
    "bought_elsewhere": "bought elsewhere or no decision",
    "aged_out": "aged out of nurture",
    "unqualified": "unqualified",
    "rep_left": "rep left",
}


def owner_names(reps: np.ndarray, assigned: np.ndarray, as_of: float) -> np.ndarray:
    """Owner names ``rep-007`` of rep indices; ``None``: no rep, or taken on after ``as_of``."""
    known = (np.asarray(reps) >= 0) & (np.asarray(assigned, dtype=float) < as_of)
    return np.array([f"rep-{int(k):03d}" if ok else None
                     for k, ok in zip(np.asarray(reps), known, strict=True)], dtype=object)


def lead_id(numbers: np.ndarray | pd.Series) -> np.ndarray:
    """Identifiers ``L000123`` of lead numbers."""
    return np.array([f"L{int(n):07d}" for n in np.asarray(numbers)], dtype=object)


def opportunity_id(numbers: np.ndarray | pd.Series) -> np.ndarray:
    """Identifiers ``O000123`` of the opportunities of lead numbers."""
    return np.array([f"O{int(n):07d}" for n in np.asarray(numbers)], dtype=object)


def tables_from_records(
    records: pd.DataFrame,
    stage_names: list[str],
    as_of: float,
    origin: pd.Timestamp,
    spend: pd.DataFrame | None = None,
) -> CrmTables:
    """The CRM export of a simulated company, taken on day ``as_of``.

    Args:
        records: per-lead records of one replication (``SimulationResult.leads``).
        stage_names: the scenario's pipeline stages, in order.
        as_of: the day the export is taken (at most the simulation's horizon).
        origin: the calendar date of day 0.
        spend: spend table (see :mod:`sim.calibration.tables`), if any.
    """
    r = records[records["created"] < as_of]
    n_stages = len(stage_names)
    ids = r["lead"].to_numpy()
    outcome = r["outcome"].astype(str).to_numpy()
    closed_time = r["outcome_time"].to_numpy(dtype=float)
    known = closed_time < as_of  # NaN compares False: still in flight
    won = known & (outcome == "won")
    lost = known & np.isin(outcome, _LOST_OUTCOMES)
    status = np.where(won, "won", np.where(lost, "lost", "open"))
    mql = r["mql_time"].to_numpy(dtype=float)
    touch = mql + r["first_response_hours"].to_numpy(dtype=float) / 24.0
    value = r["value"].to_numpy(dtype=float)
    stage_reached = r["stage_reached"].to_numpy()
    reason = r["reason"].astype(str).to_numpy()
    lost_reason = np.array([
        (f"lost at {stage_names[k]}" if why == "lost_at_stage" and 0 <= k < n_stages
         else _REASONS.get(why, why)) if is_lost else None
        for why, k, is_lost in zip(reason, stage_reached, lost, strict=True)
    ], dtype=object)
    leads = pd.DataFrame({
        "lead_id": lead_id(ids),
        "created": r["created"].to_numpy(dtype=float),
        "source": r["source"].astype(str).to_numpy(),
        "segment": r["segment"].astype(str).to_numpy(),
        "mql": np.where(mql < as_of, mql, np.nan),
        "touch": np.where(touch < as_of, touch, np.nan),
        "owner": owner_names(r["rep"].to_numpy(), r["assigned_time"].to_numpy(), as_of),
        "status": status,
        "closed": np.where(known & (won | lost), closed_time, np.nan),
        "amount": np.where(won, value, np.nan),
        "lost_reason": lost_reason,
        "row": np.arange(len(r)) + 2,
    })
    opps, history = _pipeline(r, stage_names, as_of, won, lost)
    return CrmTables(origin=origin, as_of=as_of, leads=leads, opportunities=opps,
                     stage_history=history, spend=spend)


def _pipeline(r: pd.DataFrame, stage_names: list[str], as_of: float, won: np.ndarray,
              lost: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Opportunities (leads qualified by ``as_of``) and the stages they entered by then."""
    sql = r["sql_time"].to_numpy(dtype=float)
    is_opp = sql < as_of
    rows = r[is_opp]
    start = sql[is_opp]
    closed_won, closed_lost = won[is_opp], lost[is_opp]
    status = np.where(closed_won, "won", np.where(closed_lost, "lost", "open"))
    closed = np.where(closed_won | closed_lost, rows["outcome_time"].to_numpy(dtype=float), np.nan)
    # Won deals carry the booked value and their discount; others the expected deal size.
    amount = np.where(closed_won, rows["value"].to_numpy(dtype=float),
                      rows["deal_size"].to_numpy(dtype=float))
    discount = np.where(closed_won, rows["discount"].to_numpy(dtype=float), np.nan)
    opp_ids = opportunity_id(rows["lead"].to_numpy())
    opps = pd.DataFrame({
        "opportunity_id": opp_ids,
        "lead_id": lead_id(rows["lead"].to_numpy()),
        "created": start,
        "stage": None,
        "status": status,
        "closed": closed,
        "amount": amount,
        "discount": discount,
        "owner": owner_names(rows["rep"].to_numpy(), rows["assigned_time"].to_numpy(), as_of),
        "segment": rows["segment"].astype(str).to_numpy(),
        "row": np.arange(len(rows)) + 2,
    })
    # Stage entry times: the first stage at qualification, each next one when the
    # previous ended. The records hold stage days once a deal has closed (at any
    # time, also after as_of); a deal still open at the end of the simulation
    # shows only its first stage.
    days = np.column_stack([rows[f"days_{name}"].to_numpy(dtype=float) for name in stage_names])
    entered = start[:, None] + np.concatenate(
        [np.zeros((len(rows), 1)), np.nancumsum(days, axis=1)[:, :-1]], axis=1)
    reached = np.isfinite(days)
    reached[:, 0] = True
    entered = np.where(reached, entered, np.nan)
    parts = []
    for j, name in enumerate(stage_names):
        keep = entered[:, j] < as_of
        parts.append(pd.DataFrame({"opportunity_id": opp_ids[keep], "stage": name,
                                   "entered": entered[keep, j]}))
    closing = closed_won | closed_lost
    parts.append(pd.DataFrame({
        "opportunity_id": opp_ids[closing],
        "stage": np.where(closed_won[closing], WON_STAGE, LOST_STAGE),
        "entered": closed[closing],
    }))
    history = pd.concat(parts, ignore_index=True).sort_values(
        ["opportunity_id", "entered"], kind="stable", ignore_index=True)
    history["row"] = np.arange(len(history)) + 2
    return with_current_stage(opps, history), history
