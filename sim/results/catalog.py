"""The metric catalog: every metric the model measures, once, with what people need to read it.

Each entry gives the metric's name (the key in the results), a label in plain
words, the unit of its raw value, the kind of number it is (how
:mod:`sim.report.format` writes it), which way is better, a one-sentence
description, and where it stands in the text summary. The metric
computations (:mod:`sim.results.metrics`), the verdicts of comparisons, the
text and HTML reports, the figures and the workshop all read it, so a label
or a direction is changed in one place. Entries are in the order the
computations return them, which is the column order of every results table.

Directions: ``+1`` higher is better (revenue, contribution, deals won, win
rate), ``-1`` lower is better (costs, cycle times, response time, waits,
leads lost), ``0`` neither: a description rather than a goal (rep
utilisation, leads still in flight, leads recycled), whose difference is
reported as "higher" or "lower".

This module is plain Python (no pandas, no NumPy), so anything may import it cheaply.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

# How a number is written for people (see :mod:`sim.report.format`):
# count (leads, deals), money, percent (a share 0-1 shown as %), days, hours,
# number (anything else: an index, a ratio without a unit).
Kind = Literal["count", "money", "percent", "days", "hours", "number"]
KINDS: tuple[Kind, ...] = ("count", "money", "percent", "days", "hours", "number")

# The sections of the text summary, in reading order.
Section = Literal["Funnel", "Leaks", "Revenue", "Time", "Cost and return"]
SECTIONS: tuple[Section, ...] = ("Funnel", "Leaks", "Revenue", "Time", "Cost and return")

# Raw-value units, named once.
_MONEY = "currency units"
_SHARE = "share (0-1)"


@dataclass(frozen=True, slots=True)
class Metric:
    """What one metric means and how people read it.

    Attributes:
        name: the key in the results (``metrics["revenue"]``, a CSV column).
        label: a short name in plain words, unique in the catalog.
        kind: how the number is written (see :data:`KINDS`).
        unit: the unit of the raw value in tables and JSON.
        direction: ``+1`` if higher is better, ``-1`` if lower is better, ``0`` if neither.
        description: one sentence on what is counted or measured.
        section: the part of the text summary the metric belongs to (``None``
            only for the stand-in of a column that is not a metric).
        order: its place within the section in the text summary; ``None`` keeps
            it out of the short summary (it is still in every full table).
    """

    name: str
    label: str
    kind: Kind
    unit: str
    direction: int
    description: str
    section: Section | None
    order: int | None = None


_ENTRIES: tuple[Metric, ...] = (
    # Funnel volume: more leads moving through the funnel is the point of it.
    Metric("leads_created", "Leads created", "count", "leads", +1,
           "Leads created during the horizon (leads of the warm-up only occupy reps).",
           "Funnel", 1),
    Metric("mqls", "MQLs handed to sales", "count", "leads", +1,
           "Leads whose score reached the hand-off threshold and were handed to sales.",
           "Funnel", 2),
    Metric("sqls", "SQLs (qualified)", "count", "leads", +1,
           "Handed-off leads a rep reached and qualified at first response.",
           "Funnel", 3),
    Metric("opportunities", "Opportunities", "count", "leads", +1,
           "Qualified leads that reached the second sales stage (deals won with one stage).",
           "Funnel", 4),
    Metric("deals_won", "Deals won", "count", "deals", +1,
           "Deals closed won during the horizon.",
           "Funnel", 5),
    Metric("deals_lost", "Deals lost", "count", "deals", -1,
           "Deals closed lost at a sales stage (the same count as lost_in_sales).",
           "Funnel"),
    # Open deals at the horizon: neither won nor lost yet.
    Metric("in_flight_end", "Still in flight at the end", "count", "leads", 0,
           "Leads still in nurture, waiting for a rep or in a sales stage at the horizon.",
           "Leaks", 5),
    # Leaks.
    Metric("lost_never_contacted", "Never contacted", "count", "leads", -1,
           "MQLs no rep ever contacted: not followed up, or their window closed waiting.",
           "Leaks", 1),
    Metric("lost_rejected", "Rejected by sales", "count", "leads", -1,
           "MQLs a rep rejected and that were not recycled to nurture.",
           "Leaks", 2),
    Metric("lost_cold", "Went cold / unqualified", "count", "leads", -1,
           "Leads that went cold, bought elsewhere or aged out in nurture, or did not "
           "qualify at first response.",
           "Leaks", 3),
    Metric("lost_in_sales", "Lost in the pipeline", "count", "leads", -1,
           "Qualified leads lost at a sales stage to a competitor or no decision.",
           "Leaks", 4),
    Metric("lost_not_followed_up", "Not followed up", "count", "leads", -1,
           "MQLs sales chose never to follow up (part of never contacted).",
           "Leaks"),
    Metric("lost_expired_waiting", "Window closed waiting for a rep", "count", "leads", -1,
           "MQLs whose buying window closed before a rep was free (part of never contacted).",
           "Leaks"),
    Metric("lost_unqualified", "Not qualified at first response", "count", "leads", -1,
           "MQLs a rep reached but could not qualify, often for a slow response (part of "
           "went cold / unqualified).",
           "Leaks"),
    # A rescue of a rejected lead, but also a sign of rejections.
    Metric("recycled", "Recycled to nurture", "count", "leads", 0,
           "Rejected leads a recycle loop sent back to nurture (each lead counted once).",
           "Leaks"),
    # Money in.
    Metric("revenue", "Revenue, whole horizon", "money", _MONEY, +1,
           "Value of the deals won during the whole horizon, after discounts.",
           "Revenue", 3),
    Metric("revenue_90d", "Revenue, first 90 days", "money", _MONEY, +1,
           "Value of the deals won in the first 90 days.",
           "Revenue", 1),
    Metric("revenue_1y", "Revenue, first year", "money", _MONEY, +1,
           "Value of the deals won in the first 365 days.",
           "Revenue", 2),
    Metric("win_rate", "Win rate (closed deals)", "percent", _SHARE, +1,
           "Deals won as a share of the deals closed, won or lost in the pipeline.",
           "Funnel", 7),
    Metric("lead_to_customer", "Lead to customer", "percent", _SHARE, +1,
           "Deals won as a share of the leads created.",
           "Funnel", 6),
    Metric("mean_deal_value", "Mean deal value", "money", _MONEY, +1,
           "Mean value of a won deal, after its discount.",
           "Revenue", 4),
    Metric("mean_discount", "Mean discount", "percent", _SHARE, -1,
           "Mean discount given on the list value of won deals.",
           "Revenue", 5),
    # Pulled deals close at lower odds and deeper discounts.
    Metric("pulled_forward_share", "Deals pulled into a period end", "percent", _SHARE, -1,
           "Share of won deals pushed to close before a sales-period end.",
           "Revenue"),
    # Time.
    Metric("cycle_days_median", "Lead to close, median", "days", "days", -1,
           "Median days from a won deal's lead being created to the deal being won.",
           "Time", 1),
    Metric("cycle_days_mean", "Lead to close, mean", "days", "days", -1,
           "Mean days from a won deal's lead being created to the deal being won.",
           "Time"),
    Metric("cycle_days_p90", "Lead to close, 90th percentile", "days", "days", -1,
           "Days within which nine won deals in ten closed, from the lead's creation.",
           "Time", 2),
    Metric("mql_to_won_days_median", "MQL to close, median", "days", "days", -1,
           "Median days from the hand-off to sales to the deal being won.",
           "Time", 3),
    Metric("first_response_hours_median", "First response, median", "hours", "hours", -1,
           "Median hours from the hand-off to a rep's first response.",
           "Time", 4),
    Metric("rep_wait_days_mean", "Wait for a free rep, mean", "days", "days", -1,
           "Mean days an MQL waited for a rep with a free slot.",
           "Time", 5),
    # Busy reps are cheap per deal but slow to respond.
    Metric("rep_utilization", "Rep utilisation", "percent", _SHARE, 0,
           "Share of the reps' deal slots in use over the horizon.",
           "Time", 6),
    # Money out, and what is left.
    Metric("marketing_spend", "Marketing spend", "money", _MONEY, -1,
           "Marketing budget spent during the horizon.",
           "Cost and return", 1),
    Metric("marketing_bonus_cost", "Marketing bonuses", "money", _MONEY, -1,
           "Bonuses paid to marketing per MQL, on pipeline or on revenue.",
           "Cost and return"),
    Metric("commission_cost", "Commission and accelerators", "money", _MONEY, -1,
           "Sales commission on won deals, with accelerators above quota.",
           "Cost and return"),
    Metric("rep_salary_cost", "Rep salaries", "money", _MONEY, -1,
           "Salaries of the sales reps over the horizon.",
           "Cost and return"),
    Metric("sales_cost", "Sales cost", "money", _MONEY, -1,
           "Rep salaries plus commission.",
           "Cost and return", 2),
    Metric("alignment_cost", "Alignment overhead", "money", _MONEY, -1,
           "Cost of the alignment stage's meetings and cross-training.",
           "Cost and return"),
    Metric("total_cost", "Total cost", "money", _MONEY, -1,
           "Marketing spend, marketing bonuses, sales cost and alignment overhead.",
           "Cost and return", 4),
    Metric("contribution", "Contribution", "money", _MONEY, +1,
           "Gross margin on revenue minus total cost.",
           "Cost and return", 5),
    Metric("roi", "ROI (contribution / cost)", "percent", "ratio", +1,
           "Contribution divided by total cost.",
           "Cost and return", 6),
    Metric("cost_per_deal", "Sales cost per deal", "money", _MONEY, -1,
           "Sales cost divided by deals won.",
           "Cost and return", 7),
    Metric("customer_acquisition_cost", "Customer acquisition cost", "money", _MONEY, -1,
           "Total cost divided by deals won.",
           "Cost and return", 8),
    Metric("sales_cost_share", "Sales cost / revenue", "percent", "ratio", -1,
           "Sales cost divided by revenue.",
           "Cost and return", 3),
)

CATALOG: Mapping[str, Metric] = MappingProxyType({m.name: m for m in _ENTRIES})
"""Every metric by name, in the order the computations return them (read-only)."""


def names() -> tuple[str, ...]:
    """Every metric's name, in the order of the results tables."""
    return tuple(CATALOG)


def metric(name: str) -> Metric:
    """The catalog entry of a metric.

    Raises:
        KeyError: the name is not a metric (the message suggests a close one).
    """
    try:
        return CATALOG[name]
    except KeyError:
        close = difflib.get_close_matches(name, CATALOG, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"{name!r} is not a metric{hint}") from None


def label(name: str) -> str:
    """A metric's label in plain words (``"Lead to close, median"``)."""
    return metric(name).label


def direction(name: str) -> int:
    """``+1`` if higher is better, ``-1`` if lower is better, ``0`` if neither.

    Raises:
        KeyError: for a name that is not a metric.
    """
    return metric(name).direction


def describe(name: str) -> Metric:
    """The catalog entry, or a plain stand-in for a column that is not a metric.

    Reports show whatever columns they are given; a name outside the catalog
    reads as its words (``"brand_equity"`` -> ``"Brand equity"``), formatted
    as a plain number, with no preferred direction.
    """
    found = CATALOG.get(name)
    if found is not None:
        return found
    return Metric(name, name.replace("_", " ").capitalize(), "number", "", 0, "", None)


def summary_sections() -> tuple[tuple[Section, tuple[Metric, ...]], ...]:
    """The text summary's sections in reading order, each with its metrics in order."""
    out = []
    for section in SECTIONS:
        rows = sorted((m for m in _ENTRIES if m.section == section and m.order is not None),
                      key=lambda m: m.order or 0)
        out.append((section, tuple(rows)))
    return tuple(out)


def metric_json(name: str, values: Mapping[str, float | None]) -> dict[str, Any]:
    """A metric's numbers for JSON output, with the catalog's label and unit beside them.

    Args:
        name: the metric (a name outside the catalog reads as its words).
        values: e.g. ``{"mean": ..., "ci_low": ..., "ci_high": ...}``.
    """
    entry = describe(name)
    return {**values, "label": entry.label, "unit": entry.unit}
