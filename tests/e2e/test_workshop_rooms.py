"""Saved games: a JSON file per game, written atomically, read back exactly after a restart."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.apps.workshop import attribution as at
from sim.apps.workshop import game as gm
from sim.apps.workshop import rooms as rm
from sim.apps.workshop import storage
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def played():
    """Two teams, one round of a quarter, debriefed over two quarters, the gap split."""
    baseline = load_scenario(REPO / "scenarios" / "baseline.yaml")
    game = gm.Game(gm.GameSetup(("Team A", "Team B"), 1, baseline, "Baseline", seed=4,
                                replications=2, long_run_days=182.5))
    start = game.setup.start_levers
    game.submit("Team A", start.with_changes(brand_share=0.0, handoff_threshold=0.7))
    game.play_round()
    game.run_debrief()
    return game, at.attribute_gap(game, "Team A", "Team B")


def test_a_game_reads_back_exactly(played):
    game, attribution = played
    text = storage.dumps(storage.game_to_json(game, [attribution], {"id": "x"}))
    again, attributions = storage.game_from_json(storage.loads(text))
    assert again.setup == game.setup and again.choices == game.choices
    pd.testing.assert_frame_equal(again.results[0].leaderboard, game.results[0].leaderboard)
    np.testing.assert_array_equal(again.results[0].teams["Team A"].contribution_round,
                                  game.results[0].teams["Team A"].contribution_round)
    assert again.results[0].teams["Team B"].decided is False  # B sent nothing: it kept its plan
    assert again.debrief.headline == game.debrief.headline
    assert again.debrief.sentences == game.debrief.sentences
    pd.testing.assert_frame_equal(again.debrief.table, game.debrief.table)
    pd.testing.assert_frame_equal(gm.long_run_revenue(again.debrief),
                                  gm.long_run_revenue(game.debrief))
    pd.testing.assert_frame_equal(attributions[0].table(), attribution.table())
    assert gm.round_summary(again.results[0]) == gm.round_summary(game.results[0])


def test_a_half_played_round_keeps_its_decisions(played):
    game, _ = played
    unfinished = gm.Game(game.setup)
    unfinished.submit("Team B", game.setup.start_levers.with_changes(brand_share=0.9))
    again, _ = storage.game_from_json(storage.loads(storage.dumps(
        storage.game_to_json(unfinished))))
    assert again.decisions == unfinished.decisions and again.results == []
    assert again.undecided() == ["Team A"]


@pytest.mark.parametrize(("change", "message"), [
    (lambda o: o.update(format="something else"), "not a workshop game file"),
    (lambda o: o.update(version=99), "version 99"),
    (lambda o: o["choices"].pop("Team A"), "does not fit together"),
])
def test_a_file_that_is_not_a_game_is_refused_in_one_line(played, change, message):
    game, _ = played
    obj = json.loads(storage.dumps(storage.game_to_json(game)))
    change(obj)
    with pytest.raises(storage.GameFileError, match=message) as raised:
        storage.game_from_json(obj)
    assert "\n" not in str(raised.value)
    with pytest.raises(storage.GameFileError, match="not a JSON file"):
        storage.loads(b"{not json")


def test_rooms_are_saved_atomically_and_restored_with_their_codes(played, tmp_path):
    game, attribution = played
    folder = tmp_path / "reports" / "workshop-games"
    library = rm.Rooms(folder)
    room = library.create(game.setup, "session-1", datetime(2025, 3, 4, 10, 15).astimezone())
    assert set(room.codes) == {"Team A", "Team B"}
    assert all(rm.CODE.fullmatch(c) for c in [*room.codes.values(), room.board])
    assert len({*room.codes.values(), room.board}) == 3
    with library.changing(room):
        room.game, room.attributions = game, [attribution]
    assert [p.name for p in folder.iterdir()] == [f"{room.id}.json"]  # no temporary left

    restarted = rm.Rooms(folder)  # a new server reads the folder
    again = restarted.get(room.id)
    assert again is not None and restarted.problems == []
    assert again.codes == room.codes and again.board == room.board
    assert restarted.of_owner("session-1") is again
    code = room.codes["Team B"]
    assert restarted.by_team_code(code.lower()) == (again, "Team B")  # typed in lower case
    assert restarted.by_board(room.board) is again
    assert restarted.by_team_code("ZZZZZZ") is None
    pd.testing.assert_frame_equal(again.game.results[0].leaderboard,
                                  game.results[0].leaderboard)
    assert again.title().startswith("Team A, Team B: debriefed (set up 2025-03-04 10:15)")


def test_a_game_file_exports_and_imports(played, tmp_path):
    game, attribution = played
    here = rm.Rooms(tmp_path / "here")
    room = here.create(game.setup, "s1")
    with here.changing(room):
        room.game, room.attributions = game, [attribution]
    data = here.export_bytes(room)
    elsewhere = rm.Rooms(tmp_path / "elsewhere")
    imported = elsewhere.import_bytes(data, "s2")
    assert imported.owner == "s2" and imported.codes == room.codes  # free there: kept
    pd.testing.assert_frame_equal(imported.game.debrief.table, game.debrief.table)
    again = here.import_bytes(data, "s3")  # the same file twice on one server: new codes
    assert again.id != room.id and set(again.codes.values()).isdisjoint(room.codes.values())
    assert len(list((tmp_path / "here").glob("*.json"))) == 2


def test_a_broken_file_is_reported_and_the_others_load(played, tmp_path):
    game, _ = played
    folder = tmp_path / "games"
    library = rm.Rooms(folder)
    room = library.create(game.setup, "s1")
    (folder / "20250101-000000-abcdef.json").write_text("{oops", encoding="utf-8")
    restarted = rm.Rooms(folder)
    assert restarted.get(room.id) is not None
    assert len(restarted.problems) == 1 and "not a JSON file" in restarted.problems[0]
