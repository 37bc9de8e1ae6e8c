"""Random variates by inverse transform of uniforms.

Every lead carries its own row of uniforms, drawn once when it is created; all
of its later luck (stage durations, deal size, acceptance) is a deterministic
transform of that row. Two scenarios that see the same lead therefore give it
the same luck (common random numbers), and the transforms here are vectorised
so a whole day's leads are drawn at once.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from sim.scenario.schema import DurationKind

FloatArray = NDArray[np.float64]


def _floats(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def exponential(u: ArrayLike, mean: float) -> FloatArray:
    """Exponential variates with the given mean; ``mean = inf`` gives ``inf``."""
    q = _floats(u)
    if np.isinf(mean):
        return np.full(q.shape, np.inf)
    return _floats(-mean * np.log1p(-q))


def exponential_scalar(u: float, mean: float) -> float:
    """One :func:`exponential` variate, bit-for-bit, without array overhead."""
    if math.isinf(mean):
        return math.inf
    return -mean * float(np.log1p(-u))


def beta(u: ArrayLike, a: float, b: float) -> FloatArray:
    """Beta(a, b) variates (lead quality)."""
    return _floats(special.betaincinv(a, b, _floats(u)))


def standard_normal(u: ArrayLike) -> FloatArray:
    """Standard normal variates."""
    return _floats(special.ndtri(_floats(u)))


def standard_normal_scalar(u: float) -> float:
    """One :func:`standard_normal` variate, bit-for-bit, without array overhead."""
    return float(special.ndtri(u))


def poisson(u: ArrayLike, mean: ArrayLike) -> FloatArray:
    """Poisson variates: the smallest ``k`` with ``P(N <= k) >= u``, for ``u`` in (0, 1).

    The algorithm of ``scipy.stats.poisson.ppf`` (so the same numbers) without
    loading ``scipy.stats``: ``pdtrik`` inverts the cdf over real ``k``; its
    ceiling is the answer or one too many, which the cdf one below decides.
    ``u = 0`` gives 0 (where ``ppf`` gives -1); a mean of 0 gives 0, a NaN
    mean NaN.
    """
    q, mu = _floats(u), _floats(mean)
    k = np.ceil(special.pdtrik(q, mu))
    below = np.maximum(k - 1.0, 0.0)
    return _floats(np.where(special.pdtr(below, mu) >= q, below, k))


def unit_mean(u: ArrayLike, kind: DurationKind, cv: float) -> FloatArray:
    """Variates with mean 1 and coefficient of variation ``cv``.

    Multiply by a mean to get a duration or a deal size; the shape (``kind``,
    ``cv``) is fixed by the uniform, the scale can change later.

    Args:
        u: uniforms in (0, 1).
        kind: ``exponential`` (cv is 1 whatever is given), ``lognormal``,
            ``gamma`` or ``fixed`` (always 1).
        cv: coefficient of variation (standard deviation / mean).
    """
    q = _floats(u)
    if kind == "fixed" or (cv == 0.0 and kind != "exponential"):
        return np.ones(q.shape)
    if kind == "exponential":
        return _floats(-np.log1p(-q))
    if kind == "lognormal":
        sigma2 = np.log1p(cv * cv)
        return _floats(np.exp(np.sqrt(sigma2) * special.ndtri(q) - 0.5 * sigma2))
    if kind == "gamma":
        shape = 1.0 / (cv * cv)
        return _floats(special.gammaincinv(shape, q) / shape)
    raise ValueError(f"unknown distribution kind {kind!r}")


def unit_mean_cdf(x: ArrayLike, kind: DurationKind, cv: float) -> FloatArray:
    """The distribution function of :func:`unit_mean` variates: ``P(X <= x)``.

    :func:`unit_mean` of ``F(x) + u (1 - F(x))`` is then a variate drawn
    given that it exceeds ``x`` (a duration already ``x`` long).
    """
    v = np.maximum(_floats(x), 0.0)
    if kind == "fixed" or (cv == 0.0 and kind != "exponential"):
        return _floats(np.where(v >= 1.0, 1.0, 0.0))
    if kind == "exponential":
        return _floats(-np.expm1(-v))
    if kind == "lognormal":
        sigma2 = np.log1p(cv * cv)
        with np.errstate(divide="ignore"):
            return _floats(special.ndtr((np.log(v) + 0.5 * sigma2) / np.sqrt(sigma2)))
    if kind == "gamma":
        shape = 1.0 / (cv * cv)
        return _floats(special.gammainc(shape, v * shape))
    raise ValueError(f"unknown distribution kind {kind!r}")


def unit_mean_variance(kind: DurationKind, cv: float) -> float:
    """Exact variance of :func:`unit_mean` variates (mean is exactly 1)."""
    if kind == "fixed":
        return 0.0
    if kind == "exponential":
        return 1.0
    return cv * cv
