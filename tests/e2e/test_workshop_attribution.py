"""The debrief's decomposition: the gap between two teams split by lever, parts adding up."""

from __future__ import annotations

import itertools
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.apps.workshop import attribution as at
from sim.apps.workshop import charts
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]


# --- the arithmetic, on values given by hand ----------------------------------------


def shapley(levers, value):
    """Shapley values by the subset formula, to check the averaging over orders."""
    k = len(levers)
    out = {}
    for i in levers:
        others = [x for x in levers if x != i]
        total = 0.0
        for size in range(k):
            for s in itertools.combinations(others, size):
                weight = factorial(size) * factorial(k - size - 1) / factorial(k)
                total += weight * (value(frozenset(s) | {i}) - value(frozenset(s)))
        out[i] = total
    return out


def test_every_order_gives_shapley_values_that_add_up():
    levers = ("brand_share", "annual_budget", "sales_plan")
    # Two replications; brand and budget interact (a cut matters more with a big budget).
    table = {
        frozenset(): np.array([10.0, 12.0]),
        frozenset({"brand_share"}): np.array([14.0, 15.0]),
        frozenset({"annual_budget"}): np.array([11.0, 13.0]),
        frozenset({"sales_plan"}): np.array([9.0, 12.5]),
        frozenset({"brand_share", "annual_budget"}): np.array([20.0, 22.0]),
        frozenset({"brand_share", "sales_plan"}): np.array([13.0, 15.5]),
        frozenset({"annual_budget", "sales_plan"}): np.array([10.0, 13.5]),
        frozenset(levers): np.array([19.0, 22.5]),
    }
    method, orders = at.orders_for(levers, exact_up_to=3)
    assert method == at.SHAPLEY and len(orders) == 6
    parts = at.decompose(levers, table.__getitem__, orders)
    for r in range(2):
        expected = shapley(levers, lambda s, r=r: float(table[s][r]))
        for name in levers:
            assert parts[name][r] == pytest.approx(expected[name])
    np.testing.assert_allclose(sum(parts.values()), table[frozenset(levers)] - table[frozenset()])


def test_beyond_exact_the_order_and_its_reverse_are_averaged():
    levers = ("a", "b", "c", "d")
    method, orders = at.orders_for(levers, exact_up_to=3)
    assert method == at.BOTH_WAYS and orders == [levers, tuple(reversed(levers))]
    needed = at.subsets_needed(orders)
    assert len(needed) == 2 * len(levers)  # the empty set, A, and 2k - 2 mixes
    value = {s: np.array([float(len(s) ** 2 + ("a" in s) * 3)]) for s in needed}
    parts = at.decompose(levers, value.__getitem__, orders)
    np.testing.assert_allclose(sum(parts.values()), value[frozenset(levers)] - value[frozenset()])


def test_mixed_choices_take_the_switched_levers_from_the_first_team():
    start = lg.Levers(2e6, 0.46, 0.5, 8, "revenue_commission", "pipeline", "defined")
    a = [start.with_changes(brand_share=0.0), start.with_changes(brand_share=0.0,
                                                                  sales_plan="shared_revenue")]
    b = [start, start.with_changes(annual_budget=3e6)]
    assert at.differing_levers(a, b) == ("annual_budget", "brand_share", "sales_plan")
    mixed = at.mixed_choices(a, b, frozenset({"brand_share"}))
    assert [m.brand_share for m in mixed] == [0.0, 0.0]
    assert [m.annual_budget for m in mixed] == [2e6, 3e6]  # still B's
    assert mixed[1].sales_plan == "revenue_commission"


# --- on a played game ------------------------------------------------------------------


@pytest.fixture(scope="module")
def played():
    baseline = load_scenario(REPO / "scenarios" / "baseline.yaml")
    game = gm.Game(gm.GameSetup(("A", "B", "C"), 1, baseline, seed=8, replications=3,
                                long_run_days=182.5))
    start = game.setup.start_levers
    game.play_round({"A": start.with_changes(brand_share=0.0, handoff_threshold=0.7),
                     "B": start, "C": start.with_changes(brand_share=0.0)})
    game.run_debrief()
    return game


def test_the_parts_add_up_to_the_gap_in_every_replication(played):
    a = at.attribute_gap(played, "A", "B")
    assert a.levers == ("brand_share", "handoff_threshold") and a.method == at.SHAPLEY
    assert a.mixes == 2  # only brand switched, only hand-off switched
    long = played.debrief.runs
    total = (long["A"].per_replication["contribution"].to_numpy()
             - long["B"].per_replication["contribution"].to_numpy())
    np.testing.assert_allclose(a.total, total)
    np.testing.assert_allclose(a.parts["brand_share"] + a.parts["handoff_threshold"], total)
    table = a.table()
    assert list(table["lever"]) == ["brand_share", "handoff_threshold", "total"]
    assert table["mean"].iloc[:-1].sum() == pytest.approx(table["mean"].iloc[-1])
    assert a.sentence().startswith("A minus B: ")
    assert "the parts add up to the gap" in a.sentence()
    spec = charts.attribution_chart(table, at.gap_words(a)).to_dict()  # validated
    assert spec["config"]["axis"]["labelFontSize"] >= 16


def test_one_lever_apart_it_takes_the_whole_gap(played):
    # C is B with the brand cut: the brand share's part is the gap, exactly, no mix needed.
    a = at.attribute_gap(played, "C", "B")
    assert a.levers == ("brand_share",) and a.mixes == 0
    np.testing.assert_array_equal(a.parts["brand_share"], a.total)


def test_the_same_mixes_whichever_method_when_two_levers_differ(played):
    exact = at.attribute_gap(played, "A", "B")
    both = at.attribute_gap(played, "A", "B", exact_up_to=1)
    assert both.method == at.BOTH_WAYS
    for name in exact.levers:  # with two levers both orders are every order
        np.testing.assert_allclose(both.parts[name], exact.parts[name])


def test_the_decomposition_needs_the_debrief_and_two_teams(played):
    with pytest.raises(gm.GameError, match="different teams"):
        at.attribute_gap(played, "A", "A")
    with pytest.raises(gm.GameError, match="no team"):
        at.attribute_gap(played, "A", "Z")
    fresh = gm.Game(played.setup)
    with pytest.raises(gm.GameError, match="debrief"):
        at.attribute_gap(fresh, "A", "B")


def test_teams_with_the_same_choices_have_no_gap(played):
    same = gm.Game(played.setup)
    start = played.setup.start_levers
    same.play_round({"A": start, "B": start, "C": start})
    same.run_debrief()
    a = at.attribute_gap(same, "A", "B")
    assert a.levers == () and not a.total.any()
    assert "made the same choices" in a.sentence()
    assert isinstance(a.table(), pd.DataFrame) and len(a.table()) == 1
