"""Global sensitivity: SALib's Ishigami function recovered, the tornado and the flips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from SALib.test_functions import Ishigami

from sim.experiments.assumptions import Assumption, AssumptionSet, Distribution
from sim.experiments.sensitivity import analyse, default_method, global_design

pytestmark = pytest.mark.unit

A, B = 7.0, 0.1  # SALib's Ishigami constants


def ishigami_indices() -> tuple[list[float], list[float]]:
    """First-order and total Sobol indices of Ishigami (Sobol & Levitan 1999)."""
    v = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def uniform_set(*names: str, low: float = -math.pi, high: float = math.pi) -> AssumptionSet:
    return AssumptionSet(tuple(Assumption(n, Distribution("uniform", {}, low, high))
                               for n in names))


def ishigami(points: list[dict[str, float | int]]) -> np.ndarray:
    x = np.array([[p["x1"], p["x2"], p["x3"]] for p in points], dtype=float)
    return np.asarray(Ishigami.evaluate(x), dtype=float)


def test_sobol_indices_of_ishigami_are_recovered() -> None:
    found = analyse(uniform_set("x1", "x2", "x3"), ishigami, method="sobol", samples=1024,
                    seed=3)
    first, total = ishigami_indices()
    table = found.indices.set_index("factor")
    assert table["S1"].to_numpy() == pytest.approx(first, abs=0.05)
    assert table["ST"].to_numpy() == pytest.approx(total, abs=0.05)
    # The bootstrap CIs are reported and cover the truth.
    for name, s1, st in zip(("x1", "x2", "x3"), first, total, strict=True):
        assert abs(table.loc[name, "S1"] - s1) <= table.loc[name, "S1_conf"] + 0.02
        assert abs(table.loc[name, "ST"] - st) <= table.loc[name, "ST_conf"] + 0.02
    assert found.ranking()[:2] == ["x1", "x2"]


def test_morris_screening_ranks_the_inert_factor_last() -> None:
    def model(points: list[dict[str, float | int]]) -> np.ndarray:
        x = np.array([[p["a"], p["b"], p["c"], p["d"]] for p in points], dtype=float)
        return 10 * x[:, 0] + 3 * x[:, 1] ** 2 + x[:, 2] + 0.0 * x[:, 3]

    found = analyse(uniform_set("a", "b", "c", "d", low=0, high=1), model, method="morris",
                    samples=20, seed=5)
    assert found.ranking() == ["a", "b", "c", "d"]
    assert found.indices.set_index("factor").loc["d", "mu_star"] == 0


def test_the_design_repeats_with_the_seed_and_the_method_follows_the_factor_count() -> None:
    factors = uniform_set("x1", "x2", "x3")
    assert np.array_equal(global_design(factors, "sobol", 8, 1), global_design(factors, "sobol",
                                                                                  8, 1))
    assert not np.array_equal(global_design(factors, "sobol", 8, 1),
                              global_design(factors, "sobol", 8, 2))
    assert default_method(12) == "sobol" and default_method(13) == "morris"


def test_tornado_and_the_value_at_which_a_difference_flips() -> None:
    # The difference is 2 - 4 a + 0.1 b over a, b uniform on [0, 1]: it flips at a = 0.5 +
    # 0.025 b, so with b at its median (0.5) at a = 0.5125, above a's median of 0.5.
    def model(points: list[dict[str, float | int]]) -> np.ndarray:
        return np.array([2 - 4 * p["a"] + 0.1 * p["b"] for p in points], dtype=float)

    found = analyse(uniform_set("a", "b", low=0, high=1), model, method="sobol", samples=64,
                    seed=1, difference=True, bisection_steps=12)
    assert found.center == pytest.approx(0.05)
    assert [t.factor for t in found.tornado] == ["a", "b"]
    a = found.tornado[0]
    assert (a.low_value, a.high_value) == pytest.approx((0.05, 0.95))
    assert (a.low_result, a.high_result) == pytest.approx((1.85, -1.75))
    assert len(found.flips) == 1
    flip = found.flips[0]
    assert (flip.factor, flip.side) == ("a", "high")
    assert flip.value == pytest.approx(0.5125, abs=1e-3)
    # Over the whole square the sign is negative where a > 0.5 + 0.025 b: about half.
    assert found.opposite_share == pytest.approx(0.4875, abs=0.06)


def test_an_undefined_result_is_a_one_line_error() -> None:
    from sim.experiments.designs import ExperimentError

    with pytest.raises(ExperimentError, match="undefined"):
        analyse(uniform_set("a", low=0, high=1),
                lambda pts: np.full(len(pts), np.nan), method="sobol", samples=4, seed=1)
