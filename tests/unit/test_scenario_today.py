"""Start from today: a plan under test is a move from today's plan on day 0.

``--set``, ``--vary``/``--param`` and a file that extends a base record the
values they replace in ``today``; the warm-up before day 0 runs them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments.designs import with_values
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"


def test_set_records_the_values_it_replaces_and_the_warm_up_runs_them() -> None:
    moved = load_scenario(BASELINE, ["alignment.stage=integrated", "marketing.brand_share=0"])
    assert moved.today == {"alignment.stage": "defined", "marketing.brand_share": 0.46}
    (warm_start, warm), (day0, plan) = moved.periods()
    assert warm_start == -moved.warmup_days and day0 == 0.0
    assert warm.alignment.levers.sla_hours == 4.0 and plan.alignment.levers.sla_hours == 1.0
    assert warm.marketing.brand_share == 0.46 and plan.marketing.brand_share == 0.0


def test_structural_and_starting_keys_are_not_moves() -> None:
    # sales.reps on day 0 is the team the company starts with; hires go on the timeline
    moved = load_scenario(BASELINE, ["sales.reps=12", "sales.slots_per_rep=10"])
    assert moved.today == {}
    assert len(moved.periods()) == 1


def test_steady_state_records_nothing_and_uses_the_plans_spend_before_day_0() -> None:
    steady = load_scenario(BASELINE, ["start=steady_state", "alignment.stage=integrated"])
    assert steady.today == {}
    assert len(steady.periods()) == 1
    resolved = steady.resolve()
    assert resolved.marketing.prior_annual_budget is None
    assert resolved.marketing.prior_brand_share is None


def test_a_file_that_extends_a_base_moves_from_the_bases_values(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {BASELINE}\nname: child\nalignment: {{stage: aligned}}\n"
                     "nurture: {handoff_threshold: 0.6}\n")
    moved = load_scenario(child)
    assert moved.today == {"alignment.stage": "defined", "nurture.handoff_threshold": 0.5}
    # --set on top keeps today's value of a key the file already moved
    again = load_scenario(child, ["alignment.stage=integrated"])
    assert again.today["alignment.stage"] == "defined"


def test_a_sweep_point_is_a_move_from_the_base() -> None:
    base = load_scenario(BASELINE)
    point = with_values(base, {"nurture.handoff_threshold": 0.7}, "--vary")
    assert point.today == {"nurture.handoff_threshold": 0.5}


def test_no_warm_up_means_nothing_to_move_from() -> None:
    moved = load_scenario(BASELINE, ["warmup_days=0", "alignment.stage=integrated"])
    assert moved.today == {}


def test_today_may_not_name_a_structural_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("today: {sales.slots_per_rep: 3}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    message = str(err.value)
    assert "\n" not in message and "today" in message and "slots_per_rep" in message


def test_today_with_an_invalid_value_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("today: {nurture.handoff_threshold: 7}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    message = str(err.value)
    assert "\n" not in message and "today" in message and "handoff_threshold" in message
