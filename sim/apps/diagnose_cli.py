"""``run.py diagnose``: the alignment questionnaire in a terminal or from a file of answers.

With a YAML file of answers (``statement: score``) it reads them; without,
it asks each statement in the terminal. It prints the stage and the weakest
levers and writes a scenario file extending the baseline with the matching
lever values (:mod:`sim.scenario.diagnostic`). Bad answers in a file raise
:class:`~sim.scenario.errors.ScenarioError` (one line, exit 2, nothing written).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario.diagnostic import STATEMENTS, Diagnosis, diagnose, scenario_text
from sim.scenario.errors import ScenarioError


def ask(read: Callable[[str], str] = input, write: Callable[[str], None] = print
        ) -> dict[str, int]:
    """Ask each statement; a score that is not a whole 1-5 is asked again.

    Raises:
        ScenarioError: the input ended before every statement had a score.
    """
    write("How true is each statement of your company? 1 not at all ... 5 completely.")
    answers: dict[str, int] = {}
    for number, statement in enumerate(STATEMENTS, start=1):
        write(f"\n{number}. {statement.text}")
        while True:
            try:
                text = read("   score 1-5: ").strip()
            except EOFError:
                raise ScenarioError(f"diagnose: no score for {statement.key!r}") from None
            if text in {"1", "2", "3", "4", "5"}:
                answers[statement.key] = int(text)
                break
            write("   please answer with a whole number from 1 to 5")
    return answers


def read_answers(path: Path) -> dict[str, Any]:
    """The answers in a YAML file (``statement: score``).

    Raises:
        ScenarioError: no such file, or not a YAML mapping.
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of statement: score (1-5)")
    return data


def summary(diagnosis: Diagnosis) -> str:
    """The stage and the weakest levers, in plain words."""
    weakest = ", ".join(diagnosis.weakest) if diagnosis.weakest else "none (all scored 5)"
    return (f"stage: {diagnosis.stage} (mean position {diagnosis.position:.2f} of 3: "
            f"0 undefined, 1 defined, 2 aligned, 3 integrated)\nweakest levers: {weakest}")


def cmd_diagnose(args: argparse.Namespace) -> int:
    """Run the diagnostic and write the scenario file; returns the exit code."""
    from sim.scenario.library import packaged_path

    answers = read_answers(args.answers) if args.answers is not None else ask()
    diagnosis = diagnose(answers)
    out: Path = args.out
    with packaged_path("baseline") as baseline:
        extends = os.path.relpath(baseline.resolve(), out.resolve().parent)
    text = scenario_text(diagnosis, Path(extends).as_posix(), out.stem)
    out.write_text(text, encoding="utf-8")
    print(summary(diagnosis))
    print(f"wrote {out}")
    return 0
