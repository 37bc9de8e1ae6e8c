"""Confidence intervals over replications."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments.statistics import mean_ci, summarise


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
