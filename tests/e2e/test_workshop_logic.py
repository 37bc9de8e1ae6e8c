"""Workshop logic without a browser: levers, presets, the comparison and its takeaway."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sim.apps.workshop import charts
from sim.apps.workshop import logic as lg
from sim.experiments.runner import run_replications
from sim.experiments.statistics import mean_ci
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]

BASELINE = REPO / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def presets():
    return lg.load_presets()


# --- levers ------------------------------------------------------------------------


def test_levers_read_the_scenario_and_map_to_the_dotted_keys(baseline):
    levers = lg.Levers.of(baseline)
    assert levers.annual_budget == baseline.marketing.annual_budget
    assert levers.brand_share == baseline.marketing.brand_share
    assert levers.reps == baseline.sales.reps
    assert set(levers.overrides()) == {
        "marketing.annual_budget", "marketing.brand_share", "nurture.handoff_threshold",
        "sales.reps", "incentives.sales_plan", "incentives.marketing_plan", "alignment.stage"}
    assert "sales.reps" in levers.overrides(lg.GAME_LEVERS)  # teams may hire


def test_scenario_for_applies_levers_as_a_change_of_plan_on_day_0(baseline):
    levers = lg.Levers.of(baseline).with_changes(brand_share=0.1, reps=5,
                                                  alignment_stage="integrated")
    s = lg.scenario_for(baseline, levers, 90.0)
    assert s.horizon_days == 90.0
    assert s.marketing.brand_share == 0.1 and s.sales.reps == 5
    assert s.alignment.stage == "integrated"
    # the plan before day 0 stays the base company's: a cut shows its transient
    assert s.marketing.prior_brand_share == pytest.approx(baseline.marketing.brand_share)
    assert s.marketing.prior_annual_budget == pytest.approx(baseline.marketing.annual_budget)


def test_scenario_for_rejects_a_lever_out_of_the_schema(baseline):
    with pytest.raises(ValidationError):
        lg.scenario_for(baseline, lg.Levers.of(baseline).with_changes(brand_share=1.5), 90.0)


def test_every_control_range_and_choice_gives_a_valid_scenario(baseline):
    start = lg.Levers.of(baseline)
    for spec in lg.LEVERS:
        values = spec.choices if spec.kind == "choice" else (spec.low, spec.high)
        for value in values:
            if spec.kind == "count":
                value = int(value)
            lg.scenario_for(baseline, start.with_changes(**{spec.name: value}), 30.0)
    assert set(lg.GAME_LEVERS) == {s.name for s in lg.LEVERS}


def test_lever_text_and_changes_read_well(baseline):
    start = lg.Levers.of(baseline)
    assert lg.lever_text("annual_budget", 2_000_000) == "2 M"
    assert lg.lever_text("brand_share", 0.46) == "46%"
    assert lg.lever_text("handoff_threshold", 0.5) == "0.50"
    assert lg.lever_text("sales_plan", "shared_revenue") == "Shared revenue target"
    after = start.with_changes(brand_share=0.0, sales_plan="quota_accelerator")
    assert lg.lever_changes(start, after) == [
        "brand share 46% → 0%", "sales plan Revenue commission → Quota with accelerators"]
    assert lg.lever_changes(start, start) == []


def test_money_for_a_room():
    assert lg.money(286_957.9) == "287 k"
    assert lg.money(9_532_591) == "9.53 M"
    assert lg.signed_money(-1_522_465) == "-1.52 M"
    assert lg.signed_money(0.0) == "±0"
    assert lg.money(math.nan) == "-"


def test_horizons_map_to_the_revenue_metrics():
    assert [(h.label, h.days, h.metric) for h in lg.HORIZONS] == [
        ("90 days", 90.0, "revenue_90d"), ("1 year", 365.0, "revenue_1y"),
        ("3 years", 1095.0, "revenue")]
    with pytest.raises(KeyError, match="90 days"):
        lg.horizon("5 years")


# --- presets -----------------------------------------------------------------------


def test_presets_hold_the_alignment_stages_incentive_plans_and_budget_splits(presets):
    keys = list(presets)
    assert keys[0] == "baseline"
    stages = [k for k in keys if presets[k].group == "Alignment stages"]
    assert stages == ["alignment-undefined", "alignment-defined", "alignment-aligned",
                      "alignment-integrated"]
    assert {"sales-quota-accelerator", "sales-shared-revenue", "marketing-mql-volume"} <= {
        k for k in keys if presets[k].group == "Incentive plans"}
    assert {"budget-all-brand", "budget-all-promotion"} <= {
        k for k in keys if presets[k].group == "Budget splits"}
    # a timeline or another company would make the levers lie
    assert "budget-cut-brand-downturn" not in presets
    assert not any(k.startswith("small-company") for k in keys)
    assert presets["sales-quota-accelerator"].title == "Sales plan: quota accelerator"
    assert presets["alignment-integrated"].levers.alignment_stage == "integrated"
    assert presets["handoff-half-reps"].levers.reps == 4
    assert "reps" in presets["handoff-half-reps"].question


def test_preset_title():
    assert lg.preset_title("marketing-mql-volume") == "Marketing plan: MQL volume"
    assert lg.preset_title("handoff-no-sla") == "Hand-off: no SLA"


# --- paired differences and the takeaway (synthetic numbers) -------------------------


def _runs(label: str, **metrics: list[float]) -> lg.Runs:
    n = len(next(iter(metrics.values())))
    per_rep = pd.DataFrame({"replication": range(n), **metrics})
    return lg.Runs(label, None, 1, per_rep, pd.DataFrame(), pd.DataFrame())  # type: ignore[arg-type]


def _metrics(revenue_90d, revenue_1y, contribution, cycle=(30, 30, 30)):
    columns = {"revenue_90d": list(revenue_90d), "revenue_1y": list(revenue_1y),
               "contribution": list(contribution), "cycle_days_median": list(cycle)}
    for name in lg.COMPARE_METRICS:
        columns.setdefault(name, [1.0, 2.0, 3.0][:len(columns["revenue_1y"])])
    return columns


def test_difference_row_pairs_by_replication():
    a = lg.Runs("a", None, 1, pd.DataFrame(  # type: ignore[arg-type]
        {"replication": [0, 1, 2, 3], "revenue": [10.0, 20.0, 30.0, 40.0]}),
        pd.DataFrame(), pd.DataFrame())
    b = lg.Runs("b", None, 1, pd.DataFrame(  # type: ignore[arg-type]
        {"replication": [3, 2, 1, 0], "revenue": [41.3, 31.1, 21.2, 11.0]}),
        pd.DataFrame(), pd.DataFrame())
    d = lg.difference_row("revenue", "Revenue", a, b)
    mean, low, high = mean_ci(np.array([1.0, 1.2, 1.1, 1.3]))
    assert (d["difference"], d["ci_low"], d["ci_high"]) == pytest.approx((mean, low, high))
    assert (d["baseline"], d["yours"]) == pytest.approx((25.0, 26.15))
    assert d["relative"] == pytest.approx(mean / 25.0)
    assert d["verdict"] == "better" and d["n"] == 4
    same = lg.difference_row("revenue", "Revenue", a, a)
    assert (same["difference"], same["ci_low"], same["ci_high"]) == (0.0, 0.0, 0.0)
    assert lg.verdict_word({"verdict": same["verdict"], "difference": 0.0}) == "same"


def test_takeaway_when_nothing_changed():
    runs = _runs("x", **_metrics([1, 2, 3], [4, 5, 6], [7, 8, 9]))
    c = lg.compare(runs, runs, lg.horizon("1 year"))
    assert c.identical
    assert c.takeaway == "Your plan is the baseline: move a lever and watch what changes."


def test_takeaway_names_a_flip_with_the_horizon():
    base = _runs("b", **_metrics([100e3, 110e3, 105e3], [1.00e6, 1.10e6, 1.05e6],
                                 [5e5, 6e5, 5.5e5]))
    yours = _runs("y", **_metrics([150e3, 161e3, 154e3], [0.80e6, 0.91e6, 0.84e6],
                                  [3e5, 4e5, 3.5e5]))
    c = lg.compare(base, yours, lg.horizon("1 year"))
    assert not c.identical
    assert list(c.by_horizon["window"]) == ["90 days", "1 year"]
    assert c.takeaway.startswith("Over the first year your plan books 200 k less revenue "
                                 "than the baseline (-19%; 95% CI")
    assert "but over the first 90 days it books 50 k more: the winner flips" in c.takeaway
    assert c.by_horizon.set_index("window").loc["90 days", "verdict"] == "better"


def test_takeaway_names_a_contribution_that_goes_the_other_way():
    base = _runs("b", **_metrics([1, 1, 1], [1.00e6, 1.10e6, 1.05e6], [5e5, 6e5, 5.5e5]))
    yours = _runs("y", **_metrics([1, 1, 1], [1.20e6, 1.31e6, 1.26e6], [3e5, 4e5, 3.5e5]))
    text = lg.compare(base, yours, lg.horizon("1 year")).takeaway
    assert "books 207 k more revenue" in text
    assert "but contribution falls by 200 k: the extra revenue costs more than it brings" in text


def test_takeaway_within_noise_says_so():
    base = _runs("b", **_metrics([1, 1, 1], [1.0e6, 2.0e6, 1.5e6], [1, 2, 3]))
    yours = _runs("y", **_metrics([1, 1, 1], [1.1e6, 1.8e6, 1.6e6], [1, 2, 3]))
    text = lg.compare(base, yours, lg.horizon("1 year")).takeaway
    assert "within noise of the baseline" in text
    assert text.endswith("more replications or a bigger move would tell.")


def test_takeaway_mentions_a_faster_cycle():
    base = _runs("b", **_metrics([1, 1, 1], [1.0e6, 1.1e6, 1.2e6], [1, 2, 3], (40, 41, 42)))
    yours = _runs("y", **_metrics([1, 1, 1], [1.2e6, 1.3e6, 1.41e6], [2, 3, 4], (30, 31, 33)))
    text = lg.compare(base, yours, lg.horizon("1 year")).takeaway
    assert text.endswith("and closes deals 10 days faster (median lead to close).")


# --- real runs (short, few replications) ----------------------------------------------


@pytest.fixture(scope="module")
def comparison(baseline):
    h = lg.horizon("90 days")
    start = lg.Levers.of(baseline)
    base = lg.simulate_runs(lg.scenario_for(baseline, start, h.days), 2, 7, lg.BASELINE_LABEL)
    yours = lg.simulate_runs(
        lg.scenario_for(baseline, start.with_changes(brand_share=0.0, reps=12), h.days), 2, 7,
        lg.YOURS_LABEL)
    return lg.compare(base, yours, h)


def test_runs_use_common_random_numbers(baseline):
    s = lg.scenario_for(baseline, lg.Levers.of(baseline), 30.0)
    a = lg.simulate_runs(s, 2, 11, "a")
    b = lg.simulate_runs(s, 2, 11, "b")
    pd.testing.assert_frame_equal(a.per_replication, b.per_replication)
    assert list(a.per_replication["replication"]) == [0, 1]
    assert set(a.timeseries["replication"]) == {0, 1}


def test_runs_are_the_command_lines_replications(baseline):
    # The workshop runs replications through the runner `run` uses: the same numbers.
    s = lg.scenario_for(baseline, lg.Levers.of(baseline), 30.0)
    runs = lg.simulate_runs(s, 2, 11, "yours")
    run = run_replications(s, replications=2, seed=11)
    pd.testing.assert_frame_equal(runs.per_replication, run.per_replication, check_exact=True)
    pd.testing.assert_frame_equal(runs.timeseries, run.timeseries, check_exact=True)
    assert runs.label == "yours" and runs.seed == 11 and runs.scenario == s


def test_a_real_comparison_has_every_row_and_a_takeaway(comparison):
    c = comparison
    assert not c.identical and c.replications == 2
    assert list(c.differences["metric"]) == ["revenue_90d", *lg.COMPARE_METRICS]
    assert c.differences.loc[0, "label"] == "Revenue, first 90 days"
    assert c.takeaway.startswith("Over the first 90 days your plan")
    assert c.row("deals_won")["n"] == 2


def test_chart_tables_and_charts_build_without_a_browser(comparison):
    runs = [comparison.baseline, comparison.yours]
    funnel = lg.funnel_rows(runs)
    assert set(funnel["scenario"]) == {lg.BASELINE_LABEL, lg.YOURS_LABEL}
    cumulative = lg.revenue_over_time(runs)
    assert cumulative["day"].max() == pytest.approx(90.0)
    cycles = lg.cycle_rows(runs)
    assert len(cycles) == 2 * len(lg.CYCLE_METRICS)
    for chart in (charts.revenue_chart(cumulative), charts.cycle_chart(cycles),
                  *charts.funnel_charts(funnel)):
        spec = chart.to_dict()
        assert spec["config"]["axis"]["labelFontSize"] >= 16


def test_a_first_look_with_one_replication_says_so():
    base = _runs("b", **_metrics([1.0], [1.0e6], [5e5], (30,)))
    yours = _runs("y", **_metrics([1.0], [0.9e6], [4e5], (31,)))
    text = lg.compare(base, yours, lg.horizon("1 year")).takeaway
    assert text.startswith("First look, one replication of each plan: over the first year "
                           "your plan books 100 k less revenue than the baseline")
    assert "CI" not in text


def test_simulate_many_runs_side_by_side_with_the_same_numbers(baseline):
    s = lg.scenario_for(baseline, lg.Levers.of(baseline), 30.0)
    t = lg.scenario_for(baseline, lg.Levers.of(baseline).with_changes(brand_share=0.2), 30.0)
    a, b = lg.simulate_many([(s, "a"), (t, "b")], 2, 11)
    pd.testing.assert_frame_equal(a.per_replication, lg.simulate_runs(s, 2, 11, "a")
                                  .per_replication)
    pd.testing.assert_frame_equal(b.timeseries, lg.simulate_runs(t, 2, 11, "b").timeseries)
    assert (a.label, b.label) == ("a", "b")
    with pytest.raises(ValueError, match="labels must differ"):
        lg.simulate_many([(s, "a"), (t, "a")], 2, 11)


def test_likely_moves_change_one_lever_to_an_end_or_another_choice(baseline):
    start = lg.Levers.of(baseline)
    moves = lg.likely_moves(start)
    assert all(len(lg.lever_changes(start, m)) == 1 for m in moves)
    assert start.with_changes(brand_share=0.0) in moves
    assert start.with_changes(reps=20) in moves
    plans = {m.sales_plan for m in moves} - {start.sales_plan}
    assert plans == set(lg.SALES_PLANS) - {start.sales_plan}
    assert len(lg.likely_moves(start, ["alignment_stage"])) == len(lg.ALIGNMENT_STAGES) - 1


def test_takeaway_never_says_zero_days():
    base = _runs("b", **_metrics([1, 1, 1], [1.0e6, 1.1e6, 1.2e6], [1, 2, 3], (40, 41, 42)))
    yours = _runs("y", **_metrics([1, 1, 1], [1.2e6, 1.3e6, 1.41e6], [2, 3, 4],
                                  (40.4, 41.5, 42.6)))
    text = lg.compare(base, yours, lg.horizon("1 year")).takeaway
    assert text.endswith("and closes deals 0.5 days slower (median lead to close).")
