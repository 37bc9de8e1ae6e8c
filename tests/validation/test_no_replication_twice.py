"""Decisions under uncertainty reuse work: a scenario's replication under one assumption
draw is run once, however many alternatives, rounds, finalists or labels ask for it."""

from __future__ import annotations

import hashlib
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from experiment_fixtures import short_baseline

from sim.experiments.executors import (
    ResultCallback,
    ReusingExecutor,
    SerialExecutor,
    Task,
    run_task,
)
from sim.experiments.optimizer import LeverSpec, parse_levers, run_levers
from sim.experiments.uncertainty import UncertainCompareSpec, run_uncertain_compare


class CountingExecutor(SerialExecutor):
    """Runs tasks here and counts each (scenario, seed, replication) it is asked to run."""

    def __init__(self) -> None:
        self.runs: Counter[tuple[str, int, int]] = Counter()
        self.tasks: list[Task] = []

    def _run(self, tasks: list[Task], collect: ResultCallback) -> None:
        for task in tasks:
            fingerprint = hashlib.sha256(task.scenario.model_dump_json().encode()).hexdigest()
            self.runs[(fingerprint, task.seed, task.replication)] += 1
            self.tasks.append(task)
        super()._run(tasks, collect)


def test_the_reference_runs_once_per_draw_for_every_alternative() -> None:
    base = short_baseline(horizon_days=20.0, replications=2)
    scenarios = [base.with_overrides({"name": f"reps {n}", "sales.reps": n}) for n in (4, 6, 8)]
    spec = UncertainCompareSpec.build(scenarios, draws=3, replications=2)
    executor = CountingExecutor()
    result = run_uncertain_compare(spec, executor)
    assert max(executor.runs.values()) == 1
    # Three scenarios x three draws x two replications: nothing more was run.
    assert len(executor.runs) == 3 * 3 * 2 == len(result.per_replication)
    # The numbers are those of each replication run alone.
    for task in executor.tasks[:: len(executor.tasks) // 3]:
        alone = run_task(task).metrics["contribution"]
        rows = result.per_replication[
            (result.per_replication["replication"] == task.replication)
            & (result.per_replication["scenario"] == task.point.split("#")[0])]
        assert len(rows) == 1 and rows["contribution"].iloc[0] == alone


@pytest.mark.parametrize("draws", [0, 2])
def test_an_optimisation_never_evaluates_a_plan_sample_twice(draws: int) -> None:
    base = short_baseline(horizon_days=20.0, replications=1)
    # Whole reps from 3 to 5: eight trials must propose the same plans again.
    levers = parse_levers(base, ["sales.reps=3:5"])
    spec = LeverSpec.build(base, levers, "contribution", replications=1, final_replications=2,
                           trials=8, batch=4, top=2, draws=draws)
    executor = CountingExecutor()
    result = run_levers(spec, executor)
    assert max(executor.runs.values()) == 1
    proposed = {c.plan["sales.reps"] for c in result.outcome.candidates}
    assert len(proposed) <= 3 < len(result.outcome.candidates)  # plans proposed again
    # Today's plan (the base's reps) is evaluated too, and may not be among them.
    plans = proposed | {f.plan["sales.reps"] for f in result.outcome.finalists}
    n_draws = max(draws, 1)
    # At most every plan's final replications in every draw: no sample twice.
    assert len(executor.runs) <= len(plans) * n_draws * spec.final_replications
    best = result.outcome.best_plan
    assert best is not None and np.isfinite(best.value)


def test_two_labels_for_one_scenario_run_it_once_with_the_same_numbers() -> None:
    base = short_baseline(horizon_days=20.0, replications=2)
    same = base.with_overrides({"name": "the same plan"})  # only its name differs
    other = base.with_overrides({"name": "more reps", "sales.reps": 8})
    named = [base, same.with_overrides({"name": base.name}), other]
    spec = UncertainCompareSpec.build(named, draws=2, replications=2)
    executor = CountingExecutor()
    cached = run_uncertain_compare(spec, executor)
    assert max(executor.runs.values()) == 1
    assert len(executor.runs) == 2 * 2 * 2  # two distinct scenarios, not three
    # The path without the cache: every label's tasks run, each alone.
    uncached = {t.key: run_task(t).metrics for t in _all_tasks(spec)}
    table = cached.per_replication.set_index(["scenario", "replication"]).sort_index()
    for (point, replication), metrics in uncached.items():
        row = table.loc[(point.split("#")[0], replication)]
        got = pd.Series({m: row[m] for m in metrics}, dtype=float)
        pd.testing.assert_series_equal(got, pd.Series(metrics, dtype=float),
                                       check_exact=True, check_names=False)


def _all_tasks(spec: UncertainCompareSpec) -> list[Task]:
    """Every (label, draw, replication) of the comparison as its own task."""
    from sim.experiments.assumptions import applied

    design = spec.design
    return [Task(f"{label}#draw{d}", applied(scenario, draw), spec.seed, design.index(d, r))
            for label, scenario in zip(spec.labels, spec.scenarios, strict=True)
            for d, draw in enumerate(design.draws) for r in range(design.replications)]


def test_the_reusing_executor_answers_each_label_from_one_run() -> None:
    scenario = short_baseline(horizon_days=20.0)
    tasks = [Task(label, scenario, 5, r) for label in ("a", "b") for r in range(2)]
    counting = CountingExecutor()
    reusing = ReusingExecutor(counting)
    results = reusing.run(tasks)
    assert [r.key for r in results] == [t.key for t in tasks]
    assert sum(counting.runs.values()) == 2  # "b" came from "a"'s runs
    assert results[2].metrics == results[0].metrics
    again = reusing.run([Task("c", scenario, 5, 1)])  # an earlier call's result
    assert sum(counting.runs.values()) == 2 and again[0].point == "c"
