"""Inverse-transform variates: moments against their exact values, monotonicity in u.

Moment checks use 200_000 uniforms from ``default_rng(1)`` and a tolerance of
5 standard errors computed from the known distribution:

* mean: se = sqrt(var / n);
* sample variance: se = sqrt((mu4 - var^2) / n), with mu4 the fourth central
  moment (mu4 = kurtosis * var^2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.variates import (
    beta,
    exponential,
    standard_normal,
    unit_mean,
    unit_mean_variance,
)

N = 200_000
Z = 5.0  # standard errors allowed


@pytest.fixture(scope="module")
def u() -> np.ndarray:
    return np.random.default_rng(1).random(N)


def kurtosis(kind: str, cv: float) -> float:
    """Kurtosis mu4 / var^2 (not excess) of the unit-mean variates."""
    if kind == "exponential":
        return 9.0
    if kind == "gamma":  # shape k = 1 / cv^2: excess 6 / k = 6 cv^2
        return 3.0 + 6.0 * cv * cv
    if kind == "lognormal":  # w = 1 + cv^2: excess w^4 + 2 w^3 + 3 w^2 - 6
        w = 1.0 + cv * cv
        return w**4 + 2 * w**3 + 3 * w**2 - 3.0
    raise AssertionError(kind)


def test_unit_mean_variance_by_hand() -> None:
    assert unit_mean_variance("fixed", 0.6) == 0.0
    assert unit_mean_variance("exponential", 0.6) == 1.0  # cv ignored: always 1
    assert unit_mean_variance("lognormal", 0.6) == pytest.approx(0.36)
    assert unit_mean_variance("gamma", 0.5) == 0.25


@pytest.mark.parametrize(
    ("kind", "cv"),
    [("exponential", 0.6), ("lognormal", 0.6), ("lognormal", 0.3), ("gamma", 0.6),
     ("gamma", 1.5)],
)
def test_unit_mean_has_mean_one_and_stated_variance(u: np.ndarray, kind: str, cv: float) -> None:
    # e.g. lognormal cv 0.6: var 0.36, kurtosis 11.0 -> se(mean) = sqrt(0.36 / 2e5) = 0.00134,
    # se(var) = sqrt((11 - 1) * 0.36^2 / 2e5) = 0.00255. Exponential: se(var) = sqrt(8 / 2e5).
    x = unit_mean(u, kind, cv)  # type: ignore[arg-type]
    var = unit_mean_variance(kind, cv)  # type: ignore[arg-type]
    se_mean = math.sqrt(var / N)
    se_var = math.sqrt((kurtosis(kind, cv) - 1.0) * var * var / N)
    assert abs(x.mean() - 1.0) < Z * se_mean
    assert abs(x.var(ddof=1) - var) < Z * se_var
    assert np.all(x >= 0.0)


def test_lognormal_cv_06_kurtosis_is_finite_and_as_computed() -> None:
    # w = 1.36: 1.36^4 + 2 * 1.36^3 + 3 * 1.36^2 - 3 = 3.42102 + 5.03091 + 5.5488 - 3 = 11.0007.
    assert kurtosis("lognormal", 0.6) == pytest.approx(11.0007, abs=1e-3)


def test_fixed_and_zero_cv_are_exactly_one(u: np.ndarray) -> None:
    np.testing.assert_array_equal(unit_mean(u[:1000], "fixed", 0.6), 1.0)
    np.testing.assert_array_equal(unit_mean(u[:1000], "lognormal", 0.0), 1.0)
    np.testing.assert_array_equal(unit_mean(u[:1000], "gamma", 0.0), 1.0)
    assert unit_mean(u[:1000], "fixed", 0.6).shape == (1000,)


def test_exponential_ignores_cv(u: np.ndarray) -> None:
    np.testing.assert_array_equal(unit_mean(u[:1000], "exponential", 0.0),
                                  unit_mean(u[:1000], "exponential", 3.0))


def test_unknown_kind_raises(u: np.ndarray) -> None:
    with pytest.raises(ValueError, match="unknown distribution kind"):
        unit_mean(u[:10], "weibull", 0.5)  # type: ignore[arg-type]


def test_unit_mean_by_hand_at_the_median() -> None:
    # u = 0.5: exponential -ln(0.5) = 0.693147; lognormal exp(-sigma^2 / 2) with
    # sigma^2 = ln(1.36) = 0.307485 -> exp(-0.153742) = 0.857493.
    assert unit_mean(0.5, "exponential", 1.0) == pytest.approx(math.log(2.0), rel=1e-15)
    assert unit_mean(0.5, "lognormal", 0.6) == pytest.approx(1.0 / math.sqrt(1.36), rel=1e-12)


@pytest.mark.parametrize(("kind", "cv"), [("exponential", 1.0), ("lognormal", 0.6),
                                          ("gamma", 0.6), ("gamma", 2.0)])
def test_unit_mean_is_increasing_in_u(kind: str, cv: float) -> None:
    grid = np.linspace(0.001, 0.999, 999)
    x = unit_mean(grid, kind, cv)  # type: ignore[arg-type]
    assert np.all(np.diff(x) > 0.0)


def test_exponential_mean_and_by_hand(u: np.ndarray) -> None:
    # Mean 4, sd 4: se = 4 / sqrt(2e5) = 0.00894.
    x = exponential(u, 4.0)
    assert abs(x.mean() - 4.0) < Z * 4.0 / math.sqrt(N)
    # -4 ln(1 - 0.75) = 4 ln 4 = 5.545177.
    assert exponential(0.75, 4.0) == pytest.approx(4.0 * math.log(4.0), rel=1e-15)
    assert np.all(np.diff(exponential(np.linspace(0.0, 0.99, 100), 4.0)) > 0.0)


def test_exponential_with_infinite_mean_is_infinite() -> None:
    out = exponential(np.array([0.0, 0.3, 0.9]), math.inf)
    assert out.shape == (3,)
    assert np.all(np.isinf(out))


@pytest.mark.parametrize(("a", "b"), [(2.0, 3.0), (1.5, 4.0), (0.5, 0.5)])
def test_beta_mean_and_variance(u: np.ndarray, a: float, b: float) -> None:
    # Mean a / (a + b); variance ab / ((a + b)^2 (a + b + 1)). Beta(2, 3): 0.4 and 0.04.
    x = beta(u, a, b)
    mean = a / (a + b)
    var = a * b / ((a + b) ** 2 * (a + b + 1.0))
    assert abs(x.mean() - mean) < Z * math.sqrt(var / N)
    # Loose variance check: beta is bounded, so mu4 <= var * 1 and se(var) <= sqrt(var / N).
    assert abs(x.var(ddof=1) - var) < Z * math.sqrt(var / N)
    assert np.all((x >= 0.0) & (x <= 1.0))
    assert np.all(np.diff(beta(np.linspace(0.01, 0.99, 99), a, b)) > 0.0)


def test_beta_by_hand() -> None:
    # Beta(1, 1) is uniform; Beta(2, 1) has cdf x^2, so the quantile of 0.25 is 0.5.
    assert beta(0.3, 1.0, 1.0) == pytest.approx(0.3, rel=1e-12)
    assert beta(0.25, 2.0, 1.0) == pytest.approx(0.5, rel=1e-12)


def test_standard_normal_moments_and_by_hand(u: np.ndarray) -> None:
    # se(mean) = 1 / sqrt(2e5) = 0.00224; se(var) = sqrt(2 / 2e5) = 0.00316.
    z = standard_normal(u)
    assert abs(z.mean()) < Z / math.sqrt(N)
    assert abs(z.var(ddof=1) - 1.0) < Z * math.sqrt(2.0 / N)
    assert standard_normal(0.5) == 0.0
    assert standard_normal(0.975) == pytest.approx(1.959963984540054, rel=1e-12)
    assert np.all(np.diff(standard_normal(np.linspace(0.01, 0.99, 99))) > 0.0)


@pytest.mark.parametrize("kind", ["exponential", "lognormal", "gamma"])
def test_unit_mean_cdf_inverts_unit_mean(kind: str) -> None:
    from sim.model.variates import unit_mean, unit_mean_cdf

    u = np.array([1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
    assert np.allclose(unit_mean_cdf(unit_mean(u, kind, 0.6), kind, 0.6), u, atol=1e-12)
    assert unit_mean_cdf(0.0, kind, 0.6) == 0.0
