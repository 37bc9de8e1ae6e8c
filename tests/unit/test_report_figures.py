"""Figures: drawn off-screen, titled, every axis labelled, one colour-blind-safe palette."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from report_fixtures import compare_inputs, sweep_points, tiny_run

from sim.report import figures as fg
from sim.report import tables as tb
from sim.report.format import fmt_tick
from sim.results.catalog import label

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run():
    return tiny_run()


def run_figures(run) -> dict[str, Figure]:
    h = float(run.scenario.horizon_days)
    return {
        "horizon": fg.horizon_figure(tb.horizon_table(run.per_replication, run.won_deals, h)),
        "cumulative": fg.cumulative_figure(tb.cumulative_bookings(run.timeseries, h),
                                           [(90.0, "First 90 days")]),
        "funnel": fg.funnel_figure(tb.funnel_table(run.per_replication)),
        "money": fg.money_figure(tb.money_table(run.per_replication)),
        "weekly": fg.weekly_figure(tb.weekly_bands(run.timeseries, h), [(60.0, "change")],
                                   [91.25]),
        "cycle": fg.cycle_time_figure(run.won_deals),
        "response": fg.response_figure(tb.response_histogram(run.first_responses),
                                       tb.response_shares(run.first_responses)),
    }


def comparison_figures() -> dict[str, Figure]:
    data = compare_inputs()
    per_rep, diffs = data["per_replication"], data["differences"]
    ref = per_rep[per_rep["scenario"] == "baseline"].mean(numeric_only=True).to_dict()
    return {
        "differences": fg.differences_figure(diffs, ref, "baseline"),
        "funnel": fg.funnel_figure(tb.funnel_table(per_rep)),
        "horizon": fg.horizon_figure(tb.horizon_table(per_rep, data["won_deals"], 365.0)),
        "weekly": fg.weekly_figure(tb.weekly_bands(data["timeseries"], 365.0)),
        "cycle": fg.cycle_time_figure(data["won_deals"]),
    }


def sweep_figures() -> dict[str, Figure]:
    one, two, three = sweep_points(1), sweep_points(2), sweep_points(3)
    return {
        "curve": fg.response_curve_figure(one, "marketing.brand_share", "Revenue", 0.4,
                                          "money"),
        "heatmap": fg.heatmap_figure(two, "marketing.brand_share",
                                     "nurture.handoff_threshold", "Revenue", (0.4, 0.55),
                                     "money"),
        "profile": fg.profile_figure(three, list(three.columns[:3]), "Revenue", "money"),
        "others": fg.sweep_metrics_figure(one, "marketing.brand_share",
                                          ["revenue_90d", "cycle_days_median"]),
    }


def assert_readable(name: str, fig: Figure) -> None:
    """Off-screen canvas, a title, labelled axes with readable fonts, and it renders."""
    assert isinstance(fig.canvas, FigureCanvasAgg), name
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    for ax in axes:
        assert ax.get_title(loc="left") or ax.get_title() or suptitle, f"{name}: untitled"
        assert ax.get_xlabel() or ax.get_ylabel() or ax.get_yticklabels(), f"{name}: unlabelled"
        for text in [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels()]:
            if text.get_text():
                assert text.get_fontsize() >= 8, f"{name}: {text.get_text()!r} too small"
    assert fg.render(fig, "png", dpi=50)[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in fg.render(fig, "svg")[:2000]


def test_run_figures_are_readable(run) -> None:
    for name, fig in run_figures(run).items():
        assert_readable(name, fig)


def test_comparison_and_sweep_figures_are_readable() -> None:
    for name, fig in {**comparison_figures(), **sweep_figures()}.items():
        assert_readable(name, fig)


def test_axes_name_their_units(run) -> None:
    figs = run_figures(run)
    assert "currency units" in figs["cumulative"].axes[0].get_ylabel()
    assert figs["cycle"].axes[0].get_xlabel() == "days"
    assert "log scale" in figs["response"].axes[0].get_xlabel()
    ylabels = [ax.get_ylabel() for ax in figs["weekly"].axes]
    assert ylabels[:3] == ["count", "count", "currency units"]


def test_one_colour_blind_safe_palette() -> None:
    assert fg.OKABE_ITO[:3] == ("#0072B2", "#E69F00", "#009E73")
    fig = comparison_figures()["weekly"]
    colours = {line.get_color() for ax in fig.axes for line in ax.get_lines()
               if line.get_label() in ("baseline", "aligned", "integrated")}
    assert colours == set(fg.OKABE_ITO[:3])


def test_drawing_never_touches_pyplot_or_changes_global_style() -> None:
    # Reading rcParams["backend"] would itself import pyplot: compare the style keys only.
    code = ("import sys; import matplotlib as mpl; import pandas as pd; "
            "from sim.report import figures as fg; "
            "before = {k: mpl.rcParams[k] for k in fg.STYLE}; "
            "fig = fg.money_figure(pd.DataFrame({'item': ['revenue'], 'label': ['Revenue'], "
            "'sign': [1], 'mean': [1.0], 'ci_low': [0.5], 'ci_high': [1.5]})); "
            "fg.render(fig, 'png'); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
            "assert {k: mpl.rcParams[k] for k in fg.STYLE} == before, 'global style changed'")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_short_numbers_for_ticks() -> None:
    assert fmt_tick(1_500_000, "money") == "1.5 M"
    assert fmt_tick(250_000, "money") == "250 k"
    assert fmt_tick(0, "money") == "0"
    assert fmt_tick(0.256, "percent") == "25.6%"
    assert fmt_tick(12_345, "count") == "12,345"
    assert fmt_tick(12.5, "days") == "12.5 d"
    assert fmt_tick(float("nan"), "money") == ""
    assert fmt_tick(999_600, "money") == "1 M"  # rounded before the unit is chosen
    assert fmt_tick(-2_500, "money") == "-2.5 k"


def test_axis_labels_and_ticks_read_from_the_catalog() -> None:
    fig = sweep_figures()["others"]
    titles = [ax.get_title("left") for ax in fig.axes if ax.get_visible()]
    assert label("revenue_90d") in titles and label("cycle_days_median") in titles
    data = compare_inputs()
    per_rep, diffs = data["per_replication"], data["differences"]
    ref = per_rep[per_rep["scenario"] == "baseline"].mean(numeric_only=True).to_dict()
    fig = fg.differences_figure(diffs, ref, "baseline")
    ticks = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    drawn = {label(m) for m in set(diffs["metric"]) if ref.get(m)}
    assert drawn and drawn <= ticks


def test_empty_won_deals_draw_a_note_not_an_error() -> None:
    empty = pd.DataFrame({"cycle_days": np.array([], dtype=float),
                          "mql_to_won_days": np.array([], dtype=float)})
    fig = fg.cycle_time_figure(empty)
    assert any("no deal won" in t.get_text() for ax in fig.axes for t in ax.texts)


def test_same_data_same_files(run) -> None:
    """No dates or random ids in the files: a report can be diffed."""
    a = fg.render(run_figures(run)["funnel"], "svg")
    b = fg.render(run_figures(run)["funnel"], "svg")
    assert a == b
