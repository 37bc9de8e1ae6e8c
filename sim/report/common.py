"""Pieces every report shares: the resolved scenario and the reproducibility block."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from sim.report import html as h
from sim.report.files import environment
from sim.scenario.schema import Scenario

SEEDING = "replication r uses numpy SeedSequence(seed, spawn_key=(r,))"


def resolved(scenario: Scenario) -> dict[str, Any]:
    """The scenario as run, every preset field written out, with its timeline as given.

    For people reading a report; the ``scenario.yaml`` the tool writes keeps
    preset names and only the fields the scenario overrides.
    """
    data = scenario.resolve().model_dump(mode="json")
    data["timeline"] = scenario.model_dump(mode="json")["timeline"]
    return data


def versions(manifest: dict[str, Any] | None) -> dict[str, str | None]:
    """Package versions: those the run recorded, else those installed now."""
    env = environment()
    if manifest:
        env.update({k: v for k, v in (manifest.get("packages") or {}).items() if v})
        if manifest.get("python"):
            env["python"] = manifest["python"]
    return env


def reproducibility_html(rows: Sequence[tuple[str, str]],
                         manifest: dict[str, Any] | None) -> str:
    """A table of what reproduces the report: the given rows, git, times and versions."""
    rows = list(rows)
    if manifest:
        rows += [("Git revision", str(manifest.get("git_revision") or "unknown"))]
        rows += [(label, str(manifest[key])) for label, key in
                 (("Run started", "started"), ("Run finished", "finished")) if key in manifest]
    rows.append(("Versions", ", ".join(f"{k} {v}" for k, v in versions(manifest).items() if v)))
    return "<h3>Reproducibility</h3>" + h.table_html(pd.DataFrame(rows, columns=["", "value"]))


def files_html(links: Sequence[tuple[str, str]]) -> str:
    """A list of the report's files: (relative path, what it holds)."""
    if not links:
        return ""
    return "<h3>Files</h3><ul>" + "".join(
        f'<li><a href="{h.esc(name)}">{h.esc(name)}</a>: {h.esc(text)}</li>'
        for name, text in links) + "</ul>"
