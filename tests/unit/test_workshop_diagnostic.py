"""The workshop's Diagnostic screen without a browser: answers -> the room's own company."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.apps.workshop import diagnosis as dg
from sim.apps.workshop import game as gm
from sim.apps.workshop import logic as lg
from sim.scenario.diagnostic import STATEMENTS, diagnose, scenario_text
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.overrides import get_path
from sim.scenario.presets import ALIGNMENT_STAGES

REPO = Path(__file__).resolve().parents[2]

# A room that is weak on the SLA and rotation, strong on shared metrics and data.
ANSWERS = {"shared_definitions": 2, "sla": 1, "feedback": 3, "joint_planning": 4,
           "shared_metrics": 5, "rotation": 1, "content": 3, "data": 4}


@pytest.fixture(scope="module")
def baseline_preset() -> lg.Preset:
    base = load_scenario(REPO / "scenarios" / "baseline.yaml")
    return lg.Preset(lg.BASELINE_KEY, "Baseline", "Baseline", base.description, "", base)


@pytest.mark.parametrize("answers", [
    ANSWERS,
    {s.key: 1 for s in STATEMENTS},
    {s.key: 5 for s in STATEMENTS},
    {**{s.key: 3 for s in STATEMENTS}, "sla": 2, "content": 5},
])
def test_the_compare_screen_runs_the_values_diagnose_gives(baseline_preset, answers):
    company = dg.diagnosed_preset(answers, baseline_preset)
    diagnosis = diagnose(answers)
    assert company.key == dg.DIAGNOSED_KEY
    assert company.levers.alignment_stage == diagnosis.stage
    # What the Compare screen runs: the preset's scenario with its own headline levers.
    for days in (90.0, 365.0):
        ran = lg.scenario_for(company.scenario, company.levers, days).resolve()
        values = ran.model_dump(mode="python")
        for key, value in diagnosis.overrides.items():
            assert get_path(values, key) == value, key
    # Everything else is the baseline's: the diagnosis moves only what it names.
    assert company.levers.with_changes(alignment_stage="defined") == baseline_preset.levers


def test_moving_the_stage_lever_brings_that_stages_levers_and_back(baseline_preset):
    company = dg.diagnosed_preset(ANSWERS, baseline_preset)
    integrated = company.levers.with_changes(alignment_stage="integrated")
    moved = lg.scenario_for(company.scenario, integrated, 90.0).resolve()
    stage = dict(ALIGNMENT_STAGES["integrated"])
    assert moved.alignment.levers.model_dump() == stage  # not only the stage's overhead
    back = lg.scenario_for(company.scenario, company.levers, 90.0).resolve()
    assert back.alignment.levers.feedback_loop == diagnose(ANSWERS).overrides[
        "alignment.levers.feedback_loop"]
    # A base without field-by-field levers: the overrides are the levers alone.
    plain = lg.plan_overrides(baseline_preset.scenario, integrated)
    assert "alignment.levers" not in plain and plain["alignment.stage"] == "integrated"


def test_informs_reads_the_mapping_from_diagnose_itself():
    for statement in STATEMENTS:
        keys = dg.informs(statement.key)
        assert keys, statement.key
        assert {f"alignment.levers.{lever}" for lever in statement.levers} <= set(keys)
    assert dg.informs("sla") == ("alignment.levers.sla_hours",
                                 "alignment.levers.sla_compliance", "alignment.levers.sla")
    assert dg.informs("content") == ("marketing.content.base_relevance",)
    assert dg.informs("data") == ("sales.data_capture.capture_rate",)
    grouped = [key for _, keys in dg.GROUPS for key in keys]
    assert sorted(grouped) == sorted(s.key for s in STATEMENTS)  # each statement once
    with pytest.raises(KeyError):
        dg.informs("nope")


def test_headline_names_the_stage_and_the_weakest_levers():
    text = dg.headline(diagnose(ANSWERS))
    assert text.startswith(f"Your company is {diagnose(ANSWERS).stage} (")
    assert "Weakest levers: SLA, rotation and one lead definition." in text
    best = dg.headline(diagnose({s.key: 5 for s in STATEMENTS}))
    assert "integrated" in best and "no weak lever" in best
    assert dg.value_text(True) == "yes" and dg.value_text(0.45) == "0.45"
    assert dg.value_text(8 / 15) == "0.53" and dg.value_text(250_000) == "250000"
    assert dg.value_text("aligned") == "Aligned"
    assert dg.setting_label("alignment.levers.sla_hours") == "sla hours"
    assert dg.setting_label("alignment.stage") == "stage"
    assert dg.setting_label("marketing.content.base_relevance") == "content: base relevance"


def test_bad_answers_are_refused_as_the_cli_refuses_them(baseline_preset):
    with pytest.raises(ScenarioError, match="no score for 'data'"):
        dg.diagnosed_preset({k: v for k, v in ANSWERS.items() if k != "data"}, baseline_preset)
    with pytest.raises(ScenarioError, match="whole score 1-5"):
        dg.diagnosed_preset({**ANSWERS, "sla": 6}, baseline_preset)


def test_the_downloaded_file_is_the_clis_and_loads_next_to_the_baseline(tmp_path,
                                                                        baseline_preset):
    diagnosis = diagnose(ANSWERS)
    text = dg.diagnosis_yaml(diagnosis)
    assert text == scenario_text(diagnosis, "baseline.yaml", dg.DIAGNOSED_NAME)
    shutil.copy(REPO / "scenarios" / "baseline.yaml", tmp_path / "baseline.yaml")
    path = tmp_path / f"{dg.DIAGNOSED_NAME}.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path).resolve()
    company = dg.diagnosed_preset(ANSWERS, baseline_preset).scenario.resolve()
    assert loaded.alignment == company.alignment
    assert loaded.marketing.content == company.marketing.content
    assert loaded.sales.data_capture == company.sales.data_capture


def test_a_game_from_the_diagnosed_company_moves_stage_with_that_stages_levers(
        baseline_preset):
    company = dg.diagnosed_preset(ANSWERS, baseline_preset)
    setup = gm.GameSetup(("A", "B"), 3, company.scenario, company.title, replications=2)
    start = setup.start_levers
    moved = start.with_changes(alignment_stage="integrated")
    s = gm.team_scenario(setup, "A", [start, moved, start], 3 * gm.QUARTER_DAYS)
    levers = {day: plan.alignment.levers for day, plan in s.periods()}
    diagnosed = diagnose(ANSWERS).overrides["alignment.levers.feedback_loop"]
    assert levers[0.0].feedback_loop == diagnosed
    assert levers[gm.QUARTER_DAYS].model_dump() == dict(ALIGNMENT_STAGES["integrated"])
    assert levers[2 * gm.QUARTER_DAYS].feedback_loop == diagnosed  # back: its own values
