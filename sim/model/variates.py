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

    ``pdtrik`` is an iterative root search, ~3.7 microseconds a value: most
    of a small company's drawing of a day's lead counts. So the answer is
    first found by walking the cdf from a normal guess (:func:`_poisson_walk`),
    and kept where it is provably what the inversion gives; the rest (a
    uniform within a hair of a cdf step, extreme means or uniforms) take
    :func:`_poisson_inverse` itself.
    """
    q, mu = np.broadcast_arrays(_floats(u), _floats(mean))
    shape = q.shape
    q, mu = q.ravel(), mu.ravel()
    out = np.empty(q.size)
    walked, sure = _poisson_walk(q, mu)
    out[sure] = walked[sure]
    rest = ~sure
    if rest.any():
        out[rest] = _poisson_inverse(q[rest], mu[rest])
    return out.reshape(shape)


def _poisson_inverse(q: FloatArray, mu: FloatArray) -> FloatArray:
    """:func:`poisson` the plain way: ``pdtrik``'s real root, its ceiling corrected by one."""
    k = np.ceil(special.pdtrik(q, mu))
    below = np.maximum(k - 1.0, 0.0)
    return _floats(np.where(special.pdtr(below, mu) >= q, below, k))


# Walking the cdf (_poisson_walk): a value is kept only if pdtrik's root lies this far
# (in k) inside the step of the walked answer, and the cdf clears the uniform by this much.
_ROOT_MARGIN = 0.01
_CDF_MARGIN = 1e-9
_WALK_MAX_MEAN = 1e4  # pdtrik's relative tolerance (~1e-8) times this is far below the margin
_WALK_STEPS = 32


def _poisson_walk(q: FloatArray, mu: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
    """The smallest ``s`` with ``pdtr(s, mu) >= q``, and where it is :func:`_poisson_inverse`'s.

    Why the two agree: with ``pdtr(s - 1) < q <= pdtr(s)``, the inverse gives
    ``s`` whenever ``pdtrik``'s root ``x`` has ``s - 1 < x <= s + 1`` (ceiling
    ``s``: the cdf one below is under ``q``; ceiling ``s + 1``: the cdf one
    below is ``pdtr(s) >= q``). ``pdtrik`` solves ``gammaincc(x + 1, mu) = q``
    (continuous, increasing in ``x``) to a relative tolerance near 1e-8; a
    value is kept only where that function at ``s - 1 + margin`` is below
    ``q`` and at ``s + 1 - margin`` above it, each by ``_CDF_MARGIN`` (far more
    than the two libraries' incomplete gamma functions differ), so the root
    lies well inside ``(s - 1, s + 1)``. At ``s = 0`` any root in ``[0, 1)``
    gives 0. Everything else (a NaN, a negative or huge mean, ``q`` outside
    [0, 1), a walk not done in ``_WALK_STEPS`` steps) is left to the inverse.

    Returns:
        The walked answers (meaningless where not kept), and which are kept.
    """
    ok = (q >= 0.0) & (q < 1.0) & (mu >= 0.0) & (mu <= _WALK_MAX_MEAN)  # NaN fails
    s = np.zeros(q.size)
    idx = np.flatnonzero(ok)
    qi, mi = q[idx], mu[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        z = special.ndtri(qi)
        guess = np.floor(mi + np.sqrt(mi) * z + (z * z - 1.0) / 6.0)  # Cornish-Fisher
    si = np.clip(np.nan_to_num(guess, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 4.0 * mi + 64.0)
    # Up while the cdf is below q, then down while the cdf one below still reaches q.
    todo = np.flatnonzero(special.pdtr(si, mi) < qi)
    for _ in range(_WALK_STEPS):
        if todo.size == 0:
            break
        si[todo] += 1.0
        todo = todo[special.pdtr(si[todo], mi[todo]) < qi[todo]]
    up_left = todo
    todo = np.flatnonzero((si > 0.0) & (special.pdtr(si - 1.0, mi) >= qi))
    for _ in range(_WALK_STEPS):
        if todo.size == 0:
            break
        si[todo] -= 1.0
        todo = todo[(si[todo] > 0.0) & (special.pdtr(si[todo] - 1.0, mi[todo]) >= qi[todo])]
    done = np.ones(idx.size, dtype=np.bool_)
    done[up_left] = False
    done[todo] = False
    # pdtrik's function at s - 1 + margin and s + 1 - margin (gammaincc(x + 1, mu)).
    low = np.where(si > 0.0, special.gammaincc(si + _ROOT_MARGIN, mi), -np.inf)
    high = special.gammaincc(si + 2.0 - _ROOT_MARGIN, mi)
    done &= (low <= qi - _CDF_MARGIN) & (high >= qi + _CDF_MARGIN)
    s[idx] = si
    sure = np.zeros(q.size, dtype=np.bool_)
    sure[idx] = done
    return s, sure


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
