"""Confidence intervals over replications."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments.statistics import (
    mean_ci,
    paired_by_replication,
    paired_difference,
    summarise,
    t_quantile,
)


def test_mean_ci_by_hand() -> None:
    # x = 1, 2, 3: mean 2, s = 1, t(0.975, 2) = 4.302653; half = 4.302653 / sqrt(3).
    mean, low, high = mean_ci(np.array([1.0, 2.0, 3.0]))
    half = 4.302652729911275 / math.sqrt(3)
    assert mean == 2.0
    assert low == pytest.approx(2.0 - half)
    assert high == pytest.approx(2.0 + half)


def test_nan_replications_are_left_out_and_one_value_has_no_interval() -> None:
    mean, low, high = mean_ci(np.array([np.nan, 4.0]))
    assert mean == 4.0
    assert math.isnan(low) and math.isnan(high)
    assert all(math.isnan(v) for v in mean_ci(np.array([np.nan])))


def test_summarise_counts_replications_used() -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1.0, np.nan, 1.0]})
    out = summarise(df, ["a", "b"]).set_index("metric")
    assert out.loc["a", "n"] == 3
    assert out.loc["b", "n"] == 2
    assert out.loc["b", "ci_low"] == out.loc["b", "ci_high"] == 1.0


def test_t_quantile_is_students() -> None:
    # With 2 degrees of freedom the quantile has a closed form, (2p - 1) / sqrt(2p(1 - p));
    # t(0.975, 10) from tables; t(0.5, df) = 0 for any df.
    assert t_quantile(0.975, 2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-12)
    assert t_quantile(0.975, 10) == pytest.approx(2.228139, rel=1e-6)
    assert t_quantile(0.5, 7) == 0.0


def test_paired_difference_by_hand() -> None:
    # Differences 1, 2, 3: mean 2, s = 1, half = t(0.975, 2) / sqrt(3).
    reference = np.array([10.0, 20.0, 30.0])
    other = np.array([11.0, 22.0, 33.0])
    d = paired_difference(other, reference)
    half = 4.302652729911275 / math.sqrt(3)
    assert d.mean == 2.0 and d.n == 3
    assert (d.ci_low, d.ci_high) == pytest.approx((2.0 - half, 2.0 + half))
    assert (d.reference_mean, d.other_mean) == (20.0, 22.0)
    assert d.relative == pytest.approx(0.1)
    assert d.as_dict() == {"mean": 2.0, "ci_low": d.ci_low, "ci_high": d.ci_high, "n": 3,
                           "relative": d.relative}
    # A wider level, a wider interval; the same mean.
    wide = paired_difference(other, reference, level=0.99)
    assert wide.mean == 2.0 and wide.ci_low < d.ci_low and wide.ci_high > d.ci_high


def test_paired_difference_is_the_interval_of_the_differences() -> None:
    rng = np.random.default_rng(3)
    reference = rng.normal(100.0, 10.0, size=12)
    other = reference + rng.normal(5.0, 1.0, size=12)
    d = paired_difference(other, reference)
    assert (d.mean, d.ci_low, d.ci_high) == mean_ci(other - reference)


def test_paired_difference_leaves_out_undefined_pairs_and_means_use_every_value() -> None:
    reference = np.array([1.0, 2.0, 3.0, math.nan])
    other = np.array([3.0, 5.0, math.nan, 9.0])
    d = paired_difference(other, reference)
    assert d.n == 2 and d.mean == 2.5
    assert (d.ci_low, d.ci_high) == mean_ci(np.array([2.0, 3.0]))[1:]
    # Each side's mean is over its own defined replications (as its summary shows it).
    assert d.reference_mean == 2.0 and d.other_mean == pytest.approx(17.0 / 3.0)


def test_paired_difference_undefined_cases() -> None:
    one = paired_difference(np.array([2.0]), np.array([1.0]))
    assert one.mean == 1.0 and one.n == 1 and math.isnan(one.ci_low) and math.isnan(one.ci_high)
    none = paired_difference(np.array([math.nan, 1.0]), np.array([1.0, math.nan]))
    assert none.n == 0 and math.isnan(none.mean) and math.isnan(none.relative)
    zero = paired_difference(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert zero.mean == 1.5 and math.isnan(zero.relative)  # relative to a mean of 0
    negative = paired_difference(np.array([-1.0, -2.0]), np.array([-2.0, -4.0]))
    assert negative.relative == pytest.approx(1.5 / 3.0)  # over |reference mean|
    same = paired_difference(np.array([1.0, 2.0, 4.0]), np.array([1.0, 2.0, 4.0]))
    assert (same.mean, same.ci_low, same.ci_high) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same length"):
        paired_difference(np.array([1.0, 2.0]), np.array([1.0]))


def test_paired_by_replication_matches_rows_by_replication() -> None:
    reference = pd.DataFrame({"replication": [0, 1, 2, 3], "x": [10.0, 20.0, 30.0, 40.0]})
    other = pd.DataFrame({"replication": [4, 3, 1, 0], "x": [99.0, 41.0, 22.0, 11.0]})
    d = paired_by_replication(other, reference, "x")
    # Replication 2 is only in the reference and 4 only in the other: left out.
    assert d == paired_difference(np.array([11.0, 22.0, 41.0]), np.array([10.0, 20.0, 40.0]))
    assert d.n == 3 and d.mean == pytest.approx(4.0 / 3.0)
