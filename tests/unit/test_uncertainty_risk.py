"""Risk measures and targets of the multi-lever optimiser, against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Scenario
from sim.experiments.designs import ExperimentError
from sim.experiments.optimizer import Lever, Risk, Target, parse_levers

pytestmark = pytest.mark.unit

X = np.arange(1.0, 11.0)  # 1 .. 10


def test_risk_measures_of_known_outcomes() -> None:
    assert Risk.parse("mean").value(X, "max") == 5.5
    assert Risk.parse("quantile:0.1").value(X, "max") == pytest.approx(np.quantile(X, 0.1))
    assert Risk.parse("quantile:0.1").value(X, "min") == pytest.approx(np.quantile(X, 0.9))
    assert Risk.parse("cvar:0.2").value(X, "max") == 1.5  # the worst two: 1 and 2
    assert Risk.parse("cvar:0.2").value(X, "min") == 9.5  # the worst two of a cost: 9, 10
    assert Risk.parse("prob:8").value(X, "max") == 0.3
    assert Risk.parse("prob:3").value(X, "min") == 0.3
    # Scores are "higher is better" whatever the goal.
    assert Risk.parse("mean").score(X, "min") == -5.5
    assert Risk.parse("prob:3").score(X, "min") == 0.3
    assert math.isnan(Risk().value(np.array([np.nan]), "max"))


@pytest.mark.parametrize(("text", "message"), [
    ("median", "expected mean, quantile:Q"), ("quantile:1.5", "between 0 and 1"),
    ("cvar:x", "expected a number"), ("prob:", "expected mean, quantile:Q"),
])
def test_bad_risks(text: str, message: str) -> None:
    with pytest.raises(ExperimentError, match=message):
        Risk.parse(text)


def test_targets() -> None:
    target = Target.parse("revenue>=60M", 0.8)
    assert (target.metric, target.comparison, target.value) == ("revenue", ">=", 6e7)
    assert target.reached(np.array([5e7, 6e7, 7e7, np.nan])) == pytest.approx(2 / 3)
    assert Target.parse("total_cost <= 2.5e6", 0.5).reached(np.array([2e6, 3e6])) == 0.5
    for text, probability, message in (("revenue>60M", 0.8, "expected METRIC>=VALUE"),
                                       ("revenu>=60M", 0.8, "did you mean 'revenue'"),
                                       ("revenue>=60M", 1.0, "between 0 and 1")):
        with pytest.raises(ExperimentError, match=message):
            Target.parse(text, probability)


def test_levers_are_checked_against_the_scenario() -> None:
    base = Scenario()
    levers = parse_levers(base, ["marketing.annual_budget=1e6:3e6", "sales.reps=6:12",
                                 "marketing.brand_share=0:1"], ["marketing.annual_budget"])
    assert levers == (Lever("marketing.annual_budget", 1e6, 3e6, True),
                      Lever("sales.reps", 6, 12, True), Lever("marketing.brand_share", 0, 1))
    for options, integer, message in (
            (["sales.reps=6.5:12"], [], "whole-number bounds"),
            (["marketing.brand_share=0:2"], [], "outside the field's valid values"),
            (["marketing.brand_shar=0:1"], [], "did you mean"),
            (["sales.reps=6:12", "sales.reps=7:9"], [], "given twice"),
            (["sales.reps=6:12"], ["marketing.brand_share"], "not a --param"),
            (["seed=1:5"], [], "cannot be varied")):
        with pytest.raises(ExperimentError, match=message):
            parse_levers(base, options, integer)
