"""Durations with right-censoring: Kaplan-Meier and a censored lognormal regression.

A deal still open when the export was taken has lasted *at least* its age: its
duration is right-censored. Dropping open deals would keep only the quick ones
and make stages look shorter than they are; both estimators here use them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan-Meier survival curve ``S(t)``: the share still going after ``t``.

    Attributes:
        times: distinct event times, ascending.
        survival: ``S`` just after each of them.
        n: observations used (events and censored).
        events: how many of them ended (the rest were censored).
    """

    times: np.ndarray
    survival: np.ndarray
    n: int
    events: int

    def quantile(self, q: float) -> float:
        """The time by which a share ``q`` has ended (NaN if the curve never gets there)."""
        hit = np.flatnonzero(self.survival <= 1.0 - q + 1e-12)
        return float(self.times[hit[0]]) if hit.size else float("nan")


def kaplan_meier(durations: np.ndarray, ended: np.ndarray) -> KaplanMeier:
    """Kaplan-Meier estimate from durations and whether each ended (else censored).

    Args:
        durations: observed durations (>= 0).
        ended: True where the duration ended in the event, False where censored.
    """
    d = np.asarray(durations, dtype=float)
    e = np.asarray(ended, dtype=bool)
    order = np.argsort(d, kind="stable")
    d, e = d[order], e[order]
    times, first = np.unique(d, return_index=True)
    at_risk = d.size - first
    deaths = np.add.reduceat(e.astype(float), first) if d.size else np.zeros(0)
    keep = deaths > 0
    factors = 1.0 - deaths[keep] / at_risk[keep]
    return KaplanMeier(times[keep], np.cumprod(factors), int(d.size), int(e.sum()))


@dataclass(frozen=True)
class LognormalFit:
    """A censored lognormal regression ``log T = X beta + sigma eps``, ``eps ~ N(0, 1)``.

    Attributes:
        beta: coefficients (one per column of ``X``).
        beta_se: their standard errors (inverse observed information).
        log_sigma: log of the spread; ``log_sigma_se`` its standard error.
        n: observations; ``events`` of them ended (the rest censored).
    """

    beta: np.ndarray
    beta_se: np.ndarray
    log_sigma: float
    log_sigma_se: float
    n: int
    events: int


def lognormal_regression(durations: np.ndarray, ended: np.ndarray, design: np.ndarray,
                         floor: float = 0.01) -> LognormalFit:
    """Maximum-likelihood fit of a lognormal duration model with right-censoring.

    An ended duration contributes its density, a censored one the chance of
    lasting longer. This is the accelerated-failure-time form: each covariate
    multiplies durations by ``exp(beta)``, as segments' cycle multipliers do.

    Args:
        durations: observed durations (values below ``floor`` are raised to it:
            a same-day stage change recorded with dates only).
        ended: True where the duration ended, False where censored.
        design: one row per duration, one column per coefficient (dummies).
        floor: smallest duration, in the durations' unit.

    Raises:
        ValueError: no duration ended, or the fit did not converge.
    """
    t = np.log(np.maximum(np.asarray(durations, dtype=float), floor))
    e = np.asarray(ended, dtype=bool)
    x = np.asarray(design, dtype=float)
    if not e.any():
        raise ValueError("no duration ended: nothing to fit")
    k = x.shape[1]
    # Start from least squares on the ended durations.
    beta0, *_ = np.linalg.lstsq(x[e], t[e], rcond=None)
    resid = t[e] - x[e] @ beta0
    start = np.append(beta0, np.log(max(float(np.std(resid)), 0.05)))

    def negative_log_likelihood(theta: np.ndarray) -> tuple[float, np.ndarray]:
        beta, log_s = theta[:k], theta[k]
        s = np.exp(log_s)
        z = (t - x @ beta) / s
        ll_event = -log_s - 0.5 * z[e] ** 2
        log_tail = stats.norm.logsf(z[~e])
        # d/dz log sf(z) = -pdf/sf (the inverse Mills ratio), computed stably.
        mills = np.exp(stats.norm.logpdf(z[~e]) - log_tail)
        value = -(ll_event.sum() + log_tail.sum())
        dz = np.zeros_like(z)  # d(-ll)/dz
        dz[e] = z[e]
        dz[~e] = mills
        grad_beta = -(x.T @ dz) / s
        grad_log_s = float(e.sum()) - float(np.sum(dz * z))
        return float(value), np.append(grad_beta, grad_log_s)

    result = optimize.minimize(negative_log_likelihood, start, jac=True, method="BFGS",
                               options={"gtol": 1e-6, "maxiter": 500})
    theta = result.x
    hessian = _numeric_hessian(lambda th: negative_log_likelihood(th)[1], theta)
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        raise ValueError("the duration fit is degenerate (a stage or segment without "
                         "durations?)") from None
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    if not np.all(np.isfinite(theta)) or not np.all(np.isfinite(se)):
        raise ValueError("the duration fit did not converge")
    return LognormalFit(theta[:k], se[:k], float(theta[k]), float(se[k]), int(t.size),
                        int(e.sum()))


def _numeric_hessian(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray,
                     step: float = 1e-5) -> np.ndarray:
    """Symmetrised central differences of an analytic gradient."""
    n = theta.size
    out = np.empty((n, n))
    for i in range(n):
        h = np.zeros(n)
        h[i] = step * max(1.0, abs(theta[i]))
        out[i] = (grad(theta + h) - grad(theta - h)) / (2 * h[i])
    return 0.5 * (out + out.T)
