"""Random variates by inverse transform of uniforms.

Every lead carries its own row of uniforms, drawn once when it is created; all
of its later luck (stage durations, deal size, acceptance) is a deterministic
transform of that row. Two scenarios that see the same lead therefore give it
the same luck (common random numbers), and the transforms here are vectorised
so a whole day's leads are drawn at once.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from sim.scenario.schema import DurationKind

FloatArray = NDArray[np.float64]


def exponential(u: ArrayLike, mean: float) -> FloatArray:
    """Exponential variates with the given mean; ``mean = inf`` gives ``inf``."""
    u = np.asarray(u, dtype=float)
    if np.isinf(mean):
        return np.full(u.shape, np.inf)
    return -mean * np.log1p(-u)


def beta(u: ArrayLike, a: float, b: float) -> FloatArray:
    """Beta(a, b) variates (lead quality)."""
    return special.betaincinv(a, b, np.asarray(u, dtype=float))


def standard_normal(u: ArrayLike) -> FloatArray:
    """Standard normal variates."""
    return special.ndtri(np.asarray(u, dtype=float))


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
    u = np.asarray(u, dtype=float)
    if kind == "fixed" or (cv == 0.0 and kind != "exponential"):
        return np.ones(u.shape)
    if kind == "exponential":
        return -np.log1p(-u)
    if kind == "lognormal":
        sigma2 = np.log1p(cv * cv)
        return np.exp(np.sqrt(sigma2) * special.ndtri(u) - 0.5 * sigma2)
    if kind == "gamma":
        shape = 1.0 / (cv * cv)
        return special.gammaincinv(shape, u) / shape
    raise ValueError(f"unknown distribution kind {kind!r}")


def unit_mean_variance(kind: DurationKind, cv: float) -> float:
    """Exact variance of :func:`unit_mean` variates (mean is exactly 1)."""
    if kind == "fixed":
        return 0.0
    if kind == "exponential":
        return 1.0
    return cv * cv
