"""Confidence intervals over replications."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications.

    NaN values (a metric undefined in a replication, e.g. no deal won) are left
    out. With fewer than two values the interval is undefined (NaN).
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2.0, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def summarise(per_replication: pd.DataFrame, metrics: list[str] | tuple[str, ...],
              level: float = 0.95) -> pd.DataFrame:
    """One row per metric: mean, CI bounds and the number of replications used."""
    rows = []
    for name in metrics:
        col = per_replication[name].to_numpy(dtype=float)
        mean, low, high = mean_ci(col, level)
        rows.append({"metric": name, "mean": mean, "ci_low": low, "ci_high": high,
                     "n": int(np.sum(~np.isnan(col)))})
    return pd.DataFrame(rows)
