"""Paired replications of the baseline for direction-of-effect tests.

Two variants of the baseline run with common random numbers (the same seed
and replication indices, so both see the same leads and the same luck); a
direction holds when the paired 95% confidence interval of the difference
excludes zero on the stated side.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np

from sim import Scenario, load_scenario, simulate
from sim.experiments.statistics import mean_ci

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
SEED = 20240601
REPLICATIONS = 6

Overrides = tuple[tuple[str, object], ...]
Runs = list[dict[str, float]]


def key(**overrides: object) -> Overrides:
    """Overrides as a hashable key (dotted paths may be passed with ``**{...}``)."""
    return tuple(sorted(overrides.items()))


@cache
def baseline() -> Scenario:
    """The baseline scenario file."""
    return load_scenario(BASELINE)


@cache
def runs(overrides: Overrides, replications: int = REPLICATIONS,
         final_equity: bool = False) -> Runs:
    """Metrics of replications 0..n-1 of the baseline with ``overrides`` (cached).

    With ``final_equity`` each run's metrics also hold ``brand_equity_end``,
    the brand equity of the last week.
    """
    scenario = baseline().with_overrides(dict(overrides))
    out = []
    for r in range(replications):
        result = simulate(scenario, seed=SEED, replication=r)
        metrics = dict(result.metrics)
        if final_equity:
            metrics["brand_equity_end"] = float(result.timeseries["brand_equity"].iloc[-1])
        out.append(metrics)
    return out


def paired(a: Runs, b: Runs, metric: str | Callable[[dict[str, float]], float],
           relative: bool = False) -> tuple[float, float, float]:
    """Mean and 95% CI of ``b - a`` over paired replications.

    With ``relative`` the difference is divided by the mean of ``a``.
    """
    get = metric if callable(metric) else (lambda m: m[metric])
    d = np.array([get(y) - get(x) for x, y in zip(a, b, strict=True)])
    if relative:
        d = d / np.mean([get(x) for x in a])
    return mean_ci(d)


def assert_above(ci: tuple[float, float, float], what: str) -> None:
    """The interval lies above zero."""
    mean, low, high = ci
    assert low > 0, f"{what}: mean {mean:.4g}, 95% CI {low:.4g} .. {high:.4g} should be > 0"


def assert_below(ci: tuple[float, float, float], what: str) -> None:
    """The interval lies below zero."""
    mean, low, high = ci
    assert high < 0, f"{what}: mean {mean:.4g}, 95% CI {low:.4g} .. {high:.4g} should be < 0"
