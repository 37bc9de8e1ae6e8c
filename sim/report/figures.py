"""The report's figures: pure functions from tidy tables to matplotlib Figures.

Only the object-oriented API is used (``Figure`` with an Agg canvas), never
pyplot's global state, so figures are drawn without a display, from any
thread, and nothing opens a window. One colour-blind-safe palette
(Okabe & Ito 2008) and one style serve every figure; every axis says its unit.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any, ParamSpec

import matplotlib as mpl
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.rcsetup import cycler
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    MultipleLocator,
    NullLocator,
)

from sim.report.format import fmt, fmt_param, fmt_tick
from sim.report.tables import WEEKLY_SERIES, stage_columns
from sim.results.catalog import Kind, describe

# Okabe & Ito's palette, distinguishable with every common colour-vision
# deficiency; black last, for marks that must stand out.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)
GREY = "#666666"
# Sequential map for heat maps, designed for colour-vision deficiencies.
HEATMAP_CMAP = "cividis"
CURRENCY = "currency units"

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "figure.titlesize": 14,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    # Titles at the top of their axes. No axis puts its ticks or label above it, so
    # matplotlib's search for them (each title measured every axis of its figure
    # again) never moved a title: the same pixels, up to a sixth less drawing.
    "axes.titley": 1.0,
    "axes.prop_cycle": cycler(color=OKABE_ITO),
    "lines.linewidth": 1.8,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    # Text stays text in SVG: smaller files, and the labels can be searched and copied.
    "svg.fonttype": "none",
    "svg.hashsalt": "leadflow",  # identical figures give identical SVG files
}

P = ParamSpec("P")


def styled(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Draw the figure under the report's style (a scoped rc context, no global change)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with mpl.rc_context(STYLE):
            fig = fn(*args, **kwargs)
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                # No minor ticks to weed out where they coincide with major ones:
                # matplotlib would run the major locator a second time at every one of
                # the dozen tick updates a drawing makes. The same pixels.
                if isinstance(axis.get_minor_locator(), NullLocator):
                    axis.remove_overlapping_locs = False
        return fig

    return wrapper


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1,
               **kwargs: Any) -> tuple[Figure, np.ndarray]:
    """A figure (inches) with an Agg canvas and a 2-D array of axes.

    Keyword arguments go to :meth:`Figure.subplots` (``sharex``, ``width_ratios``...).
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, axes


def render(fig: Figure, file_format: str, dpi: int = 144, png_compression: int = 6) -> bytes:
    """The figure as PNG or SVG bytes (``file_format`` ``"png"`` or ``"svg"``), in style.

    Args:
        fig: the figure.
        file_format: ``"png"`` or ``"svg"``.
        dpi: the PNG's resolution.
        png_compression: zlib level of a PNG, 0 (none) to 9 (smallest, slowest).
    """
    buf = io.BytesIO()
    extra: dict[str, Any] = {}
    if file_format == "png":
        extra["pil_kwargs"] = {"compress_level": png_compression}
        if isinstance(fig.canvas, FigureCanvasAgg):
            _print_png(fig, buf, dpi, extra["pil_kwargs"])
            return buf.getvalue()
    with mpl.rc_context(STYLE):
        fig.savefig(buf, format=file_format, dpi=dpi, metadata=_metadata(file_format), **extra)
    return buf.getvalue()


def _print_png(fig: Figure, buf: io.BytesIO, dpi: int, pil_kwargs: dict[str, Any]) -> None:
    """Write the pixels ``savefig`` writes, in one drawing instead of two.

    With a layout engine, ``savefig`` draws the figure twice: once without
    output to solve the layout, once for the pixels. The canvas's own drawing
    solves the layout as it starts and draws in the same pass: the same pixels
    (``tests/unit/test_report_figures.py``), a fifth less time. An opaque
    figure is written without its alpha channel (all 255): files 12-15 %
    smaller, faster to compress. The figure's resolution and background are
    ``savefig``'s, and restored after.
    """
    dpi_before, face_before = fig.get_dpi(), fig.get_facecolor()
    try:
        with mpl.rc_context(STYLE):
            fig.set_dpi(dpi)
            fig.set_facecolor(mpl.rcParams["savefig.facecolor"])
            canvas = fig.canvas
            assert isinstance(canvas, FigureCanvasAgg)
            canvas.draw()  # type: ignore[no-untyped-call]
            pixels = np.asarray(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
            image = PIL.Image.fromarray(pixels)
            if pixels[..., 3].min() == 255:  # opaque (every report figure): no alpha channel
                image = image.convert("RGB")
            image.save(buf, format="png", dpi=(dpi, dpi), **pil_kwargs)
    finally:
        fig.set_dpi(dpi_before)
        fig.set_facecolor(face_before)


def _metadata(file_format: str) -> dict[str, Any]:
    # No creation date in the files: the same data gives byte-identical figures.
    if file_format == "svg":
        return {"Date": None}
    if file_format == "png":
        return {"Software": None}
    return {}


def color(i: int) -> str:
    """The i-th palette colour (cycles)."""
    return OKABE_ITO[i % len(OKABE_ITO)]


# --- number formats -----------------------------------------------------------------


def unit(kind: Kind | str) -> str:
    """The unit named in an axis label."""
    return {"money": CURRENCY, "percent": "%", "count": "count", "days": "days",
            "hours": "hours"}.get(kind, "index 0-1")


def axis_format(axis: Any, kind: Kind | str) -> None:
    """Ticks formatted for people on one axis (``ax.xaxis`` or ``ax.yaxis``)."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: fmt_tick(v, kind)))


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _scenarios(df: pd.DataFrame) -> list[str | None]:
    return [str(s) for s in pd.unique(df["scenario"])] if "scenario" in df.columns else [None]


def _of(df: pd.DataFrame, scenario: str | None) -> pd.DataFrame:
    return df if scenario is None else df[df["scenario"] == scenario]


def _ci_err(df: pd.DataFrame, low: str = "ci_low",
            high: str = "ci_high") -> np.ndarray | None:
    """Error-bar half-widths from interval columns (0 where the interval is undefined).

    ``None`` (no error bars) when no interval is defined, as with one replication:
    a bar of zero width would read as a certainty.
    """
    lows, highs = df[low].to_numpy(dtype=float), df[high].to_numpy(dtype=float)
    if np.isnan(lows).all() and np.isnan(highs).all():
        return None
    mean = df["mean"].to_numpy(dtype=float)
    lo = np.nan_to_num(mean - lows)
    hi = np.nan_to_num(highs - mean)
    return np.vstack([np.maximum(lo, 0), np.maximum(hi, 0)])


# --- funnel -------------------------------------------------------------------------


# Short stage names for conversion labels ("MQLs → SQLs").
_STAGE_SHORT = {"leads_created": "Leads", "mqls": "MQLs", "sqls": "SQLs",
                "opportunities": "Opportunities", "deals_won": "Won"}


@styled
def funnel_figure(funnel: pd.DataFrame) -> Figure:
    """The funnel and its leaks.

    One scenario: the stages drawn as a funnel (bar width = volume) with the
    conversion from the previous stage, and the leaks in leads with 95% CIs.
    Several scenarios: volumes differ by orders of magnitude along a funnel,
    so the comparison is drawn where it is readable, as grouped bars of the
    conversion at each step and of each leak's share of leads.

    Args:
        funnel: :func:`sim.report.tables.funnel_table` output.
    """
    scenarios = _scenarios(funnel)
    if len(scenarios) > 1:
        return _funnel_comparison(funnel, scenarios)
    stages = funnel[funnel["part"] == "stage"]
    leaks = funnel[funnel["part"] == "leak"]
    labels = list(stages["label"])
    fig, axes = new_figure(12, max(4.2, 0.55 * len(labels) + 1.6), 1, 2,
                           width_ratios=[1.25, 1])
    ax, ax_leak = axes[0]
    y = np.arange(len(labels))
    rows = stages.set_index("label").loc[labels]
    top = float(rows["mean"].max())
    widths = rows["mean"].to_numpy(dtype=float)
    ax.barh(y, widths, left=-widths / 2, color=color(0), height=0.72)
    for yi, (_, row) in zip(y, rows.iterrows(), strict=True):
        text = fmt(row["mean"], "count")
        if not math.isnan(row["conversion"]):
            text += (f"\n{fmt(row['share_of_leads'], 'percent')} of leads · "
                     f"{fmt(row['conversion'], 'percent')} of previous")
        ax.text(max(row["mean"] / 2, 0.02 * top) + 0.02 * top, yi, text, va="center",
                fontsize=9.5)
    ax.set_xlim(-top / 2 * 1.02, top / 2 * 2.5)  # room for the labels
    ax.set_xticks([])
    ax.grid(False)
    ax.spines[["bottom", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_xlabel("width: leads per replication (mean)")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_title("Funnel: volume at each stage")

    leak_rows = leaks.set_index("label")
    yl = np.arange(len(leak_rows))
    ax_leak.barh(yl, leak_rows["mean"], height=0.72, color=color(3), xerr=_ci_err(leak_rows),
                 error_kw={"elinewidth": 1, "ecolor": GREY})
    for p, (_, row) in zip(yl, leak_rows.iterrows(), strict=True):
        text = f"  {fmt(row['mean'], 'count')} ({fmt(row['share_of_leads'], 'percent')})"
        ax_leak.text(row["mean"], p, text, va="center", fontsize=9.5)
    ax_leak.set_xlim(0, float(leaks["mean"].max()) * 1.45)
    ax_leak.set_yticks(yl, list(leak_rows.index))
    ax_leak.invert_yaxis()
    ax_leak.set_xlabel("leads per replication (mean, 95% CI)")
    axis_format(ax_leak.xaxis, "count")
    ax_leak.set_title("Where leads leak (share of leads)")
    return fig


def _funnel_comparison(funnel: pd.DataFrame, scenarios: list[str | None]) -> Figure:
    stages = funnel[funnel["part"] == "stage"]
    leaks = funnel[funnel["part"] == "leak"]
    order = list(pd.unique(stages["metric"]))
    steps = list(itertools.pairwise(order))
    step_labels = [f"{_STAGE_SHORT.get(a, a)} → {_STAGE_SHORT.get(b, b)}" for a, b in steps]
    step_labels.append("Lead → won (overall)")
    leak_labels = list(pd.unique(leaks["label"]))
    n = len(scenarios)
    rows_needed = max(len(step_labels), len(leak_labels))
    fig, axes = new_figure(12, max(4.2, 0.24 * n * rows_needed + 1.8), 1, 2)
    ax, ax_leak = axes[0]
    h = 0.8 / n
    for i, sc in enumerate(scenarios):
        s = _of(stages, sc).set_index("metric")
        values = [float(s.loc[b, "conversion"]) for _, b in steps]
        values.append(float(s.loc[order[-1], "share_of_leads"]))
        _bars(ax, np.arange(len(values)) - 0.4 + h * (i + 0.5), values, h, i, str(sc))
        lk = _of(leaks, sc).set_index("label").reindex(leak_labels)
        _bars(ax_leak, np.arange(len(leak_labels)) - 0.4 + h * (i + 0.5),
              lk["share_of_leads"].to_numpy(dtype=float), h, i, str(sc))
    for a, labels, title in ((ax, step_labels, "Conversion at each step"),
                             (ax_leak, leak_labels, "Where leads leak")):
        a.set_yticks(np.arange(len(labels)), labels)
        a.invert_yaxis()
        axis_format(a.xaxis, "percent")
        a.set_xlim(0, 1.0 if a is ax else None)
        a.margins(x=0.12)
        a.set_title(title)
    ax.set_xlabel("share passing from the previous stage (mean over replications)")
    ax_leak.set_xlabel("share of all leads (mean over replications)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=min(n, 6))
    return fig


def _bars(ax: Axes, pos: np.ndarray, values: Sequence[float] | np.ndarray, height: float,
          i: int, label: str) -> None:
    bars = ax.barh(pos, values, height=height * 0.92, color=color(i), label=label)
    ax.bar_label(bars, [fmt(v, "percent") for v in values], padding=3, fontsize=8.5)


# --- horizons -----------------------------------------------------------------------


@styled
def horizon_figure(horizons: pd.DataFrame) -> Figure:
    """Each measure over the first 90 days, first year and whole horizon, side by side.

    Args:
        horizons: :func:`sim.report.tables.horizon_table` output.
    """
    scenarios = _scenarios(horizons)
    measures = list(pd.unique(horizons["measure"]))
    windows = list(pd.unique(horizons["window"]))
    fig, axes = new_figure(min(2.75 * len(measures) + 0.6, 12.0), 4.4, 1, len(measures))
    n = len(scenarios)
    width = 0.8 / n
    x = np.arange(len(windows))
    for ax, measure in zip(axes[0], measures, strict=True):
        block = horizons[horizons["measure"] == measure]
        kind = str(block["kind"].iloc[0])
        for i, sc in enumerate(scenarios):
            rows = _of(block, sc).set_index("window").reindex(windows)
            pos = x - 0.4 + width * (i + 0.5)
            bars = ax.bar(pos, rows["mean"], width=width * 0.92, color=color(i), label=sc,
                          yerr=_ci_err(rows), error_kw={"elinewidth": 1, "ecolor": GREY,
                                                        "capsize": 3})
            if n == 1:  # side by side, two scenarios' labels would run into each other
                ax.bar_label(bars, [fmt_tick(v, kind) for v in rows["mean"]],
                             padding=6, fontsize=9)
        ax.set_xticks(x, [window_tick(w) for w in windows])
        ax.set_title(_wrap(str(block["label"].iloc[0]), 24), fontsize=11.5)
        ax.set_ylabel(unit(kind))
        axis_format(ax.yaxis, kind)
        ax.margins(y=0.15)
        ax.grid(axis="x", visible=False)
    if n > 1:
        fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(n, 6))
    fig.suptitle("Short term vs long term: mean with 95% CI over replications", x=0.01,
                 ha="left")
    return fig


def window_tick(label: str) -> str:
    """A window's axis label on two short lines, so three fit side by side.

    ``First 90 days`` reads ``first`` over ``90 days``; ``Whole horizon (3 years)``
    reads ``whole`` over ``3 years``.
    """
    if label.startswith("Whole horizon (") and label.endswith(")"):
        return "whole\n" + label.removeprefix("Whole horizon (").removesuffix(")")
    first, _, rest = label.partition(" ")
    return f"{first.lower()}\n{rest}" if rest else label


@styled
def cumulative_figure(cumulative: pd.DataFrame, markers: Sequence[tuple[float, str]] = ()
                      ) -> Figure:
    """Cumulative revenue booked over time, with the 95% CI band of the mean.

    Args:
        cumulative: :func:`sim.report.tables.cumulative_bookings` output.
        markers: (day, label) vertical lines, e.g. the 90-day and one-year marks.
    """
    fig, axes = new_figure(11, 4.2)
    ax = axes[0, 0]
    for i, sc in enumerate(_scenarios(cumulative)):
        rows = _of(cumulative, sc)
        ax.plot(rows["day"], rows["mean"], color=color(i), label=sc or "mean")
        ax.fill_between(rows["day"], rows["ci_low"], rows["ci_high"], color=color(i),
                        alpha=0.25, linewidth=0, label="95% CI" if i == 0 else None)
    _day_markers(ax, markers)
    ax.set_xlabel("days from day 0")
    ax.set_ylabel(f"revenue booked ({CURRENCY})")
    axis_format(ax.yaxis, "money")
    ax.set_xlim(0, None)
    ax.set_ylim(0, None)
    ax.legend(loc="lower right")
    ax.set_title("Cumulative revenue booked")
    return fig


def _day_markers(ax: Axes, markers: Sequence[tuple[float, str]], label: bool = True) -> None:
    for day, text in markers:
        ax.axvline(day, color=GREY, linestyle="--", linewidth=1)
        if label:
            ax.text(day, 0.98, f" {text}", transform=ax.get_xaxis_transform(), va="top",
                    ha="left", fontsize=9, color=GREY)


# --- over time ----------------------------------------------------------------------


@styled
def weekly_figure(bands: pd.DataFrame, markers: Sequence[tuple[float, str]] = (),
                  period_ends: Sequence[float] = ()) -> Figure:
    """Weekly series, one panel each: mean line and replication band.

    Args:
        bands: :func:`sim.report.tables.weekly_bands` output.
        markers: (day, label) vertical lines (timeline changes).
        period_ends: days of sales-period ends, drawn faintly on the bookings
            panel so period-end spikes can be told from noise.
    """
    series = [s for s in WEEKLY_SERIES if s[0] in set(bands.get("series", ()))]
    if not series:
        # A horizon shorter than a week has no complete week to draw (the short
        # last week is left out of the bands): say so instead of drawing nothing.
        fig, axes = new_figure(11, 2.0)
        _no_data(axes[0, 0], "No complete week: the horizon is shorter than 7 days.")
        fig.suptitle("Over time", x=0.01, ha="left", fontsize=12)
        return fig
    scenarios = _scenarios(bands)
    fig, axes = new_figure(11, 2.15 * len(series) + 0.8, len(series), 1, sharex=True)
    for ax, (name, label, kind) in zip(axes[:, 0], series, strict=True):
        for i, sc in enumerate(scenarios):
            rows = _of(bands, sc)
            rows = rows[rows["series"] == name]
            ax.fill_between(rows["day"], rows["low"], rows["high"], color=color(i), alpha=0.22,
                            linewidth=0, step="post")
            ax.step(rows["day"], rows["mean"], where="post", color=color(i),
                    linewidth=1.4, label=sc)
        if period_ends:  # vertical grid lines next to period ends would read as ends too
            ax.grid(axis="x", visible=False)
        if name == "bookings":
            for day in period_ends:
                ax.axvline(day, color=color(3), linewidth=1.0, alpha=0.8, linestyle=":")
        _day_markers(ax, markers, label=ax is axes[0, 0])
        ax.set_title(label, fontsize=11.5)
        ax.set_ylabel(unit(kind) if kind != "number" else "0-1")
        axis_format(ax.yaxis, kind)
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.set_ylim(0, 1.0 if name == "brand_equity" else None)
    axes[-1, 0].set_xlabel("days from day 0 (weekly values)")
    axes[-1, 0].set_xlim(0, None)
    last_day = float(bands["day"].max()) if not bands.empty else 0.0
    if 180 <= last_day <= 1500:  # quarters are what both teams plan in
        axes[-1, 0].xaxis.set_major_locator(MultipleLocator(90 if last_day <= 800 else 180))
    note = "line: mean over replications; band: 10th-90th percentile of replications"
    if period_ends:
        note += "; dotted: sales-period ends"
    fig.suptitle(f"Over time ({note})", x=0.01, ha="left", fontsize=12)
    if len(scenarios) > 1:  # under the panels: inside, it covered the lines
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(len(scenarios), 4))
    return fig


# --- cycle times and response -------------------------------------------------------


LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)))


def _ecdf(ax: Axes, values: np.ndarray, i: int, label: str) -> None:
    x = np.sort(values[~np.isnan(values)])
    if x.size == 0:
        return
    y = np.arange(1, x.size + 1) / x.size
    # Thin a long ECDF to ~800 steps: the same curve at screen resolution, a small SVG.
    if x.size > 800:
        idx = np.unique(np.linspace(0, x.size - 1, 800).astype(int))
        x, y = x[idx], y[idx]
    ax.step(x, y, where="post", color=color(i), linestyle=LINESTYLES[i % len(LINESTYLES)],
            label=label)


@styled
def cycle_time_figure(won_deals: pd.DataFrame) -> Figure:
    """ECDFs of lead-to-won and MQL-to-won days, and of each stage's days (won deals).

    Args:
        won_deals: the run's won-deal table (``cycle_days``, ``mql_to_won_days``,
            ``days_<stage>``); an optional ``scenario`` column overlays scenarios
            (then only lead to won and MQL to won are drawn).
    """
    scenarios = _scenarios(won_deals)
    fig, axes = new_figure(12, 4.6, 1, 2)
    ax, ax_stage = axes[0]
    if won_deals.empty:
        _no_data(ax, "no deal won")
        _no_data(ax_stage, "no deal won")
        return fig
    if len(scenarios) == 1:
        for j, (column, label) in enumerate((("cycle_days", "lead created to won"),
                                             ("mql_to_won_days", "MQL to won"))):
            x = won_deals[column].to_numpy(dtype=float)
            median = float(np.nanmedian(x))
            _ecdf(ax, x, j, f"{label} (median {fmt(median, 'days')})")
            ax.plot([median], [0.5], "o", color=color(j), markersize=5)
        for j, column in enumerate(stage_columns(won_deals)):
            x = won_deals[column].to_numpy(dtype=float)
            name = column.removeprefix("days_").replace("_", " ")
            _ecdf(ax_stage, x, j, f"{name} (median {fmt(float(np.nanmedian(x)), 'days')})")
        ax_stage.set_title("Days in each stage (won deals)")
    else:
        for i, sc in enumerate(scenarios):
            rows = _of(won_deals, sc)
            _ecdf(ax, rows["cycle_days"].to_numpy(dtype=float), i, str(sc))
            _ecdf(ax_stage, rows["mql_to_won_days"].to_numpy(dtype=float), i, str(sc))
        ax_stage.set_title("MQL to won (days)")
    ax.set_title("Lead to won" if len(scenarios) > 1 else "Cycle time of won deals")
    for a in (ax, ax_stage):
        a.axhline(0.5, color=GREY, linewidth=0.8, linestyle=":")
        a.set_xlabel("days")
        a.set_ylabel("share of won deals closed within x")
        axis_format(a.yaxis, "percent")
        a.set_ylim(0, 1.01)
        a.set_xlim(0, None)
        a.legend(loc="lower right")
    # The tail of enterprise deals would squeeze the rest into a corner.
    for a, cols in ((ax, ["cycle_days", "mql_to_won_days"]),
                    (ax_stage, stage_columns(won_deals) if len(scenarios) == 1
                     else ["mql_to_won_days"])):
        values = won_deals[cols].to_numpy(dtype=float).ravel()
        values = values[~np.isnan(values)]
        if values.size:
            a.set_xlim(0, float(np.quantile(values, 0.99)) * 1.05)
    return fig


@styled
def response_figure(histogram: pd.DataFrame, shares: pd.DataFrame | None = None) -> Figure:
    """First-response time histogram on a log axis, marked at 1 hour and 24 hours.

    Args:
        histogram: :func:`sim.report.tables.response_histogram` output.
        shares: :func:`sim.report.tables.response_shares` output, for the legend.
    """
    fig, axes = new_figure(11, 4.2)
    ax = axes[0, 0]
    scenarios = _scenarios(histogram)
    for i, sc in enumerate(scenarios):
        rows = _of(histogram, sc)
        edges = np.append(rows["hours_low"].to_numpy(), rows["hours_high"].iloc[-1])
        label = sc or "leads responded to"
        if shares is not None and not shares.empty:
            s = _of(shares, sc).set_index("band")["mean"]
            label += (f" ({_share(s.get('Within 1 hour', math.nan))} within 1 h, "
                      f"{_share(s.get('After 24 hours', math.nan))} after 24 h)")
        weights = rows["leads_per_replication"].to_numpy()
        if len(scenarios) == 1:
            ax.stairs(weights, edges, fill=True, color=color(0), alpha=0.85, label=label)
        else:
            ax.stairs(weights, edges, color=color(i), linewidth=2, label=label)
    ax.set_xscale("log")
    ticks = [1 / 60, 10 / 60, 1, 4, 24, 24 * 7, 24 * 28]
    ax.set_xticks(ticks, ["≤1 min", "10 min", "1 h", "4 h", "1 day", "1 week", "≥4 weeks"])
    ax.xaxis.set_minor_locator(LogLocator(subs="auto"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    for hours, text in ((1.0, "1 hour"), (24.0, "24 hours")):
        ax.axvline(hours, color=GREY, linestyle="--", linewidth=1)
        ax.text(hours, 0.97, f" {text}", transform=ax.get_xaxis_transform(), va="top",
                fontsize=9, color=GREY)
    ax.set_xlabel("first response after the hand-off (log scale)")
    ax.set_ylabel("leads per replication")
    axis_format(ax.yaxis, "count")
    ax.margins(y=0.2)  # headroom for the labels of the 1-hour and 24-hour marks
    # Under the axes: inside, the legend covered the 24-hour mark and its label.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
               ncols=1 if len(scenarios) == 1 else min(len(scenarios), 3))
    ax.set_title("First-response time: waiting for a rep plus the response delay")
    return fig


def _share(x: float) -> str:
    if math.isnan(x):
        return "-"
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 < x < 1:
        return ">99%"
    return f"{100 * x:.0f}%"


# --- money --------------------------------------------------------------------------


@styled
def money_figure(money: pd.DataFrame) -> Figure:
    """From revenue to contribution: a waterfall of gross margin less each cost.

    Args:
        money: :func:`sim.report.tables.money_table` output (one scenario).
    """
    fig, axes = new_figure(11, 4.4)
    ax = axes[0, 0]
    rows = money.reset_index(drop=True)
    level = 0.0
    for i, row in rows.iterrows():
        mean = float(row["mean"])
        if row["item"] in ("revenue", "gross_margin", "contribution"):
            bottom, height = 0.0, mean
            col = color(2) if row["item"] != "contribution" or mean >= 0 else color(3)
            if row["item"] == "revenue":
                col = color(5)
            level = mean
        else:
            bottom, height = level - mean, mean
            level -= mean
            col = color(3)
        ax.bar(i, height, bottom=bottom, color=col, width=0.7)
        lo, hi = row["ci_low"], row["ci_high"]
        half = (hi - lo) / 2
        ci = "" if math.isnan(half) or half <= 1e-9 * abs(mean) else (
            f"\n±{fmt_tick(half, 'money')}")
        sign = "-" if row["sign"] < 0 else ""
        ax.text(i, max(bottom + height, bottom, 0), f"{sign}{fmt_tick(mean, 'money')}{ci}",
                ha="center", va="bottom", fontsize=9)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(rows)), [_wrap(lbl) for lbl in rows["label"]])
    ax.set_ylabel(f"whole horizon ({CURRENCY})")
    axis_format(ax.yaxis, "money")
    ax.margins(y=0.18)
    ax.grid(axis="x", visible=False)
    ax.set_title("From revenue to contribution (mean over replications, ± half the 95% CI)")
    return fig


def _wrap(label: str, width: int = 14) -> str:
    words, lines, line = label.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


# --- comparison ---------------------------------------------------------------------


@styled
def differences_figure(differences: pd.DataFrame, reference_means: dict[str, float],
                       reference: str) -> Figure:
    """Paired differences vs the reference scenario, one small panel per metric.

    Metrics have different units and sizes, so each has its own panel and
    scale (in its own unit, the reference's mean named in the title) instead of
    one axis that the largest relative change would set. The scenarios are
    the rows of every panel, named on the axis: there is no legend to mistake
    for a data point. A filled dot is a difference whose 95% CI excludes 0.

    Args:
        differences: rows with ``metric``, ``scenario``, ``mean_diff``, ``ci_low``, ``ci_high``.
        reference_means: metric -> the reference scenario's mean (named in each title).
        reference: the reference scenario's name (for the title).
    """
    metrics = [str(m) for m in pd.unique(differences["metric"])]
    scenarios = [str(s) for s in pd.unique(differences["scenario"])]
    cols = min(3, max(len(metrics), 1))
    nrows = max(math.ceil(len(metrics) / cols), 1)
    height = 0.34 * max(len(scenarios), 1) + 1.25
    fig, axes = new_figure(3.9 * cols + 0.8, height * nrows + 0.9, nrows, cols, sharey=True)
    if not metrics:
        _no_data(axes[0, 0], "no difference to show")
        return fig
    y = np.arange(len(scenarios))
    for k, ax in enumerate(axes.ravel()):
        if k >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[k]
        meta = describe(metric)
        rows = differences[differences["metric"] == metric].set_index("scenario").reindex(
            scenarios)
        mid = rows["mean_diff"].to_numpy(dtype=float)
        lo, hi = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
        for i in range(len(scenarios)):
            clear = bool(lo[i] > 0 or hi[i] < 0)
            ax.errorbar([mid[i]], [y[i]], xerr=[[np.nan_to_num(mid[i] - lo[i])],
                                                 [np.nan_to_num(hi[i] - mid[i])]],
                        fmt="o", color=color(i + 1), capsize=3, markersize=6,
                        markerfacecolor=color(i + 1) if clear else "white")
        ax.axvline(0, color="black", linewidth=1)
        ref = reference_means.get(metric)
        # Symmetric about 0, and never narrower than 1% of the reference's mean: a
        # difference of nothing must not be blown up into ticks of 1e-15.
        ends = np.abs(np.concatenate([mid, lo, hi]))
        span = float(np.nanmax(ends)) if np.isfinite(ends).any() else 0.0
        floor = 0.01 * abs(ref) if ref is not None and np.isfinite(ref) and ref else 1e-9
        span = max(span, floor, 1e-9)
        ax.set_xlim(-1.15 * span, 1.15 * span)
        title = meta.label if ref is None or math.isnan(ref) else (
            f"{meta.label}\n('{_clip(reference)}': {fmt(ref, meta.kind)})")
        ax.set_title(title, fontsize=10)
        axis_format(ax.xaxis, meta.kind)
        ax.xaxis.set_major_locator(MaxNLocator(4, symmetric=True))
        ax.set_xlabel(f"difference ({unit(meta.kind)})", fontsize=9)
        ax.grid(axis="y", visible=False)
    axes[0, 0].set_yticks(y, [_clip(s) for s in scenarios])
    axes[0, 0].set_ylim(len(scenarios) - 0.4, -0.6)  # top to bottom, with room at both ends
    for row in axes:
        row[0].tick_params(axis="y", labelleft=True)
    fig.suptitle(f"Each scenario minus '{_clip(reference)}': paired difference with its 95% CI "
                 "(filled: the CI excludes 0)", x=0.01, ha="left", fontsize=12.5)
    return fig


def _clip(name: str, width: int = 28) -> str:
    """A scenario name short enough for an axis (the full name is in the report's tables)."""
    return name if len(name) <= width else name[:width - 1] + "…"


# --- sweeps -------------------------------------------------------------------------


@styled
def response_curve_figure(points: pd.DataFrame, key: str, objective: str, best: Any,
                          kind: Kind | str = "number") -> Figure:
    """The objective against one varied key: mean, 95% CI band, best point marked.

    Args:
        points: one row per point with ``key``, ``mean``, ``ci_low``, ``ci_high``.
        key: the varied key (dotted path).
        objective: the objective's label.
        best: the key value of the best point.
        kind: how to format the objective.
    """
    fig, axes = new_figure(10, 4.6)
    ax = axes[0, 0]
    rows = points.sort_values(key)
    x = rows[key].to_numpy(dtype=float)
    ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=color(0), alpha=0.25,
                    linewidth=0, label="95% CI")
    ax.plot(x, rows["mean"], "o-", color=color(0), markersize=4, label="mean")
    b = rows[rows[key] == best].iloc[0]
    ax.plot([b[key]], [b["mean"]], marker="*", markersize=18, color=color(3), linestyle="none",
            label=f"best: {key} = {fmt_param(best)} ({fmt_tick(b['mean'], kind)})")
    ax.axhline(b["ci_low"], color=color(3), linestyle=":", linewidth=1,
               label="best point's lower 95% bound")
    ax.set_xlabel(key)
    ax.set_ylabel(f"{objective} ({unit(kind)})")
    axis_format(ax.yaxis, kind)
    ax.legend(loc="best")
    ax.set_title(f"Response of {objective} to {key}")
    return fig


@styled
def heatmap_figure(points: pd.DataFrame, x_key: str, y_key: str, objective: str,
                   best: tuple[Any, Any], kind: Kind | str = "number") -> Figure:
    """The objective's mean over a grid of two varied keys; the best cell outlined.

    Args:
        points: one row per point with ``x_key``, ``y_key`` and ``mean``.
        x_key: the varied key across (columns).
        y_key: the varied key up (rows).
        objective: the objective's label.
        best: (x value, y value) of the best point.
        kind: how to format the objective.
    """
    grid = points.pivot_table(index=y_key, columns=x_key, values="mean", aggfunc="mean")
    grid = grid.sort_index().sort_index(axis=1)
    nx, ny = grid.shape[1], grid.shape[0]
    fig, axes = new_figure(max(6.0, 0.9 * nx + 3.5), max(4.0, 0.55 * ny + 2.0))
    ax = axes[0, 0]
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, cmap=HEATMAP_CMAP, aspect="auto", origin="lower")
    cbar = fig.colorbar(image, ax=ax)
    cbar.set_label(f"{objective} ({unit(kind)})")
    axis_format(cbar.ax.yaxis, kind)
    ax.set_xticks(range(nx), [fmt_param(v) for v in grid.columns])
    ax.set_yticks(range(ny), [fmt_param(v) for v in grid.index])
    ax.grid(False)
    if nx * ny <= 80:  # numbers in the cells while they still fit
        finite = values[np.isfinite(values)]
        mid = (finite.min() + finite.max()) / 2 if finite.size else 0.0
        for (r, c), v in np.ndenumerate(values):
            ax.text(c, r, fmt_tick(v, kind), ha="center", va="center", fontsize=8.5,
                    color="black" if v > mid else "white")
    bx = list(grid.columns).index(best[0])
    by = list(grid.index).index(best[1])
    ax.add_patch(Rectangle((bx - 0.5, by - 0.5), 1, 1, fill=False,
                                       edgecolor=color(3), linewidth=3))
    ax.set_xlabel(x_key)
    ax.set_ylabel(y_key)
    ax.set_title(f"{objective} (mean); best outlined")
    return fig


@styled
def profile_figure(points: pd.DataFrame, keys: Sequence[str], objective: str,
                   kind: Kind | str = "number", maximize: bool = True) -> Figure:
    """For three or more keys: the best mean over the other keys at each value of one key."""
    fig, axes = new_figure(3.6 * len(keys) + 0.6, 4.0, 1, len(keys), sharey=True)
    for i, (ax, key) in enumerate(zip(axes[0], keys, strict=True)):
        best = points.groupby(key)["mean"].max() if maximize else points.groupby(key)["mean"].min()
        ax.plot(best.index.to_numpy(dtype=float), best.to_numpy(), "o-", color=color(i))
        ax.set_xlabel(key)
        axis_format(ax.yaxis, kind)
    axes[0, 0].set_ylabel(f"{'best' if maximize else 'lowest'} {objective} ({unit(kind)})")
    fig.suptitle(f"{objective}: best over the other keys, by each key", x=0.01, ha="left")
    return fig


@styled
def sweep_metrics_figure(points: pd.DataFrame, key: str, metrics: Sequence[str]) -> Figure:
    """Other metrics along a one-key sweep, one small panel each (mean, CI band if given)."""
    cols = min(3, len(metrics))
    nrows = math.ceil(len(metrics) / cols)
    fig, axes = new_figure(3.8 * cols + 0.4, 3.0 * nrows + 0.6, nrows, cols)
    rows = points.sort_values(key)
    x = rows[key].to_numpy(dtype=float)
    for i, ax in enumerate(axes.ravel()):
        if i >= len(metrics):
            ax.set_visible(False)
            continue
        metric = metrics[i]
        meta = describe(metric)
        mean = rows[f"{metric}_mean"] if f"{metric}_mean" in rows else rows[metric]
        if f"{metric}_ci_low" in rows and f"{metric}_ci_high" in rows:
            ax.fill_between(x, rows[f"{metric}_ci_low"], rows[f"{metric}_ci_high"],
                            color=color(i), alpha=0.25, linewidth=0)
        ax.plot(x, mean, "o-", color=color(i), markersize=3)
        ax.set_title(meta.label, fontsize=11)
        ax.set_xlabel(key)
        ax.set_ylabel(unit(meta.kind))
        axis_format(ax.yaxis, meta.kind)
    fig.suptitle(f"Other metrics along {key} (mean, 95% CI band where given)", x=0.01,
                 ha="left")
    return fig



# --- segments, quarters and payback ---------------------------------------------------


@styled
def breakdown_figure(breakdown: pd.DataFrame,
                     measures: Sequence[str] = ("bookings", "cycle_days_median",
                                                "win_rate")) -> Figure:
    """Results by segment (top row) and by lead source (bottom row), one panel per measure.

    Args:
        breakdown: :func:`sim.report.breakdown.breakdown_table` output (optional
            ``scenario`` column: grouped bars, one colour per scenario).
        measures: the measures drawn, one column of panels each; a measure
            undefined everywhere (the win rate without per-lead records) is
            replaced by the mean deal value.
    """
    shown = [m for m in measures
             if breakdown.loc[breakdown["measure"] == m, "mean"].notna().any()]
    if len(shown) < len(measures) and "mean_deal_value" not in shown:
        shown.append("mean_deal_value")
    dimensions = [d for d in ("segment", "source") if (breakdown["dimension"] == d).any()]
    scenarios = _scenarios(breakdown)
    n = len(scenarios)
    groups = max((breakdown.loc[breakdown["dimension"] == d, "group"].nunique()
                  for d in dimensions), default=1)
    fig, axes = new_figure(3.9 * len(shown) + 0.6, (0.3 * n * groups + 1.3) * len(dimensions)
                           + 0.7, max(len(dimensions), 1), max(len(shown), 1))
    if not dimensions or not shown:
        _no_data(axes[0, 0], "no deal booked")
        return fig
    h = 0.8 / n
    for r, dimension in enumerate(dimensions):
        block = breakdown[breakdown["dimension"] == dimension]
        names = [str(g) for g in pd.unique(block["group"])]
        for c, measure in enumerate(shown):
            ax = axes[r, c]
            rows = block[block["measure"] == measure]
            kind = str(rows["kind"].iloc[0]) if len(rows) else "number"
            for i, sc in enumerate(scenarios):
                mine = _of(rows, sc).set_index("group").reindex(names)
                pos = np.arange(len(names)) - 0.4 + h * (i + 0.5)
                ax.barh(pos, mine["mean"].fillna(0.0), height=h * 0.9, color=color(i),
                        xerr=_ci_err(mine), error_kw={"elinewidth": 1, "ecolor": GREY},
                        label=sc)
            ax.set_yticks(np.arange(len(names)), names if c == 0 else [""] * len(names))
            ax.invert_yaxis()
            ax.set_xlim(left=0)  # every measure here is >= 0; a wide CI must not suggest less
            axis_format(ax.xaxis, kind)
            ax.xaxis.set_major_locator(MaxNLocator(4))
            label = str(rows["label"].iloc[0]) if len(rows) else measure
            ax.set_title(label, fontsize=10.5)
            ax.set_xlabel(unit(kind), fontsize=9)
            ax.grid(axis="y", visible=False)
        axes[r, 0].set_ylabel("by segment" if dimension == "segment" else "by lead source")
    if n > 1:
        fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center",
                   ncols=min(n, 4))
    fig.suptitle("By customer segment and by lead source (mean over replications, 95% CI)",
                 x=0.01, ha="left", fontsize=12.5)
    return fig


@styled
def pnl_figure(quarterly: pd.DataFrame) -> Figure:
    """Money quarter by quarter.

    One scenario: bookings, total cost and contribution in each quarter.
    Several: each scenario's contribution in each quarter, with its 95% CI.

    Args:
        quarterly: :func:`sim.report.pnl.quarterly_pnl` output (optional ``scenario``).
    """
    scenarios = _scenarios(quarterly)
    quarters = [str(q) for q in pd.unique(quarterly["quarter"])]
    fig, axes = new_figure(min(1.1 * len(quarters) * max(len(scenarios), 2) + 2.0, 12.0), 4.4)
    ax = axes[0, 0]
    x = np.arange(len(quarters))
    if len(scenarios) == 1:
        rows = quarterly.set_index(["quarter", "item"])["mean"]
        cost_items = ("marketing_spend", "marketing_bonus_cost", "sales_cost", "alignment_cost")
        series = (
            ("Bookings", [rows[(q, "bookings")] for q in quarters], color(5)),
            ("Total cost", [sum(rows[(q, c)] for c in cost_items) for q in quarters], color(3)),
            ("Contribution", [rows[(q, "contribution")] for q in quarters], color(2)),
        )
        w = 0.8 / len(series)
        for i, (label, values, col) in enumerate(series):
            ax.bar(x - 0.4 + w * (i + 0.5), values, width=w * 0.92, color=col, label=label)
        ax.set_title("Quarter by quarter: bookings, total cost and contribution (mean)")
    else:
        block = quarterly[quarterly["item"] == "contribution"]
        w = 0.8 / len(scenarios)
        for i, sc in enumerate(scenarios):
            by_quarter = _of(block, sc).set_index("quarter").reindex(quarters)
            ax.bar(x - 0.4 + w * (i + 0.5), by_quarter["mean"], width=w * 0.92, color=color(i),
                   yerr=_ci_err(by_quarter), error_kw={"elinewidth": 1, "ecolor": GREY},
                   label=sc)
        ax.set_title("Contribution quarter by quarter (mean, 95% CI)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(x, [q.replace(" (", "\n(") for q in quarters], fontsize=9)
    ax.set_ylabel(CURRENCY)
    axis_format(ax.yaxis, "money")
    ax.grid(axis="x", visible=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
               ncols=min(len(ax.get_legend_handles_labels()[0]), 4))
    return fig


@styled
def payback_figure(payback: pd.DataFrame, reference: str,
                   markers: Sequence[tuple[float, str]] = (),
                   break_even: dict[str, dict[str, float]] | None = None) -> Figure:
    """When a change pays off: cumulative contribution minus the reference's, from day 0.

    Args:
        payback: :func:`sim.report.pnl.payback_table` output.
        reference: the reference's name (axis label and title).
        markers: (day, label) vertical lines: the timeline changes.
        break_even: :func:`sim.report.pnl.break_even` output, marked on the curves.
    """
    fig, axes = new_figure(11, 4.6)
    ax = axes[0, 0]
    for i, sc in enumerate(_scenarios(payback)):
        rows = _of(payback, sc).sort_values("day")
        days = np.concatenate([[0.0], rows["day"].to_numpy(dtype=float)])

        def from_zero(column: str, rows: pd.DataFrame = rows) -> np.ndarray:
            return np.concatenate([[0.0], rows[column].to_numpy(dtype=float)])

        ax.fill_between(days, from_zero("ci_low"), from_zero("ci_high"), color=color(i + 1),
                        alpha=0.22, linewidth=0)
        label = f"'{_clip(str(sc))}' minus '{_clip(reference)}'"
        even = (break_even or {}).get(str(sc), {})
        day = even.get("clear", math.nan)
        if not math.isnan(day) and day > 0:
            label += f" (pays off for good from day {day:.0f}, 95% CI)"
            ax.axvline(day, color=color(i + 1), linestyle=":", linewidth=1.2)
        ax.plot(days, from_zero("mean"), color=color(i + 1), label=label)
    ax.axhline(0, color="black", linewidth=1)
    _day_markers(ax, markers)
    ax.set_xlabel("days from day 0")
    ax.set_ylabel(f"cumulative difference ({CURRENCY})")
    axis_format(ax.yaxis, "money")
    ax.set_xlim(0, None)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=1)
    ax.set_title("Payback: cumulative contribution difference (mean, 95% CI band; above 0: "
                 "ahead of the reference)", fontsize=11.5)
    return fig


# --- decisions under uncertainty -------------------------------------------------------


@styled
def uncertainty_figure(draw_differences: dict[str, Sequence[float]], reference: str,
                       kind: Kind | str, goal_higher: bool = True) -> Figure:
    """How the expected difference to the reference spreads over plausible worlds.

    One histogram per compared scenario of its luck-adjusted expected
    difference in each assumption draw; the bars on the winning side of 0
    are filled, the others hatched, so the share of worlds where the plan
    wins reads off the picture.

    Args:
        draw_differences: scenario -> expected difference in each draw.
        reference: the reference's name.
        kind: how to format the difference.
        goal_higher: whether a positive difference is a win.
    """
    names = list(draw_differences)
    fig, axes = new_figure(10, 2.6 * max(len(names), 1) + 0.9, max(len(names), 1), 1)
    for i, name in enumerate(names):
        ax = axes[i, 0]
        x = np.asarray(draw_differences[name], dtype=float)
        x = x[np.isfinite(x)]
        if x.size == 0:
            _no_data(ax, "no draw to show")
            continue
        span = max(float(np.max(np.abs(x))), 1e-12)
        edges = np.linspace(min(float(x.min()), 0.0) - 0.05 * span,
                            max(float(x.max()), 0.0) + 0.05 * span, 25)
        counts, edges = np.histogram(x, bins=edges)
        centres = (edges[:-1] + edges[1:]) / 2
        wins = centres > 0 if goal_higher else centres < 0
        ax.bar(centres[wins], counts[wins], width=np.diff(edges)[wins], color=color(2),
               edgecolor="white", label="worlds where it wins")
        ax.bar(centres[~wins], counts[~wins], width=np.diff(edges)[~wins], color="white",
               edgecolor=color(3), hatch="//", label="worlds where it loses")
        ax.axvline(0, color="black", linewidth=1)
        ax.axvline(float(x.mean()), color=color(0), linestyle="--", linewidth=1.5,
                   label=f"expected: {fmt_tick(float(x.mean()), kind)}")
        axis_format(ax.xaxis, kind)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("draws")
        ax.set_xlabel(f"expected difference in the draw ({unit(kind)})")
        ax.set_title(f"'{_clip(name)}' minus '{_clip(reference)}' over {x.size} plausible "
                     "worlds", fontsize=11)
        ax.legend(loc="upper left", fontsize=9)
    return fig


@styled
def tornado_figure(tornado: pd.DataFrame, center: float, kind: Kind | str, title: str
                   ) -> Figure:
    """Each assumption alone at its 5th and 95th percentile: how far the result moves.

    Args:
        tornado: rows ``factor, low_value, high_value, low_result, high_result``,
            largest swing first.
        center: the result with every assumption at its median.
        kind: how to format the result.
        title: what the result is (the axis label).
    """
    rows = tornado.head(15)
    fig, axes = new_figure(10.5, 0.55 * max(len(rows), 1) + 2.0)
    ax = axes[0, 0]
    if rows.empty:
        _no_data(ax, "no assumption with a low and a high end")
        return fig
    y = np.arange(len(rows))
    for end, c, label in (("low", color(0), "assumption at its 5th percentile"),
                          ("high", color(1), "assumption at its 95th percentile")):
        values = rows[f"{end}_result"].to_numpy(dtype=float)
        ax.barh(y, values - center, left=center, color=c, height=0.6, alpha=0.9,
                label=label)
    ax.axvline(center, color="black", linewidth=1)
    ends = rows[["low_result", "high_result"]].to_numpy(dtype=float)
    if (center > 0 and (ends < 0).any()) or (center < 0 and (ends > 0).any()):
        ax.axvline(0, color=color(3), linestyle=":", linewidth=1.5, label="the answer flips")
    labels = [f"{_clip(str(r['factor']), 48)}\n{fmt_tick(r['low_value'], 'number')} to "
              f"{fmt_tick(r['high_value'], 'number')}" for _, r in rows.iterrows()]
    ax.set_yticks(y, labels, fontsize=9)
    ax.set_ylim(len(rows) - 0.4, -0.6)
    axis_format(ax.xaxis, kind)
    ax.set_xlabel(f"{_wrap(title, 80)} ({unit(kind)})\nthe black line: every assumption at "
                  f"its median ({fmt_tick(center, kind)})", fontsize=9.5)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("What moves it: one assumption at a time (range: 5th to 95th percentile)",
                 fontsize=11.5)
    return fig


@styled
def indices_figure(indices: pd.DataFrame, method: str, kind: Kind | str = "number") -> Figure:
    """Global sensitivity indices with their 95% CIs, most influential first.

    Args:
        indices: Sobol (``factor, S1, S1_conf, ST, ST_conf``) or Morris
            (``factor, mu_star, mu_star_conf, sigma``) rows.
        method: ``"sobol"`` or ``"morris"``.
        kind: how to format Morris effects (the result's kind of number).
    """
    main = "ST" if method == "sobol" else "mu_star"
    rows = indices.sort_values(main, ascending=False).head(15)
    fig, axes = new_figure(10, 0.42 * max(len(rows), 1) + 1.8)
    ax = axes[0, 0]
    y = np.arange(len(rows))
    if method == "sobol":
        for k, (name, label) in enumerate((("ST", "total (with interactions)"),
                                           ("S1", "first order (alone)"))):
            ax.barh(y + (k - 0.5) * 0.38, rows[name].to_numpy(dtype=float), height=0.36,
                    xerr=np.nan_to_num(rows[f"{name}_conf"].to_numpy(dtype=float)),
                    color=color(k), capsize=2, label=label)
        ax.set_xlabel("share of the result's variance (Sobol index, 95% CI)")
        ax.axvline(0, color="black", linewidth=1)
    else:
        ax.barh(y, rows["mu_star"].to_numpy(dtype=float), height=0.6, color=color(0),
                xerr=np.nan_to_num(rows["mu_star_conf"].to_numpy(dtype=float)), capsize=2,
                label="mu* (mean absolute effect)")
        axis_format(ax.xaxis, kind)
        ax.set_xlabel("mean absolute effect of a step across the range (Morris mu*, 95% CI)")
    ax.set_yticks(y, [_clip(str(f), 44) for f in rows["factor"]])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("Which assumptions matter (global sensitivity)")
    return fig


@styled
def pareto_figure(trials: pd.DataFrame, x: str, y: str, x_kind: Kind | str,
                  y_kind: Kind | str, best: tuple[float, float] | None = None,
                  y_higher: bool = True) -> Figure:
    """Every plan tried: first-year result against the whole-horizon objective.

    Args:
        trials: one row per simulated plan with columns ``x``, ``y`` and
            ``pareto`` (on the front: no plan beats it on both).
        x: the first-year column (across).
        y: the whole-horizon column (up).
        x_kind: how to format ``x``.
        y_kind: how to format ``y``.
        best: the best plan's (x, y), starred.
        y_higher: whether a higher ``y`` is better (the front's direction).
    """
    fig, axes = new_figure(10, 5.2)
    ax = axes[0, 0]
    rows = trials.dropna(subset=[x, y])
    if rows.empty:
        _no_data(ax, "no plan was simulated")
        return fig
    ax.scatter(rows[x], rows[y], s=22, color=GREY, alpha=0.6, label="plans tried")
    front = rows[rows["pareto"].astype(bool)].sort_values(x)
    ax.plot(front[x], front[y], "o-", color=color(0), markersize=6,
            label="the trade-off: no plan does better on both")
    if best is not None:
        ax.plot([best[0]], [best[1]], marker="*", markersize=18, color=color(3),
                linestyle="none", label="best plan (after re-evaluation)")
    axis_format(ax.xaxis, x_kind)
    axis_format(ax.yaxis, y_kind)
    ax.set_xlabel(f"{describe(x).label} ({unit(x_kind)})")
    ax.set_ylabel(f"{describe(y).label}, whole horizon ({unit(y_kind)})"
                  + ("" if y_higher else ", lower is better"))
    ax.legend(loc="best", fontsize=9)
    ax.set_title("Short term against long term: every plan the search tried")
    return fig
