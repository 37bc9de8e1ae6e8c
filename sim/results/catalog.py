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
    # Two views of a run (sim.results.metrics): the *cohort* (labels "Cohort: ..."),
    # the leads created during the run followed to the horizon, whose counts conserve
    # leads; and the *window* [0, horizon) (bookings, deals closed, costs), which
    # counts what happened in it whatever the lead's creation, warm-up leads included.
    # Funnel volume: more leads moving through the funnel is the point of it.
    Metric("leads_created", "Cohort: leads created", "count", "leads", +1,
           "Leads created during the run: the cohort the funnel counts follow (warm-up "
           "leads are not in it).",
           "Funnel", 1),
    Metric("mqls", "Cohort: MQLs handed to sales", "count", "leads", +1,
           "Leads of the cohort whose score reached the hand-off threshold and were handed "
           "to sales.",
           "Funnel", 2),
    Metric("sqls", "Cohort: SQLs (qualified)", "count", "leads", +1,
           "Handed-off leads of the cohort a rep reached and qualified at first response.",
           "Funnel", 3),
    Metric("opportunities", "Cohort: opportunities", "count", "leads", +1,
           "Qualified leads of the cohort that reached the second sales stage (deals won "
           "with one stage).",
           "Funnel", 4),
    Metric("deals_won", "Cohort: deals won", "count", "deals", +1,
           "Deals won by the horizon from leads created during the run (see deals_booked "
           "for every deal closed won in the window).",
           "Funnel", 5),
    Metric("deals_lost", "Cohort: deals lost", "count", "deals", -1,
           "Deals of the cohort closed lost at a sales stage (the same count as "
           "lost_in_sales).",
           "Funnel"),
    Metric("deals_booked", "Deals booked", "count", "deals", +1,
           "Deals closed won during the run whatever the lead's creation (warm-up leads "
           "included).",
           "Revenue", 4),
    # Open deals at the horizon: neither won nor lost yet.
    Metric("in_flight_end", "Cohort: still in flight at the end", "count", "leads", 0,
           "Leads of the cohort still in nurture, waiting for a rep or in a sales stage at "
           "the horizon.",
           "Leaks", 5),
    # Leaks: the lost_* metrics partition the cohort's lost leads (each lead in one),
    # so leads_created = deals_won + every lost_* + in_flight_end; their parts are
    # named after the leak they belong to.
    Metric("lost_never_contacted", "Cohort: never contacted", "count", "leads", -1,
           "MQLs of the cohort no rep ever contacted: not followed up, or their window "
           "closed waiting.",
           "Leaks", 1),
    Metric("lost_rejected", "Cohort: rejected by sales", "count", "leads", -1,
           "MQLs of the cohort a rep rejected and that were not recycled to nurture.",
           "Leaks", 2),
    Metric("lost_cold", "Cohort: went cold / unqualified", "count", "leads", -1,
           "Leads of the cohort that went cold, bought elsewhere, aged out in nurture, "
           "or did not qualify (or lost their rep first).",
           "Leaks", 3),
    Metric("lost_in_sales", "Cohort: lost in the pipeline", "count", "leads", -1,
           "Qualified leads of the cohort lost at a sales stage: a competitor, no decision "
           "or a rep who left.",
           "Leaks", 4),
    Metric("never_contacted_not_followed_up", "Cohort: not followed up", "count", "leads", -1,
           "MQLs of the cohort sales chose never to follow up (part of lost_never_contacted).",
           "Leaks"),
    Metric("never_contacted_expired_waiting", "Cohort: window closed waiting", "count",
           "leads", -1,
           "MQLs of the cohort whose buying window closed before a rep was free (part of "
           "lost_never_contacted).",
           "Leaks"),
    Metric("cold_unqualified", "Cohort: unqualified at response", "count", "leads", -1,
           "MQLs of the cohort a rep reached but could not qualify, often for a slow "
           "response (part of lost_cold).",
           "Leaks"),
    # Capacity over time: leads lost when their rep left, across two leaks.
    Metric("rep_left_lost", "Cohort: lost when their rep left", "count", "leads", -1,
           "Leads of the cohort lost when the rep holding them left (part of lost_cold or "
           "lost_in_sales).",
           "Leaks"),
    # A rescue of a rejected lead, but also a sign of rejections.
    Metric("recycled", "Cohort: recycled to nurture", "count", "leads", 0,
           "Rejected leads of the cohort a recycle loop sent back to nurture (each lead "
           "counted once).",
           "Leaks"),
    # Money in: bookings, whatever the lead's creation.
    Metric("revenue", "Bookings, whole horizon", "money", _MONEY, +1,
           "Value of the deals closed won during the run, after discounts, whatever the "
           "lead's creation.",
           "Revenue", 3),
    Metric("revenue_90d", "Bookings, first 90 days", "money", _MONEY, +1,
           "Value of the deals closed won in days 0-90, whatever the lead's creation.",
           "Revenue", 1),
    Metric("revenue_1y", "Bookings, first year", "money", _MONEY, +1,
           "Value of the deals closed won in days 0-365, whatever the lead's creation.",
           "Revenue", 2),
    Metric("cohort_revenue", "Cohort: revenue from new leads", "money", _MONEY, +1,
           "Value won by the horizon from leads created during the run (part of bookings).",
           "Revenue"),
    Metric("win_rate", "Win rate (deals closed)", "percent", _SHARE, +1,
           "Deals won as a share of the deals closed (won or lost in the pipeline) during "
           "the run.",
           "Funnel", 7),
    Metric("lead_to_customer", "Cohort: lead to customer", "percent", _SHARE, +1,
           "Deals won as a share of the leads created, both of the cohort.",
           "Funnel", 6),
    Metric("mean_deal_value", "Mean deal value", "money", _MONEY, +1,
           "Mean value of a deal booked during the run, after its discount.",
           "Revenue", 5),
    Metric("mean_discount", "Mean discount", "percent", _SHARE, -1,
           "Mean discount given on the list value of the deals booked during the run.",
           "Revenue", 6),
    # Pulled deals close at lower odds and deeper discounts.
    Metric("pulled_forward_share", "Deals pulled into a period end", "percent", _SHARE, -1,
           "Share of the deals booked during the run pushed to close before a sales-period "
           "end.",
           "Revenue"),
    # Incentives that cut both ways: effort against quota, trust in marketing's leads.
    Metric("reps_at_quota_share", "Rep periods at quota", "percent", _SHARE, 0,
           "Share of whole sales periods in which a rep booked at least their quota (plans "
           "with a quota only; empty otherwise).",
           "Revenue"),
    Metric("follow_up_rate", "Cohort: MQLs followed up", "percent", _SHARE, +1,
           "Share of the cohort's MQLs sales chose to follow up; falls when sales stops "
           "trusting marketing's leads.",
           "Leaks"),
    Metric("revenue_per_mql", "Cohort: revenue per MQL", "money", _MONEY, +1,
           "Revenue won by the horizon from the cohort's leads (cohort_revenue) per MQL of "
           "the cohort: what an MQL is worth.",
           "Revenue"),
    # Time.
    Metric("cycle_days_median", "Lead to close, median", "days", "days", -1,
           "Median days from a booked deal's lead being created to the deal being won "
           "(deals closed during the run).",
           "Time", 1),
    Metric("cycle_days_mean", "Lead to close, mean", "days", "days", -1,
           "Mean days from a booked deal's lead being created to the deal being won "
           "(deals closed during the run).",
           "Time"),
    Metric("cycle_days_p90", "Lead to close, 90th percentile", "days", "days", -1,
           "Days within which nine deals in ten booked during the run closed, from the "
           "lead's creation.",
           "Time", 2),
    Metric("mql_to_won_days_median", "MQL to close, median", "days", "days", -1,
           "Median days from the hand-off to sales to the deal being won (deals closed "
           "during the run).",
           "Time", 3),
    Metric("first_response_hours_median", "First response, median", "hours", "hours", -1,
           "Median hours from the hand-off to a rep's first response (leads of the cohort).",
           "Time", 4),
    Metric("rep_wait_days_mean", "Wait for a free rep, mean", "days", "days", -1,
           "Mean days an MQL of the cohort waited for a rep with a free slot.",
           "Time", 5),
    # Busy reps are cheap per deal but slow to respond.
    Metric("rep_utilization", "Rep utilisation", "percent", _SHARE, 0,
           "Share of the reps' deal slots in use during the run (warm-up leads' work "
           "included).",
           "Time", 6),
    # Money out, and what is left.
    Metric("marketing_spend", "Marketing spend", "money", _MONEY, -1,
           "Marketing budget spent during the horizon.",
           "Cost and return", 1),
    Metric("content_wasted", "Content spend wasted", "money", _MONEY, -1,
           "Spend on sales content that sales did not use, not finding it relevant "
           "(part of marketing spend).",
           "Cost and return"),
    Metric("marketing_bonus_cost", "Marketing bonuses", "money", _MONEY, -1,
           "Bonuses to marketing per MQL, on pipeline and on bookings, for what happened "
           "during the run.",
           "Cost and return"),
    Metric("commission_cost", "Commission and accelerators", "money", _MONEY, -1,
           "Sales commission on the deals booked during the run, with accelerators on "
           "bookings above quota.",
           "Cost and return"),
    Metric("rep_salary_cost", "Rep salaries", "money", _MONEY, -1,
           "Salaries of the sales reps over the horizon.",
           "Cost and return"),
    Metric("sales_cost", "Sales cost", "money", _MONEY, -1,
           "Rep salaries plus commission.",
           "Cost and return", 2),
    Metric("alignment_cost", "Alignment overhead", "money", _MONEY, -1,
           "Alignment meetings and cross-training, plus a revenue leader's pay or two "
           "heads' friction.",
           "Cost and return"),
    Metric("total_cost", "Total cost", "money", _MONEY, -1,
           "Marketing spend, marketing bonuses, sales cost and alignment overhead.",
           "Cost and return", 4),
    Metric("contribution", "Contribution", "money", _MONEY, +1,
           "Gross margin on bookings minus total cost, both over the run.",
           "Cost and return", 5),
    Metric("roi", "ROI (contribution / cost)", "percent", "ratio", +1,
           "Contribution divided by total cost, both over the run (comparable across "
           "horizons: a quarter's ROI is about a year's).",
           "Cost and return", 6),
    Metric("cost_per_deal", "Sales cost per deal", "money", _MONEY, -1,
           "Sales cost divided by deals booked.",
           "Cost and return", 7),
    Metric("customer_acquisition_cost", "Customer acquisition cost", "money", _MONEY, -1,
           "Total cost divided by deals booked.",
           "Cost and return", 8),
    Metric("sales_cost_share", "Sales cost / bookings", "percent", "ratio", -1,
           "Sales cost divided by bookings.",
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
