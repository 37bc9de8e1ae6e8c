"""The workshop game: teams set their levers each round, a quarter at a time.

Each team's choices become a ``timeline`` of the starting company: round 1's
levers from day 0, round 2's from day 91.25, and so on. After every round each
team's timeline is replayed from day 0 to the end of that round with the same
seed and replication indices as every other team (common random numbers: the
teams meet the same market and the same luck, so differences between them
come from their choices). The replay is causal: a run to the end of round
``k`` sees the same days ``0 .. end of k-1`` as the run of the round before,
so a round's contribution is the difference of the two.

The debrief replays every team's timeline to a long horizon (three years by
default) with the last round's levers held, and names who wins in the short
run and who in the long run.

Reps are not a per-round lever: ``sales.reps`` fixes the run's structure and a
timeline cannot change it (:data:`sim.scenario.overrides.FIXED_KEYS`). Every team
keeps the starting company's reps; hiring is a decision longer than a quarter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.apps.workshop.logic import (
    GAME_LEVERS,
    Levers,
    Runs,
    lever_changes,
    money,
    prior_plan,
    signed_money,
    simulate_runs,
)
from sim.experiments.executors import Executor
from sim.experiments.statistics import mean_ci, paired_by_replication, paired_difference
from sim.report.tables import cumulative_bookings
from sim.scenario.schema import Scenario

QUARTER_DAYS = 91.25
MAX_ROUNDS = 12
LONG_RUN_CHOICES: dict[str, float] = {"1 year": 365.0, "2 years": 730.0, "3 years": 1095.0,
                                      "5 years": 1825.0}


class GameError(ValueError):
    """A game that cannot be set up or played as asked; the message is one line."""


def round_days(number: int) -> tuple[float, float]:
    """First and last day (exclusive) of round ``number`` (1-based)."""
    return (number - 1) * QUARTER_DAYS, number * QUARTER_DAYS


def duration_words(days: float) -> str:
    """``91.25`` -> ``1 quarter``, ``365`` -> ``1 year``, ``1095`` -> ``3 years``."""
    years = days / 365.0
    if days >= 365.0 and abs(years - round(years)) < 1e-9:
        return f"{round(years)} year{'s' * (round(years) != 1)}"
    quarters = days / QUARTER_DAYS
    if abs(quarters - round(quarters)) < 1e-9:
        return f"{round(quarters)} quarter{'s' * (round(quarters) != 1)}"
    return f"{days:g} days"


@dataclass(frozen=True)
class GameSetup:
    """What a facilitator decides before the first round.

    Attributes:
        teams: team names, two or more, all different.
        rounds: rounds of a quarter each (1 to :data:`MAX_ROUNDS`).
        base: the starting company (every team starts from its plan).
        base_name: the starting company's name, for people.
        seed: root seed shared by every team (common random numbers).
        replications: replications per team and replay.
        long_run_days: horizon of the debrief's replay (at least the game's length).
    """

    teams: tuple[str, ...]
    rounds: int
    base: Scenario
    base_name: str = "baseline"
    seed: int = 20240601
    replications: int = 3
    long_run_days: float = 1095.0

    def __post_init__(self) -> None:
        names = [t.strip() for t in self.teams]
        if len(names) < 2:
            raise GameError(f"a game needs two or more teams; got {len(names)}")
        if any(not n for n in names):
            raise GameError("every team needs a name")
        if len(set(names)) != len(names):
            raise GameError(f"team names must differ; got {', '.join(names)}")
        object.__setattr__(self, "teams", tuple(names))
        if not 1 <= self.rounds <= MAX_ROUNDS:
            raise GameError(f"rounds: expected 1 to {MAX_ROUNDS}; got {self.rounds}")
        if self.replications < 2:
            raise GameError(f"replications: expected 2 or more (for a CI); got "
                            f"{self.replications}")
        if self.long_run_days < self.game_days:
            raise GameError(f"the long run ({self.long_run_days:g} days) must be at least the "
                            f"game ({self.game_days:g} days)")

    @property
    def game_days(self) -> float:
        """Days the rounds cover."""
        return self.rounds * QUARTER_DAYS

    @property
    def start_levers(self) -> Levers:
        """The starting company's levers: every team's plan before round 1."""
        return Levers.of(self.base)


def team_timeline(choices: Sequence[Levers]) -> list[dict[str, Any]]:
    """A team's choices as timeline changes: round ``k``'s levers from day ``(k-1) x 91.25``."""
    return [{"day": (k - 1) * QUARTER_DAYS, "set": levers.overrides(GAME_LEVERS),
             "note": f"round {k}"} for k, levers in enumerate(choices, start=1)]


def team_scenario(setup: GameSetup, team: str, choices: Sequence[Levers],
                  horizon_days: float) -> Scenario:
    """The starting company with a team's timeline, run for ``horizon_days``.

    Before day 0 the company ran the starting plan (its stocks start there).
    """
    return setup.base.with_overrides({
        "name": team, "horizon_days": float(horizon_days), **prior_plan(setup.base),
        "timeline": team_timeline(choices),
    })


def _per_replication(values: pd.Series, replications: np.ndarray) -> np.ndarray:
    return values.reindex(replications, fill_value=0.0).to_numpy(dtype=float)


def revenue_between(runs: Runs, start: float, end: float) -> np.ndarray:
    """Revenue of deals won in ``[start, end)``, one value per replication."""
    reps = runs.per_replication["replication"].to_numpy()
    deals = runs.won_deals
    inside = deals[(deals["won_time"] >= start) & (deals["won_time"] < end)]
    return _per_replication(inside.groupby("replication")["value"].sum(), reps)


def _ci(values: np.ndarray) -> dict[str, float]:
    mean, low, high = mean_ci(values)
    return {"mean": mean, "ci_low": low, "ci_high": high}


@dataclass(frozen=True)
class TeamRound:
    """One team's replay after one round.

    Attributes:
        team: the team.
        levers: its levers in this round.
        runs: the replay from day 0 to the end of the round.
        revenue_round: revenue won during the round, per replication.
        contribution_round: contribution earned during the round, per replication.
    """

    team: str
    levers: Levers
    runs: Runs
    revenue_round: np.ndarray
    contribution_round: np.ndarray

    @property
    def revenue_to_date(self) -> np.ndarray:
        """Revenue from day 0 to the end of the round, per replication."""
        return self.runs.per_replication["revenue"].to_numpy(dtype=float)

    @property
    def contribution_to_date(self) -> np.ndarray:
        """Contribution from day 0 to the end of the round, per replication."""
        return self.runs.per_replication["contribution"].to_numpy(dtype=float)


@dataclass(frozen=True)
class RoundResult:
    """A round played: every team's replay and the round's leaderboard.

    Attributes:
        number: the round (1-based).
        start_day, end_day: the quarter it covers.
        teams: team -> its replay.
        leaderboard: one row per team, best first (see :func:`leaderboard`).
    """

    number: int
    start_day: float
    end_day: float
    teams: dict[str, TeamRound]
    leaderboard: pd.DataFrame


def leaderboard(teams: Mapping[str, TeamRound], changes: Mapping[str, list[str]]
                ) -> pd.DataFrame:
    """A round's leaderboard, ranked by the contribution earned in the round.

    Columns: ``rank``, ``team``, ``contribution_round``, ``revenue_round`` (means,
    with ``_low``/``_high`` 95% CIs), ``revenue_rank`` (rank by the round's
    revenue), ``contribution_to_date``, ``revenue_to_date`` and ``changes``
    (what the team changed this round, in words).
    """
    rows = []
    for name, tr in teams.items():
        c, r = _ci(tr.contribution_round), _ci(tr.revenue_round)
        rows.append({
            "team": name,
            "contribution_round": c["mean"], "contribution_round_low": c["ci_low"],
            "contribution_round_high": c["ci_high"],
            "revenue_round": r["mean"], "revenue_round_low": r["ci_low"],
            "revenue_round_high": r["ci_high"],
            "contribution_to_date": float(np.mean(tr.contribution_to_date)),
            "revenue_to_date": float(np.mean(tr.revenue_to_date)),
            "changes": "; ".join(changes.get(name, [])) or "no change",
        })
    table = pd.DataFrame(rows)
    table["revenue_rank"] = table["revenue_round"].rank(ascending=False, method="min")
    table = table.sort_values("contribution_round", ascending=False, kind="stable")
    table.insert(0, "rank", range(1, len(table) + 1))
    table["revenue_rank"] = table["revenue_rank"].astype(int)
    return table.reset_index(drop=True)


def round_summary(result: RoundResult) -> str:
    """One sentence on the round: who leads whom, and whether the gap is more than luck.

    The gap is the paired difference of the quarter's contribution between the
    first and second teams, replication by replication (the same market and luck).
    """
    board = result.leaderboard
    if len(board) < 2:
        return f"{board.iloc[0]['team']} played round {result.number} alone."
    first, second = str(board.iloc[0]["team"]), str(board.iloc[1]["team"])
    d = paired_difference(result.teams[first].contribution_round,
                          result.teams[second].contribution_round)
    gap = f"{signed_money(d.mean)} (95% CI {signed_money(d.ci_low)} to {signed_money(d.ci_high)})"
    if d.ci_low > 0:
        return (f"Round {result.number}: {first} earns the most contribution this quarter, "
                f"{gap} on {second}.")
    return (f"Round {result.number}: {first} and {second} are within noise of each other "
            f"this quarter: {gap}.")


@dataclass(frozen=True)
class Debrief:
    """The long run of every team's choices, and what it teaches.

    Attributes:
        long_run_days: horizon of the replays.
        game_days: days the rounds covered.
        runs: team -> its replay to the long run (last round's levers held).
        table: one row per team: ``team``, ``choices``, ``contribution_game``,
            ``revenue_game``, ``rank_game`` (at the end of the game),
            ``contribution_long``, ``revenue_long``, ``rank_long`` (over the
            long run), ``brand_equity_game`` and ``brand_equity_long`` (mean
            brand equity in the last week of each), ordered by ``rank_long``.
        headline: the sentence to read out.
        sentences: one sentence per team, then what explains a reversal.
    """

    long_run_days: float
    game_days: float
    runs: dict[str, Runs]
    table: pd.DataFrame
    headline: str
    sentences: list[str]


@dataclass
class Game:
    """A game in progress: its setup, every team's choices so far, the rounds played.

    Attributes:
        setup: the facilitator's settings.
        choices: team -> its levers, one per round played.
        results: the rounds played.
        debrief: the long run, once asked for after the last round.
    """

    setup: GameSetup
    choices: dict[str, list[Levers]] = field(default_factory=dict)
    results: list[RoundResult] = field(default_factory=list)
    debrief: Debrief | None = None

    def __post_init__(self) -> None:
        for team in self.setup.teams:
            self.choices.setdefault(team, [])

    @property
    def next_round(self) -> int:
        """The round to play next (1-based); ``rounds + 1`` when the game is over."""
        return len(self.results) + 1

    @property
    def finished(self) -> bool:
        """All rounds played."""
        return len(self.results) >= self.setup.rounds

    def current_levers(self, team: str) -> Levers:
        """The team's levers in the last round played (the starting plan before round 1)."""
        played = self.choices[team]
        return played[-1] if played else self.setup.start_levers

    def play_round(self, choices: Mapping[str, Levers], executor: Executor | None = None
                   ) -> RoundResult:
        """Record each team's levers for the next round and replay every team to its end.

        Args:
            choices: team -> levers for this round (every team; reps as the
                starting company's).
            executor: where to run the replays; serial by default.

        Raises:
            GameError: the game is over, a team is missing or unknown, or a team
                changed the reps.
        """
        if self.finished:
            raise GameError(f"the game is over: all {self.setup.rounds} rounds are played")
        missing = [t for t in self.setup.teams if t not in choices]
        unknown = [t for t in choices if t not in self.setup.teams]
        if missing or unknown:
            raise GameError(f"choices for every team are needed: missing {missing}, "
                            f"unknown {unknown}")
        reps = self.setup.start_levers.reps
        for team, levers in choices.items():
            if levers.reps != reps:
                raise GameError(f"{team}: sales.reps cannot change during a game (it fixes the "
                                f"run's structure); every team keeps {reps} reps")
        number = self.next_round
        start, end = round_days(number)
        previous = self.results[-1] if self.results else None
        teams: dict[str, TeamRound] = {}
        changes: dict[str, list[str]] = {}
        for team in self.setup.teams:
            played = [*self.choices[team], choices[team]]
            scenario = team_scenario(self.setup, team, played, end)
            runs = simulate_runs(scenario, self.setup.replications, self.setup.seed, team,
                                 executor)
            to_date = runs.per_replication["contribution"].to_numpy(dtype=float)
            before = (previous.teams[team].contribution_to_date if previous is not None
                      else np.zeros_like(to_date))
            teams[team] = TeamRound(team, choices[team], runs,
                                    revenue_between(runs, start, end), to_date - before)
            changes[team] = lever_changes(self.current_levers(team), choices[team], GAME_LEVERS)
        for team in self.setup.teams:  # only once every replay succeeded
            self.choices[team].append(choices[team])
        result = RoundResult(number, start, end, teams, leaderboard(teams, changes))
        self.results.append(result)
        return result

    def standings(self) -> pd.DataFrame:
        """Contribution and revenue to date after each round: ``round``, ``team``, ..."""
        rows = [{"round": r.number, "day": r.end_day, "team": team,
                 "contribution_to_date": float(np.mean(tr.contribution_to_date)),
                 "revenue_to_date": float(np.mean(tr.revenue_to_date))}
                for r in self.results for team, tr in r.teams.items()]
        return pd.DataFrame(rows)

    def choices_table(self) -> pd.DataFrame:
        """Every team's levers in every round played: ``team``, ``round`` and one column a lever."""
        rows = [{"team": team, "round": k, **{name: getattr(levers, name) for name in GAME_LEVERS}}
                for team in self.setup.teams
                for k, levers in enumerate(self.choices[team], start=1)]
        return pd.DataFrame(rows)

    def story(self, team: str) -> str:
        """A team's choices round by round, in words."""
        parts = []
        before = self.setup.start_levers
        for k, levers in enumerate(self.choices[team], start=1):
            changed = lever_changes(before, levers, GAME_LEVERS)
            if changed:
                parts.append(f"round {k}: {', '.join(changed)}")
            before = levers
        return "; ".join(parts) if parts else "kept the starting plan"

    def run_debrief(self, executor: Executor | None = None) -> Debrief:
        """Replay every team's choices to the long run and say who wins when.

        Raises:
            GameError: rounds are still to be played.
        """
        if not self.finished:
            raise GameError(f"the debrief comes after the last round; "
                            f"{self.setup.rounds - len(self.results)} still to play")
        setup = self.setup
        last = self.results[-1]
        runs = {team: simulate_runs(
            team_scenario(setup, team, self.choices[team], setup.long_run_days),
            setup.replications, setup.seed, team, executor) for team in setup.teams}
        rows = []
        for team in setup.teams:
            tr = last.teams[team]
            long = runs[team].per_replication
            rows.append({
                "team": team, "choices": self.story(team),
                "contribution_game": float(np.mean(tr.contribution_to_date)),
                "revenue_game": float(np.mean(tr.revenue_to_date)),
                "contribution_long": float(long["contribution"].mean()),
                "revenue_long": float(long["revenue"].mean()),
                "brand_equity_game": _last_week_equity(tr.runs),
                "brand_equity_long": _last_week_equity(runs[team]),
            })
        table = pd.DataFrame(rows)
        table["rank_game"] = table["contribution_game"].rank(ascending=False, method="min")
        table["rank_long"] = table["contribution_long"].rank(ascending=False, method="min")
        table = table.astype({"rank_game": int, "rank_long": int})
        table = table.sort_values(["rank_long", "rank_game"], kind="stable").reset_index(drop=True)
        headline, sentences = _debrief_text(self, table, runs)
        self.debrief = Debrief(setup.long_run_days, setup.game_days, runs, table, headline,
                               sentences)
        return self.debrief


def _last_week_equity(runs: Runs) -> float:
    series = runs.timeseries
    if series.empty:
        return math.nan
    last = series[series["week"] == series["week"].max()]
    return float(last["brand_equity"].mean())


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _debrief_text(game: Game, table: pd.DataFrame, runs: Mapping[str, Runs]
                  ) -> tuple[str, list[str]]:
    setup = game.setup
    short = duration_words(setup.game_days)
    long = duration_words(setup.long_run_days)
    by_game = table.sort_values(["rank_game", "rank_long"], kind="stable")
    game_leader = str(by_game.iloc[0]["team"])
    long_leader = str(table.iloc[0]["team"])
    by_team = {row["team"]: row for row in table.to_dict("records")}
    lead_row = by_team[long_leader]
    if game_leader == long_leader:
        runner = str(table.iloc[1]["team"])
        d = paired_by_replication(runs[long_leader].per_replication,
                                  runs[runner].per_replication, "contribution")
        gap = (f"{signed_money(d.mean)} on {runner}" if d.ci_low > 0
               else f"though its gap on {runner} is within noise")
        headline = (f"{long_leader} leads after {short} and stays ahead over {long}: "
                    f"{money(lead_row['contribution_long'])} contribution, {gap} (95% CI "
                    f"{signed_money(d.ci_low)} to {signed_money(d.ci_high)}).")
    else:
        game_row = by_team[game_leader]
        d = paired_by_replication(runs[long_leader].per_replication,
                                  runs[game_leader].per_replication, "contribution")
        noise = "" if d.ci_low > 0 else ", within noise"
        headline = (f"{game_leader} leads after {short} "
                    f"({money(game_row['contribution_game'])} contribution), but {long_leader} "
                    f"wins over {long}: {money(lead_row['contribution_long'])} vs "
                    f"{money(game_row['contribution_long'])} (95% CI of the gap "
                    f"{signed_money(d.ci_low)} to {signed_money(d.ci_high)}{noise}).")
    sentences = []
    start = setup.start_levers
    for _, row in table.iterrows():
        sentences.append(
            f"{row['team']}: {row['choices']}. {_ordinal(int(row['rank_game']))} after "
            f"{short}, {_ordinal(int(row['rank_long']))} over {long}; brand equity "
            f"{row['brand_equity_game']:.2f} at the end of the game, "
            f"{row['brand_equity_long']:.2f} at the end of {long}.")
    for _, row in table.iterrows():
        final = game.choices[str(row["team"])][-1]
        if row["rank_long"] > row["rank_game"] and final.brand_share < start.brand_share - 0.1:
            sentences.append(
                f"Why {row['team']} fell behind: a brand cut pays at once (promotion leads "
                f"arrive within weeks) but brand equity keeps eroding for months, and with it "
                f"organic leads, win rates and prices; the bill arrives after the game ends.")
        elif row["rank_long"] < row["rank_game"] and final.brand_share > start.brand_share + 0.1:
            sentences.append(
                f"Why {row['team']} caught up: brand spend looks like a cost for a quarter or "
                f"two, then builds equity that brings organic leads and better win rates for "
                f"years.")
    return headline, sentences


# --- tables behind the charts -------------------------------------------------------


def long_run_revenue(debrief: Debrief) -> pd.DataFrame:
    """Cumulative revenue of each team over the long run (``scenario`` = team)."""
    frames = [r.timeseries.assign(scenario=team) for team, r in debrief.runs.items()]
    return cumulative_bookings(pd.concat(frames, ignore_index=True), debrief.long_run_days)


def brand_equity(debrief: Debrief) -> pd.DataFrame:
    """Weekly brand equity of each team over the long run: ``team``, ``day``, ``brand_equity``."""
    rows: list[pd.DataFrame] = [
        r.timeseries.groupby("day", as_index=False)["brand_equity"].mean().assign(team=team)
        for team, r in debrief.runs.items()]
    return pd.concat(rows, ignore_index=True)[["team", "day", "brand_equity"]]
