"""The scenario library's index: each file's question and headline result vs its base.

``python -m sim.library [--replications N]`` runs every file in ``scenarios/``
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

from sim.loading import load_scenario, read_layers
from sim.simulation import simulate
from sim.stats import mean_ci

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
    """Markdown table of each file's revenue and cycle time vs its base, with CIs."""
    cache: dict[Path, list[dict[str, float]]] = {}

    def metrics(path: Path) -> list[dict[str, float]]:
        if path not in cache:
            scenario = load_scenario(path)
            cache[path] = [simulate(scenario, replication=r).metrics
                           for r in range(replications)]
        return cache[path]

    rows = ["| file | question | revenue vs base (95% CI) | median lead-to-close vs base "
            "(95% CI) |", "|---|---|---|---|"]
    for entry in entries(folder):
        if entry.base is None:
            m = metrics(entry.path)
            rev = mean_ci(np.array([x["revenue"] for x in m]))
            cyc = mean_ci(np.array([x["cycle_days_median"] for x in m]))
            rows.append(f"| `{entry.path.name}` | {entry.question or 'the reference'} | "
                        f"{rev[0] / 1e6:.1f} M ({rev[1] / 1e6:.1f} to {rev[2] / 1e6:.1f}) | "
                        f"{cyc[0]:.1f} d ({cyc[1]:.1f} to {cyc[2]:.1f}) |")
            continue
        a, b = metrics(entry.base), metrics(entry.path)
        rev_diff = np.array([y["revenue"] / x["revenue"] - 1.0 for x, y in zip(a, b, strict=True)])
        cyc_diff = np.array([y["cycle_days_median"] - x["cycle_days_median"]
                             for x, y in zip(a, b, strict=True)])
        r, c = mean_ci(rev_diff), mean_ci(cyc_diff)
        rows.append(
            f"| `{entry.path.name}` (vs `{entry.base.name}`) | {entry.question} | "
            f"{100 * r[0]:+.1f}% ({100 * r[1]:+.1f} to {100 * r[2]:+.1f}) | "
            f"{c[0]:+.1f} d ({c[1]:+.1f} to {c[2]:+.1f}) |"
        )
    return "\n".join(rows)


def main() -> None:
    """Print the library's headline table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    args = parser.parse_args()
    print(headline_table(args.replications))


if __name__ == "__main__":
    main()
