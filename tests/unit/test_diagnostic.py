"""The alignment diagnostic: the mapping table, the stage, bad answers, and the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.apps.cli import main
from sim.apps.diagnose_cli import ask
from sim.scenario.diagnostic import STATEMENTS, diagnose, lever_value
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import load_scenario
from sim.scenario.presets import ALIGNMENT_STAGES

ALL = [s.key for s in STATEMENTS]


def answers(score: int, **others: int) -> dict[str, int]:
    return {**dict.fromkeys(ALL, score), **others}


def test_the_questionnaire_covers_every_lever() -> None:
    assert ALL == ["shared_definitions", "sla", "feedback", "joint_planning", "shared_metrics",
                   "rotation", "content", "data"]
    informed = {lever for s in STATEMENTS for lever in s.levers}
    assert informed == {"scoring_noise_factor", "recycle_rejected", "sla_hours",
                        "sla_compliance", "feedback_loop", "tactical_support",
                        "shared_metrics", "cross_training"}


def test_lever_values_between_the_stages_by_hand() -> None:
    assert lever_value("feedback_loop", 0.0) == 0.0
    assert lever_value("feedback_loop", 1.0) == 0.3
    assert lever_value("feedback_loop", 1.5) == pytest.approx(0.45)  # defined 0.3 .. aligned 0.6
    assert lever_value("sla_hours", 3.0) == 1.0
    # a score between two stages interpolates between their preset values
    aligned, integrated = (ALIGNMENT_STAGES[s]["cross_training"] for s in ("aligned", "integrated"))
    assert lever_value("cross_training", 2.5) == pytest.approx((aligned + integrated) / 2)


@pytest.mark.parametrize(("score", "stage"), [(1, "undefined"), (2, "defined"),
                                              (4, "aligned"), (5, "integrated")])
def test_uniform_answers_give_the_stage_and_its_levers(score: int, stage: str) -> None:
    d = diagnose(answers(score))
    assert d.stage == stage
    for lever in ("feedback_loop", "cross_training", "tactical_support", "shared_metrics",
                  "scoring_noise_factor", "recycle_rejected", "sla_compliance"):
        assert d.overrides[f"alignment.levers.{lever}"] == pytest.approx(
            ALIGNMENT_STAGES[stage][lever])
    assert d.overrides["alignment.levers.sla"] is (score >= 2)


def test_content_and_data_by_hand_and_the_weakest_levers() -> None:
    d = diagnose(answers(4, feedback=1, data=2, content=5))
    assert d.overrides["sales.data_capture.capture_rate"] == pytest.approx(0.8 / 3.0, abs=1e-4)
    assert d.overrides["marketing.content.base_relevance"] == pytest.approx(0.6)
    assert d.weakest == ("feedback", "data")
    # Mean position: five at 2, content 3, feedback 0, data 1 -> (10 + 3 + 0 + 1) / 8 = 1.75,
    # nearest to aligned (2).
    assert d.position == pytest.approx(1.75) and d.stage == "aligned"


@pytest.mark.parametrize("bad", [answers(3, sla=0), answers(3, sla=2.5), answers(3, sla="4"),
                                 {"sla": 3}, answers(3, extra=3)])
def test_bad_answers_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ScenarioError):
        diagnose(bad)


def test_asking_in_a_terminal_asks_again_after_a_bad_score() -> None:
    replies = iter(["7", "x", "2", *["3"] * (len(ALL) - 1)])
    shown: list[str] = []
    got = ask(lambda _: next(replies), shown.append)
    assert got["shared_definitions"] == 2 and got["data"] == 3
    assert any("whole number from 1 to 5" in line for line in shown)
    with pytest.raises(ScenarioError):
        ask(lambda _: (_ for _ in ()).throw(EOFError), shown.append)


def test_the_command_writes_a_valid_scenario_and_refuses_bad_answers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "answers.yaml"
    good.write_text("\n".join(f"{k}: 4" for k in ALL) + "\n", encoding="utf-8")
    out = tmp_path / "my-company.yaml"
    assert main(["diagnose", str(good), "--out", str(out)]) == 0
    assert "stage: aligned" in capsys.readouterr().out
    scenario = load_scenario(out)
    assert scenario.alignment.stage == "aligned"
    assert scenario.resolve().alignment.levers.feedback_loop == pytest.approx(0.6)
    assert out.read_text(encoding="utf-8").startswith("# Question:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sla: 9\n", encoding="utf-8")
    other = tmp_path / "other.yaml"
    assert main(["diagnose", str(bad), "--out", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert not other.exists()
