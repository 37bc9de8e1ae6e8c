"""The workshop game without a browser: timelines, replays with CRN, leaderboards, debrief."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.apps.workshop import charts
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(REPO / "scenarios" / "baseline.yaml")


def setup_of(baseline, teams=("Team A", "Team B"), rounds=2, **kwargs):
    return gm.GameSetup(tuple(teams), rounds, baseline, seed=5, replications=2, **kwargs)


@pytest.fixture(scope="module")
def played(baseline):
    """Three teams, two rounds; B and C make the same choices; A cuts brand in round 1."""
    game = gm.Game(setup_of(baseline, ("Team A", "Team B", "Team C"), long_run_days=365.0))
    start = game.setup.start_levers
    cut = start.with_changes(brand_share=0.0)
    more = start.with_changes(brand_share=0.7, sales_plan="shared_revenue")
    game.play_round({"Team A": cut, "Team B": start, "Team C": start})
    game.play_round({"Team A": cut, "Team B": more, "Team C": more})
    game.run_debrief()
    return game


def test_round_days_are_quarters():
    assert gm.round_days(1) == (0.0, 91.25)
    assert gm.round_days(4) == (273.75, 365.0)
    assert gm.duration_words(182.5) == "2 quarters"
    assert gm.duration_words(1095.0) == "3 years"
    assert gm.duration_words(365.0) == "1 year"


def test_a_team_timeline_changes_the_game_levers_each_quarter(baseline):
    start = lg.Levers.of(baseline)
    timeline = gm.team_timeline([start, start.with_changes(brand_share=0.2)])
    assert [c["day"] for c in timeline] == [0.0, 91.25]
    assert timeline[1]["set"]["marketing.brand_share"] == 0.2
    assert "sales.reps" not in timeline[0]["set"]  # structural: cannot change on a timeline
    s = gm.team_scenario(setup_of(baseline), "Team A", [start, start.with_changes(
        brand_share=0.2)], 182.5)
    assert s.horizon_days == 182.5 and s.name == "Team A"
    assert [day for day, _ in s.periods()][-1] == 91.25
    assert s.marketing.prior_brand_share == pytest.approx(baseline.marketing.brand_share)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"teams": ("Solo",)}, "two or more teams"),
    ({"teams": ("A", "A")}, "must differ"),
    ({"teams": ("A", " ")}, "needs a name"),
    ({"rounds": 0}, "rounds"),
    ({"rounds": 13}, "rounds"),
    ({"long_run_days": 100.0}, "long run"),
])
def test_setup_refuses_what_cannot_be_played(baseline, kwargs, message):
    args = {"teams": ("Team A", "Team B"), "rounds": 2, **kwargs}
    with pytest.raises(gm.GameError, match=message):
        gm.GameSetup(args.pop("teams"), args.pop("rounds"), baseline, **args)
    with pytest.raises(gm.GameError, match="replications"):
        gm.GameSetup(("A", "B"), 2, baseline, replications=1)


def test_reps_cannot_change_during_a_game_and_every_team_must_play(baseline):
    game = gm.Game(setup_of(baseline))
    start = game.setup.start_levers
    with pytest.raises(gm.GameError, match=r"sales\.reps cannot change"):
        game.play_round({"Team A": start.with_changes(reps=3), "Team B": start})
    with pytest.raises(gm.GameError, match="missing"):
        game.play_round({"Team A": start})
    assert game.results == [] and game.choices == {"Team A": [], "Team B": []}
    with pytest.raises(gm.GameError, match="after the last round"):
        game.run_debrief()


def test_teams_with_the_same_choices_get_the_same_results(played):
    for result in played.results:
        b, c = result.teams["Team B"], result.teams["Team C"]
        np.testing.assert_array_equal(b.revenue_round, c.revenue_round)
        np.testing.assert_array_equal(b.contribution_round, c.contribution_round)


def test_replays_are_causal_so_rounds_add_up(played):
    first, second = played.results
    for team in played.setup.teams:
        # the replay to the end of round 2 sees round 1 exactly as round 1's replay did
        np.testing.assert_allclose(gm.revenue_between(second.teams[team].runs, 0.0, 91.25),
                                   first.teams[team].revenue_to_date)
        total = first.teams[team].contribution_round + second.teams[team].contribution_round
        np.testing.assert_allclose(total, second.teams[team].contribution_to_date)


def test_leaderboard_ranks_by_contribution_in_the_round(played):
    board = played.results[-1].leaderboard
    assert list(board["rank"]) == [1, 2, 3]
    assert board["contribution_round"].is_monotonic_decreasing
    assert set(board["revenue_rank"]) <= {1, 2, 3}
    changes = board.set_index("team")["changes"]
    assert changes["Team A"] == "no change"
    assert "brand share 46% → 70%" in changes["Team B"]
    first = played.results[0].leaderboard.set_index("team")["changes"]
    assert first["Team A"] == "brand share 46% → 0%"
    assert gm.round_summary(played.results[0]).startswith("Round 1: ")


def test_game_state_after_the_last_round(played):
    assert played.finished and played.next_round == 3
    with pytest.raises(gm.GameError, match="game is over"):
        played.play_round({t: played.setup.start_levers for t in played.setup.teams})
    table = played.choices_table()
    assert len(table) == 6 and set(table.columns) >= {"team", "round", "brand_share"}
    standings = played.standings()
    assert list(standings["round"].unique()) == [1, 2]
    assert played.story("Team A") == "round 1: brand share 46% → 0%"
    assert played.story("Team B").startswith("round 2: brand share 46% → 70%, sales plan")


def test_debrief_replays_to_the_long_run_and_explains(played):
    d = played.debrief
    assert d is not None and d.long_run_days == 365.0 and d.game_days == 182.5
    assert set(d.runs) == {"Team A", "Team B", "Team C"}
    assert all(r.scenario.horizon_days == 365.0 for r in d.runs.values())
    table = d.table.set_index("team")
    assert sorted(table["rank_long"]) == sorted(d.table["rank_long"])
    assert d.table["rank_long"].is_monotonic_increasing
    # cutting brand erodes brand equity for months after the game
    assert table.loc["Team A", "brand_equity_long"] < table.loc["Team A", "brand_equity_game"]
    assert table.loc["Team A", "brand_equity_long"] < table.loc["Team B", "brand_equity_long"]
    assert any(team in d.headline for team in played.setup.teams)
    assert "1 year" in d.headline and "2 quarters" in d.headline
    assert sum(s.startswith("Team ") for s in d.sentences) == 3
    revenue = gm.long_run_revenue(d)
    assert set(revenue["scenario"]) == set(played.setup.teams)
    equity = gm.brand_equity(d)
    assert list(equity.columns) == ["team", "day", "brand_equity"]
    for chart in (charts.standings_chart(played.standings()),
                  charts.revenue_chart(revenue, markers=[(91.25, "R1")]),
                  charts.equity_chart(equity, [(91.25, "R1")])):
        assert chart.to_dict()["config"]["legend"]["labelFontSize"] >= 16


def test_debrief_text_names_a_reversal():
    """A synthetic table where the short-run leader loses the long run."""
    game = gm.Game.__new__(gm.Game)
    table = pd.DataFrame({
        "team": ["B", "A"], "choices": ["kept the starting plan", "round 1: brand share 46% → 0%"],
        "contribution_game": [1.0e6, 1.2e6], "revenue_game": [3e6, 3.1e6],
        "contribution_long": [9.0e6, 7.0e6], "revenue_long": [3e7, 2.6e7],
        "brand_equity_game": [0.46, 0.3], "brand_equity_long": [0.46, 0.05],
        "rank_game": [2, 1], "rank_long": [1, 2]})

    class _Setup:
        game_days, long_run_days = 182.5, 1095.0
        start_levers = lg.Levers(2e6, 0.46, 0.5, 8, "revenue_commission", "pipeline", "defined")

    start = _Setup.start_levers
    game.setup = _Setup()  # type: ignore[assignment]
    game.choices = {"A": [start.with_changes(brand_share=0.0)], "B": [start]}
    per_rep = {name: lg.Runs(name, None, 1, pd.DataFrame(  # type: ignore[arg-type]
        {"replication": [0, 1, 2], "contribution": values}), pd.DataFrame(), pd.DataFrame())
        for name, values in (("A", [7.0e6, 7.1e6, 6.9e6]), ("B", [9.0e6, 9.2e6, 8.8e6]))}
    headline, sentences = gm._debrief_text(game, table, per_rep)
    assert headline.startswith("A leads after 2 quarters (1.2 M contribution), but B wins "
                               "over 3 years: 9 M vs 7 M")
    assert any(s.startswith("Why A fell behind: a brand cut") for s in sentences)
