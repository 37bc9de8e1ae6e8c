"""Hiring in the workshop game, replayed: salaries, the debrief and its split by lever.

Team A hires four reps in round 2 and cuts brand; Team B keeps the starting
company's plan. The starting company has no attrition, so the salaries the
hires cost are computed by hand: paid from the day they join (the round's
start plus the hiring lag) to the end of the replay.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.apps.workshop import attribution as at
from sim.apps.workshop import game as gm
from sim.apps.workshop import storage
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]
HIRED = 4


@pytest.fixture(scope="module")
def played() -> gm.Game:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    game = gm.Game(gm.GameSetup(("Team A", "Team B"), 2, base, seed=5, replications=2,
                                long_run_days=365.0))
    start = game.setup.start_levers
    game.play_round({"Team A": start, "Team B": start})
    hire = start.with_changes(reps=start.reps + HIRED, brand_share=0.3)
    game.submit("Team A", hire)
    game.play_round()  # Team B sends nothing: it keeps its reps
    game.run_debrief(diagnostics=[gm.hiring_diagnostic])
    return game


def salaries(game: gm.Game, team: str, round_number: int) -> np.ndarray:
    runs = game.results[round_number - 1].teams[team].runs
    return runs.per_replication["rep_salary_cost"].to_numpy(dtype=float)


def test_hires_are_paid_from_the_day_they_join(played):
    base = played.setup.base
    staffing, salary = base.sales.staffing, base.sales.rep_annual_salary
    assert staffing.attrition_annual == 0  # no leaver: the salaries are exact
    # Round 1: the same plan, the same salaries.
    np.testing.assert_array_equal(salaries(played, "Team A", 1), salaries(played, "Team B", 1))
    # Round 2: four hires join hiring_lag_days after the round's start.
    joined = gm.QUARTER_DAYS + staffing.hiring_lag_days
    expected = HIRED * salary * (2 * gm.QUARTER_DAYS - joined) / 365.0
    np.testing.assert_allclose(salaries(played, "Team A", 2) - salaries(played, "Team B", 2),
                               expected, rtol=1e-9)
    # Over the long run they are paid every day from joining on.
    long = {t: played.debrief.runs[t].per_replication["rep_salary_cost"].to_numpy(dtype=float)
            for t in played.setup.teams}
    np.testing.assert_allclose(long["Team A"] - long["Team B"],
                               HIRED * salary * (365.0 - joined) / 365.0, rtol=1e-9)


def test_the_team_timeline_steps_the_headcount_at_the_rounds_start(played):
    scenario = played.debrief.runs["Team A"].scenario
    reps = {day: plan.sales.reps for day, plan in scenario.periods()}
    assert reps[0.0] == 8 and reps[gm.QUARTER_DAYS] == 8 + HIRED
    assert played.results[1].leaderboard.set_index("team").loc["Team A", "changes"] == (
        "brand share 46% → 30%; reps 8 → 12")


def test_the_debrief_says_what_the_hires_cost(played):
    sentences = played.debrief.sentences
    hiring = [s for s in sentences if s.startswith("Headcount of Team A: round 2: 8 → 12.")]
    assert len(hiring) == 1
    assert "Hires join 60 days after the decision" in hiring[0]
    assert "for Team B, which kept 8 reps" in hiring[0]
    assert not any(s.startswith("Headcount of Team B") for s in sentences)


def test_the_split_by_lever_names_the_hiring(played):
    split = at.attribute_gap(played, "Team A", "Team B")
    assert split.levers == ("brand_share", "reps")
    assert split.method == at.SHAPLEY and split.mixes == 2
    np.testing.assert_allclose(split.parts["brand_share"] + split.parts["reps"], split.total,
                               rtol=1e-9, atol=1e-6)
    table = split.table()
    assert "Sales reps" in list(table["label"])
    assert "reps " in split.sentence()


def test_a_saved_game_with_hires_restores_exactly(played):
    obj = storage.game_to_json(played)
    restored, _ = storage.game_from_json(storage.loads(storage.dumps(obj)),
                                         [gm.hiring_diagnostic])
    assert restored.choices == played.choices
    assert restored.debrief.sentences == played.debrief.sentences
    # A file written before hiring existed (no "reps" anywhere) loads: no change of headcount.
    for team in obj["choices"].values():
        for levers in team:
            levers.pop("reps")
    for r in obj["rounds"]:
        for t in r["teams"].values():
            t["levers"].pop("reps")
    old, _ = storage.game_from_json(obj)
    start = played.setup.start_levers.reps
    assert all(x.reps == start for levers in old.choices.values() for x in levers)
