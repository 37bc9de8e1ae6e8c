"""The workshop app's pages, run in-process by Streamlit's AppTest (no browser, no server).

The end-to-end test in a real browser is ``test_workshop_e2e.py``; this one checks
every screen draws without an exception and the widgets drive the logic.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from sim.apps.workshop import launch, ui
from sim.apps.workshop import logic as lg


def workshop_session(at: AppTest):
    """The session the page shows: its id is in the page's address."""
    return ui.sessions()[at.query_params["session"]][0]


def takeaway(at: AppTest, index: int = 0) -> str:
    return [m.value for m in at.markdown if 'class="takeaway' in m.value][index]


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, tmp_path) -> AppTest:
    monkeypatch.setenv("LEADFLOW_WORKSHOP_WORKERS", "1")  # serial: no process pool in a test
    monkeypatch.setattr(lg, "ROOT", tmp_path)  # "Save a copy in reports/" writes here
    at = AppTest.from_file(str(launch.APP), default_timeout=180)
    at.session_state["horizon"] = "90 days"  # the shortest runs
    return at.run()


def test_compare_screen_follows_the_levers(app: AppTest):
    assert not app.exception
    assert takeaway(app).endswith("move a lever and watch what changes.</div>")
    assert app.metric[0].label == "Revenue, first 90 days"
    app.slider(key="lever_brand_share").set_value(0).run()
    assert not app.exception
    assert "Over the first 90 days your plan" in takeaway(app)
    assert "brand share 46% → 0%" in app.caption[0].value
    app.selectbox(key="preset").set_value("alignment-integrated").run()
    assert app.selectbox(key="lever_alignment_stage").value == "integrated"
    assert app.slider(key="lever_brand_share").value == 46  # the preset's levers
    app.button[1].click().run()  # keep for the report
    assert len(workshop_session(app).comparisons) == 1


def test_a_game_from_setup_to_debrief_and_export(app: AppTest, tmp_path):
    app.radio(key="screen").set_value("Game").run()
    app.number_input[0].set_value(1)  # rounds
    app.number_input[1].set_value(2)  # replications
    app.selectbox[1].set_value("1 year")  # long run
    app.button[0].click().run()  # start the game
    assert not app.exception
    game = workshop_session(app).game
    assert game.setup.teams == ("Team A", "Team B") and game.setup.rounds == 1
    keys = [s.key for s in app.slider if s.key and s.key.endswith("_t0_brand_share")]
    app.slider(key=keys[0]).set_value(10)
    next(b for b in app.button if b.label == "Play round 1").click().run()
    assert not app.exception and game.finished
    assert game.choices["Team A"][0].brand_share == pytest.approx(0.10)
    next(b for b in app.button if b.label.startswith("Debrief")).click().run()
    assert not app.exception and game.debrief is not None
    assert takeaway(app).startswith('<div class="takeaway game">Round 1: ')
    assert game.debrief.headline in takeaway(app, 1).replace("&#x27;", "'")
    app.radio(key="screen").set_value("Export").run()
    assert not app.exception
    next(b for b in app.button if b.label == "Save a copy in reports/").click().run()
    saved = list((tmp_path / "reports").glob("workshop-*.html"))
    assert len(saved) == 1 and "Team B" in saved[0].read_text(encoding="utf-8")


def test_reloading_the_page_keeps_the_session(app: AppTest):
    sid = app.query_params["session"]
    workshop_session(app).comparisons.append("kept")  # type: ignore[arg-type]
    again = AppTest.from_file(str(launch.APP), default_timeout=180)
    again.query_params["session"] = sid  # the same address, a new browser session
    again.session_state["horizon"] = "90 days"
    again.run()
    assert not again.exception
    assert workshop_session(again).comparisons == ["kept"]
    workshop_session(again).comparisons.clear()
