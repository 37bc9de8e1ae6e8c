"""Reports end to end: each type is written, self-contained, and names only files that exist."""

from __future__ import annotations

import base64
import re
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from report_fixtures import compare_inputs, parse, sweep_points, tiny_run

from sim.apps.cli import main
from sim.apps.run_folder import write_run
from sim.report import figures as fg
from sim.report.compare_report import write_compare_report
from sim.report.format import fmt_tick
from sim.report.html import table_html
from sim.report.run_report import write_run_report
from sim.report.sweep_report import best_point, near_best, write_sweep_report
from sim.scenario.library import default_scenario

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
RUN_FIGURES = {"horizon", "cumulative_revenue", "funnel", "money", "weekly", "quarterly_pnl",
               "segments", "cycle_times", "first_response"}


@pytest.fixture(scope="module")
def run():
    return tiny_run(**{"sales.reps": 6})


@pytest.fixture(scope="module")
def run_report(run, tmp_path_factory) -> Path:
    return write_run_report(run, tmp_path_factory.mktemp("run") / "r", default_scenario())


@pytest.fixture(scope="module")
def run_report_svg(run, tmp_path_factory) -> Path:
    """The same report with its figures also as SVG, whose text can be read."""
    return write_run_report(run, tmp_path_factory.mktemp("run_svg") / "r", default_scenario(),
                            svg=True)


def assert_self_contained(report: Path, svg: bool = False) -> set[str]:
    """Every image embedded and decodable, every local link on disk; the figure names.

    Every figure is a PNG file too; an SVG file only if asked for (``svg``).
    """
    page = parse(report)
    assert page.scripts == 0 and page.external == []
    assert page.images, "a report without figures"
    names = set()
    for img in page.images:
        src = str(img["src"])
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
        assert img.get("alt"), "every figure needs alt text"
        data_file = str(img["data-file"])
        assert (report.parent / data_file).is_file(), data_file
        names.add(Path(data_file).stem)
    for href in page.hrefs:
        if href.startswith("#"):
            assert href[1:] in page.ids, href
        else:
            assert (report.parent / href).is_file(), href
    svgs = {p.stem for p in (report.parent / "figures").glob("*.svg")}
    if svg:  # every figure also as SVG, linked from its caption
        assert svgs == names
        for name in names:
            text = (report.parent / "figures" / f"{name}.svg").read_text(encoding="utf-8")
            assert text.lstrip().startswith("<?xml")
            assert f'href="figures/{name}.svg"' in report.read_text(encoding="utf-8")
    else:  # drawn once, as the PNG the page shows
        assert svgs == set()
        assert ".svg" not in report.read_text(encoding="utf-8")
    return names


def test_run_report_has_every_figure_and_table(run_report: Path) -> None:
    assert run_report.name == "report.html"
    names = assert_self_contained(run_report)
    assert names == RUN_FIGURES
    text = run_report.read_text(encoding="utf-8")
    for heading in ("Executive summary", "Short term vs long term", "The funnel and its leaks",
                    "Over time", "Cycle times and first response", "Assumptions"):
        assert heading in text
    tables = {p.name for p in (run_report.parent / "tables").iterdir()}
    assert {"funnel.csv", "horizon.csv", "weekly.csv", "cycle_times.csv", "won_deals.csv",
            "first_response.csv", "money.csv", "parameters.csv", "quarterly_pnl.csv",
            "segments.csv", "tables.xlsx"} <= tables


def test_a_run_of_90_days_or_less_shows_its_one_window_as_a_table(tmp_path: Path) -> None:
    # The horizon figure compares windows; a short run has only the whole horizon,
    # whose numbers the table under the cumulative figure gives with their CIs.
    short = tiny_run(horizon_days=60.0)
    report = write_run_report(short, tmp_path / "r", default_scenario())
    names = assert_self_contained(report)
    assert names == RUN_FIGURES - {"horizon"}
    text = report.read_text(encoding="utf-8")
    assert "has only the whole horizon" in text
    assert "dashed lines mark" not in text
    assert 'href="tables/horizon.csv"' in text  # the table still links its CSV
    assert (report.parent / "tables" / "horizon.csv").is_file()


def test_run_report_svg_on_request_has_the_same_figures(run_report: Path,
                                                        run_report_svg: Path) -> None:
    assert assert_self_contained(run_report_svg, svg=True) == RUN_FIGURES
    for name in RUN_FIGURES:  # asking for SVG changes no PNG
        png = f"figures/{name}.png"
        assert (run_report.parent / png).read_bytes() == (
            run_report_svg.parent / png).read_bytes()


def test_run_report_summary_speaks_in_numbers_with_cis(run, run_report: Path) -> None:
    text = run_report.read_text(encoding="utf-8")
    summary = text.split('id="summary"')[1].split("</section>")[0]
    assert "95% CI" in summary and "revenue of" in summary
    assert "Lead to close, median" in summary
    revenue = run.metric("revenue")["mean"]
    assert fmt_tick(revenue, "money").split()[-1] in summary  # k or M, as people read


def test_run_report_lists_what_changed_vs_baseline(run_report: Path) -> None:
    changes = pd.read_csv(run_report.parent / "tables" / "scenario_changes.csv")
    assert {"sales.reps", "horizon_days", "name"} <= set(changes["key"])
    reps = changes.set_index("key").loc["sales.reps"]
    assert str(reps["value"]) == "6"
    text = run_report.read_text(encoding="utf-8")
    assert "python run.py run scenario.yaml --seed" in text


def test_write_run_adds_the_report_atomically(run, run_report: Path) -> None:
    # Into a folder that has a report already: its figures/ and tables/ are replaced.
    out = write_run(run, run_report.parent, datetime.now(), datetime.now())
    assert (out / "report.html").is_file() and (out / "summary.csv").is_file()
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary folder left
    text = (out / "report.html").read_text(encoding="utf-8")
    assert 'href="summary.csv"' in text and "Git revision" in text
    assert_self_contained(out / "report.html")


def test_a_failing_report_leaves_nothing(run, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(fg, "money_figure", broken)
    with pytest.raises(RuntimeError):
        write_run(run, tmp_path / "r", datetime.now(), datetime.now())
    assert list(tmp_path.iterdir()) == []


def test_cli_run_prints_the_report_path(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", str(BASELINE), "--replications", "2", "--horizon-days", "100",
                 "--set", "warmup_days=0", "--svg", "--out", str(tmp_path / "cli")])
    out = capsys.readouterr().out
    assert code == 0
    match = re.search(r"^Report: (.+report\.html)$", out, re.MULTILINE)
    assert match and Path(match.group(1)).is_file()
    assert assert_self_contained(Path(match.group(1)), svg=True) == RUN_FIGURES  # --svg


def test_compare_report(tmp_path: Path) -> None:
    data = compare_inputs()
    report = write_compare_report(
        data["per_replication"], data["differences"], data["timeseries"], tmp_path / "c",
        horizon_days=365.0, won_deals=data["won_deals"],
        first_responses=data["first_responses"], seed=11,
    )
    names = assert_self_contained(report)
    assert names == {"differences", "horizon", "funnel", "weekly", "cumulative_revenue",
                     "cycle_times", "first_response"}
    text = report.read_text(encoding="utf-8")
    summary = text.split('id="summary"')[1].split("</section>")[0]
    assert summary.index('id="decision"') < summary.index("<table")  # the decision first
    assert "Choose &#x27;integrated&#x27; over &#x27;baseline&#x27;" in summary
    winners = pd.read_csv(report.parent / "tables" / "winners.csv").set_index("metric")
    assert winners.loc["revenue", "best"] == "integrated"
    assert winners.loc["revenue", "clear"] == "yes"


def test_compare_report_without_optional_inputs(tmp_path: Path) -> None:
    data = compare_inputs()
    report = write_compare_report(data["per_replication"], data["differences"], None,
                                  tmp_path / "c", reference="baseline")
    assert assert_self_contained(report) == {"differences", "funnel"}


@pytest.mark.parametrize(("keys", "figures"), [
    (1, {"response_curve", "other_metrics"}),
    (2, {"heatmap", "response_curves"}),
    (3, {"profiles"}),
])
def test_sweep_report(tmp_path: Path, keys: int, figures: set[str]) -> None:
    points = sweep_points(keys)
    names = list(points.columns[:keys])
    report = write_sweep_report(points, names, tmp_path / "s", replications=10, seed=5)
    assert assert_self_contained(report) == figures
    text = report.read_text(encoding="utf-8")
    assert "marketing.brand_share = 0.4" in text  # the best point, in the summary
    assert "within the best point&#x27;s 95% CI" in text


def test_optimize_report_draws_the_search(tmp_path: Path) -> None:
    points = sweep_points(1)
    evaluations = points.sample(frac=1.0, random_state=1).assign(
        evaluation=range(1, len(points) + 1))
    report = write_sweep_report(points, ["marketing.brand_share"], tmp_path / "o",
                                kind="optimize", evaluations=evaluations)
    assert "progress" in assert_self_contained(report)
    assert "Leadflow optimisation" in report.read_text(encoding="utf-8")


def test_sweep_best_and_flatness() -> None:
    points = sweep_points(1)
    best = best_point(points)
    assert best["marketing.brand_share"] == pytest.approx(0.4)
    close = near_best(points, best)
    assert 0.3 <= close["marketing.brand_share"].min() <= 0.4 <= close[
        "marketing.brand_share"].max() <= 0.5
    assert best_point(points, maximize=False)["marketing.brand_share"] == pytest.approx(1.0)


def test_sweep_report_says_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ci_low"):
        write_sweep_report(pd.DataFrame({"x": [1], "mean": [2.0]}), ["x"], tmp_path / "s")
    assert list(tmp_path.iterdir()) == []


def test_tables_escape_text_and_format_numbers() -> None:
    df = pd.DataFrame({"name": ["<b>&"], "revenue": [1_234_567.0], "share": [0.256]})
    html = table_html(df, {"revenue": "money", "share": "percent"})
    assert "&lt;b&gt;&amp;" in html and "1.23 M" in html and "25.6%" in html


def _svg_words(report: Path, name: str) -> str:
    svg = (report.parent / "figures" / f"{name}.svg").read_text(encoding="utf-8")
    return " ".join(re.sub(r"<[^>]+>", " ", svg).split())


def test_run_figures_show_what_their_captions_claim(run, run_report_svg: Path) -> None:
    run_report = run_report_svg
    text = run_report.read_text(encoding="utf-8")
    captions = dict(re.findall(r'<figure id="fig-([^"]+)">.*?<figcaption>(.*?)</figcaption>',
                               text, re.DOTALL))
    assert "conversion from the previous stage" in captions["funnel"]
    assert "Funnel: volume at each stage" in _svg_words(run_report, "funnel")
    assert "Where leads leak" in _svg_words(run_report, "funnel")
    pnl_words = _svg_words(run_report, "quarterly_pnl")
    assert all(w in pnl_words for w in ("Bookings", "Total cost", "Contribution", "Q1"))
    assert "add up to the whole-horizon metrics" in captions["quarterly_pnl"]
    segments = _svg_words(run_report, "segments")
    for segment in run.scenario.leads.segments:
        assert segment.name in segments
    assert "Bookings" in segments and "Lead to close, median" in segments
    quarterly = pd.read_csv(run_report.parent / "tables" / "quarterly_pnl.csv")
    contribution = quarterly[quarterly["item"] == "contribution"]["mean"].sum()
    assert contribution == pytest.approx(run.metric("contribution")["mean"], rel=1e-9)


def test_run_workbook_has_the_summary_and_every_table(run_report: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(run_report.parent / "tables" / "tables.xlsx", read_only=True)
    csvs = {p.stem for p in (run_report.parent / "tables").glob("*.csv")}
    assert set(book.sheetnames) == csvs | {"summary"}
    header = [c.value for c in next(book["summary"].iter_rows(max_row=1))]
    assert header[:2] == ["metric", "mean"] and "label" in header
