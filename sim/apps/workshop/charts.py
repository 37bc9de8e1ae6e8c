"""The app's charts: tidy tables in, Vega-Lite charts (Altair) out.

The tables come from :mod:`sim.apps.workshop.logic` and :mod:`sim.apps.workshop.game`.
The browser draws them, so they stay sharp on any projector and resize with the
window; fonts are large enough to read from the back of a room. Colours are the
report's colour-blind-safe palette (Okabe & Ito), baseline blue, yours orange.
The HTML export draws the same tables with the report's matplotlib figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from sim.apps.workshop.logic import BASELINE_LABEL, YOURS_LABEL
from sim.report.figures import OKABE_ITO
from sim.report.format import fmt

FONT = 16
TITLE_FONT = 19
HEIGHT = 320

# Any Altair chart: configuring one returns a chart of the same kind.
ChartT = TypeVar("ChartT", bound=alt.TopLevelMixin)


def _big(chart: ChartT) -> ChartT:
    """Room-sized fonts, the legend on top, no chart border."""
    # Altair's configure_* methods return Self, but their decorator hides it from mypy.
    configured: ChartT = (
        chart
        .configure_axis(labelFontSize=FONT, titleFontSize=FONT, labelLimit=320)
        .configure_legend(labelFontSize=FONT, titleFontSize=FONT, orient="top",
                          symbolSize=220, labelLimit=400)
        .configure_title(fontSize=TITLE_FONT, anchor="start", offset=10)
        .configure_view(strokeWidth=0))
    return configured


def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """A chart's Vega-Lite spec for the page.

    Not validated against the Vega-Lite schema: the charts here are fixed and
    tested (:func:`altair.TopLevelMixin.to_dict` validates them in the tests), and
    validation is most of the time it takes to draw a comparison.
    """
    out: dict[str, Any] = chart.to_dict(validate=False)
    return out


def _colours(names: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=list(names), range=[OKABE_ITO[i % len(OKABE_ITO)]
                                                for i in range(len(names))])


def _order(df: pd.DataFrame, column: str = "scenario") -> list[str]:
    names = [str(n) for n in pd.unique(df[column])]
    preferred = [n for n in (BASELINE_LABEL, YOURS_LABEL) if n in names]
    return preferred + [n for n in names if n not in preferred]


def revenue_chart(cumulative: pd.DataFrame, title: str = "Revenue booked since day 0",
                  markers: Sequence[tuple[float, str]] = ()) -> alt.LayerChart:
    """Cumulative revenue by week: a line per plan (or team) and its 95% CI band.

    Args:
        cumulative: :func:`sim.report.tables.cumulative_bookings` output with ``scenario``.
        title: the chart's title.
        markers: (day, label) vertical rules, e.g. the end of each round.
    """
    names = _order(cumulative)
    # The band gets its own field: sharing the line's would merge (and hide) the legend.
    data = cumulative.assign(band=cumulative["scenario"],
                             revenue_text=[fmt(v, "money") for v in cumulative["mean"]])
    base = alt.Chart(data).encode(
        x=alt.X("day:Q", title="days from day 0", scale=alt.Scale(nice=False),
                axis=alt.Axis(tickCount=6)))
    band = base.mark_area(opacity=0.18).encode(
        y=alt.Y("ci_low:Q"), y2="ci_high:Q",
        fill=alt.Fill("band:N", scale=_colours(names), legend=None))
    line = base.mark_line(strokeWidth=4).encode(
        y=alt.Y("mean:Q", title="revenue booked", axis=alt.Axis(format="~s")),
        color=alt.Color("scenario:N", scale=_colours(names), title=None,
                        legend=alt.Legend(symbolType="stroke", symbolStrokeWidth=5)),
        tooltip=[alt.Tooltip("scenario:N", title="plan"), alt.Tooltip("day:Q", format=".0f"),
                 alt.Tooltip("revenue_text:N", title="revenue")])
    layers = [band, line]
    if markers:
        rules = pd.DataFrame({"day": [d for d, _ in markers], "label": [t for _, t in markers]})
        rule = alt.Chart(rules).mark_rule(strokeDash=[6, 4], color="#666666").encode(x="day:Q")
        text = alt.Chart(rules).mark_text(align="left", dx=4, dy=-6, fontSize=FONT - 2,
                                          color="#666666", baseline="top").encode(
            x="day:Q", y=alt.value(0), text="label:N")
        layers += [rule, text]
    return _big(alt.LayerChart(layer=layers).properties(title=title, height=HEIGHT,
                                                        width="container"))


def _funnel_long(funnel: pd.DataFrame) -> pd.DataFrame:
    short = {"leads_created": "Leads", "mqls": "MQLs", "sqls": "SQLs",
             "opportunities": "Opportunities", "deals_won": "Won"}
    rows = []
    for scenario, block in funnel.groupby("scenario", sort=False):
        stages = block[block["part"] == "stage"].reset_index(drop=True)
        for i in range(1, len(stages)):
            a, b = stages.iloc[i - 1], stages.iloc[i]
            rows.append({"scenario": scenario, "chart": "step",
                         "step": f"{short.get(a['metric'], a['label'])} → "
                                 f"{short.get(b['metric'], b['label'])}",
                         "share": b["conversion"],
                         "text": f"{fmt(b['conversion'], 'percent')}  "
                                 f"({fmt(b['mean'], 'count')})"})
        for _, leak in block[block["part"] == "leak"].iterrows():
            rows.append({"scenario": scenario, "chart": "leak", "step": leak["label"],
                         "share": leak["share_of_leads"],
                         "text": f"{fmt(leak['share_of_leads'], 'percent')}  "
                                 f"({fmt(leak['mean'], 'count')})"})
    return pd.DataFrame(rows)


def funnel_charts(funnel: pd.DataFrame) -> tuple[alt.LayerChart, alt.LayerChart]:
    """The funnel (conversion at each step) and its leaks (share of all leads), per plan.

    Args:
        funnel: :func:`sim.report.tables.funnel_table` output with ``scenario``.

    Returns:
        (steps chart, leaks chart); bar labels give the share and the leads per replication.
    """
    long = _funnel_long(funnel)
    names = _order(long)
    out = []
    for part, title, axis in (("step", "The funnel: share passing each step",
                               "share of the previous stage"),
                              ("leak", "Where leads leak", "share of all leads")):
        data = long[long["chart"] == part]
        order = list(pd.unique(data["step"]))
        enc = {
            "y": alt.Y("step:N", sort=order, title=None),
            "yOffset": alt.YOffset("scenario:N", sort=names),
            "x": alt.X("share:Q", title=axis, axis=alt.Axis(format="%"),
                       scale=alt.Scale(domain=[0, min(1.0, float(data["share"].max()) * 1.45)])),
        }
        bars = alt.Chart(data).mark_bar(height={"band": 0.9}).encode(
            color=alt.Color("scenario:N", scale=_colours(names), title=None), **enc)
        labels = alt.Chart(data).mark_text(align="left", dx=5, fontSize=FONT - 1).encode(
            text="text:N", **enc)
        height = max(HEIGHT, 34 * len(order) * len(names))
        out.append(_big(alt.LayerChart(layer=[bars, labels]).properties(
            title=title, height=height, width="container")))
    return out[0], out[1]


def cycle_chart(cycles: pd.DataFrame) -> alt.LayerChart:
    """Cycle times in days per plan (:func:`sim.apps.workshop.logic.cycle_rows`)."""
    names = _order(cycles)
    data = cycles.assign(text=[fmt(v, "days") for v in cycles["mean"]])
    order = list(pd.unique(data["measure"]))
    enc = {"y": alt.Y("measure:N", sort=order, title=None),
           "yOffset": alt.YOffset("scenario:N", sort=names),
           "x": alt.X("mean:Q", title="days (mean over replications)",
                      scale=alt.Scale(domain=[0, float(data["mean"].max()) * 1.25]))}
    bars = alt.Chart(data).mark_bar(height={"band": 0.9}).encode(
        color=alt.Color("scenario:N", scale=_colours(names), title=None), **enc)
    labels = alt.Chart(data).mark_text(align="left", dx=5, fontSize=FONT).encode(
        text="text:N", **enc)
    return _big(alt.LayerChart(layer=[bars, labels]).properties(
        title="Cycle time: lead to closed deal", height=HEIGHT, width="container"))


def standings_chart(standings: pd.DataFrame) -> alt.Chart:
    """Contribution to date of each team after each round (:meth:`Game.standings`)."""
    names = [str(n) for n in pd.unique(standings["team"])]
    standings = standings.assign(
        contribution_text=[fmt(v, "money") for v in standings["contribution_to_date"]])
    line = alt.Chart(standings).mark_line(point=alt.OverlayMarkDef(size=160), strokeWidth=4)
    chart: alt.Chart = line.encode(
        x=alt.X("round:O", title="after round", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("contribution_to_date:Q", title="contribution to date",
                axis=alt.Axis(format="~s")),
        color=alt.Color("team:N", scale=_colours(names), title=None),
        tooltip=["team", "round", alt.Tooltip("contribution_text:N", title="contribution to date")])
    return _big(chart.properties(title="Standings: contribution to date", height=HEIGHT,
                                 width="container"))


def equity_chart(equity: pd.DataFrame, markers: Sequence[tuple[float, str]] = ()
                 ) -> alt.LayerChart:
    """Brand equity (0-1) of each team by week (:func:`sim.apps.workshop.game.brand_equity`)."""
    names = [str(n) for n in pd.unique(equity["team"])]
    line = alt.Chart(equity).mark_line(strokeWidth=4).encode(
        x=alt.X("day:Q", title="days from day 0", scale=alt.Scale(nice=False),
                axis=alt.Axis(tickCount=6)),
        y=alt.Y("brand_equity:Q", title="brand equity (0-1)", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("team:N", scale=_colours(names), title=None))
    layers = [line]
    if markers:
        rules = pd.DataFrame({"day": [d for d, _ in markers]})
        layers.append(alt.Chart(rules).mark_rule(strokeDash=[6, 4], color="#666666")
                      .encode(x="day:Q"))
    return _big(alt.LayerChart(layer=layers).properties(
        title="Brand equity: what a brand cut costs later", height=HEIGHT, width="container"))


# Parts that add to the gap, parts that take from it, and the gap itself.
ATTRIBUTION_COLOURS = {"adds": "#009E73", "takes": "#D55E00", "total": "#0072B2"}


def attribution_chart(table: pd.DataFrame, title: str) -> alt.LayerChart:
    """The gap between two teams by lever: each lever's part, then the total.

    Args:
        table: :meth:`sim.apps.workshop.attribution.Attribution.table` (its
            ``total`` row last); whiskers are the 95% CIs over replications.
        title: the chart's title.
    """
    kinds = ["total" if lever == "total" else "adds" if mean >= 0 else "takes"
             for lever, mean in zip(table["lever"], table["mean"], strict=True)]
    data = table.assign(kind=kinds, text=[fmt(v, "money", signed=True) for v in table["mean"]],
                        label=[str(x) for x in table["label"]])
    y = alt.Y("label:N", sort=list(data["label"]), title=None)
    scale = alt.Scale(domain=list(ATTRIBUTION_COLOURS), range=list(ATTRIBUTION_COLOURS.values()))
    bars = alt.Chart(data).mark_bar(height={"band": 0.7}).encode(
        y=y, x=alt.X("mean:Q", title="contribution, first team minus second",
                     axis=alt.Axis(format="~s")),
        color=alt.Color("kind:N", scale=scale, legend=None),
        tooltip=[alt.Tooltip("label:N", title="lever"), alt.Tooltip("text:N", title="part")])
    whiskers = alt.Chart(data).mark_rule(strokeWidth=2, color="#333333").encode(
        y=y, x="ci_low:Q", x2="ci_high:Q")
    labels = alt.Chart(data).mark_text(align="left", dx=6, fontSize=FONT).encode(
        y=y, x="ci_high:Q", text="text:N")
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#666666").encode(x="x:Q")
    height = max(220, 70 * len(data))
    return _big(alt.LayerChart(layer=[bars, whiskers, labels, zero]).properties(
        title=title, height=height, width="container"))
