"""Why one team beat another: the gap between two teams split lever by lever.

Team A's and team B's long-run contributions differ because their choices
differ on some levers (budget, brand share, hand-off, plans, alignment), round
by round. The decomposition switches levers one at a time from B's choices to
A's (a lever switched takes A's value in every round) and replays each mix to
the long run with the same seed and replications as the teams (common random
numbers): each switch's change is that lever's part, replication by
replication. Switching every lever gives A's own replay, so the parts add up
to the gap exactly, in every replication.

The part of a lever depends on which levers were switched before it (levers
interact: a brand cut costs more with a bigger budget). Over every order of
the levers, the average part is the lever's Shapley value; with up to
``exact_up_to`` differing levers every order is replayed (``2^k - 2`` mixes).
Beyond that, two orders are replayed, the levers' order in the app and its
reverse (``2k - 2`` mixes at most), and their parts averaged: a lever early in
one order is late in the other, so neither end is favoured. Either way the
parts sum to the gap.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.apps.workshop.game import Game, GameError, team_scenario
from sim.apps.workshop.logic import (
    GAME_LEVERS,
    LEVER_SPECS,
    Levers,
    money,
    signed_money,
    simulate_many,
)
from sim.experiments.executors import Executor
from sim.experiments.statistics import mean_ci, paired_difference

SHAPLEY = "shapley"
BOTH_WAYS = "order and reverse"
DEFAULT_EXACT_UP_TO = 3


@dataclass(frozen=True)
class Attribution:
    """The gap between two teams over the long run, split by lever.

    Attributes:
        team_a, team_b: the teams; the gap is A minus B.
        metric: the per-replication metric split (``contribution``).
        horizon_days: the long run the teams were replayed to.
        method: :data:`SHAPLEY` (every order) or :data:`BOTH_WAYS`.
        levers: the levers on which the teams' choices differ, in the app's order.
        total: A minus B, one value per replication.
        parts: lever -> its part, one value per replication (they sum to ``total``).
        mixes: the mixes of the two teams' choices replayed for it.
    """

    team_a: str
    team_b: str
    metric: str
    horizon_days: float
    method: str
    levers: tuple[str, ...]
    total: np.ndarray
    parts: dict[str, np.ndarray]
    mixes: int

    def table(self) -> pd.DataFrame:
        """One row per lever, then the total.

        Columns: ``lever``, ``label``, ``mean``, ``ci_low``, ``ci_high`` (95% CI
        over replications) and ``share`` (of the total's mean).
        """
        rows = []
        total_mean = float(np.mean(self.total))
        for name in self.levers:
            mean, low, high = mean_ci(self.parts[name])
            rows.append({"lever": name, "label": LEVER_SPECS[name].label, "mean": mean,
                         "ci_low": low, "ci_high": high,
                         "share": mean / total_mean if total_mean else float("nan")})
        d = paired_difference(self.total, np.zeros_like(self.total))
        rows.append({"lever": "total", "label": f"Gap: {self.team_a} minus {self.team_b}",
                     "mean": d.mean, "ci_low": d.ci_low, "ci_high": d.ci_high, "share": 1.0})
        return pd.DataFrame(rows)

    def sentence(self) -> str:
        """The decomposition in one sentence, biggest part first."""
        table = self.table()
        total = table.iloc[-1]
        if not self.levers:
            return (f"{self.team_a} and {self.team_b} made the same choices: the same "
                    f"{self.metric} in every replication.")
        parts = table.iloc[:-1].reindex(table.iloc[:-1]["mean"].abs()
                                        .sort_values(ascending=False).index)
        words = [f"{LEVER_SPECS[str(r['lever'])].short} {signed_money(r['mean'])}"
                 for _, r in parts.iterrows()]
        how = ("averaged over every order of switching" if self.method == SHAPLEY
               else "averaged over switching in the app's order and in reverse")
        return (f"{self.team_a} minus {self.team_b}: {signed_money(total['mean'])} "
                f"{self.metric} (95% CI {signed_money(total['ci_low'])} to "
                f"{signed_money(total['ci_high'])}); by lever: {', '.join(words)} "
                f"({how}; the parts add up to the gap).")


def differing_levers(a: Sequence[Levers], b: Sequence[Levers]) -> tuple[str, ...]:
    """The game levers on which two teams' choices differ in some round (the app's order)."""
    return tuple(name for name in GAME_LEVERS
                 if any(getattr(x, name) != getattr(y, name) for x, y in zip(a, b, strict=True)))


def mixed_choices(a: Sequence[Levers], b: Sequence[Levers], switched: frozenset[str]
                  ) -> list[Levers]:
    """B's choices, round by round, with the ``switched`` levers taken from A's."""
    return [y.with_changes(**{name: getattr(x, name) for name in switched})
            for x, y in zip(a, b, strict=True)]


def orders_for(levers: Sequence[str], exact_up_to: int) -> tuple[str, list[tuple[str, ...]]]:
    """The method and the orders of switching replayed for these levers."""
    if len(levers) <= exact_up_to:
        return SHAPLEY, list(itertools.permutations(levers))
    return BOTH_WAYS, [tuple(levers), tuple(reversed(levers))]


def decompose(levers: Sequence[str], value: Callable[[frozenset[str]], np.ndarray],
              orders: Sequence[tuple[str, ...]]) -> dict[str, np.ndarray]:
    """Each lever's part: its switch's change averaged over the orders.

    Args:
        levers: the levers to share the gap between.
        value: the per-replication values of the mix with a set of levers
            switched (``value(frozenset())`` is B, ``value(frozenset(levers))`` A).
        orders: orders of switching, each a permutation of ``levers``.

    Returns:
        lever -> its part per replication; the parts sum to ``value(all) - value(none)``.
    """
    parts = {name: 0.0 * value(frozenset()) for name in levers}
    for order in orders:
        switched: frozenset[str] = frozenset()
        for name in order:
            after = switched | {name}
            parts[name] = parts[name] + (value(after) - value(switched))
            switched = after
    return {name: part / len(orders) for name, part in parts.items()}


def subsets_needed(orders: Sequence[tuple[str, ...]]) -> list[frozenset[str]]:
    """Every set of switched levers the orders pass through, first seen first."""
    seen: dict[frozenset[str], None] = {frozenset(): None}
    for order in orders:
        for k in range(1, len(order) + 1):
            seen.setdefault(frozenset(order[:k]), None)
    return list(seen)


def attribute_gap(game: Game, team_a: str, team_b: str, executor: Executor | None = None,
                  metric: str = "contribution", exact_up_to: int = DEFAULT_EXACT_UP_TO
                  ) -> Attribution:
    """Split the long-run gap between two teams by lever (see the module's docstring).

    The teams' own long-run replays come from the debrief; only the mixes are
    simulated, all at once on ``executor``.

    Args:
        game: a game whose debrief has been run.
        team_a: the first team; the gap is A minus B.
        team_b: the second team.
        executor: where to run the mixes; serial by default.
        metric: a per-replication metric of the replays.
        exact_up_to: replay every order (exact Shapley values) up to this many
            differing levers.

    Raises:
        GameError: no debrief yet, an unknown team, or the same team twice.
    """
    debrief = game.debrief
    if debrief is None:
        raise GameError("the decomposition needs the debrief's long-run replays: run it first")
    for team in (team_a, team_b):
        if team not in game.setup.teams:
            raise GameError(f"no team {team!r} in this game")
    if team_a == team_b:
        raise GameError("pick two different teams")
    a, b = game.choices[team_a], game.choices[team_b]
    levers = differing_levers(a, b)
    method, orders = orders_for(levers, exact_up_to)
    value_a = debrief.runs[team_a].per_replication[metric].to_numpy(dtype=float)
    value_b = debrief.runs[team_b].per_replication[metric].to_numpy(dtype=float)
    mixes = [s for s in subsets_needed(orders) if s and s != frozenset(levers)]
    setup = game.setup
    jobs = [(team_scenario(setup, _label(s), mixed_choices(a, b, s), debrief.long_run_days),
             _label(s)) for s in mixes]
    replays = simulate_many(jobs, setup.replications, setup.seed, executor) if jobs else []
    values: dict[frozenset[str], np.ndarray] = {
        s: r.per_replication[metric].to_numpy(dtype=float)
        for s, r in zip(mixes, replays, strict=True)}
    values[frozenset()] = value_b
    values[frozenset(levers)] = value_a  # with no lever differing, A is B: the same values
    parts = decompose(levers, values.__getitem__, orders)
    total = value_a - value_b
    return Attribution(team_a, team_b, metric, debrief.long_run_days, method, levers, total,
                       parts, len(mixes))


def _label(switched: frozenset[str]) -> str:
    return "mix: " + (", ".join(sorted(switched)) or "none")


def gap_words(attribution: Attribution) -> str:
    """``Team A earns 1.2 M more contribution than Team B``, for a heading."""
    mean = float(np.mean(attribution.total))
    way = "more" if mean >= 0 else "less"
    return (f"{attribution.team_a} earns {money(abs(mean))} {way} {attribution.metric} than "
            f"{attribution.team_b}")
