"""The reports pick their best and worst rows by position, whatever the table's index.

The sweep and compare reports take plain DataFrames from any runner. They used to
find a row by the index label of its maximum (``idxmax``) and read it back with
``.loc``: a table whose index repeats a label (frames concatenated without
``ignore_index``) then gave several rows for "the best point", and the report
named a whole column instead of a scenario. They now take the row at the maximum's
position.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.report.compare_report import winners_table
from sim.report.sweep_report import best_point, summary_sentences
from sim.results.catalog import describe


def sweep_points(index: list[int]) -> pd.DataFrame:
    return pd.DataFrame({"x": [0.0, 0.5, 1.0], "mean": [3.0, 9.0, 1.0],
                         "ci_low": [2.0, 8.0, 0.0], "ci_high": [4.0, 10.0, 2.0]}, index=index)


@pytest.mark.parametrize("index", [[0, 1, 2], [5, 5, 5], [2, 1, 2]])
def test_best_point_is_one_row_whatever_the_index(index: list[int]) -> None:
    points = sweep_points(index)
    best = best_point(points)
    assert isinstance(best, pd.Series)
    assert best["x"] == 0.5
    assert best_point(points, maximize=False)["x"] == 1.0


def test_sweep_sentences_name_the_best_and_worst_point_with_a_repeated_index() -> None:
    points = sweep_points([0, 0, 0])
    best = best_point(points)
    texts = summary_sentences(points, ["x"], best, describe("deals_won"), maximize=True)
    assert "at x = 0.5" in texts[0]
    assert texts[-1].startswith("The worst point (x = 1)")


def test_compare_winner_is_one_scenario_whatever_the_index() -> None:
    summary = pd.DataFrame({"scenario": ["ref", "other"], "metric": ["deals_won"] * 2,
                            "mean": [10.0, 12.0], "ci_low": [9.0, 11.0],
                            "ci_high": [11.0, 13.0], "n": [5, 5]}, index=[7, 7])
    differences = pd.DataFrame({"scenario": ["other"], "metric": ["deals_won"],
                                "mean_diff": [2.0], "ci_low": [1.0], "ci_high": [3.0]},
                               index=[3])
    table = winners_table(summary, differences, "ref", ["deals_won"])
    assert table[["best", "clear"]].to_dict("records") == [{"best": "other", "clear": "yes"}]
    # The reference wins when it has the higher mean; not clear unless every other
    # scenario is clearly worse (here the difference's CI straddles 0).
    summary["mean"] = [12.0, 10.0]
    differences[["ci_low", "ci_high"]] = [[-3.0, 1.0]]
    table = winners_table(summary, differences, "ref", ["deals_won"])
    assert table[["best", "clear"]].to_dict("records") == [{"best": "ref", "clear": "no"}]
