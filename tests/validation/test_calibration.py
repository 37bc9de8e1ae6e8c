"""Calibration: the baseline lands inside every published range (MODEL.md reference figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario
from sim.studies.published import REFERENCES, calibration_table, format_table

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"


@pytest.fixture(scope="module")
def table():
    return calibration_table(load_scenario(BASELINE), replications=4)


def test_every_reference_figure_has_a_row(table) -> None:
    assert list(table["figure"]) == [ref.figure for ref in REFERENCES]


def test_baseline_lands_inside_every_published_range(table) -> None:
    print("\n" + format_table(table))  # shown with pytest -s: simulated vs published
    outside = table[~table["within"]]
    assert outside.empty, "\n" + format_table(outside)


def test_the_check_can_fail() -> None:
    # A baseline with a tenth of the reps falls out of the published ranges.
    starved = load_scenario(BASELINE, ["sales.reps=1", "horizon_days=365"])
    table = calibration_table(starved, replications=2)
    assert not table["within"].all()
