"""Experiments: common random numbers, paired differences, sequential stopping,
known optima of a neutral toy, and resuming from a store."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from experiment_fixtures import best_budget, budget_toy, short_baseline

from sim import Scenario, simulate
from sim.experiments.designs import (
    CompareSpec,
    OptimizeSpec,
    Stopping,
    SweepSpec,
    parse_vary,
    spec_from_json,
)
from sim.experiments.executors import (
    Executor,
    ProcessExecutor,
    SerialExecutor,
    Task,
    TaskResult,
    run_task,
)
from sim.experiments.experiment import (
    next_replications,
    run_compare,
    run_optimize,
    run_sweep,
)
from sim.experiments.statistics import mean_ci, paired_difference
from sim.experiments.store import ExperimentStore
from sim.results.metrics import METRIC_NAMES


@pytest.fixture(scope="module")
def pool() -> Iterator[Executor]:
    """Two worker processes for the heavier tests (the numbers do not depend on it)."""
    with ProcessExecutor(2) as executor:
        yield executor

# --- common random numbers -------------------------------------------------------------------


def test_common_random_numbers_reduce_the_variance_of_a_paired_difference(
        pool: Executor) -> None:
    """Var(A_r - B_r) with B on A's streams vs on independent streams (another seed).

    A and B differ in a policy (8 vs 6 reps), over 120 days. Measured with these
    seeds and 10 replications: the variance of the difference is 0.23 of the
    independent one for revenue and 0.28 for deals won; MQL counts (upstream of
    the reps) are identical pair by pair. (benchmarks/crn_variance.py measures
    the same over more replications.)
    """
    a = short_baseline("eight", horizon_days=120.0)
    b = a.with_overrides({"name": "six", "sales.reps": 6})
    n = 10
    first = pool.run([Task("a", a, 1, r) for r in range(n)])
    common = pool.run([Task("b", b, 1, r) for r in range(n)])
    independent = pool.run([Task("b", b, 2, r) for r in range(n)])

    def values(results: list[TaskResult], metric: str) -> np.ndarray:
        return np.array([res.metrics[metric] for res in results])

    ratios = {}
    for metric in ("revenue", "deals_won", "mqls"):
        crn = np.var(values(first, metric) - values(common, metric), ddof=1)
        ind = np.var(values(first, metric) - values(independent, metric), ddof=1)
        ratios[metric] = crn / ind
    assert ratios["revenue"] < 0.5, ratios
    assert ratios["deals_won"] < 0.5, ratios
    assert ratios["mqls"] < 0.01, ratios


@pytest.mark.smoke
def test_paired_difference_leaves_out_undefined_pairs() -> None:
    x = np.array([3.0, 5.0, math.nan, 9.0])
    ref = np.array([1.0, 2.0, 3.0, math.nan])
    diff = paired_difference(x, ref)
    assert diff.n == 2
    assert diff.mean == pytest.approx(2.5)
    _, low, high = mean_ci(np.array([2.0, 3.0]))
    assert (diff.ci_low, diff.ci_high) == (low, high)


@pytest.mark.smoke
def test_compare_differences_and_verdicts() -> None:
    base = short_baseline(replications=4)
    fewer = base.with_overrides({"name": "two-reps", "sales.reps": 2})
    result = run_compare(CompareSpec.build([base, fewer]), SerialExecutor())
    per = result.per_replication
    assert list(per.columns[:2]) == ["scenario", "replication"]
    assert len(per) == 8 and list(per["scenario"]) == ["baseline"] * 4 + ["two-reps"] * 4
    diffs = result.differences.set_index("metric")
    assert list(diffs.index) == list(METRIC_NAMES)
    # The same leads arrive in both: their count is identical replication by replication.
    assert diffs.loc["leads_created", "mean"] == 0.0
    assert diffs.loc["leads_created", "verdict"] == "no detectable difference"
    # Two reps instead of eight: salaries are lower (better), leads wait longer (worse).
    assert diffs.loc["rep_salary_cost", "verdict"] == "better"
    assert diffs.loc["rep_wait_days_mean", "verdict"] == "worse"
    revenue = per.pivot(index="replication", columns="scenario", values="revenue")
    expected = (revenue["two-reps"] - revenue["baseline"]).mean()
    assert diffs.loc["revenue", "mean"] == pytest.approx(expected)
    assert diffs.loc["revenue", "relative"] == pytest.approx(
        expected / revenue["baseline"].mean())


# --- sequential stopping ---------------------------------------------------------------------


@pytest.mark.smoke
def test_next_replications() -> None:
    stopping = Stopping(4, precision=0.01, max_replications=50, objective="revenue")
    precise = [np.array([100.0, 100.1, 99.9, 100.0])]
    assert next_replications(precise, 4, stopping) is None
    noisy = [np.array([100.0, 110.0, 90.0, 100.0])]
    _, low, high = mean_ci(noisy[0])
    ratio = (high - low) / 2 / (0.01 * 100.0)
    assert next_replications(noisy, 4, stopping) == min(50, math.ceil(4 * ratio**2))
    assert next_replications(noisy, 50, stopping) == 50  # at the cap: stop there
    undefined = [np.array([math.nan] * 4)]
    assert next_replications(undefined, 4, stopping) == 8


def test_sequential_stopping_adds_replications_until_precise(pool: Executor) -> None:
    base = short_baseline(horizon_days=60.0, replications=3)
    spec = CompareSpec.build([base, base.with_overrides({"name": "b", "sales.reps": 6})],
                             stopping=Stopping(3, precision=0.015, max_replications=40,
                                               objective="leads_created"))
    result = run_compare(spec, pool)
    assert result.precision_met is True
    assert result.replications > 3
    counts = result.per_replication.groupby("scenario").size()
    assert (counts == result.replications).all()  # every scenario the same replications
    for label in spec.labels:
        row = result.summary[(result.summary["scenario"] == label)
                             & (result.summary["metric"] == "leads_created")].iloc[0]
        assert (row["ci_high"] - row["ci_low"]) / 2 <= 0.015 * row["mean"]


def test_sequential_stopping_stops_at_the_cap() -> None:
    base = short_baseline(horizon_days=60.0, replications=2)
    spec = CompareSpec.build([base, base.with_overrides({"name": "b"})],
                             stopping=Stopping(2, precision=1e-9, max_replications=4))
    result = run_compare(spec, SerialExecutor())
    assert (result.replications, result.precision_met) == (4, False)


# --- known optima of the neutral toy ---------------------------------------------------------


@pytest.fixture(scope="module")
def toy() -> Scenario:
    return budget_toy(replications=4)


def test_sweep_finds_the_analytic_best_budget(toy: Scenario, pool: Executor) -> None:
    spec = SweepSpec.build(toy, [parse_vary("marketing.annual_budget=0:1800000:450000")])
    result = run_sweep(spec, pool)
    budgets = list(result.points["marketing.annual_budget"])
    assert budgets == [0, 450000, 900000, 1350000, 1800000]
    nearest = min(budgets, key=lambda b: abs(b - best_budget()))
    assert budgets[result.best] == nearest == 900000
    # Common random numbers: each point is exactly its own simulation with the same seed.
    point = toy.with_overrides({"marketing.annual_budget": 900000})
    rows = result.per_replication[result.per_replication["point"] == 2]
    for r in (0, toy.replications - 1):
        metrics = simulate(point, seed=toy.seed, replication=r).metrics
        assert rows.iloc[r]["contribution"] == metrics["contribution"]
    assert result.to_json()["best"] == {"point": 2,
                                        "values": {"marketing.annual_budget": 900000}}


def test_optimize_finds_the_analytic_best_budget(toy: Scenario, pool: Executor) -> None:
    spec = OptimizeSpec.build(toy, "marketing.annual_budget", 0.0, 2_700_000.0, "contribution")
    result = run_optimize(spec, pool)
    best, target = result.optimum, best_budget()
    # Round 0 spacing is 675k; three refinements bring it to 84k around the best.
    assert best.resolution == pytest.approx(2_700_000 / 32)
    # The optimum is flat (0.1% of contribution within 60k of it), so with 4
    # replications the best evaluated value may be a neighbour of the one
    # nearest to B* (seeds 5 to 9 checked): what must hold is that B* is inside
    # the bootstrap CI and the near-optimal range the search reports.
    assert abs(best.value - target) <= 2 * best.resolution
    assert best.value_ci[0] <= target <= best.value_ci[1]
    assert best.near_low <= target <= best.near_high
    table = result.points
    assert table["marketing.annual_budget"].is_monotonic_increasing
    assert table.loc[best.point, "mean"] == table["mean"].max()
    assert table.loc[best.point, "difference"] == 0.0
    assert set(table["round"]) == {0, 1, 2, 3}
    # Far from the optimum the loss is significant: no flat top over the whole interval.
    assert not table.iloc[0]["near_optimal"] and not table.iloc[-1]["near_optimal"]


# --- resuming from a store -------------------------------------------------------------------


class _Interrupting(SerialExecutor):
    """Runs ``after`` tasks, then raises KeyboardInterrupt as Ctrl-C would."""

    def __init__(self, after: int) -> None:
        self.after = after

    def _run(self, tasks: list[Task], collect) -> None:  # type: ignore[no-untyped-def]
        for task in tasks:
            if self.after == 0:
                raise KeyboardInterrupt
            collect(run_task(task))
            self.after -= 1


class _Counting(SerialExecutor):
    def __init__(self) -> None:
        self.keys: list[tuple[str, int]] = []

    def _run(self, tasks: list[Task], collect) -> None:  # type: ignore[no-untyped-def]
        self.keys += [t.key for t in tasks]
        super()._run(tasks, collect)


def test_a_resumed_sweep_runs_only_what_is_missing_and_equals_an_uninterrupted_one(
        tmp_path: Path) -> None:
    base = short_baseline(horizon_days=60.0, replications=3)
    spec = SweepSpec.build(base, [parse_vary("sales.reps=4,8")])
    whole = run_sweep(spec, SerialExecutor())

    store = ExperimentStore.create(tmp_path / "sweep", spec.to_json(), {})
    with store, pytest.raises(KeyboardInterrupt):
        run_sweep(spec, _Interrupting(after=4), store)
    reopened = ExperimentStore.open(tmp_path / "sweep")
    assert len(reopened.results) == 4
    resumed_spec = spec_from_json(reopened.spec)
    counting = _Counting()
    with reopened:
        resumed = run_sweep(resumed_spec, counting, reopened)
    assert len(counting.keys) == 2  # 2 points x 3 replications, 4 already done
    for name, table in whole.tables().items():
        pd.testing.assert_frame_equal(resumed.tables()[name], table, check_exact=True,
                                      obj=name)
    assert resumed.to_json() == whole.to_json()


def test_a_resumed_optimisation_equals_an_uninterrupted_one(tmp_path: Path) -> None:
    spec = OptimizeSpec.build(budget_toy(horizon_days=60.0, replications=3),
                              "marketing.annual_budget", 0.0, 2_000_000.0, "contribution",
                              refinements=2)
    whole = run_optimize(spec, SerialExecutor())
    store = ExperimentStore.create(tmp_path / "opt", spec.to_json(), {})
    with store, pytest.raises(KeyboardInterrupt):
        run_optimize(spec, _Interrupting(after=17), store)  # inside the first refinement
    reopened = ExperimentStore.open(tmp_path / "opt")
    with reopened:
        resumed = run_optimize(spec_from_json(reopened.spec), SerialExecutor(), reopened)
    assert resumed.to_json() == whole.to_json()
    pd.testing.assert_frame_equal(resumed.points, whole.points, check_exact=True)
