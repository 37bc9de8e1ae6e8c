"""The workshop's simulation service: cached replications, first answers first, fair to all.

Most tests run the engine on threads of this process (``processes=False``): the
order of the work is the same as on processes, and no pool is started; one test
runs it on two processes, as the app does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.apps.workshop import engine as en
from sim.apps.workshop import logic as lg
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]
SEED = 11
DAYS = 30.0  # short runs: the order of the work is what is tested


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(REPO / "scenarios" / "baseline.yaml")


def scenario(baseline, brand_share: float, days: float = DAYS):
    start = lg.Levers.of(baseline)
    return lg.scenario_for(baseline, start.with_changes(brand_share=brand_share), days)


@pytest.fixture
def engine() -> Iterator[en.Engine]:
    service = en.Engine(1, processes=False)
    try:
        yield service
    finally:
        service.close()


def test_the_fingerprint_ignores_labels_not_numbers(baseline):
    a = scenario(baseline, 0.2)
    assert en.fingerprint(a) == en.fingerprint(a.with_overrides({"name": "Team B",
                                                                 "description": "x"}))
    assert en.fingerprint(a) != en.fingerprint(scenario(baseline, 0.3))
    assert en.fingerprint(a) != en.fingerprint(scenario(baseline, 0.2, 31.0))


def test_replications_are_the_runners_and_are_computed_once(engine, baseline):
    s = scenario(baseline, 0.2)
    engine.want("a", [en.Want(s, SEED, 2)])
    assert engine.wait([en.Want(s, SEED, 2)], timeout=300)
    runs = engine.runs(s, SEED, 2, "Your plan")
    reference = lg.simulate_runs(s, 2, SEED, "Your plan")
    pd.testing.assert_frame_equal(runs.per_replication, reference.per_replication)
    pd.testing.assert_frame_equal(runs.timeseries, reference.timeseries)
    pd.testing.assert_frame_equal(runs.won_deals, reference.won_deals)
    computed = engine.stats().computed
    # Another person, another name, the same levers: nothing to compute.
    renamed = s.with_overrides({"name": "someone else"})
    engine.want("b", [en.Want(renamed, SEED, 2)])
    assert engine.done(renamed, SEED) == 2
    assert engine.stats().computed == computed == 2
    with pytest.raises(KeyError):
        engine.runs(s, SEED, 3, "x")


def test_every_first_replication_before_anybodys_second(engine, baseline):
    people = [scenario(baseline, share) for share in (0.1, 0.2, 0.3)]
    with engine.together():  # three people move a lever at the same moment
        for i, s in enumerate(people):
            engine.want(f"person-{i}", [en.Want(s, SEED, 3)])
    assert engine.wait([en.Want(s, SEED, 3) for s in people], timeout=600)
    order = [(job.fingerprint, job.replication) for job in engine.started]
    assert [r for _, r in order] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    # and first come, first served within a round of replications
    assert [fp for fp, _ in order[:3]] == [en.fingerprint(s) for s in people]


def test_moving_a_lever_again_withdraws_what_is_not_started(engine, baseline):
    first, second, other = (scenario(baseline, x) for x in (0.1, 0.2, 0.3))
    with engine.together():
        engine.want("someone", [en.Want(other, SEED, 1)])
        engine.want("me", [en.Want(first, SEED, 4)])
        engine.want("me", [en.Want(second, SEED, 2)])  # moved on before anything started
    assert engine.wait([en.Want(second, SEED, 2), en.Want(other, SEED, 1)], timeout=300)
    time.sleep(0.2)
    started = {job.fingerprint for job in engine.started}
    assert en.fingerprint(first) not in started
    assert engine.done(first, SEED) == 0 and engine.stats().queued == 0


def test_interactive_work_goes_before_background_work(engine, baseline):
    warm, lever = scenario(baseline, 0.1), scenario(baseline, 0.2)
    with engine.together():
        engine.want("warm-up", [en.Want(warm, SEED, 3)], en.BACKGROUND)
        engine.want("person", [en.Want(lever, SEED, 2)])
    assert engine.wait([en.Want(warm, SEED, 3), en.Want(lever, SEED, 2)], timeout=300)
    assert [job.fingerprint for job in engine.started] == (
        [en.fingerprint(lever)] * 2 + [en.fingerprint(warm)] * 3)


def test_background_work_leaves_a_worker_free(baseline):
    service = en.Engine(2, processes=False)
    try:
        work = [scenario(baseline, x) for x in (0.1, 0.2)]
        service.want("warm-up", [en.Want(s, SEED, 2) for s in work], en.BACKGROUND)
        busiest = 0
        while not all(service.done(s, SEED) == 2 for s in work):
            busiest = max(busiest, service.stats().running)
            time.sleep(0.01)
        assert busiest == 1  # of two workers: the other waits for a lever change
        assert service.stats().computed == 4
    finally:
        service.close()


def test_a_failed_replication_says_so(engine, baseline, monkeypatch):
    def broken(task):
        raise ValueError("no luck today")

    monkeypatch.setattr(en, "compact_task", broken)
    s = scenario(baseline, 0.2)
    engine.want("a", [en.Want(s, SEED, 1)])
    with pytest.raises(en.SimulationError, match="replication 0 failed: ValueError: no luck"):
        engine.wait([en.Want(s, SEED, 1)], timeout=60)


def test_the_store_forgets_the_least_recently_used(baseline):
    service = en.Engine(1, processes=False, capacity=2)
    try:
        for share in (0.1, 0.2, 0.3):
            s = scenario(baseline, share, 10.0)
            service.want("a", [en.Want(s, SEED, 1)])
            assert service.wait([en.Want(s, SEED, 1)], timeout=120)
        service.withdraw("a")
        s = scenario(baseline, 0.4, 10.0)
        service.want("a", [en.Want(s, SEED, 1)])
        assert service.wait([en.Want(s, SEED, 1)], timeout=120)
        assert service.stats().stored <= 2
        assert service.done(scenario(baseline, 0.1, 10.0), SEED) == 0  # the oldest went
    finally:
        service.close()


def test_the_executor_runs_a_game_round_on_processes(baseline):
    # The app's set-up: worker processes from a fork server; a round's teams side by side.
    service = en.Engine(2)
    try:
        jobs = [(scenario(baseline, x), team) for x, team in ((0.1, "A"), (0.2, "B"), (0.2, "C"))]
        runs = lg.simulate_many(jobs, 2, SEED, service.executor("game"))
        assert [r.label for r in runs] == ["A", "B", "C"]
        assert service.stats().computed == 4  # two teams with the same levers share them
        reference = lg.simulate_runs(jobs[0][0], 2, SEED, "A")
        pd.testing.assert_frame_equal(runs[0].per_replication, reference.per_replication)
        pd.testing.assert_frame_equal(runs[2].per_replication, runs[1].per_replication)
    finally:
        service.close()
