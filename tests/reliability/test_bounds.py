"""Bounds that reflect reality: no valid scenario exhausts memory or gives infinity (finding 6)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from reliability_helpers import TINY, assert_one_line, run_cli, tiny

from sim.results.replication import simulate
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.scale import MAX_LEADS, check_scale, lead_bound
from sim.scenario.schema import Scenario


def _numeric_fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every number or integer of the scenario's JSON Schema, with its constraints."""
    defs = schema.get("$defs", {})
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(node: Any, path: str) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            walk(defs[node["$ref"].rsplit("/", 1)[-1]], path)
            return
        if "anyOf" in node:  # "x | None": the bounds sit on the number's branch
            for branch in node["anyOf"]:
                walk(branch, path)
            return
        if node.get("type") in ("number", "integer"):
            found.append((path, node))
        for key, value in node.get("properties", {}).items():
            walk(value, f"{path}.{key}" if path else key)
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}.N")

    walk(schema, "")
    return found


def test_every_number_of_a_scenario_has_a_finite_upper_bound() -> None:
    fields = _numeric_fields(Scenario.model_json_schema())
    assert len(fields) > 100
    unbounded = [path for path, node in fields
                 if not ("maximum" in node or "exclusiveMaximum" in node)]
    assert unbounded == []
    assert all(math.isfinite(node.get("maximum", node.get("exclusiveMaximum", 0)))
               for _, node in fields)


@pytest.mark.parametrize(("option", "words"), [
    ("marketing.organic_leads_per_day=1e308", "less than or equal to 10000"),
    ("marketing.organic_leads_per_day=1e12", "less than or equal to 10000"),
    ("marketing.promo_max_leads_per_day=1e6", "less than or equal to 10000"),
    ("leads.segments.0.deal_size_mean=1e12", "less than or equal to 1000000000"),
    ("sales.rep_annual_salary=1e300", "less than or equal to 1000000000"),
    ("marketing.annual_budget=1e300", "less than or equal to 1000000000000"),
    ("sales.period_days=1e-9", "greater than or equal to 1"),
    ("incentives.sales.quota_per_rep_period=1e300", "less than or equal to"),
    ("incentives.marketing.bonus_per_mql=1e300", "less than or equal to"),
    ("marketing.brand_saturation.half_saturation_daily_spend=1e-300", "greater than or equal"),
    ("horizon_days=1e9", "less than or equal to 36500"),
    ("nurture.max_nurture_days=1e300", "less than or equal to 36500"),
    ("seed=1e30", "integer"),
])
def test_values_beyond_reality_are_refused(tmp_path: Path, option: str, words: str) -> None:
    with pytest.raises(ScenarioError, match="expected") as info:
        load_scenario(tiny(tmp_path), [option])
    assert words in str(info.value)


def test_a_replication_too_large_for_memory_is_refused_before_it_runs(tmp_path: Path,
                                                                       capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--set",
                            "marketing.organic_leads_per_day=10000", "--horizon-days", "1000",
                            "--out", str(tmp_path / "out")], capsys)
    line = assert_one_line(err, code)
    assert "leads per replication" in line and f"at most {MAX_LEADS:,}" in line
    assert not (tmp_path / "out").exists()


def test_a_large_but_short_scenario_fits(tmp_path: Path) -> None:
    scenario = load_scenario(tiny(tmp_path), ["marketing.organic_leads_per_day=10000",
                                              "horizon_days=60", "warmup_days=0"])
    assert lead_bound(scenario) <= MAX_LEADS
    check_scale(scenario, "ok")


def test_the_scale_follows_the_timeline(tmp_path: Path) -> None:
    path = tiny(tmp_path, extra="horizon_days: 400\ntimeline:\n  - day: 100\n"
                "    set: {marketing.organic_leads_per_day: 10000}\n")
    path.write_text(path.read_text().replace("horizon_days: 14\n", "", 1))
    with pytest.raises(ScenarioError, match="leads per replication"):
        load_scenario(path)


EXTREMES = {
    # Money at its bounds: the totals must stay finite.
    "marketing.annual_budget": 1e12, "marketing.prior_annual_budget": 1e12,
    "leads.segments": [{"name": "huge", "share": 1.0, "deal_size_mean": 1e9,
                        "deal_size_cv": 5.0}],
    "sales.rep_annual_salary": 1e9, "sales.reps": 100_000,
    "incentives.sales.quota_per_rep_period": 1e10, "incentives.marketing.bonus_per_mql": 1e9,
    "alignment.levers.overhead_fixed_annual": 1e12,
    "alignment.levers.overhead_per_rep_annual": 1e9,
    # Rates, periods and shapes at the edges of their ranges.
    "marketing.brand_saturation.half_saturation_daily_spend": 0.01,
    "marketing.brand_saturation.shape": 10.0, "marketing.promo_saturation.shape": 10.0,
    "marketing.promo_max_leads_per_day": 200.0, "sales.period_days": 1.0,
    "nurture.touches_per_week": 100.0, "incentives.sales.mql_trust_half_life_days": 0.01,
    "sales.stages.0.duration.mean_days": 36_500.0, "sales.stages.1.duration.cv": 5.0,
}


def test_a_scenario_at_the_bounds_gives_finite_numbers() -> None:
    data = {**yaml.safe_load(TINY), "warmup_days": 30, "replications": 1}
    scenario = Scenario.model_validate(data).with_overrides(EXTREMES)
    result = simulate(scenario, seed=1, replication=0)
    infinite = {k: v for k, v in result.metrics.items() if math.isinf(v)}
    assert infinite == {}
    assert result.metrics["marketing_spend"] > 0
