"""The scenario library's index: each file's question and headline result vs its base.

``python -m sim.studies.library [--replications N]`` runs every file in ``scenarios/``
and the file it ``extends`` with common random numbers (same seed, same
replication indices), and prints a Markdown table of paired differences in
revenue and median lead-to-close cycle with 95% confidence intervals. Its
output is pasted into ``scenarios/README.md``.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments.statistics import mean_ci, paired_difference
from sim.report.format import fmt, fmt_relative
from sim.results.replication import simulate
from sim.scenario.library import packaged_folder
from sim.scenario.loading import load_scenario, read_layers


@dataclass(frozen=True)
class Entry:
    """One scenario file of the library."""

    path: Path
    base: Path | None
    question: str


def question_of(path: Path) -> str:
    """The ``# Question:`` comment at the top of a scenario file, as one line."""
    lines = []
    collecting = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.startswith("Question:"):
            collecting = True
            text = text.removeprefix("Question:").strip()
        elif text.startswith("Look at:"):
            break
        if collecting:
            lines.append(text)
    return re.sub(r"\s+", " ", " ".join(lines)).strip()


def entries(folder: Path | None = None) -> list[Entry]:
    """Every scenario file with the file it extends (``None`` for the baseline).

    ``folder`` defaults to the library shipped with the package
    (:func:`sim.scenario.library.packaged_folder`).
    """
    if folder is None:
        with packaged_folder() as packaged:
            return entries(packaged)
    out = []
    for path in sorted(folder.glob("*.yaml")):
        layers = read_layers(path)
        base = layers[-2][0] if len(layers) > 1 else None
        out.append(Entry(path, base, question_of(path)))
    return out


def headline_table(replications: int = 10, folder: Path | None = None) -> str:
    """Markdown table of each file's revenue, cycle time and contribution vs its base.

    Differences are paired over replications with common random numbers and
    shown with their 95% confidence intervals.
    """
    if folder is None:
        with packaged_folder() as packaged:
            return headline_table(replications, packaged)
    cache: dict[Path, list[dict[str, float]]] = {}

    def metrics(path: Path) -> list[dict[str, float]]:
        if path not in cache:
            scenario = load_scenario(path)
            cache[path] = [simulate(scenario, replication=r).metrics
                           for r in range(replications)]
        return cache[path]

    rows = ["| file | question | revenue vs base | median lead-to-close vs base | "
            "contribution vs base |", "|---|---|---|---|---|"]
    for entry in entries(folder):
        if entry.base is None:
            m = metrics(entry.path)
            cells = [_level(m, "revenue", "money"), _level(m, "cycle_days_median", "days"),
                     _level(m, "contribution", "money")]
            name, question = f"`{entry.path.name}`", entry.question or "the reference"
        else:
            a, b = metrics(entry.base), metrics(entry.path)
            cells = [_relative(a, b, "revenue"), _change(a, b, "cycle_days_median", "days"),
                     _change(a, b, "contribution", "money")]
            name, question = f"`{entry.path.name}` (vs `{entry.base.name}`)", entry.question
        rows.append(f"| {name} | {question} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _level(m: list[dict[str, float]], key: str, unit: str) -> str:
    mean, low, high = mean_ci(np.array([x[key] for x in m]))
    return _with_range(fmt(mean, unit), fmt(low, unit), fmt(high, unit))


def _change(a: list[dict[str, float]], b: list[dict[str, float]], key: str, unit: str) -> str:
    """Paired difference b - a over replications with common random numbers."""
    d = paired_difference([y[key] for y in b], [x[key] for x in a])
    mean, low, high = d.mean, d.ci_low, d.ci_high
    return _with_range(fmt(mean, unit, signed=True), fmt(low, unit, signed=True),
                       fmt(high, unit, signed=True))


def _relative(a: list[dict[str, float]], b: list[dict[str, float]], key: str) -> str:
    """Paired relative difference b / a - 1."""
    ratio = np.array([y[key] / x[key] - 1.0 for x, y in zip(a, b, strict=True)])
    mean, low, high = mean_ci(ratio)
    return _with_range(fmt_relative(mean), fmt_relative(low), fmt_relative(high))


def _with_range(mean: str, low: str, high: str) -> str:
    """``mean (low to high)``, the bounds of the 95% CI (cells are narrow: no "95% CI")."""
    return f"{mean} ({low} to {high})"


def main() -> None:
    """Print the library's headline table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    print(headline_table(args.replications))


if __name__ == "__main__":
    main()
