"""Hiring in the workshop game, without simulating: timelines, headcounts and saved games.

The replays (salaries charged, the debrief's decomposition) are in
``tests/e2e/test_workshop_hiring.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.apps.workshop import storage
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def setup() -> gm.GameSetup:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    return gm.GameSetup(("Team A", "Team B"), 4, base, seed=5, replications=2)


def headcount(scenario, day: float) -> int:
    """The planned headcount in force on ``day`` of a scenario's timeline."""
    return [p.sales.reps for start, p in scenario.periods() if start <= day][-1]


def test_reps_is_a_game_lever():
    assert "reps" in lg.GAME_LEVERS
    assert lg.LEVER_SPECS["reps"].in_game and lg.LEVER_SPECS["reps"].key == "sales.reps"


def test_a_team_that_hires_has_more_reps_from_that_round_on(setup):
    start = setup.start_levers
    hire = start.with_changes(reps=start.reps + 4)
    s = gm.team_scenario(setup, "Team A", [start, start, hire, hire], 4 * gm.QUARTER_DAYS)
    days = [0.0, 91.25, 182.4, 182.5, 300.0]
    assert [headcount(s, d) for d in days] == [8, 8, 8, 12, 12]
    periods = s.periods()
    assert [d for d, _ in periods] == [-s.warmup_days, 0.0, 91.25, 182.5, 273.75]
    assert periods[-2][1].sales.reps == 12  # the step of round 3


def test_a_headcount_chosen_in_round_1_is_a_hire_not_the_starting_team(setup):
    start = setup.start_levers
    timeline = gm.team_timeline([start.with_changes(reps=10), start], setup.base)
    assert timeline[0]["day"] == 0.0 and "sales.reps" not in timeline[0]["set"]
    assert timeline[1] == {"day": gm.FIRST_ROUND_HIRING_DAY, "set": {"sales.reps": 10},
                           "note": "round 1: headcount"}
    assert timeline[2]["day"] == gm.QUARTER_DAYS and timeline[2]["set"]["sales.reps"] == 8
    s = gm.team_scenario(setup, "Team A", [start.with_changes(reps=10), start], 182.5)
    # On day 0 the team is the starting company's; the hires are planned the next day.
    assert headcount(s, 0.0) == 8 and headcount(s, 1.0) == 10 and headcount(s, 91.25) == 8
    kept = gm.team_timeline([start], setup.base)
    assert [step["day"] for step in kept] == [0.0]  # no headcount step without a change


def test_letting_reps_go_and_odd_headcounts(setup):
    game = gm.Game(setup)
    start = setup.start_levers
    game.submit("Team A", start.with_changes(reps=5))  # fewer reps is a choice too
    assert game.decisions["Team A"].reps == 5
    for bad in (0, -2, 3.5, True):
        with pytest.raises(gm.GameError, match="whole headcount"):
            game.submit("Team B", start.with_changes(reps=bad))
    game.choices["Team A"] = [start, start.with_changes(reps=12), start.with_changes(reps=10)]
    assert gm.headcount_story(game, "Team A") == "round 2: 8 → 12, round 3: 12 → 10"
    assert gm.headcount_story(game, "Team B") == ""
    assert "reps 8 → 12" in game.story("Team A")


def test_levers_saved_before_hiring_existed_load_with_no_change(setup):
    start = setup.start_levers
    saved = storage.levers_to_json(start.with_changes(brand_share=0.2))
    old = {k: v for k, v in saved.items() if k != "reps"}
    assert storage.levers_from_json(old, start) == start.with_changes(brand_share=0.2)
    with pytest.raises(KeyError):
        storage.levers_from_json(old)
    assert storage.levers_from_json(saved) == start.with_changes(brand_share=0.2)
