"""The one-pager's decision and the verdicts people read: paired, honest about noise."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim.report.decision import (
    compare_decision,
    differences_to_best,
    flatness,
    flatness_sentence,
    optimum_decision,
    shown_verdict,
)

NAN = math.nan


@pytest.mark.parametrize(("metric", "mean", "low", "high", "expected"), [
    ("revenue", 1e5, 5e4, 1.5e5, "better"),
    ("revenue", -1e5, -1.5e5, -5e4, "worse"),
    ("total_cost", -1e5, -1.5e5, -5e4, "better"),  # lower cost is better
    ("revenue", 1e4, -5e4, 7e4, "no detectable difference"),
    ("rep_utilization", 0.05, 0.02, 0.08, "higher"),  # direction 0: described, not judged
    ("in_flight_end", -40.0, -60.0, -20.0, "lower"),
    ("lost_cold", 120.0, 80.0, 160.0, "more"),  # a leak count grows with the leads coming in
    ("lost_never_contacted", -55.0, -91.0, -20.0, "fewer"),
    ("rep_wait_days_mean", 0.004, 0.001, 0.008, "negligible"),  # "+0.0 d .. +0.0 d"
    ("marketing_spend", 0.0, 0.0, 0.0, "same"),
    ("cycle_days_median", NAN, NAN, NAN, "undefined"),
])
def test_verdicts_judge_goals_and_describe_the_rest(metric: str, mean: float, low: float,
                                                    high: float, expected: str) -> None:
    assert shown_verdict(metric, mean, low, high) == expected


def _differences(mean: float, low: float, high: float, scenario: str = "B") -> pd.DataFrame:
    return pd.DataFrame([{"metric": "contribution", "scenario": scenario, "mean_diff": mean,
                          "ci_low": low, "ci_high": high, "relative": mean / 1e7}])


def test_a_clear_gain_is_a_choice_with_its_range() -> None:
    decision = compare_decision(_differences(1.2e6, 9e5, 1.5e6), "A", "contribution", 20,
                                1095.0)
    assert decision.choice == ("Choose 'B' over 'A': it brings the best contribution over "
                               "3 years.")
    assert decision.clear and decision.winner == "B"
    assert "+1.2 M contribution (+12.0%), 95% CI +900 k to +1.5 M" in decision.gain
    assert "20 paired replications" in decision.certainty


def test_noise_is_no_choice_and_a_probability_is_shown_when_known() -> None:
    decision = compare_decision(_differences(1e5, -2e5, 4e5), "A", "contribution", 3,
                                probability={"B": 0.71})
    assert decision.choice.startswith("No clear choice on contribution")
    assert "run more replications" in decision.choice and not decision.clear
    assert decision.certainty == "Probability that 'B' beats 'A' on contribution: 71.0%."


def test_when_every_alternative_loses_keep_the_reference() -> None:
    diffs = pd.concat([_differences(-5e5, -7e5, -3e5, "B"), _differences(-1e5, -2e5, -5e4, "C")])
    decision = compare_decision(diffs, "A", "contribution", 10)
    assert decision.choice.startswith("Keep 'A'") and decision.winner == "A"
    assert "'C'" in decision.gain  # the closest alternative


def _paired_points(seed: int = 1) -> pd.DataFrame:
    """Five points sharing most of their noise (common random numbers), best at point 2."""
    rng = np.random.default_rng(seed)
    luck = rng.normal(0, 1e6, 8)  # the same draw at every point
    rows = []
    for point, level in enumerate([9.0e6, 9.8e6, 1.0e7, 9.9e6, 9.2e6]):
        for r in range(8):
            rows.append({"point": point, "replication": r,
                         "contribution": level + luck[r] + rng.normal(0, 2e4)})
    return pd.DataFrame(rows)


def test_differences_to_the_best_are_paired() -> None:
    per_rep = _paired_points()
    table = differences_to_best(per_rep, "point", "contribution").set_index("point")
    assert table.loc[2, "difference"] == 0 and table.loc[2, "near_optimal"]
    # The shared luck (sd 1 M) cancels: the paired CI is far narrower than either point's.
    width = table.loc[0, "difference_ci_high"] - table.loc[0, "difference_ci_low"]
    assert width < 1e5
    assert table.loc[0, "difference_ci_high"] < 0 and not table.loc[0, "near_optimal"]
    assert table.loc[0, "relative_loss"] == pytest.approx(0.1, abs=0.01)


def _flat_table(near: list[bool], low: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"near_optimal": near, "difference_ci_low": low,
                         "difference_ci_high": [0.0] * len(near)})


@pytest.mark.parametrize(("near", "low", "shape"), [
    ([True, True, True], [-3e5, 0.0, -2e5], "noise"),  # nothing clearly worse
    ([False, True, False], [-9e5, 0.0, -8e5], "sharp"),
    ([False, True, True], [-9e5, 0.0, -5e4], "flat"),  # within noise and at most 0.5% lost
    ([False, True, True], [-9e5, 0.0, -5e5], "unresolved"),  # could still lose 5%
])
def test_the_top_is_judged_from_paired_bounds(near: list[bool], low: list[float],
                                              shape: str) -> None:
    assert flatness(_flat_table(near, low), 1e7).shape == shape


def test_noise_asks_for_replications_instead_of_calling_the_optimum_flat() -> None:
    flat = flatness(_flat_table([True] * 9, [-3e5] * 9), 1e7)
    text = flatness_sentence(flat, "x from 0 to 1", 3)
    assert text.startswith("More replications needed")
    assert "3 replications per point" in text and "flat optimum from noise" in text
    assert "Flat optimum" not in text
    decision = optimum_decision({"x": 0.5}, "contribution", 1e7, (9e6, 1.1e7), flat, True)
    assert decision.choice.startswith("No clear choice yet") and not decision.clear
