"""The multi-lever optimiser on analytic objectives with known optima.

The evaluation is a function given to the optimiser, so these toys replace the
simulator with closed forms plus noise that is common to every plan (common
random numbers: replication ``r`` always draws the same noise).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pytest

from sim.experiments.budget import parse_budget
from sim.experiments.optimizer import Lever, LeverProblem, Risk, Target, optimize_levers

pytestmark = pytest.mark.validation

Objective = Callable[[Mapping[str, float]], float]


def noise(reps: int) -> np.ndarray:
    """The luck of replications 0 .. reps-1: the same for every plan (CRN)."""
    return np.array([np.random.default_rng([99, r]).standard_normal() for r in range(reps)])


def toy(objective: Objective, sd: float = 0.01,
        spread: Callable[[Mapping[str, float]], float] | None = None,
        extra: Mapping[str, Objective] | None = None):  # type: ignore[no-untyped-def]
    """An evaluation: contribution = f(plan) + spread(plan) x luck; revenue_1y = f / 2."""
    calls = {"plans": 0}

    def evaluate(plans: Sequence[Mapping[str, float]], reps: int) -> list[dict[str, np.ndarray]]:
        eps = noise(reps)
        out = []
        for plan in plans:
            calls["plans"] += 1
            f = objective(plan)
            scale = sd if spread is None else spread(plan)
            metrics = {"contribution": (f + scale * eps).reshape(1, reps),
                       "revenue_1y": np.full((1, reps), f / 2)}
            for name, fn in (extra or {}).items():
                metrics[name] = (fn(plan) + eps).reshape(1, reps)
            out.append(metrics)
        return out

    evaluate.calls = calls  # type: ignore[attr-defined]
    return evaluate


def test_two_levers_interior_optimum() -> None:
    def f(p: Mapping[str, float]) -> float:
        return -(p["a"] - 0.3) ** 2 - 2 * (p["b"] - 0.7) ** 2

    problem = LeverProblem((Lever("a", 0, 1), Lever("b", 0, 1)), "contribution", "max",
                           trials=60, seed=1, reference={"a": 0.5, "b": 0.5})
    out = optimize_levers(problem, toy(f), 4, 16)
    best = out.best_plan
    assert best is not None
    assert best.plan["a"] == pytest.approx(0.3, abs=0.06)
    assert best.plan["b"] == pytest.approx(0.7, abs=0.06)
    assert best.ci_low <= f(best.plan) <= best.ci_high + 1e-9
    assert out.vs_reference is not None and out.vs_reference.expected > 0
    # Today's plan (0.5, 0.5) is 0.12 worse: far beyond the noise, detectably worse.
    today = [x for x in out.finalists if x.is_reference]
    assert today and not today[0].not_worse


def test_three_levers_optimum_on_the_budget_boundary() -> None:
    # Unconstrained the best is (1, 1, 1); the budget x + y + 2 z <= 2 binds, and the
    # best point on it is where the gradient is normal to it: (1 - t, 1 - t, 1 - 2 t)
    # with 4 - 6 t... solved: x = y = 2/3, z = 1/3, objective -1/3 - 4/9 ... see below.
    def f(p: Mapping[str, float]) -> float:
        return -(p["x"] - 1) ** 2 - (p["y"] - 1) ** 2 - (p["z"] - 1) ** 2

    # Lagrange: 2 (1 - x) = l, 2 (1 - y) = l, 2 (1 - z) = 2 l; x + y + 2 z = 2 gives
    # l = 2/3: x = y = 2/3, z = 1/3, f = -1/9 - 1/9 - 4/9 = -2/3.
    budget = parse_budget("x + y + 2*z <= 2")
    problem = LeverProblem((Lever("x", 0, 2), Lever("y", 0, 2), Lever("z", 0, 2)),
                           "contribution", "max", budget=budget, trials=160, seed=2)
    evaluate = toy(f)
    out = optimize_levers(problem, evaluate, 4, 16)
    best = out.best_plan
    assert best is not None
    assert budget.met(best.plan)
    assert budget.total(best.plan) >= 0.97 * 2  # on the boundary
    assert f(best.plan) >= -2 / 3 - 0.06  # within 0.06 of the best value
    for key, value in (("x", 2 / 3), ("y", 2 / 3), ("z", 1 / 3)):
        assert best.plan[key] == pytest.approx(value, abs=0.2)
    # Plans over the budget were proposed and never evaluated.
    over = sum(not c.feasible_budget for c in out.candidates)
    assert over > 0
    simulated = sum(c.samples is not None for c in out.candidates)
    assert evaluate.calls["plans"] <= simulated + problem.top  # type: ignore[attr-defined]


def test_whole_number_lever_and_a_lower_is_better_goal() -> None:
    def cost(p: Mapping[str, float]) -> float:
        return (p["reps"] - 7) ** 2 + (p["share"] - 0.25) ** 2

    problem = LeverProblem((Lever("reps", 1, 20, True), Lever("share", 0, 1)),
                           "contribution", "min", trials=50, seed=4)
    best = optimize_levers(problem, toy(cost), 3, 9).best_plan
    assert best is not None
    assert best.plan["reps"] == 7 and isinstance(best.plan["reps"], int)
    assert best.plan["share"] == pytest.approx(0.25, abs=0.1)


def test_a_lower_quantile_prefers_the_safer_plan() -> None:
    # contribution = a + 2 a^2 eps: the mean grows with a, but so does the spread.
    # Its 10% quantile is a + 2 a^2 q (q: the 10% quantile of the common luck), best
    # at a* = -1 / (4 q), about 0.2; the mean is best at a = 1.
    reps = 64
    q = float(np.quantile(noise(reps), 0.1))
    expected = -1 / (4 * q)
    problem = LeverProblem((Lever("a", 0, 1),), "contribution", "max",
                           risk=Risk.parse("quantile:0.1"), trials=40, seed=5)
    evaluate = toy(lambda p: p["a"], spread=lambda p: 2 * p["a"] ** 2)
    out = optimize_levers(problem, evaluate, reps, reps)
    assert out.best_plan is not None
    assert out.best_plan.plan["a"] == pytest.approx(expected, abs=0.05)
    mean = LeverProblem((Lever("a", 0, 1),), "contribution", "max", trials=20, seed=5)
    by_mean = optimize_levers(mean, evaluate, reps, reps).best_plan
    assert by_mean is not None and by_mean.plan["a"] > 0.9


def test_reverse_planner_finds_the_cheapest_plan_reaching_the_target() -> None:
    # revenue = 10 a + luck (sd 1), cost = a: the cheapest a with P(revenue >= 5) >= 0.9
    # is where 10 a + q = 5, q the 10% quantile of the common luck.
    reps = 100
    q = float(np.quantile(noise(reps), 0.1))
    cheapest = (5 - q) / 10
    problem = LeverProblem(
        (Lever("a", 0, 1),), "total_cost", "min", target=Target("revenue", ">=", 5.0, 0.9),
        trials=40, seed=6)
    evaluate = toy(lambda p: 0.0, extra={"total_cost": lambda p: p["a"] * 0 + p["a"],
                                         "revenue": lambda p: 10 * p["a"]})

    def with_exact_cost(plans: Sequence[Mapping[str, float]], reps: int
                        ) -> list[dict[str, np.ndarray]]:
        out = evaluate(plans, reps)
        for plan, metrics in zip(plans, out, strict=True):
            metrics["total_cost"] = np.full((1, reps), plan["a"])  # a cost known exactly
        return out

    out = optimize_levers(problem, with_exact_cost, reps, reps)
    best = out.best_plan
    assert best is not None
    assert best.reached >= 0.9
    assert best.plan["a"] == pytest.approx(cheapest, abs=0.03)
    assert best.plan["a"] >= cheapest - 0.01  # never cheaper than the target allows
    assert best.reached_low <= best.reached <= best.reached_high


def test_the_search_repeats_with_the_seed() -> None:
    def f(p: Mapping[str, float]) -> float:
        return -(p["a"] - 0.5) ** 2

    problem = LeverProblem((Lever("a", 0, 1), Lever("b", 0, 1)), "contribution", "max",
                           trials=16, seed=9)
    first = optimize_levers(problem, toy(f), 2, 4)
    second = optimize_levers(problem, toy(f), 2, 4)
    assert [c.plan for c in first.candidates] == [c.plan for c in second.candidates]
    other = LeverProblem((Lever("a", 0, 1), Lever("b", 0, 1)), "contribution", "max",
                         trials=16, seed=10)
    assert [c.plan for c in optimize_levers(other, toy(f), 2, 4).candidates] != [
        c.plan for c in first.candidates]


def test_pareto_front_holds_no_dominated_plan() -> None:
    def f(p: Mapping[str, float]) -> float:
        return p["a"] * (1 - p["a"])

    problem = LeverProblem((Lever("a", 0, 1),), "contribution", "max", trials=20, seed=3)
    out = optimize_levers(problem, toy(f), 2, 4)
    front = out.pareto()
    assert front
    points = [(c.metric_mean("revenue_1y"), c.metric_mean("contribution"))
              for c in out.candidates if c.samples is not None]
    for i in front:
        x, y = (out.candidates[i].metric_mean("revenue_1y"),
                out.candidates[i].metric_mean("contribution"))
        assert not any(x2 >= x and y2 >= y and (x2 > x or y2 > y) for x2, y2 in points)
    assert not math.isnan(points[0][0])


def test_on_a_flat_objective_every_finalist_is_as_good_but_one_over_the_budget() -> None:
    # Every plan gives the same outcomes (the luck is common): no finalist is detectably
    # worse than the best, except today's plan, which breaks the budget and is no answer.
    budget = parse_budget("a + b <= 1")
    problem = LeverProblem((Lever("a", 0, 1), Lever("b", 0, 1)), "contribution", "max",
                           budget=budget, trials=12, seed=8, top=3,
                           reference={"a": 0.9, "b": 0.9})
    out = optimize_levers(problem, toy(lambda p: 1.0, sd=1.0), 4, 8)
    assert out.best_plan is not None and not out.best_plan.is_reference
    others = [f for f in out.finalists if not f.is_reference]
    assert len(others) == 3 and all(f.not_worse for f in others)
    (today,) = [f for f in out.finalists if f.is_reference]
    assert not budget.met(today.plan) and not today.not_worse
    assert today.difference == 0  # as good, yet not an answer
