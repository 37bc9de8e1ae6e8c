"""The optimiser's bootstrap has its own random stream, apart from every replication's."""

from __future__ import annotations

import numpy as np

from sim.experiments.designs import OptimizeSpec
from sim.experiments.executors import SerialExecutor
from sim.experiments.experiment import _bootstrap_best, run_optimize
from sim.model.streams import Streams, bootstrap_stream, make_streams
from sim.scenario.schema import Scenario

SEED = 20240601


def first_draws(rng: np.random.Generator) -> np.ndarray:
    return rng.random(8)


def test_bootstrap_draws_differ_from_every_stream_of_the_first_replications() -> None:
    boot = first_draws(bootstrap_stream(SEED))
    for replication in range(64):
        streams = make_streams(SEED, replication)
        for name in Streams.__dataclass_fields__:
            drawn = first_draws(getattr(streams, name))
            assert not np.any(np.isclose(boot, drawn)), (replication, name)


def test_bootstrap_is_not_replication_0s_arrival_stream() -> None:
    # The key it replaced, (0, 1), is exactly replication 0's arrival-time stream.
    old = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(0, 1)))
    arrivals = make_streams(SEED, 0).arrival_times
    np.testing.assert_array_equal(first_draws(old), first_draws(arrivals))
    assert not np.array_equal(first_draws(bootstrap_stream(SEED)),
                              first_draws(make_streams(SEED, 0).arrival_times))


def test_bootstrap_stream_is_reproducible_and_follows_the_seed() -> None:
    np.testing.assert_array_equal(first_draws(bootstrap_stream(3)),
                                  first_draws(bootstrap_stream(3)))
    assert not np.array_equal(first_draws(bootstrap_stream(3)), first_draws(bootstrap_stream(4)))


def optimize_spec(seed: int) -> OptimizeSpec:
    base = Scenario().with_overrides({"horizon_days": 30.0, "warmup_days": 0.0,
                                      "replications": 3})
    return OptimizeSpec.build(base, "sales.reps", 4, 12, "contribution", seed=seed,
                              points_per_round=3, refinements=0, bootstrap=200)


def test_bootstrap_best_draws_its_resamples_from_the_bootstrap_stream() -> None:
    spec = optimize_spec(SEED)
    values = [1.0, 2.0, 3.0]
    matrix = np.array([[1.0, 5.0, 2.0, 4.0], [3.0, 1.0, 4.0, 2.0], [2.0, 2.0, 2.0, 6.0]])
    # Recompute the interval by hand from the bootstrap stream's resamples.
    picks = bootstrap_stream(SEED).integers(0, 4, size=(spec.bootstrap, 4))
    winners = np.asarray(values)[np.argmax(matrix[:, picks].mean(axis=2), axis=0)]
    low, high = np.quantile(winners, [0.025, 0.975], method="inverted_cdf")
    best = int(np.argmax(matrix.mean(axis=1)))
    (ci_low, ci_high), share = _bootstrap_best(matrix, values, spec, best)
    assert (ci_low, ci_high) == (low, high)
    assert share == np.mean(winners == values[best])
    # The old stream (replication 0's arrivals) resamples differently.
    old = np.random.default_rng(np.random.SeedSequence(SEED, spawn_key=(0, 1)))
    assert not np.array_equal(picks, old.integers(0, 4, size=(spec.bootstrap, 4)))


def test_the_same_seed_gives_the_same_optimum() -> None:
    with SerialExecutor() as executor:
        a = run_optimize(optimize_spec(7), executor).optimum
        b = run_optimize(optimize_spec(7), executor).optimum
    assert a == b
    assert a.value_ci[0] <= a.value <= a.value_ci[1]
