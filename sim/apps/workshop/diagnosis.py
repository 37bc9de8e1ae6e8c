"""The workshop's alignment diagnostic: a room's answers become its own company.

The questionnaire, the stage, the weakest levers and the lever values are
those of :mod:`sim.scenario.diagnostic` (``python run.py diagnose``): this
module only shapes them for the workshop's screen, where a room agrees on one
answer per statement and the facilitator enters it.

- :data:`GROUPS` orders the statements under the levers they speak of, for
  the screen; :func:`informs` names the scenario keys a statement moves
  (read from :func:`~sim.scenario.diagnostic.diagnose` itself, so the mapping
  lives in one place).
- :func:`diagnosed_preset` turns a diagnosis into a
  :class:`~sim.apps.workshop.logic.Preset`: the baseline company with the
  diagnosed values, which the Compare screen starts from (its headline levers
  and, through the preset's scenario, every value the diagnosis sets) and a
  game can start from.
- :func:`diagnosis_yaml` is the scenario file the CLI would write
  (:func:`~sim.scenario.diagnostic.scenario_text`), to download.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sim.apps.workshop.logic import BASELINE_KEY, CHOICE_LABELS, Preset
from sim.scenario.diagnostic import (
    STAGES,
    STATEMENTS,
    Diagnosis,
    Statement,
    diagnose,
    scenario_text,
)

DIAGNOSED_KEY = "diagnosed"
"""The preset key of the room's diagnosed company."""

DIAGNOSED_NAME = "our-company"
"""The scenario's name (and the downloaded file's stem)."""

DEFAULT_SCORE = 3
"""Each statement's answer before the room gives one: the middle of 1-5."""

SCORE_WORDS: Mapping[int, str] = {1: "1 not at all", 2: "2 a little", 3: "3 partly",
                                  4: "4 mostly", 5: "5 completely"}

GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("The lead and its hand-off", ("shared_definitions", "sla")),
    ("Learning and planning together", ("feedback", "joint_planning")),
    ("Shared numbers and people", ("shared_metrics", "rotation")),
    ("Content and customer data", ("content", "data")),
)
"""The statements under headings of the levers they speak of, in the screen's order."""

STATEMENT_OF: Mapping[str, Statement] = {s.key: s for s in STATEMENTS}

SHORT: Mapping[str, str] = {
    "shared_definitions": "one lead definition", "sla": "SLA", "feedback": "feedback",
    "joint_planning": "joint planning", "shared_metrics": "shared metrics",
    "rotation": "rotation", "content": "sales content",
    "data": "customer data",
}
"""Each statement's name inside a sentence."""


def default_answers() -> dict[str, int]:
    """Every statement at :data:`DEFAULT_SCORE`."""
    return {s.key: DEFAULT_SCORE for s in STATEMENTS}


def informs(key: str) -> tuple[str, ...]:
    """The scenario keys whose value the answer to statement ``key`` moves.

    Found by asking :func:`~sim.scenario.diagnostic.diagnose` with that answer
    at 1 and at 5, the others in the middle: what changes is what it informs
    (the stage aside, which every answer moves).

    Raises:
        KeyError: an unknown statement.
    """
    if key not in STATEMENT_OF:
        raise KeyError(f"unknown statement {key!r}")
    low = diagnose({**default_answers(), key: 1}).overrides
    high = diagnose({**default_answers(), key: 5}).overrides
    return tuple(k for k in low if k != "alignment.stage" and low[k] != high.get(k))


def headline(diagnosis: Diagnosis) -> str:
    """The stage and the weakest levers in one sentence, to read out."""
    stage = f"{diagnosis.stage} ({diagnosis.position:.1f} on a scale from 0 {STAGES[0]} to " \
            f"{len(STAGES) - 1} {STAGES[-1]})"
    if not diagnosis.weakest:
        return f"Your company is {stage}: every statement scored 5, no weak lever."
    weakest = [SHORT[k] for k in diagnosis.weakest]
    words = weakest[0] if len(weakest) == 1 else f"{', '.join(weakest[:-1])} and {weakest[-1]}"
    return f"Your company is {stage}. Weakest levers: {words}."


def setting_label(key: str) -> str:
    """A diagnosed key, short enough for a room's table.

    ``alignment.levers.sla_hours`` -> ``sla hours``; ``marketing.content.base_relevance``
    -> ``content: base relevance`` (the full keys are in the statements' help).
    """
    rest = key.removeprefix("alignment.levers.").removeprefix("alignment.")
    if rest == key:  # another section: name its subsection
        rest = ": ".join(key.split(".")[1:])
    return rest.replace("_", " ")


def value_text(value: Any) -> str:
    """A diagnosed value for people: ``yes``/``no``, ``0.45``, ``Aligned``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return CHOICE_LABELS.get(value, value)
    return f"{round(value, 2):g}"  # answers can set a lever to 0.5333...: two decimals


def diagnosed_preset(answers: Mapping[str, Any], base: Preset) -> Preset:
    """The room's company: ``base`` with the values the answers give.

    Args:
        answers: statement -> score 1-5 (every statement).
        base: the company the diagnosis is written over (the baseline, as
            ``run.py diagnose`` does).

    Raises:
        sim.scenario.errors.ScenarioError: bad answers.
    """
    diagnosis = diagnose(answers)
    scenario = base.scenario.with_overrides({
        "name": DIAGNOSED_NAME,
        "description": f"Written by the alignment diagnostic: stage {diagnosis.stage}.",
        **diagnosis.overrides})
    return Preset(DIAGNOSED_KEY, "Your company", f"Your company (diagnosed: {diagnosis.stage})",
                  scenario.description, headline(diagnosis), scenario)


def diagnosis_yaml(diagnosis: Diagnosis, name: str = DIAGNOSED_NAME,
                   extends: str = f"{BASELINE_KEY}.yaml") -> str:
    """The scenario file of the diagnosis, as ``run.py diagnose`` writes it.

    Args:
        diagnosis: the diagnosis.
        name: the scenario's name.
        extends: the base file, relative to where the file is saved (the
            shipped ``scenarios/`` folder holds ``baseline.yaml``).
    """
    return scenario_text(diagnosis, extends, name)
