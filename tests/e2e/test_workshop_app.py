"""The workshop app's pages, run in-process by Streamlit's AppTest (no browser, no server).

The end-to-end tests in a real browser are in ``test_workshop_e2e.py``; these check
every page draws without an exception and the widgets drive the logic: the
comparison's first answer refined in the background, a team's private page, the
projector's board, the facilitator's rounds, debrief and decomposition, saved
games restored after a restart, and the export. Replications run on a thread of
this process (the app's simulation service without worker processes).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.apps.workshop import game as gm
from sim.apps.workshop import launch, ui
from sim.apps.workshop.engine import Engine
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def service() -> Iterator[Engine]:
    engine = Engine(1, processes=False)
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, service: Engine) -> Path:
    """A server's state as on start, working in a temporary folder (games, exports)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ui, "engine", lambda: service)
    ui.rooms.clear()
    ui.sessions.clear()
    return tmp_path


def page(query: dict[str, str] | None = None, horizon: str = "90 days") -> AppTest:
    at = AppTest.from_file(str(launch.APP), default_timeout=300)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.session_state["horizon"] = horizon  # the shortest runs
    return at.run()


def settle(at: AppTest, pattern: str, seconds: float = 300) -> AppTest:
    """Run the page again until a caption matches ``pattern`` (the page refines by itself)."""
    deadline = time.monotonic() + seconds
    while not any(re.search(pattern, c.value) for c in at.caption):
        assert time.monotonic() < deadline, f"never shown: {pattern!r}"
        time.sleep(0.3)
        at.run()
    assert not at.exception
    return at


def takeaways(at: AppTest) -> list[str]:
    """The boxes read out, unescaped."""
    return [m.value.replace("&#x27;", "'") for m in at.markdown if 'class="takeaway' in m.value]


def texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption]
                     + [s.value for s in at.success] + [i.value for i in at.info])


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(REPO / "scenarios" / "baseline.yaml")


def a_setup(baseline, rounds: int = 1) -> gm.GameSetup:
    return gm.GameSetup(("Team A", "Team B"), rounds, baseline, "Baseline", ui.SEED,
                        replications=2, long_run_days=365.0)


def test_compare_answers_first_then_refines_and_follows_the_levers(fresh):
    at = settle(page(), "^6 replications of each plan over 90 days")
    assert takeaways(at)[0].endswith("move a lever and watch what changes.</div>")
    assert at.metric[0].label == "Revenue, first 90 days"
    at.slider(key="lever_brand_share").set_value(0).run()
    assert not at.exception
    assert "changes vs baseline: brand share 46% → 0%" in at.caption[0].value
    at = settle(at, "^6 replications of each plan over 90 days.*brand share 46% → 0%")
    assert "Over the first 90 days your plan" in takeaways(at)[0]
    more = next(b for b in at.button if b.label == "More replications (12)")
    more.click().run()
    at = settle(at, "^12 replications of each plan over 90 days")
    at.selectbox(key="preset").set_value("alignment-integrated").run()
    assert at.selectbox(key="lever_alignment_stage").value == "integrated"
    assert at.slider(key="lever_brand_share").value == 46  # the preset's levers
    at = settle(at, "preset: Alignment: integrated")
    next(b for b in at.button if b.label == "Keep for the report").click().run()
    assert len(ui.sessions()[at.query_params["session"]].comparisons) == 1


def test_a_team_decides_privately_and_the_board_shows_no_decision(fresh, baseline):
    room = ui.rooms().create(a_setup(baseline), "facilitator")
    team_a = page({"team": room.codes["Team A"]})
    assert not team_a.exception and "# Team A" in texts(team_a)
    team_a.slider(key="team_r1_brand_share").set_value(10)
    next(b for b in team_a.button if b.label == "Send our decision for round 1").click().run()
    assert not team_a.exception
    assert room.game.decisions["Team A"].brand_share == pytest.approx(0.10)
    assert "Decision received for round 1: brand share 46% → 10%" in texts(team_a)
    team_b = page({"team": room.codes["Team B"].lower()})  # a code typed in lower case
    assert "# Team B" in texts(team_b) and "10%" not in texts(team_b)
    board = page({"board": room.board})
    assert "decisions received from Team A; waiting for Team B" in texts(board)
    assert "brand share" not in texts(board)
    unknown = page({"team": "NOPE22"})
    assert "No game has the team code" in unknown.error[0].value
    joining = page()  # a participant opens the app's address and types the code
    joining.text_input(key="join_code").input(room.codes["Team B"].lower())
    next(b for b in joining.button if b.label == "Open our team's page").click().run()
    assert joining.query_params["team"] == room.codes["Team B"]
    assert "# Team B" in texts(joining)


def test_the_facilitator_plays_debriefs_splits_the_gap_and_exports(fresh, baseline):
    at = page({"screen": "game"})
    at.number_input[0].set_value(1)  # rounds
    at.number_input[1].set_value(2)  # replications
    at.selectbox[1].set_value("1 year")  # long run
    next(b for b in at.button if b.label == "Start the game").click().run()
    assert not at.exception
    room = ui.rooms().of_owner(at.query_params["session"])
    assert room is not None and room.game.setup.rounds == 1
    assert "?team=" + room.codes["Team B"] in texts(at)
    play = next(b for b in at.button if b.label == "Play round 1")
    assert play.disabled  # nobody decided yet
    room.game.submit("Team A", room.game.setup.start_levers.with_changes(brand_share=0.0))
    at.run()
    next(b for b in at.button if b.label.startswith("Play round 1 now (1 team")).click().run()
    assert not at.exception and room.game.finished
    assert "Leaderboard, round 1 of 1" in texts(at)
    assert "brand share" not in texts(at)  # the leaderboard shows no decision
    next(b for b in at.button if b.label.startswith("Debrief")).click().run()
    assert not at.exception and room.game.debrief is not None
    assert any(room.game.debrief.headline.split(":")[0] in t for t in takeaways(at))
    next(b for b in at.button if b.label == "Split the gap by lever").click().run()
    assert not at.exception and len(room.attributions) == 1
    assert room.attributions[0].levers == ("brand_share",)
    at.radio(key="screen").set_value("Export").run()
    next(b for b in at.button if b.label == "Save a copy in reports/").click().run()
    saved = list((fresh / "reports").glob("workshop-*.html"))
    assert len(saved) == 1
    html = saved[0].read_text(encoding="utf-8")
    assert "Team B" in html and "Why the gap" in html
    games = list((fresh / "reports" / "workshop-games").glob("*.json"))
    assert [g.stem for g in games] == [room.id]


def test_a_restarted_server_restores_the_game_and_its_links(fresh, baseline):
    first = page({"screen": "game"})
    sid = first.query_params["session"]
    room = ui.rooms().create(a_setup(baseline, rounds=2), sid)
    with ui.rooms().changing(room):
        room.game.play_round(executor=ui.engine().executor("test"))
        room.game.submit("Team B", room.game.setup.start_levers.with_changes(brand_share=0.9))
    board_before = room.game.results[0].leaderboard
    ui.rooms.clear()  # the server restarts: its games are read back from the folder
    ui.sessions.clear()
    again = page({"session": sid, "screen": "game"})
    assert not again.exception
    assert "Leaderboard, round 1 of 2" in texts(again)
    restored = ui.rooms().of_owner(sid)
    assert restored is not None and restored is not room
    assert restored.game.results[0].leaderboard.equals(board_before)
    assert restored.game.undecided() == ["Team A"]  # B's decision for round 2 survived
    team_b = page({"team": room.codes["Team B"]})
    assert "Decision received for round 2" in texts(team_b)


def test_saved_games_resume_in_another_session(fresh, baseline):
    room = ui.rooms().create(a_setup(baseline), "someone-else")
    at = page({"screen": "game"})
    assert "Resume a saved game" in texts(at)
    assert at.selectbox(key="resume_choice").value == room.id
    next(b for b in at.button if b.label == "Resume this game").click().run()
    assert not at.exception
    assert ui.rooms().of_owner(at.query_params["session"]) is room
    next(b for b in at.button if b.label == "New game").click().run()
    assert ui.rooms().of_owner(at.query_params["session"]) is None  # put aside, still saved
    assert ui.rooms().get(room.id) is room
