"""Figures: drawn off-screen, titled, every axis labelled, one colour-blind-safe palette."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import matplotlib as mpl
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
    titles = {ax.get_title("left").split("\n")[0] for ax in fig.axes if ax.get_visible()}
    assert titles == {label(m) for m in set(diffs["metric"])}
    ticks = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert {"aligned", "integrated"} <= ticks


def test_empty_won_deals_draw_a_note_not_an_error() -> None:
    empty = pd.DataFrame({"cycle_days": np.array([], dtype=float),
                          "mql_to_won_days": np.array([], dtype=float)})
    fig = fg.cycle_time_figure(empty)
    assert any("no deal won" in t.get_text() for ax in fig.axes for t in ax.texts)


def _savefig_png(fig: Figure) -> bytes:
    """The PNG as matplotlib's own ``savefig`` writes it (two drawings)."""
    buf = io.BytesIO()
    with mpl.rc_context(fg.STYLE):
        fig.savefig(buf, format="png", dpi=144, metadata={"Software": None},
                    pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image)


def test_one_drawing_writes_the_pixels_savefig_writes(run) -> None:
    # render() draws a PNG in one pass, and without the alpha channel of an opaque
    # figure; savefig solves the layout in a pass of its own and keeps the channel.
    # Each figure built twice: a figure drawn once is laid out already.
    def built() -> dict[str, Figure]:
        figures = {**run_figures(run), **comparison_figures(), **sweep_figures()}
        for fig in figures.values():
            fig.set_facecolor("#fafafa")  # savefig paints the style's white; so must render
        return figures

    ours, theirs = built(), built()
    for name, fig in ours.items():
        size, dpi, face = fig.get_size_inches().copy(), fig.get_dpi(), fig.get_facecolor()
        png = fg.render(fig, "png", dpi=144, png_compression=1)
        reference = _savefig_png(theirs[name])
        mine, matplotlib_s = _pixels(png), _pixels(reference)
        assert mine.shape[-1] == 3 and (matplotlib_s[..., 3] == 255).all(), name
        assert np.array_equal(mine, matplotlib_s[..., :3]), name
        assert len(png) < len(reference), name
        assert (fig.get_dpi(), fig.get_facecolor()) == (dpi, face), name  # restored
        assert (fig.get_size_inches() == size).all(), name


def test_a_figure_that_is_not_opaque_keeps_its_alpha_channel(monkeypatch) -> None:
    monkeypatch.setitem(fg.STYLE, "savefig.facecolor", "none")  # a transparent background
    fig, axes = fg.new_figure(2.0, 1.5)
    axes[0, 0].plot([0, 1], [0, 1])
    pixels = _pixels(fg.render(fig, "png", dpi=72))
    assert pixels.shape[-1] == 4 and pixels[..., 3].min() < 255


def test_bars_without_an_interval_have_no_error_bars(run) -> None:
    # One replication has no CI: a zero-width error bar would read as a certainty.
    from matplotlib.container import ErrorbarContainer

    def error_bars(per_rep: pd.DataFrame) -> int:
        h = float(run.scenario.horizon_days)
        fig = fg.horizon_figure(tb.horizon_table(per_rep, run.won_deals, h))
        return sum(isinstance(c, ErrorbarContainer) for ax in fig.axes for c in ax.containers)

    assert error_bars(run.per_replication) > 0
    assert error_bars(run.per_replication.iloc[:1]) == 0


def test_titles_sit_where_matplotlib_would_place_them(run, monkeypatch) -> None:
    # The style fixes titles at the top of their axes (axes.titley = 1.0), which spares
    # matplotlib measuring every axis again for each title: the same pixels only while
    # no axis has its ticks or label above it. Each figure drawn both ways.
    def pictures() -> dict[str, bytes]:
        figures = {**run_figures(run), **comparison_figures(), **sweep_figures()}
        return {name: fg.render(fig, "png", dpi=72, png_compression=1)
                for name, fig in figures.items()}

    fixed = pictures()
    monkeypatch.setitem(fg.STYLE, "axes.titley", None)  # matplotlib's own placement
    assert pictures() == fixed


def test_minor_ticks_are_not_weeded_where_there_are_none(run) -> None:
    # Axes without minor ticks skip matplotlib's search for minor ticks on major ones
    # (a second run of the major locator at every tick update): the same pixels.
    def pictures(weed: bool) -> dict[str, bytes]:
        figures = {**run_figures(run), **comparison_figures(), **sweep_figures()}
        out = {}
        for name, fig in figures.items():
            axes = [a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)]
            assert any(not a.remove_overlapping_locs for a in axes), name
            if weed:
                for a in axes:
                    a.remove_overlapping_locs = True
            out[name] = fg.render(fig, "png", dpi=72, png_compression=1)
        return out

    assert pictures(weed=False) == pictures(weed=True)


def test_same_data_same_files(run) -> None:
    """No dates or random ids in the files: a report can be diffed."""
    a = fg.render(run_figures(run)["funnel"], "svg")
    b = fg.render(run_figures(run)["funnel"], "svg")
    assert a == b


# --- legibility: nothing overlaps, nothing is cut ------------------------------------------


def _boxes(fig: Figure, texts: list) -> list:
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts if t.get_text() and t.get_visible()]


def _overlapping(boxes: list) -> list[tuple[int, int]]:
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def _drawn(fig: Figure) -> Figure:
    fig.canvas.draw()
    return fig


def _horizons(scenarios: int, horizon: float = 1095.0) -> pd.DataFrame:
    data = compare_inputs()
    per_rep = data["per_replication"]
    per_rep = per_rep[per_rep["scenario"].isin(list(pd.unique(per_rep["scenario"]))[:scenarios])]
    deals = data["won_deals"][data["won_deals"]["scenario"].isin(per_rep["scenario"])]
    if scenarios == 1:
        per_rep, deals = per_rep.drop(columns="scenario"), deals.drop(columns="scenario")
    return tb.horizon_table(per_rep, deals, horizon)


@pytest.mark.parametrize("scenarios", [1, 2, 3])
def test_horizon_window_labels_do_not_overlap(scenarios: int) -> None:
    fig = _drawn(fg.horizon_figure(_horizons(scenarios)))
    for ax in fig.axes:
        labels = [t for t in ax.get_xticklabels() if t.get_text()]
        assert len(labels) == 3  # first 90 days, first year, whole horizon
        assert _overlapping(_boxes(fig, labels)) == [], [t.get_text() for t in labels]
    assert fg.window_tick("Whole horizon (3 years)") == "whole\n3 years"
    assert fg.window_tick("First 90 days") == "first\n90 days"


@pytest.mark.parametrize("scenarios", [1, 2])
def test_horizon_titles_fit_and_value_labels_never_collide(scenarios: int) -> None:
    fig = _drawn(fg.horizon_figure(_horizons(scenarios)))
    page = fig.bbox
    titles = [fig._suptitle, *[ax.title for ax in fig.axes]]
    for box in _boxes(fig, titles):
        assert page.x0 <= box.x0 and box.x1 <= page.x1 + 0.5, "a title is cut"
        assert box.y1 <= page.y1 + 0.5
    for ax in fig.axes:
        values = [t for t in ax.texts]
        if scenarios > 1:
            assert values == []  # side by side, two scenarios' labels ran into each other
        else:
            assert len(values) == 3 and _overlapping(_boxes(fig, values)) == []


def test_first_response_legend_leaves_the_24_hour_mark_visible(run) -> None:
    fig = _drawn(fg.response_figure(tb.response_histogram(run.first_responses),
                                    tb.response_shares(run.first_responses)))
    ax = fig.axes[0]
    marks = [t for t in ax.texts if "hours" in t.get_text() or "hour" in t.get_text()]
    assert len(marks) == 2
    legends = [*fig.legends, *([ax.get_legend()] if ax.get_legend() else [])]
    assert legends
    for legend in legends:
        box = legend.get_window_extent(fig.canvas.get_renderer())
        assert not any(box.overlaps(mark) for mark in _boxes(fig, marks))
        assert not box.overlaps(ax.get_window_extent(fig.canvas.get_renderer()))


def test_differences_have_one_scale_per_metric_and_no_legend() -> None:
    data = compare_inputs()
    per_rep, diffs = data["per_replication"], data["differences"]
    ref = per_rep[per_rep["scenario"] == "baseline"].mean(numeric_only=True).to_dict()
    fig = _drawn(fg.differences_figure(diffs, ref, "baseline"))
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == diffs["metric"].nunique()
    assert fig.legends == [] and all(ax.get_legend() is None for ax in panels)
    spans = {round(ax.get_xlim()[1], 6) for ax in panels}
    assert len(spans) > 1  # revenue in millions, cycle days in units: not one axis
    # A metric that did not move gets a readable axis, not ticks of 1e-15.
    for ax in panels:
        for tick in ax.get_xticklabels():
            assert len(tick.get_text()) <= 8, tick.get_text()


def test_new_views_are_readable(run) -> None:
    from report_fixtures import tiny_run

    from sim.report import breakdown as bd
    from sim.report import pnl

    reps = list(run.per_replication["replication"])
    quarterly = pnl.quarterly_pnl(run.scenario, run.won_deals, run.per_replication,
                                  run.timeseries)
    other = tiny_run(**{"sales.reps": 5})
    details = [(name, r.scenario, r.won_deals, r.per_replication, r.timeseries)
               for name, r in (("eight", run), ("five", other))]
    payback = pnl.payback_table(details, "eight")
    figures = {
        "segments": fg.breakdown_figure(bd.breakdown_table(run.won_deals, reps)),
        "pnl": fg.pnl_figure(quarterly),
        "pnl_compare": fg.pnl_figure(pd.concat([quarterly.assign(scenario="a"),
                                                quarterly.assign(scenario="b")])),
        "payback": fg.payback_figure(payback, "eight", [(60.0, "change")],
                                     pnl.break_even(payback)),
    }
    for name, fig in figures.items():
        assert_readable(name, fig)
    titles = {ax.get_title("left") for ax in figures["segments"].axes}
    assert {"Bookings", "Lead to close, median", "Mean deal value"} <= titles  # no win rate
