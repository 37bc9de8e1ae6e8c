"""Kaplan-Meier and the censored lognormal regression."""

import numpy as np
import pytest

from sim.calibration.survival import kaplan_meier, lognormal_regression

pytestmark = pytest.mark.unit


def test_kaplan_meier_by_hand():
    # Durations 1, 2+, 3, 4 (2 censored): S(1) = 3/4, S(3) = 3/4 * 1/2, S(4) = 0.
    km = kaplan_meier(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, True]))
    assert list(km.times) == [1.0, 3.0, 4.0]
    assert km.survival == pytest.approx([0.75, 0.375, 0.0])
    assert km.quantile(0.5) == 3.0
    assert (km.n, km.events) == (4, 3)


def test_kaplan_meier_median_beats_dropping_the_censored():
    rng = np.random.default_rng(3)
    t = rng.exponential(10.0, 4000)
    c = rng.uniform(0.0, 30.0, 4000)
    km = kaplan_meier(np.minimum(t, c), t <= c)
    assert km.quantile(0.5) == pytest.approx(10.0 * np.log(2.0), rel=0.06)
    assert np.median(t[t <= c]) < 0.8 * km.quantile(0.5)  # closed ones only: biased short


def test_lognormal_regression_recovers_stage_and_segment_effects():
    rng = np.random.default_rng(1)
    n = 6000
    stage = rng.integers(0, 3, n)
    slow = rng.random(n) < 0.4
    mu = np.array([2.0, 2.6, 1.5])[stage] + 0.7 * slow
    t = np.exp(mu + 0.5 * rng.standard_normal(n))
    c = rng.uniform(0.0, 40.0, n)
    design = np.column_stack([stage == 0, stage == 1, stage == 2, slow]).astype(float)
    fit = lognormal_regression(np.minimum(t, c), t <= c, design)
    truth = [2.0, 2.6, 1.5, 0.7]
    assert np.all(np.abs(fit.beta - truth) < 4 * fit.beta_se)
    assert np.all(fit.beta_se < 0.05)
    assert np.exp(fit.log_sigma) == pytest.approx(0.5, rel=0.05)
    assert fit.events < n


def test_lognormal_regression_needs_an_event():
    with pytest.raises(ValueError, match="no duration ended"):
        lognormal_regression(np.ones(5), np.zeros(5, dtype=bool), np.ones((5, 1)))
