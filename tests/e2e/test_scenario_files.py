"""Every file in scenarios/ validates and runs briefly."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import load_scenario, simulate

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def test_the_library_has_a_baseline() -> None:
    assert any(path.name == "baseline.yaml" for path in SCENARIOS)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_file_validates_and_runs(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.description, f"{path.name} should say what it represents"
    brief = scenario.with_overrides({"horizon_days": min(scenario.horizon_days, 120.0),
                                     "warmup_days": min(scenario.warmup_days, 30.0)})
    m = simulate(brief, seed=1).metrics
    lost = m["lost_never_contacted"] + m["lost_rejected"] + m["lost_cold"] + m["lost_in_sales"]
    assert m["leads_created"] == m["deals_won"] + lost + m["in_flight_end"]
    assert m["leads_created"] > 0
