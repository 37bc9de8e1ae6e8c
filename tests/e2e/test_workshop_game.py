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
    timeline = gm.team_timeline([start, start.with_changes(brand_share=0.2)], baseline)
    assert [c["day"] for c in timeline] == [0.0, 91.25]
    assert timeline[1]["set"]["marketing.brand_share"] == 0.2
    # Day 0's headcount is the starting team, not a hire: round 1 leaves it to the base.
    assert "sales.reps" not in timeline[0]["set"]
    assert timeline[1]["set"]["sales.reps"] == baseline.sales.reps  # unchanged: no hire
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


def test_a_headcount_below_one_is_refused_and_every_team_must_play(baseline):
    game = gm.Game(setup_of(baseline))
    start = game.setup.start_levers
    with pytest.raises(gm.GameError, match=r"reps: expected a whole headcount"):
        game.play_round({"Team A": start.with_changes(reps=0), "Team B": start})
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


def test_leaderboard_ranks_by_contribution_and_shares_ranks_on_a_tie(played):
    board = played.results[-1].leaderboard
    assert board["contribution_round"].is_monotonic_decreasing
    ranks = board.set_index("team")["rank"]
    # B and C made the same choices: the same numbers, so one rank for both.
    assert ranks["Team B"] == ranks["Team C"]
    assert sorted(ranks) in ([1, 1, 3], [1, 2, 2])
    assert set(board["revenue_rank"]) <= {1, 2, 3}
    leader = board.iloc[0]
    assert leader["gap"] == 0.0 and leader["within_noise"]
    changes = board.set_index("team")["changes"]
    assert changes["Team A"] == "no change"
    assert "brand share 46% → 70%" in changes["Team B"]
    first = played.results[0].leaderboard.set_index("team")["changes"]
    assert first["Team A"] == "brand share 46% → 0%"
    assert gm.round_summary(played.results[0]).startswith("Round 1: ")
    words = gm.versus_leader(board)
    assert words[0] in ("leader", "joint leader")


def test_teams_send_decisions_and_the_silent_keep_their_levers(baseline):
    game = gm.Game(setup_of(baseline, rounds=2))
    start = game.setup.start_levers
    assert game.undecided() == ["Team A", "Team B"]
    game.submit("Team A", start.with_changes(brand_share=0.3))
    game.submit("Team A", start.with_changes(brand_share=0.1))  # changed its mind
    assert game.undecided() == ["Team B"]
    with pytest.raises(gm.GameError, match=r"reps: expected a whole headcount"):
        game.submit("Team B", start.with_changes(reps=2.5))
    with pytest.raises(gm.GameError, match="no team"):
        game.submit("Team Z", start)
    result = game.play_round()
    assert game.choices["Team A"] == [start.with_changes(brand_share=0.1)]
    assert game.choices["Team B"] == [start]  # sent nothing: kept the starting plan
    assert result.teams["Team A"].decided and not result.teams["Team B"].decided
    assert game.decisions == {} and game.undecided() == ["Team A", "Team B"]


def _values(**teams):
    return {team: np.array(v, dtype=float) for team, v in teams.items()}


def test_standing_says_who_is_within_noise():
    clear = gm.standing(_values(A=[10, 11, 12], B=[5, 6, 7], C=[9.9, 11.2, 11.5]))
    assert clear.order == ["A", "C", "B"] and clear.ranks == {"A": 1, "C": 2, "B": 3}
    assert clear.close == ["A", "C"] and not clear.clear
    tie = gm.standing(_values(A=[1, 2, 3], B=[1, 2, 3], C=[0, 0, 1]))
    assert tie.tied == ["A", "B"] and tie.ranks["C"] == 3
    assert gm.shared_ranks({"x": 2.0, "y": 2.0, "z": 1.0}) == {"x": 1, "y": 1, "z": 3}


def _round(values):
    teams = {name: gm.TeamRound(name, None, None, np.zeros_like(v), v)  # type: ignore[arg-type]
             for name, v in values.items()}
    return gm.RoundResult(1, 0.0, 91.25, teams, pd.DataFrame())


def test_round_summary_is_honest_about_ties_and_noise():
    tie = gm.round_summary(_round(_values(A=[1, 2, 3], B=[1, 2, 3])))
    assert tie.startswith("Round 1: A and B tie for first place this quarter: the same "
                          "contribution in every replication")
    noise = gm.round_summary(_round(_values(A=[10, 11, 12], B=[9.9, 11.2, 11.5])))
    assert "but B is within noise of it" in noise and "earns the most" in noise
    clear = gm.round_summary(_round(_values(A=[10, 11, 12], B=[5, 6, 7])))
    assert clear.startswith("Round 1: A earns the most contribution this quarter, +5")
    assert "on B, the runner-up" in clear


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
    if table.loc["Team B", "rank_long"] == 1:  # B and C made the same choices: they tie
        assert d.headline.startswith("Team B and Team C tie for first over 1 year")
    else:
        assert "Team A" in d.headline and "1 year" in d.headline
    assert sum(s.startswith("Team ") for s in d.sentences) == 3
    revenue = gm.long_run_revenue(d)
    assert set(revenue["scenario"]) == set(played.setup.teams)
    equity = gm.brand_equity(d)
    assert list(equity.columns) == ["team", "day", "brand_equity"]
    for chart in (charts.standings_chart(played.standings()),
                  charts.revenue_chart(revenue, markers=[(91.25, "R1")]),
                  charts.equity_chart(equity, [(91.25, "R1")])):
        assert chart.to_dict()["config"]["legend"]["labelFontSize"] >= 16


class _Setup:
    game_days, long_run_days = 182.5, 1095.0
    start_levers = lg.Levers(2e6, 0.46, 0.5, 8, "revenue_commission", "pipeline", "defined")


def _text(game_values, long_values, brand=None):
    """The debrief's words for synthetic per-replication contributions."""
    game = gm.Game.__new__(gm.Game)
    start = _Setup.start_levers
    game.setup = _Setup()  # type: ignore[assignment]
    brand = brand or {}
    game.choices = {t: [start.with_changes(brand_share=brand.get(t, 0.46))]
                    for t in game_values}
    teams = list(game_values)
    means_game = {t: float(np.mean(v)) for t, v in game_values.items()}
    means_long = {t: float(np.mean(v)) for t, v in long_values.items()}
    ranks_game, ranks_long = gm.shared_ranks(means_game), gm.shared_ranks(means_long)
    table = pd.DataFrame({
        "team": teams, "choices": ["kept the starting plan"] * len(teams),
        "contribution_game": [means_game[t] for t in teams],
        "contribution_long": [means_long[t] for t in teams],
        "brand_equity_game": [0.4] * len(teams), "brand_equity_long": [0.3] * len(teams),
        "rank_game": [ranks_game[t] for t in teams], "rank_long": [ranks_long[t] for t in teams],
    }).sort_values(["rank_long", "rank_game"], kind="stable")
    return gm._debrief_text(game, table, _values(**game_values), _values(**long_values))


def test_debrief_text_names_a_reversal():
    headline, sentences = _text({"A": [1.2e6, 1.25e6, 1.15e6], "B": [1.0e6, 1.02e6, 0.98e6]},
                                {"A": [7.0e6, 7.1e6, 6.9e6], "B": [9.0e6, 9.2e6, 8.8e6]},
                                brand={"A": 0.0})
    assert headline.startswith("A leads after 2 quarters, but B wins over 3 years: 9 M vs 7 M")
    assert any(s.startswith("Why A fell behind: a brand cut") for s in sentences)


def test_debrief_never_says_ahead_when_tied_or_within_noise():
    clear = {"A": [10.0, 11.0, 12.0], "B": [5.0, 6.0, 7.0]}
    headline, _ = _text(clear, clear)
    assert "stays ahead" in headline  # a clear lead, both times
    tied, sentences = _text(clear, {"A": [3.0, 4.0, 5.0], "B": [3.0, 4.0, 5.0]})
    assert tied.startswith("A and B tie for first over 3 years") and "ahead" not in tied
    assert any("joint 1st over 3 years" in s for s in sentences)
    noisy, _ = _text(clear, {"A": [10.0, 11.0, 12.0], "B": [9.9, 11.2, 11.5]})
    assert noisy.startswith("No team is clearly ahead over 3 years")
    assert "stays ahead" not in noisy
    close_then_clear, _ = _text({"A": [10.0, 11.0, 12.0], "B": [9.9, 11.2, 11.5]}, clear)
    assert close_then_clear.startswith("After 2 quarters A and B are within noise of each "
                                       "other; over 3 years A pulls clear")
