"""The alignment diagnostic: plain statements scored 1-5, mapped to a stage and lever values.

In the spirit of the questionnaire in Kotler, Rackham & Krishnaswamy ("Ending
the War Between Sales and Marketing", HBR 2006), written in the project's own
words: a team scores how true each statement is of its company (1 not at all,
5 completely). Each statement informs one lever; a score becomes a position
on the ladder of alignment stages and the lever takes the value of that
position, between the stages' own values (:data:`SCORE_POSITION`). The
stage is the one nearest the mean position. The mapping, statement by
statement:

========================  ===================================================
statement                 informs
========================  ===================================================
shared_definitions        ``alignment.levers.scoring_noise_factor`` and
                          ``recycle_rejected`` (one definition of a good lead)
sla                       ``alignment.levers.sla`` (on from score 2),
                          ``sla_hours``, ``sla_compliance``
feedback                  ``alignment.levers.feedback_loop``
joint_planning            ``alignment.levers.tactical_support``
shared_metrics            ``alignment.levers.shared_metrics``
rotation                  ``alignment.levers.cross_training``
content                   ``marketing.content.base_relevance`` (0.2 at 1 to
                          0.6 at 5), with a content budget of 8% of marketing
data                      ``sales.data_capture.capture_rate`` (0 at 1 to 0.8
                          at 5, by the position)
========================  ===================================================

Scores and positions (stages: undefined 0, defined 1, aligned 2, integrated 3):
1 -> 0, 2 -> 1, 3 -> 1.5, 4 -> 2, 5 -> 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.presets import ALIGNMENT_STAGES

STAGES: tuple[str, ...] = ("undefined", "defined", "aligned", "integrated")

SCORE_POSITION: Mapping[int, float] = {1: 0.0, 2: 1.0, 3: 1.5, 4: 2.0, 5: 3.0}
"""Where a score puts a lever on the ladder of stages (0 undefined .. 3 integrated)."""

CONTENT_BUDGET_SHARE = 0.08
"""Content budget written with a content answer: a typical share (assumption, 0.05-0.15)."""


@dataclass(frozen=True)
class Statement:
    """One statement of the questionnaire.

    Attributes:
        key: its name in an answers file.
        text: the statement, in plain words.
        levers: the alignment levers (``alignment.levers.*``) it informs,
            interpolated between the stages' values; empty for the statements
            mapped by their own rule (content, data).
    """

    key: str
    text: str
    levers: tuple[str, ...]


STATEMENTS: tuple[Statement, ...] = (
    Statement("shared_definitions",
              "Sales and marketing use one written definition of a lead worth a rep's time, "
              "and a lead sales turns down goes back to marketing, not to the bin.",
              ("scoring_noise_factor", "recycle_rejected")),
    Statement("sla",
              "Every lead handed to sales gets a first answer within an agreed number of "
              "hours, and someone checks that it does.",
              ("sla_hours", "sla_compliance")),
    Statement("feedback",
              "Reps tell marketing, lead by lead, which leads were good and why, and "
              "marketing changes its scoring because of it.",
              ("feedback_loop",)),
    Statement("joint_planning",
              "Sales and marketing plan together: target accounts, campaigns, and "
              "marketing's help on deals about to close.",
              ("tactical_support",)),
    Statement("shared_metrics",
              "Both teams are judged on the same revenue numbers, and both can see the "
              "whole funnel.",
              ("shared_metrics",)),
    Statement("rotation",
              "People move between sales and marketing, or sit in on each other's calls, "
              "meetings and training.",
              ("cross_training",)),
    Statement("content",
              "Reps use marketing's case studies, battle cards and templates in their "
              "deals, and tell marketing which ones work.",
              ()),
    Statement("data",
              "Reps record what they learn about customers (needs, roles, why a deal was "
              "won or lost) where marketing can use it.",
              ()),
)


@dataclass(frozen=True)
class Diagnosis:
    """What the answers say.

    Attributes:
        stage: the alignment stage nearest the mean position.
        position: the mean position, 0 (undefined) to 3 (integrated).
        weakest: the statements with the lowest score (up to three, in order).
        overrides: the scenario values the answers give (dotted keys).
    """

    stage: str
    position: float
    weakest: tuple[str, ...]
    overrides: dict[str, Any]


def lever_value(lever: str, position: float) -> float:
    """A lever's value at a position on the ladder, between the stages' own values."""
    position = min(max(position, 0.0), float(len(STAGES) - 1))
    lo = int(position)
    hi = min(lo + 1, len(STAGES) - 1)
    a = float(ALIGNMENT_STAGES[STAGES[lo]][lever])
    b = float(ALIGNMENT_STAGES[STAGES[hi]][lever])
    return a + (b - a) * (position - lo)


def check_answers(answers: Mapping[str, Any]) -> dict[str, int]:
    """The answers as whole scores 1-5, one per statement.

    Raises:
        ScenarioError: a statement unanswered or unknown, or a score not a whole 1-5.
    """
    if not isinstance(answers, Mapping):
        raise ScenarioError("answers: expected a mapping of statement: score (1-5)")
    keys = [s.key for s in STATEMENTS]
    unknown = sorted(set(map(str, answers)) - set(keys))
    if unknown:
        raise ScenarioError(f"answers: unknown statement {unknown[0]!r} (expected one of "
                            f"{', '.join(keys)})")
    scores: dict[str, int] = {}
    for key in keys:
        if key not in answers:
            raise ScenarioError(f"answers: no score for {key!r} (1-5)")
        value = answers[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) \
                or not 1 <= value <= 5:
            raise ScenarioError(f"answers.{key}: expected a whole score 1-5, got {value!r}")
        scores[key] = int(value)
    return scores


def diagnose(answers: Mapping[str, Any]) -> Diagnosis:
    """The stage, the weakest levers and the lever values the answers give.

    Raises:
        ScenarioError: bad answers (see :func:`check_answers`).
    """
    scores = check_answers(answers)
    positions = {k: SCORE_POSITION[v] for k, v in scores.items()}
    mean = sum(positions.values()) / len(positions)
    stage = STAGES[min(int(mean + 0.5), len(STAGES) - 1)]
    overrides: dict[str, Any] = {"alignment.stage": stage}
    for statement in STATEMENTS:
        for lever in statement.levers:
            overrides[f"alignment.levers.{lever}"] = round(
                lever_value(lever, positions[statement.key]), 4)
    overrides["alignment.levers.sla"] = scores["sla"] >= 2
    overrides["marketing.content.budget_share"] = CONTENT_BUDGET_SHARE
    overrides["marketing.content.base_relevance"] = round(0.2 + 0.1 * (scores["content"] - 1), 4)
    overrides["sales.data_capture.capture_rate"] = round(0.8 * positions["data"] / 3.0, 4)
    order = sorted(scores, key=lambda k: (scores[k], [s.key for s in STATEMENTS].index(k)))
    lowest = min(scores.values())
    weakest = tuple(k for k in order if scores[k] < 5 and scores[k] <= lowest + 1)[:3]
    return Diagnosis(stage, mean, weakest, overrides)


def scenario_text(diagnosis: Diagnosis, extends: str, name: str) -> str:
    """A scenario file (YAML) extending ``extends`` with the diagnosed values."""
    lines = [
        f"# Question: where does this company stand ({diagnosis.stage}), and what would "
        "moving its weakest levers be worth?",
        "# Look at: revenue and contribution against the baseline; then raise the weakest "
        f"levers ({', '.join(diagnosis.weakest) or 'none'}) one at a time.",
        f"extends: {extends}",
        f"name: {name}",
        "description: >-",
        f"  Written by the alignment diagnostic: stage {diagnosis.stage} (mean position "
        f"{diagnosis.position:.2f} of 3).",
    ]
    tree: dict[str, dict[str, Any]] = {}
    for key, value in diagnosis.overrides.items():
        if key == "alignment.stage":
            continue
        section, rest = key.split(".", 1)
        tree.setdefault(section, {})[rest] = value
    lines += ["alignment:", f"  stage: {diagnosis.stage}", "  levers:"]
    for key, value in tree.get("alignment", {}).items():
        lines.append(f"    {key.split('.', 1)[1]}: {_yaml(value)}")
    lines += ["marketing:", "  content:"]
    for key, value in tree["marketing"].items():
        lines.append(f"    {key.split('.', 1)[1]}: {_yaml(value)}")
    lines.append("    # budget_share: set 0 if the company spends nothing on sales content")
    lines += ["sales:", "  data_capture:"]
    for key, value in tree["sales"].items():
        lines.append(f"    {key.split('.', 1)[1]}: {_yaml(value)}")
    return "\n".join(lines) + "\n"


def _yaml(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else f"{value:g}"
