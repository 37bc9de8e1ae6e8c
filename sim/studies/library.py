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

from sim.experiments.statistics import mean_ci
from sim.report.text import format_value
from sim.results.replication import simulate
from sim.scenario.loading import load_scenario, read_layers

LIBRARY = Path(__file__).resolve().parent.parent / "scenarios"


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


def entries(folder: Path = LIBRARY) -> list[Entry]:
    """Every scenario file with the file it extends (``None`` for the baseline)."""
    out = []
    for path in sorted(folder.glob("*.yaml")):
        layers = read_layers(path)
        base = layers[-2][0] if len(layers) > 1 else None
        out.append(Entry(path, base, question_of(path)))
    return out


def headline_table(replications: int = 10, folder: Path = LIBRARY) -> str:
    """Markdown table of each file's revenue, cycle time and contribution vs its base.

    Differences are paired over replications with common random numbers and
    shown with their 95% confidence intervals.
    """
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


def _money(value: float) -> str:
    sign = "+" if value > 0 else "-" if value < 0 else ""
    return sign + format_value(abs(value), "money")


def _level(m: list[dict[str, float]], key: str, unit: str) -> str:
    mean, low, high = mean_ci(np.array([x[key] for x in m]))
    if unit == "money":
        return (f"{format_value(mean, 'money')} ({format_value(low, 'money')} to "
                f"{format_value(high, 'money')})")
    return f"{mean:.1f} d ({low:.1f} to {high:.1f})"


def _change(a: list[dict[str, float]], b: list[dict[str, float]], key: str, unit: str) -> str:
    """Paired difference b - a over replications with common random numbers."""
    mean, low, high = mean_ci(np.array([y[key] - x[key] for x, y in zip(a, b, strict=True)]))
    if unit == "money":
        return f"{_money(mean)} ({_money(low)} to {_money(high)})"
    return f"{mean:+.1f} d ({low:+.1f} to {high:+.1f})"


def _relative(a: list[dict[str, float]], b: list[dict[str, float]], key: str) -> str:
    """Paired relative difference b / a - 1 in percent."""
    diff = np.array([y[key] / x[key] - 1.0 for x, y in zip(a, b, strict=True)]) * 100
    mean, low, high = mean_ci(diff)
    return f"{mean:+.1f}% ({low:+.1f} to {high:+.1f})"


def main() -> None:
    """Print the library's headline table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    print(headline_table(args.replications))


if __name__ == "__main__":
    main()
