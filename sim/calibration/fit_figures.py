"""The fit report's figures: the company's export beside the calibrated scenario's histories.

Pure functions from the tables of :class:`sim.calibration.fit_check.FitCheck`
to matplotlib Figures, in the report's style and palette
(:mod:`sim.report.figures`): the observed value is a black mark, the
simulated mean a coloured one with its 80 % (thick) and 95 % (thin)
predictive intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.report.figures import GREY, axis_format, color, new_figure, styled, unit

OBSERVED = "#000000"


def _intervals(ax: Axes, pos: np.ndarray, rows: pd.DataFrame, horizontal: bool) -> None:
    """Simulated mean with its 80 % and 95 % intervals, and the observed value, at ``pos``."""
    mean = rows["simulated"].to_numpy(dtype=float)
    for low, high, width in (("p2_5", "p97_5", 1.2), ("p10", "p90", 4.5)):
        lo = rows[low].to_numpy(dtype=float)
        hi = rows[high].to_numpy(dtype=float)
        if horizontal:
            ax.hlines(pos, lo, hi, color=color(0), linewidth=width, alpha=0.75)
        else:
            ax.vlines(pos, lo, hi, color=color(0), linewidth=width, alpha=0.75)
    obs = rows["observed"].to_numpy(dtype=float)
    points = ((mean, pos), (obs, pos)) if horizontal else ((pos, mean), (pos, obs))
    ax.plot(*points[0], "o", color=color(0), markersize=5, label="simulated mean, 80%/95%")
    ax.plot(*points[1], "D", color=OBSERVED, markersize=5.5, label="observed")


@styled
def bookings_figure(monthly: pd.DataFrame, max_ticks: int = 18) -> Figure:
    """Monthly bookings: the observed line against the simulated mean and its bands.

    Args:
        monthly: :attr:`FitCheck.monthly` (the ``bookings`` rows are drawn).
        max_ticks: month labels at most (every k-th month beyond; more would overlap).
    """
    rows = monthly[monthly["figure"] == "bookings"].reset_index(drop=True)
    fig, axes = new_figure(10, 3.8)
    ax = axes[0, 0]
    x = np.arange(len(rows))
    ax.fill_between(x, rows["p2_5"], rows["p97_5"], color=color(0), alpha=0.15, linewidth=0,
                    label="simulated 95% interval")
    ax.fill_between(x, rows["p10"], rows["p90"], color=color(0), alpha=0.3, linewidth=0,
                    label="simulated 80% interval")
    ax.plot(x, rows["simulated"], color=color(0), marker="o", markersize=4,
            label="simulated mean")
    ax.plot(x, rows["observed"], color=OBSERVED, marker="D", markersize=4.5, label="observed")
    every = max(1, math.ceil(len(x) / max_ticks))
    ax.set_xticks(x[::every], [str(m) for m in rows["month"]][::every],
                  rotation=45 if len(x) > 12 else 0, ha="right" if len(x) > 12 else "center")
    ax.set_ylabel(f"bookings ({unit('money')})")
    axis_format(ax.yaxis, "money")
    ax.set_ylim(0, None)
    ax.set_title("Monthly bookings: observed vs simulated")
    # Below the axes: inside, it covered the first months' bands.
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4)
    return fig


@styled
def conversion_figure(conversion: pd.DataFrame) -> Figure:
    """Conversion by source, one panel per funnel step.

    Args:
        conversion: :attr:`FitCheck.conversion`.
    """
    steps = list(dict.fromkeys(conversion["step"]))
    sources = list(dict.fromkeys(conversion["source"]))
    fig, axes = new_figure(11, 0.5 * len(sources) + 1.6, 1, len(steps), sharey=True)
    pos = np.arange(len(sources))[::-1].astype(float)
    for ax, step in zip(axes[0], steps, strict=True):
        rows = conversion[conversion["step"] == step].set_index("source").reindex(sources)
        _intervals(ax, pos, rows, horizontal=True)
        ax.set_title(step, fontsize=11)
        axis_format(ax.xaxis, "percent")
        ax.xaxis.set_major_locator(MaxNLocator(3))
        ax.set_xlim(0, None)
        ax.grid(axis="y", visible=False)
    axes[0, 0].set_yticks(pos, sources)
    axes[0, 0].set_ylim(-0.6, len(sources) - 0.4)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle("Conversion by source (share of the step's records)", x=0.01, ha="left",
                 fontsize=12)
    return fig


@styled
def time_to_win_figure(time_to_win: pd.DataFrame) -> Figure:
    """Quantiles of the days from lead creation to a win.

    Args:
        time_to_win: :attr:`FitCheck.time_to_win`.
    """
    fig, axes = new_figure(8, 2.8)
    ax = axes[0, 0]
    pos = np.arange(len(time_to_win))[::-1].astype(float)
    _intervals(ax, pos, time_to_win, horizontal=True)
    ax.set_yticks(pos, [str(q) for q in time_to_win["quantile"]])
    ax.set_xlabel(f"days from lead creation to a win ({unit('days')})")
    ax.set_xlim(0, None)
    ax.grid(axis="y", visible=False)
    ax.set_title("Time to win (closed deals only)")
    ax.legend(loc="upper right")
    return fig


@styled
def pipeline_figure(open_pipeline: pd.DataFrame) -> Figure:
    """The pipeline open on the export day: deals and value by stage.

    Args:
        open_pipeline: :attr:`FitCheck.open_pipeline`.
    """
    stages = list(dict.fromkeys(open_pipeline["stage"]))
    fig, axes = new_figure(10, 0.45 * len(stages) + 1.8, 1, 2, sharey=True)
    pos = np.arange(len(stages))[::-1].astype(float)
    for ax, (measure, kind, title) in zip(axes[0], (("deals", "count", "open deals"),
                                                    ("value", "money", "open value")),
                                          strict=True):
        rows = open_pipeline[open_pipeline["measure"] == measure].set_index("stage").reindex(
            stages)
        _intervals(ax, pos, rows, horizontal=True)
        ax.set_title(title, fontsize=11)
        ax.set_xlabel(unit(kind))
        axis_format(ax.xaxis, kind)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.set_xlim(0, None)
        ax.grid(axis="y", visible=False)
    axes[0, 0].set_yticks(pos, stages)
    axes[0, 0].axhline(pos[0] - 0.5, color=GREY, linewidth=0.6)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle("Pipeline open on the export day", x=0.01, ha="left", fontsize=12)
    return fig
