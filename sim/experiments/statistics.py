"""Confidence intervals over replications, and paired differences between scenarios.

Every interval here is a Student-t interval over independent replications.
:func:`paired_difference` is the one routine that compares two scenarios run
with common random numbers (the same seed and replication indices): it takes
the difference replication by replication and puts the interval on those
differences, whose variance is much smaller than that of two independent runs.
The command line's ``compare`` and ``optimize``, and the workshop's comparison
and game all use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

# The t quantile comes from scipy.special (the function scipy.stats.t.ppf calls,
# so the numbers are identical): importing scipy.stats would cost a second.
# SciPy ships no annotations; the ignore stays harmless once stubs are installed.
from scipy import special  # type: ignore[import-untyped, unused-ignore]


def _defined(values: ArrayLike) -> NDArray[np.float64]:
    """The values as floats, NaN (undefined in a replication) left out."""
    x = np.asarray(values, dtype=np.float64)
    defined: NDArray[np.float64] = x[~np.isnan(x)]
    return defined


def t_quantile(probability: float, df: int) -> float:
    """The ``probability`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(special.stdtrit(df, probability))


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications.

    NaN values (a metric undefined in a replication, e.g. no deal won) are left
    out. With fewer than two values the interval is undefined (NaN).

    Args:
        values: one value per replication.
        level: the interval's confidence level.

    Returns:
        ``(mean, ci_low, ci_high)``.
    """
    x = _defined(values)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = t_quantile(0.5 + level / 2.0, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return mean, mean - half, mean + half


def _nanmean(values: ArrayLike) -> float:
    """Mean of the defined values; NaN when there is none (without a warning)."""
    x = np.asarray(values, dtype=float)
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


@dataclass(frozen=True)
class PairedDifference:
    """``other - reference``, replication by replication, with its confidence interval.

    Attributes:
        mean: mean of the differences over the pairs where both are defined.
        ci_low, ci_high: Student-t interval of that mean (NaN with fewer than two pairs).
        n: the pairs used.
        reference_mean: mean of the reference over its defined replications.
        other_mean: mean of the other scenario over its defined replications.
    """

    mean: float
    ci_low: float
    ci_high: float
    n: int
    reference_mean: float
    other_mean: float

    @property
    def relative(self) -> float:
        """The difference over the reference's mean; NaN when that is zero or undefined."""
        ref = self.reference_mean
        return self.mean / abs(ref) if ref and not math.isnan(ref) else math.nan

    def as_dict(self) -> dict[str, Any]:
        """``mean``, ``ci_low``, ``ci_high``, ``n`` and ``relative``, for a table's row."""
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "n": self.n, "relative": self.relative}


def paired_difference(other: ArrayLike, reference: ArrayLike, level: float = 0.95
                      ) -> PairedDifference:
    """The paired difference ``other - reference`` of one metric and its CI.

    Both arrays hold one value per replication, in the same replication order
    (common random numbers: element ``r`` of each comes from the same seed and
    replication ``r``). Replications where either value is undefined (NaN) are
    left out of the difference; ``n`` counts the pairs used.

    Args:
        other: the scenario compared with the reference.
        reference: the reference scenario.
        level: the interval's confidence level.

    Raises:
        ValueError: arrays of different lengths.
    """
    x = np.asarray(other, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if x.shape != ref.shape:
        raise ValueError(f"paired values: expected arrays of the same length, got "
                         f"{x.size} and {ref.size}")
    d = x - ref
    mean, low, high = mean_ci(d, level)
    return PairedDifference(mean, low, high, int(np.sum(~np.isnan(d))), _nanmean(ref),
                            _nanmean(x))


def paired_by_replication(other: pd.DataFrame, reference: pd.DataFrame, metric: str,
                          level: float = 0.95) -> PairedDifference:
    """:func:`paired_difference` of two per-replication tables, matched on ``replication``.

    Rows are paired by their ``replication`` column, whatever their order;
    replications that only one table has are left out.

    Args:
        other: one row per replication (``replication`` and ``metric``) of the
            scenario compared with the reference.
        reference: the same of the reference.
        metric: the column to compare.
        level: the interval's confidence level.
    """
    pairs = reference[["replication", metric]].merge(
        other[["replication", metric]], on="replication", suffixes=("_ref", "_other"))
    return paired_difference(pairs[f"{metric}_other"].to_numpy(dtype=float),
                             pairs[f"{metric}_ref"].to_numpy(dtype=float), level)


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
