"""The session export: one self-contained HTML page with the choices and results."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from sim.apps.workshop import attribution as at
from sim.apps.workshop import export as ex
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.report.html import esc
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def session():
    baseline = load_scenario(REPO / "scenarios" / "baseline.yaml")
    start = lg.Levers.of(baseline)
    h = lg.horizon("90 days")
    yours = start.with_changes(brand_share=0.2, alignment_stage="integrated")
    comparison = lg.compare(
        lg.simulate_runs(lg.scenario_for(baseline, start, h.days), 2, 3, lg.BASELINE_LABEL),
        lg.simulate_runs(lg.scenario_for(baseline, yours, h.days), 2, 3, lg.YOURS_LABEL), h)
    game = gm.Game(gm.GameSetup(("Red <team>", "Blue team"), 1, baseline, "Baseline", seed=3,
                                replications=2, long_run_days=182.5))
    game.play_round({"Red <team>": start.with_changes(brand_share=0.0),
                     "Blue team": start})
    game.run_debrief()
    return ex.Session(seed=3, comparisons=[ex.ComparisonRecord("Baseline", start, yours,
                                                                comparison)], game=game,
                      attributions=[at.attribute_gap(game, "Red <team>", "Blue team")])


@pytest.fixture(scope="module")
def page(session):
    return ex.session_html(session)


def test_the_page_holds_the_choices_and_results(session, page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert ex.teams_in(page, ["Red <team>", "Blue team"])
    assert "Red &lt;team&gt;" in page and "Red <team>" not in page  # escaped
    assert "Comparison 1: Baseline, over the first 90 days" in page
    assert esc(session.comparisons[0].comparison.takeaway) in page
    assert "Integrated" in page and "Brand share of the budget" in page
    assert "Round 1 (days 0 to 91.25)" in page
    assert "Debrief: the long run" in page and esc(session.game.debrief.headline) in page
    assert "Reproducibility" in page and "Seed" in page
    assert "Versus the leader" in page and "leader" in page
    assert "Why the gap: Red &lt;team&gt; earns" in page
    assert esc(session.attributions[0].sentence()) in page


def test_the_page_is_self_contained(page):
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']https?://""", page)
    # funnel and revenue of the comparison, revenue and weekly series of the game
    assert page.count('src="data:image/png;base64,') == 4


def test_an_empty_session_says_what_to_do():
    page = ex.session_html(ex.Session())
    assert "Nothing kept yet" in page
    assert ex.Session().empty


def test_a_game_without_debrief_says_so(session):
    game = session.game
    saved, game.debrief = game.debrief, None
    try:
        page = ex.session_html(ex.Session(game=game))
    finally:
        game.debrief = saved
    assert "was not run in this session" in page
    assert ex.teams_in(page, game.setup.teams)


def test_write_session_writes_one_file(session, tmp_path):
    path = ex.default_export_path(tmp_path / "reports", datetime(2025, 3, 4, 5, 6, 7))
    assert path.name == "workshop-20250304-050607.html"
    written = ex.write_session(session, path)
    assert written == path and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert ex.teams_in(path.read_text(encoding="utf-8"), session.game.setup.teams)
