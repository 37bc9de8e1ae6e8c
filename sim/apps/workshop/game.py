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

Teams decide privately: each submits its levers for the next round
(:meth:`Game.submit`, from its own device in the app); the round is played
with every team's submission, and a team that did not submit keeps its levers.
Ranks are shared on a tie, and the sentences read out never call a lead
"ahead" when it is within noise (:func:`round_summary`, the debrief).

Hiring is a lever like the others: ``sales.reps`` on a team's timeline is its
planned headcount (MODEL.md, capacity over time). A rise at a round's start
hires the difference: the hires join ``sales.staffing.hiring_lag_days`` later,
ramp up over ``ramp_days`` and are paid from the day they join, so their
salaries show in the contribution (``rep_salary_cost``) before their deals do.
A fall lets the reps who joined last go. Day 0 is special in the model: the
headcount in force on day 0 is the starting team, in post from the warm-up,
not a hire. So round 1's step on day 0 keeps the starting company's reps, and
a headcount chosen in round 1 takes effect on :data:`FIRST_ROUND_HIRING_DAY`,
as a hire (or a departure) like any other round's.

The debrief takes extra readings as :data:`Diagnostic` functions (the game and
every team's long-run replay in, sentences out), given to
:meth:`Game.run_debrief`; :func:`hiring_diagnostic` says what each team's hires
cost and when they came.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from sim.apps.workshop.logic import (
    GAME_LEVERS,
    LEVER_SPECS,
    Levers,
    Runs,
    lever_changes,
    money,
    plan_overrides,
    prior_plan,
    signed_money,
    simulate_many,
)
from sim.experiments.executors import Executor
from sim.experiments.statistics import PairedDifference, mean_ci, paired_difference
from sim.report.tables import cumulative_bookings
from sim.scenario.overrides import STARTING_KEYS
from sim.scenario.schema import Scenario

QUARTER_DAYS = 91.25
# The day a headcount chosen in round 1 takes effect. On day 0 the model reads
# sales.reps as the starting team (in post, fully productive), so round 1's hires
# are planned the next day: they join after the hiring lag and ramp, as in any round.
FIRST_ROUND_HIRING_DAY = 1.0
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


def team_timeline(choices: Sequence[Levers], base: Scenario) -> list[dict[str, Any]]:
    """A team's choices as timeline changes: round ``k``'s levers from day ``(k-1) x 91.25``.

    Round 1's step on day 0 leaves the starting team (``sales.reps``, a
    starting key) as ``base`` has it; a different headcount in round 1 is a
    step of its own on :data:`FIRST_ROUND_HIRING_DAY` (see the module's docstring).

    Args:
        choices: the team's levers, one per round.
        base: the starting company.
    """
    steps = []
    for k, levers in enumerate(choices, start=1):
        changes = plan_overrides(base, levers, GAME_LEVERS)
        if k == 1:
            starting = {key: changes.pop(key) for key in list(changes) if key in STARTING_KEYS}
            steps.append({"day": 0.0, "set": changes, "note": "round 1"})
            moved = {key: value for key, value in starting.items()
                     if value != _value_of(base, key)}
            if moved:
                steps.append({"day": FIRST_ROUND_HIRING_DAY, "set": moved,
                              "note": "round 1: headcount"})
            continue
        steps.append({"day": (k - 1) * QUARTER_DAYS, "set": changes, "note": f"round {k}"})
    return steps


def _value_of(scenario: Scenario, key: str) -> Any:
    value: Any = scenario
    for part in key.split("."):
        value = getattr(value, part)
    return value


def team_scenario(setup: GameSetup, team: str, choices: Sequence[Levers],
                  horizon_days: float) -> Scenario:
    """The starting company with a team's timeline, run for ``horizon_days``.

    Before day 0 the company ran the starting plan (its stocks start there).
    """
    return setup.base.with_overrides({
        "name": team, "horizon_days": float(horizon_days), **prior_plan(setup.base),
        "timeline": team_timeline(choices, setup.base),
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
        decided: whether the team submitted its levers for the round (``False``:
            it kept its levers of the round before).
    """

    team: str
    levers: Levers
    runs: Runs
    revenue_round: np.ndarray
    contribution_round: np.ndarray
    decided: bool = True

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


# --- ranks and gaps, honest about ties and noise -----------------------------------


def shared_ranks(values: Mapping[str, float]) -> dict[str, int]:
    """Rank 1 for the highest; equal values share a rank (``1, 1, 3``)."""
    ordered = sorted(values.values(), reverse=True)
    return {team: ordered.index(v) + 1 for team, v in values.items()}


@dataclass(frozen=True)
class Standing:
    """Who is ahead on one measure, and by how much more than luck.

    Attributes:
        order: teams, best mean first (ties in the given order).
        ranks: team -> shared rank.
        gaps: team -> the leader minus the team, paired by replication (the
            leader's own gap is zero).
        tied: the teams that share rank 1.
        close: the teams whose gap to the leader is within noise (its 95% CI
            includes 0), the leader and the tied teams included.
    """

    order: list[str]
    ranks: dict[str, int]
    gaps: dict[str, PairedDifference]
    tied: list[str]
    close: list[str]

    @property
    def leader(self) -> str:
        """The first of the order."""
        return self.order[0]

    @property
    def clear(self) -> bool:
        """One team ahead of every other by more than noise."""
        return len(self.close) == 1


def standing(values: Mapping[str, np.ndarray]) -> Standing:
    """Rank teams by the mean of per-replication values and say who is within noise.

    Args:
        values: team -> one value per replication, the same replications for
            every team (common random numbers), in the teams' order.
    """
    means = {team: float(np.mean(v)) for team, v in values.items()}
    order = sorted(values, key=lambda t: -means[t])
    ranks = shared_ranks(means)
    leader = order[0]
    gaps = {team: paired_difference(values[leader], values[team]) for team in order}
    tied = [t for t in order if ranks[t] == 1]
    close = [t for t in order if ranks[t] == 1 or not _excludes_zero(gaps[t])]
    return Standing(order, ranks, gaps, tied, close)


def _excludes_zero(d: PairedDifference) -> bool:
    return bool(d.ci_low > 0 or d.ci_high < 0)


def names_in_words(teams: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    items = list(teams)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _gap_text(d: PairedDifference) -> str:
    return (f"{signed_money(d.mean)} (95% CI {signed_money(d.ci_low)} to "
            f"{signed_money(d.ci_high)})")


def leaderboard(teams: Mapping[str, TeamRound], changes: Mapping[str, list[str]]
                ) -> pd.DataFrame:
    """A round's leaderboard, ranked by the contribution earned in the round.

    Columns: ``rank`` (shared on a tie), ``team``, ``contribution_round``,
    ``revenue_round`` (means, with ``_low``/``_high`` 95% CIs), ``revenue_rank``
    (rank by the round's revenue), ``gap``, ``gap_low``, ``gap_high`` (the
    leader's contribution this round minus the team's, paired by replication),
    ``within_noise`` (the gap's CI includes 0; the leader's own row too),
    ``contribution_to_date``, ``revenue_to_date``, ``changes`` (what the team
    changed this round, in words) and ``decided``.
    """
    stand = standing({name: tr.contribution_round for name, tr in teams.items()})
    revenue_ranks = shared_ranks({name: float(np.mean(tr.revenue_round))
                                  for name, tr in teams.items()})
    rows = []
    for name in stand.order:
        tr = teams[name]
        c, r, gap = _ci(tr.contribution_round), _ci(tr.revenue_round), stand.gaps[name]
        rows.append({
            "rank": stand.ranks[name], "team": name,
            "contribution_round": c["mean"], "contribution_round_low": c["ci_low"],
            "contribution_round_high": c["ci_high"],
            "revenue_round": r["mean"], "revenue_round_low": r["ci_low"],
            "revenue_round_high": r["ci_high"], "revenue_rank": revenue_ranks[name],
            "gap": gap.mean, "gap_low": gap.ci_low, "gap_high": gap.ci_high,
            "within_noise": name in stand.close,
            "contribution_to_date": float(np.mean(tr.contribution_to_date)),
            "revenue_to_date": float(np.mean(tr.revenue_to_date)),
            "changes": "; ".join(changes.get(name, [])) or "no change",
            "decided": tr.decided,
        })
    return pd.DataFrame(rows)


def versus_leader(board: pd.DataFrame) -> list[str]:
    """Each leaderboard row's gap to the leader, in words.

    ``leader`` (``joint leader`` on a tie), or the team's contribution minus the
    leader's, ``(within noise)`` when its 95% CI includes 0: ``-40 k (within noise)``.
    """
    tied = int((board["rank"] == 1).sum()) > 1
    out = []
    for _, row in board.iterrows():
        if row["rank"] == 1:
            out.append("joint leader" if tied else "leader")
        else:
            noise = " (within noise)" if row["within_noise"] else ""
            out.append(f"{signed_money(-float(row['gap']))}{noise}")
    return out


def round_summary(result: RoundResult) -> str:
    """One sentence on the round: who earned the most, and whether it is more than luck.

    Gaps are paired differences of the quarter's contribution, replication by
    replication (the same market and luck). Teams that share the first rank
    tie; a leader whose gap to another team is within noise is not called ahead.
    """
    values = {team: tr.contribution_round for team, tr in result.teams.items()}
    if len(values) < 2:
        return f"{next(iter(values))} played round {result.number} alone."
    stand = standing(values)
    k = result.number
    if len(stand.tied) > 1:
        same = all(np.array_equal(values[t], values[stand.leader]) for t in stand.tied)
        why = (": the same contribution in every replication (the same choices meet the "
               "same market)" if same else " on the mean")
        return f"Round {k}: {names_in_words(stand.tied)} tie for first place this quarter{why}."
    others = [t for t in stand.close if t != stand.leader]
    if others:
        gap = stand.gaps[others[-1]]
        verb = "is" if len(others) == 1 else "are"
        return (f"Round {k}: {stand.leader} earns the most contribution this quarter, but "
                f"{names_in_words(others)} {verb} within noise of it "
                f"(gap to {others[-1]}: {_gap_text(gap)}).")
    runner = stand.order[1]
    return (f"Round {k}: {stand.leader} earns the most contribution this quarter, "
            f"{_gap_text(stand.gaps[runner])} on {runner}, the runner-up.")


# --- the debrief ---------------------------------------------------------------------


@dataclass(frozen=True)
class Debrief:
    """The long run of every team's choices, and what it teaches.

    Attributes:
        long_run_days: horizon of the replays.
        game_days: days the rounds covered.
        runs: team -> its replay to the long run (last round's levers held).
        table: one row per team: ``team``, ``choices``, ``contribution_game``,
            ``revenue_game``, ``rank_game`` (at the end of the game, shared on a
            tie), ``contribution_long``, ``revenue_long``, ``rank_long`` (over
            the long run), ``brand_equity_game`` and ``brand_equity_long`` (mean
            brand equity in the last week of each), ordered by ``rank_long``.
        headline: the sentence to read out.
        sentences: one sentence per team, then what explains a reversal, then
            what the diagnostics say.
    """

    long_run_days: float
    game_days: float
    runs: dict[str, Runs]
    table: pd.DataFrame
    headline: str
    sentences: list[str]


# A debrief's extra reading of the game (the alignment diagnostic, when it lands):
# the game and every team's long-run replay in, sentences out.
Diagnostic: TypeAlias = Callable[["Game", Mapping[str, Runs]], list[str]]


@dataclass
class Game:
    """A game in progress: its setup, every team's choices so far, the rounds played.

    Attributes:
        setup: the facilitator's settings.
        choices: team -> its levers, one per round played.
        results: the rounds played.
        debrief: the long run, once asked for after the last round.
        decisions: team -> the levers it submitted for the next round.
    """

    setup: GameSetup
    choices: dict[str, list[Levers]] = field(default_factory=dict)
    results: list[RoundResult] = field(default_factory=list)
    debrief: Debrief | None = None
    decisions: dict[str, Levers] = field(default_factory=dict)

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

    def _check(self, team: str, levers: Levers) -> None:
        if team not in self.setup.teams:
            raise GameError(f"no team {team!r} in this game; teams: "
                            f"{', '.join(self.setup.teams)}")
        if isinstance(levers.reps, bool) or int(levers.reps) != levers.reps or levers.reps < 1:
            raise GameError(f"{team}: reps: expected a whole headcount of 1 or more; got "
                            f"{levers.reps!r}")

    def submit(self, team: str, levers: Levers) -> None:
        """Record a team's levers for the next round (replacing an earlier submission).

        Raises:
            GameError: the game is over, an unknown team, or a headcount below 1.
        """
        if self.finished:
            raise GameError(f"the game is over: all {self.setup.rounds} rounds are played")
        self._check(team, levers)
        self.decisions[team] = levers

    def undecided(self) -> list[str]:
        """Teams that have not submitted their levers for the next round."""
        return [t for t in self.setup.teams if t not in self.decisions]

    def play_round(self, choices: Mapping[str, Levers] | None = None,
                   executor: Executor | None = None) -> RoundResult:
        """Play the next round and replay every team from day 0 to its end.

        Args:
            choices: team -> levers for this round (every team); by default the
                teams' submissions, and for a team that did not submit, its
                levers of the round before.
            executor: where to run the replays (every team's at once); serial by default.

        Raises:
            GameError: the game is over, a team is missing or unknown, or a
                headcount below 1.
        """
        if self.finished:
            raise GameError(f"the game is over: all {self.setup.rounds} rounds are played")
        if choices is None:
            decided = set(self.decisions)
            choices = {t: self.decisions.get(t, self.current_levers(t)) for t in self.setup.teams}
        else:
            decided = set(self.setup.teams)
        missing = [t for t in self.setup.teams if t not in choices]
        unknown = [t for t in choices if t not in self.setup.teams]
        if missing or unknown:
            raise GameError(f"choices for every team are needed: missing {missing}, "
                            f"unknown {unknown}")
        for team, levers in choices.items():
            self._check(team, levers)
        number = self.next_round
        start, end = round_days(number)
        previous = self.results[-1] if self.results else None
        jobs = [(team_scenario(self.setup, team, [*self.choices[team], choices[team]], end),
                 team) for team in self.setup.teams]
        replays = simulate_many(jobs, self.setup.replications, self.setup.seed, executor)
        teams: dict[str, TeamRound] = {}
        changes: dict[str, list[str]] = {}
        for team, runs in zip(self.setup.teams, replays, strict=True):
            to_date = runs.per_replication["contribution"].to_numpy(dtype=float)
            before = (previous.teams[team].contribution_to_date if previous is not None
                      else np.zeros_like(to_date))
            teams[team] = TeamRound(team, choices[team], runs,
                                    revenue_between(runs, start, end), to_date - before,
                                    team in decided)
            changes[team] = lever_changes(self.current_levers(team), choices[team], GAME_LEVERS)
        for team in self.setup.teams:  # only once every replay succeeded
            self.choices[team].append(choices[team])
        self.decisions = {}
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

    def long_run_scenario(self, team: str) -> Scenario:
        """A team's choices replayed to the long run, the last round's levers held."""
        return team_scenario(self.setup, team, self.choices[team], self.setup.long_run_days)

    def run_debrief(self, executor: Executor | None = None,
                    diagnostics: Sequence[Diagnostic] = ()) -> Debrief:
        """Replay every team's choices to the long run and say who wins when.

        Args:
            executor: where to run the replays (every team's at once); serial by default.
            diagnostics: extra readings whose sentences close the debrief.

        Raises:
            GameError: rounds are still to be played.
        """
        if not self.finished:
            raise GameError(f"the debrief comes after the last round; "
                            f"{self.setup.rounds - len(self.results)} still to play")
        setup = self.setup
        replays = simulate_many([(self.long_run_scenario(team), team) for team in setup.teams],
                                setup.replications, setup.seed, executor)
        self.debrief = debrief_of(self, dict(zip(setup.teams, replays, strict=True)),
                                  diagnostics)
        return self.debrief


def headcount_story(game: Game, team: str) -> str:
    """A team's headcount round by round: ``round 2: 8 → 12, round 4: 12 → 10`` ('' if kept)."""
    before = game.setup.start_levers.reps
    steps = []
    for k, levers in enumerate(game.choices[team], start=1):
        if levers.reps != before:
            steps.append(f"round {k}: {before} → {levers.reps}")
            before = levers.reps
    return ", ".join(steps)


def hiring_diagnostic(game: Game, runs: Mapping[str, Runs]) -> list[str]:
    """What each team's change of headcount cost and when it came (a :data:`Diagnostic`).

    One sentence per team whose reps changed: when, the hiring lag and ramp of
    the starting company's ``sales.staffing``, and its rep salaries over the
    long run beside those of the teams that kept the starting headcount.
    """
    setup = game.setup
    long = duration_words(setup.long_run_days)
    staffing = setup.base.sales.staffing
    salaries = {team: float(runs[team].per_replication["rep_salary_cost"].mean())
                for team in setup.teams}
    moved = {team: headcount_story(game, team) for team in setup.teams}
    kept = [team for team in setup.teams if not moved[team]]
    reference = ""
    if kept:
        mean_kept = float(np.mean([salaries[t] for t in kept]))
        reference = (f", against {money(mean_kept)} for {names_in_words(kept)}, which kept "
                     f"{setup.start_levers.reps} {LEVER_SPECS['reps'].short}")
    sentences = []
    for team in setup.teams:
        if not moved[team]:
            continue
        sentences.append(
            f"Headcount of {team}: {moved[team]}. Hires join {staffing.hiring_lag_days:g} days "
            f"after the decision and reach full capacity {staffing.ramp_days:g} days later, "
            f"paid from the day they join: rep salaries over {long} "
            f"{money(salaries[team])}{reference}.")
    return sentences


def debrief_of(game: Game, runs: Mapping[str, Runs], diagnostics: Sequence[Diagnostic] = ()
               ) -> Debrief:
    """The debrief of a finished game from every team's long-run replay.

    Args:
        game: the game, every round played.
        runs: team -> its replay to the long run (:meth:`Game.long_run_scenario`).
        diagnostics: extra readings whose sentences close the debrief.
    """
    setup = game.setup
    last = game.results[-1]
    rows = []
    for team in setup.teams:
        tr = last.teams[team]
        long = runs[team].per_replication
        rows.append({
            "team": team, "choices": game.story(team),
            "contribution_game": float(np.mean(tr.contribution_to_date)),
            "revenue_game": float(np.mean(tr.revenue_to_date)),
            "contribution_long": float(long["contribution"].mean()),
            "revenue_long": float(long["revenue"].mean()),
            "brand_equity_game": _last_week_equity(tr.runs),
            "brand_equity_long": _last_week_equity(runs[team]),
        })
    table = pd.DataFrame(rows)
    ranks_game = shared_ranks(dict(zip(table["team"], table["contribution_game"], strict=True)))
    ranks_long = shared_ranks(dict(zip(table["team"], table["contribution_long"], strict=True)))
    table["rank_game"] = [ranks_game[t] for t in table["team"]]
    table["rank_long"] = [ranks_long[t] for t in table["team"]]
    table = table.sort_values(["rank_long", "rank_game"], kind="stable").reset_index(drop=True)
    game_values = {t: last.teams[t].contribution_to_date for t in setup.teams}
    long_values = {t: runs[t].per_replication["contribution"].to_numpy(dtype=float)
                   for t in setup.teams}
    headline, sentences = _debrief_text(game, table, game_values, long_values)
    for diagnostic in diagnostics:
        sentences += diagnostic(game, runs)
    return Debrief(setup.long_run_days, setup.game_days, dict(runs), table, headline,
                   sentences)


def _last_week_equity(runs: Runs) -> float:
    series = runs.timeseries
    if series.empty:
        return math.nan
    last = series[series["week"] == series["week"].max()]
    return float(last["brand_equity"].mean())


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _rank_words(rank: int, ranks: Sequence[int]) -> str:
    """``1st``, or ``joint 1st`` when another team shares the rank."""
    return f"{'joint ' if list(ranks).count(rank) > 1 else ''}{_ordinal(rank)}"


def _headline(short: str, long: str, at_end: Standing, over_long: Standing,
              long_values: Mapping[str, np.ndarray]) -> str:
    """Who leads when, never calling a lead within noise "ahead"."""
    total = {t: money(float(np.mean(v))) for t, v in long_values.items()}
    if len(over_long.tied) > 1:
        return (f"{names_in_words(over_long.tied)} tie for first over {long}: "
                f"{total[over_long.leader]} contribution each.")
    winner = over_long.leader
    if not over_long.clear:
        rival = over_long.close[-1]
        return (f"No team is clearly ahead over {long}: {winner} earns the most "
                f"({total[winner]} contribution), but {names_in_words(over_long.close[1:])} "
                f"{'is' if len(over_long.close) == 2 else 'are'} within noise of it (gap to "
                f"{rival}: {_gap_text(over_long.gaps[rival])}).")
    runner = over_long.order[1]
    gap = f"{_gap_text(over_long.gaps[runner])} on {runner}"
    if at_end.clear and at_end.leader == winner:
        return (f"{winner} leads after {short} and stays ahead over {long}: "
                f"{total[winner]} contribution, {gap}.")
    if winner in at_end.close:
        return (f"After {short} {names_in_words(at_end.close)} are within noise of each "
                f"other; over {long} {winner} pulls clear: {total[winner]} contribution, {gap}.")
    leader = at_end.leader
    behind = over_long.gaps[leader]
    ahead = ("leads" if at_end.clear
             else f"is in front ({names_in_words(at_end.close)} within noise)")
    return (f"{leader} {ahead} after {short}, but {winner} wins over {long}: "
            f"{total[winner]} vs {total[leader]} (gap {_gap_text(behind)}).")


def _debrief_text(game: Game, table: pd.DataFrame, game_values: Mapping[str, np.ndarray],
                  long_values: Mapping[str, np.ndarray]) -> tuple[str, list[str]]:
    setup = game.setup
    short = duration_words(setup.game_days)
    long = duration_words(setup.long_run_days)
    headline = _headline(short, long, standing(game_values), standing(long_values),
                         long_values)
    sentences = []
    start = setup.start_levers
    ranks_game, ranks_long = list(table["rank_game"]), list(table["rank_long"])
    for _, row in table.iterrows():
        sentences.append(
            f"{row['team']}: {row['choices']}. {_rank_words(int(row['rank_game']), ranks_game)} "
            f"after {short}, {_rank_words(int(row['rank_long']), ranks_long)} over {long}; "
            f"brand equity {row['brand_equity_game']:.2f} at the end of the game, "
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
