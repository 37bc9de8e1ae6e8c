"""Experiment reports from real runs: each figure and table named in the page exists and shows
the metrics it claims; the one-pager comes first; the workbook holds the tables."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from report_fixtures import parse
from report_runs import REFERENCE, SWITCH, brand_optimize, reps_sweep, switch_compare

from sim.report.experiment_report import write_experiment_report
from sim.results.catalog import label

# What a figure's file must show (text of its SVG), and what it must not (bookkeeping).
BOOKKEEPING = ("Point", "Round", "Near optimal", "Relative loss", "Difference ci")


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result, details = switch_compare()
    folder = tmp_path_factory.mktemp("compare")
    return write_experiment_report(result, folder, {"overrides": ["sales.reps=6"]}, details,
                                   svg=True)


@pytest.fixture(scope="module")
def sweep_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_experiment_report(reps_sweep(), tmp_path_factory.mktemp("sweep"), svg=True)


@pytest.fixture(scope="module")
def optimize_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_experiment_report(brand_optimize(), tmp_path_factory.mktemp("optimize"),
                                   svg=True)


def svg_text(report: Path, figure: str) -> str:
    """The words drawn in a figure (its SVG keeps text as text)."""
    svg = (report.parent / "figures" / f"{figure}.svg").read_text(encoding="utf-8")
    return " ".join(re.sub(r"<[^>]+>", " ", svg).split())


def figures_named(report: Path) -> set[str]:
    """The figures the page shows, each checked to exist as PNG and SVG (asked for here)."""
    page = parse(report)
    names = set()
    for img in page.images:
        png = report.parent / str(img["data-file"])
        assert png.is_file() and png.with_suffix(".svg").is_file(), png
        names.add(png.stem)
    for href in page.hrefs:
        if not href.startswith("#"):
            assert (report.parent / href).is_file(), href
    return names


def section(report: Path, anchor: str) -> str:
    text = report.read_text(encoding="utf-8")
    return text.split(f'id="{anchor}"')[1].split("</section>")[0]


def test_compare_report_opens_with_the_decision_then_over_time_views(
        compare_report: Path) -> None:
    names = figures_named(compare_report)
    assert {"differences", "payback", "quarterly_pnl", "weekly", "cumulative_revenue",
            "horizon", "segments", "funnel", "cycle_times", "first_response"} <= names
    summary = section(compare_report, "summary")
    assert summary.index('id="decision"') < summary.index("<table")
    assert "The range covers the luck of the draw" in summary
    headline = pd.read_csv(compare_report.parent / "tables" / "headline.csv")
    assert list(pd.unique(headline["metric"])) == [
        label(m) for m in ("contribution", "revenue", "roi", "cycle_days_median")]
    time = section(compare_report, "time")
    assert "replications 0-2 of each scenario (3 of 3), replayed" in time


def test_compare_figures_show_what_they_claim(compare_report: Path) -> None:
    payback = svg_text(compare_report, "payback")
    assert f"'{SWITCH[:27]}" in payback and "switch to a shared revenue target" in payback
    pnl_table = pd.read_csv(compare_report.parent / "tables" / "quarterly_pnl.csv")
    assert set(pnl_table["scenario"]) == {REFERENCE, SWITCH}
    assert list(pd.unique(pnl_table["quarter"])) == [
        "Q1 (days 0-91)", "Q2 (days 91-182)", "Q3 (days 182-200)"]
    segments = svg_text(compare_report, "segments")
    for word in ("Bookings", "Lead to close, median", "mid_market", "promotion"):
        assert word in segments
    differences = svg_text(compare_report, "differences")
    for metric in ("revenue", "contribution", "cycle_days_median"):
        assert label(metric) in differences
    funnel = svg_text(compare_report, "funnel")
    assert "Conversion at each step" in funnel and "Where leads leak" in funnel
    caption = section(compare_report, "funnel").split("<figcaption>")[1]
    assert caption.startswith("Share of leads passing each step")
    assert "log scale" not in caption  # the caption of another chart, once


def test_compare_report_names_the_common_set_values(compare_report: Path) -> None:
    text = compare_report.read_text(encoding="utf-8")
    title = re.search(r"<h1>(.*?)</h1>", text)
    assert title and "(all with sales.reps=6)" in title.group(1)
    assert "Set in every scenario" in section(compare_report, "assumptions")


def test_workbook_holds_every_table(compare_report: Path) -> None:
    workbook = openpyxl.load_workbook(compare_report.parent / "tables" / "tables.xlsx",
                                      read_only=True)
    csvs = {p.stem for p in (compare_report.parent / "tables").glob("*.csv")}
    assert {name[:31] for name in csvs} == set(workbook.sheetnames)
    sheet = workbook["quarterly_pnl"]
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:3] == ["scenario", "quarter", "start"]


def test_sweep_other_metrics_are_metrics_not_bookkeeping(sweep_report: Path) -> None:
    assert "other_metrics" in figures_named(sweep_report)
    drawn = svg_text(sweep_report, "other_metrics")
    for metric in ("revenue", "revenue_90d", "deals_won"):
        assert label(metric) in drawn, metric
    assert not any(word in drawn for word in BOOKKEEPING)
    points = pd.read_csv(sweep_report.parent / "tables" / "points.csv")
    assert {"difference", "difference_ci_low", "difference_ci_high", "near_optimal"} <= set(
        points.columns)  # paired to the best point, not read off unpaired CIs


def test_sweep_with_three_replications_asks_for_more(sweep_report: Path) -> None:
    summary = section(sweep_report, "summary")
    points = pd.read_csv(sweep_report.parent / "tables" / "points.csv")
    if points["near_optimal"].all():
        assert "More replications needed" in summary and "No clear choice yet" in summary
    assert "the optimum is flat" not in summary


def test_optimize_report_one_pager_and_other_metrics(optimize_report: Path) -> None:
    names = figures_named(optimize_report)
    assert {"response_curve", "other_metrics"} <= names
    drawn = svg_text(optimize_report, "other_metrics")
    assert label("revenue") in drawn and label("deals_won") in drawn
    assert not any(word in drawn for word in BOOKKEEPING)
    summary = section(optimize_report, "summary")
    assert summary.index('id="decision"') < summary.index('class="cards"')
    assert "Probability that marketing.brand_share = " in summary
    assert "bootstrap" not in summary or "%" in summary
