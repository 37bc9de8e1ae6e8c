"""Random streams: reproducible per (seed, replication), independent otherwise."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from sim.model.streams import Streams, make_streams

NAMES = [f.name for f in fields(Streams)]


def draws(streams: Streams, n: int = 100) -> dict[str, np.ndarray]:
    return {name: getattr(streams, name).random(n) for name in NAMES}


def test_there_are_five_generators() -> None:
    assert NAMES == ["arrival_counts", "arrival_times", "organic_leads", "promotion_leads",
                     "recycle"]
    s = make_streams(1)
    assert all(isinstance(getattr(s, name), np.random.Generator) for name in NAMES)


def test_same_seed_and_replication_give_identical_draws() -> None:
    a, b = draws(make_streams(42, 3)), draws(make_streams(42, 3))
    for name in NAMES:
        np.testing.assert_array_equal(a[name], b[name])


def test_default_replication_is_zero() -> None:
    a, b = draws(make_streams(42)), draws(make_streams(42, 0))
    for name in NAMES:
        np.testing.assert_array_equal(a[name], b[name])


def test_a_stream_does_not_depend_on_the_use_of_the_others() -> None:
    # Drawing heavily from one stream leaves every other stream's numbers unchanged.
    busy = make_streams(42, 3)
    busy.arrival_counts.random(10_000)
    plain = draws(make_streams(42, 3))
    for name in NAMES[1:]:
        np.testing.assert_array_equal(getattr(busy, name).random(100), plain[name])


def test_different_replications_differ() -> None:
    a, b = draws(make_streams(42, 0)), draws(make_streams(42, 1))
    for name in NAMES:
        assert not np.any(a[name] == b[name])


def test_different_seeds_differ() -> None:
    a, b = draws(make_streams(42, 0)), draws(make_streams(43, 0))
    for name in NAMES:
        assert not np.any(a[name] == b[name])


def test_streams_within_a_replication_differ() -> None:
    d = draws(make_streams(42, 0))
    for i, first in enumerate(NAMES):
        for second in NAMES[i + 1:]:
            assert not np.any(d[first] == d[second]), (first, second)


def test_streams_are_not_correlated() -> None:
    # 10_000 pairs of independent uniforms: sample correlation has se 1 / sqrt(1e4) = 0.01.
    s = make_streams(7, 2)
    x = s.organic_leads.random(10_000)
    y = s.promotion_leads.random(10_000)
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.05
