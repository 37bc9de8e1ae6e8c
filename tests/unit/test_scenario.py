"""The scenario schema: defaults, documentation, validation, resolution, timeline."""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

from sim.scenario.overrides import fixed_keys, set_path
from sim.scenario.plans import AlignmentLevers, MarketingPlan, SalesPlan
from sim.scenario.presets import ALIGNMENT_STAGES, MARKETING_PLANS, NEUTRAL_OVERRIDES, SALES_PLANS
from sim.scenario.schema import ResolvedScenario, Scenario

PRESET_SECTIONS = (
    ("incentives", "sales"),
    ("incentives", "marketing"),
    ("alignment", "levers"),
)


def get_path(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def dumped(scenario: Scenario | ResolvedScenario) -> dict[str, Any]:
    return scenario.model_dump(mode="python")


def with_timeline(*changes: dict[str, Any], **top: Any) -> Scenario:
    return Scenario.model_validate({**top, "timeline": list(changes)})


def problem(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


# --- defaults and documentation ---------------------------------------------------------


def test_defaults_validate_and_round_trip() -> None:
    default = Scenario()
    assert Scenario.model_validate({}) == default
    assert Scenario.model_validate(dumped(default)) == default
    assert Scenario.model_validate(default.model_dump(mode="json")) == default
    assert math.isclose(sum(s.share for s in default.leads.segments), 1.0)
    assert default.sales.max_discount >= default.sales.base_discount


def test_defaults_resolve() -> None:
    resolved = Scenario().resolve()
    assert isinstance(resolved, ResolvedScenario)
    assert resolved.incentives.sales.follow_up_rate == SALES_PLANS["revenue_commission"][
        "follow_up_rate"]


def _types(prop: dict[str, Any]) -> set[str]:
    found = {prop["type"]} if "type" in prop else set()
    for option in prop.get("anyOf", []):
        found |= _types(option)
    return found


def _schema_properties() -> list[tuple[str, str, dict[str, Any]]]:
    schema = Scenario.model_json_schema()
    models = {"Scenario": schema, **schema.get("$defs", {})}
    return [
        (model, name, prop)
        for model, node in models.items()
        for name, prop in node.get("properties", {}).items()
    ]


def test_schema_walk_covers_every_section() -> None:
    schema = Scenario.model_json_schema()
    defs = set(schema["$defs"])
    for section in ("Marketing", "Leads", "Segment", "Nurture", "Sales", "Stage", "Duration",
                    "SalesPlanOverrides", "MarketingPlanOverrides", "AlignmentLeverOverrides",
                    "AlignmentEffects", "Finance", "TimelineChange", "Saturation"):
        assert section in defs
    props = _schema_properties()
    assert len(props) > 100
    assert {(m, n) for m, n, _ in props} >= {
        ("Scenario", "marketing"), ("Sales", "reps"), ("SalesPlanOverrides", "follow_up_rate"),
        ("AlignmentLeverOverrides", "sla_hours"), ("Segment", "share"),
    }


@pytest.mark.parametrize(("resolved", "overrides"), [
    (SalesPlan, "SalesPlanOverrides"), (MarketingPlan, "MarketingPlanOverrides"),
    (AlignmentLevers, "AlignmentLeverOverrides")])
def test_the_schema_documents_every_resolved_field_as_its_override(
        resolved: type[Any], overrides: str) -> None:
    documented = Scenario.model_json_schema()["$defs"][overrides]["properties"]
    own = resolved.model_json_schema()["properties"]
    assert set(documented) == set(own)
    for name, prop in own.items():
        assert documented[name]["description"] == prop["description"]
        assert documented[name].get("unit") == prop.get("unit")
        assert documented[name]["default"] is None


def test_every_property_has_a_description() -> None:
    missing = [
        f"{model}.{name}" for model, name, prop in _schema_properties()
        if not str(prop.get("description", "")).strip()
    ]
    assert missing == []


def test_every_numeric_property_names_its_unit() -> None:
    numeric = [
        (model, name, prop) for model, name, prop in _schema_properties()
        if _types(prop) & {"number", "integer"}
    ]
    assert len(numeric) > 80
    bad = [
        f"{model}.{name}" for model, name, prop in numeric
        if not str(prop.get("unit", "")).strip()
        or f"Unit: {prop['unit']}." not in prop.get("description", "")
    ]
    assert bad == []


# --- unknown keys and invalid values ------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"horizon_dayz": 100},
        {"marketing": {"annual_budgt": 1.0}},
        {"marketing": {"brand_saturation": {"shape": 1.0, "slope": 2.0}}},
        {"sales": {"stages": [{"name": "a", "advance_probabilty": 0.5}]}},
        {"leads": {"segments": [{"name": "a", "share": 1.0, "colour": "red"}]}},
        {"incentives": {"sales": {"follow_up": 0.5}}},
        {"alignment": {"levers": {"sla_hour": 2}}},
        {"timeline": [{"day": 1, "set": {"marketing.annual_budget": 1.0}, "when": 3}]},
    ],
    ids=["top", "section", "subsection", "stage-item", "segment-item", "plan-field", "lever",
         "timeline-item"],
)
def test_unknown_keys_are_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate(data)
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


def test_segment_shares_must_sum_to_one() -> None:
    segments = [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.4}]
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate({"leads": {"segments": segments}})
    assert "sum to 1" in problem(exc)
    segments[1]["share"] = 0.5
    assert len(Scenario.model_validate({"leads": {"segments": segments}}).leads.segments) == 2


def test_duplicate_segment_names_are_rejected() -> None:
    segments = [{"name": "a", "share": 0.5}, {"name": "a", "share": 0.5}]
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate({"leads": {"segments": segments}})
    assert "unique" in problem(exc)


def test_max_discount_below_base_discount_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate({"sales": {"base_discount": 0.3, "max_discount": 0.2}})
    assert "max_discount" in problem(exc)
    ok = Scenario.model_validate({"sales": {"base_discount": 0.3, "max_discount": 0.3}})
    assert ok.sales.max_discount == 0.3


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(
    "path",
    ["horizon_days", "marketing.annual_budget", "marketing.brand_saturation.shape",
     "sales.response_hours_mean", "sales.stages.0.duration.mean_days",
     "leads.segments.0.deal_size_mean", "incentives.sales.quota_per_rep_period",
     "alignment.levers.sla_hours"],
)
def test_nan_and_inf_are_rejected(path: str, value: float) -> None:
    data = dumped(Scenario())
    set_path(data, path, value)
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate(data)
    loc = ".".join(str(p) for p in exc.value.errors()[0]["loc"])
    assert loc == path


@pytest.mark.parametrize(
    ("path", "value"),
    [("sales.reps", 0), ("marketing.annual_budget", -1.0), ("marketing.brand_share", 1.5),
     ("sales.stages.1.advance_probability", -0.1), ("horizon_days", 0),
     ("incentives.sales_plan", "bonus_for_all"), ("alignment.stage", "married"),
     ("sales.stages.0.duration.distribution", "cauchy")],
)
def test_out_of_range_values_are_rejected(path: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        Scenario().with_overrides({path: value})


# --- presets and resolution ------------------------------------------------------------


def _sections_of(scenario: Scenario | ResolvedScenario) -> dict[tuple[str, str], dict[str, Any]]:
    data = dumped(scenario)
    return {(a, b): data[a][b] for a, b in PRESET_SECTIONS}


@pytest.mark.parametrize("sales_plan", sorted(SALES_PLANS))
@pytest.mark.parametrize("marketing_plan", sorted(MARKETING_PLANS))
@pytest.mark.parametrize("stage", sorted(ALIGNMENT_STAGES))
def test_resolve_fills_every_preset_field(sales_plan: str, marketing_plan: str,
                                          stage: str) -> None:
    scenario = Scenario().with_overrides({
        "incentives.sales_plan": sales_plan,
        "incentives.marketing_plan": marketing_plan,
        "alignment.stage": stage,
    })
    # The scenario holds names and no preset field ...
    for fields in _sections_of(scenario).values():
        assert all(v is None for v in fields.values())
    resolved = scenario.resolve()
    sections = _sections_of(resolved)
    # ... its resolved form every field, each with the preset's value, and the names.
    assert sections[("incentives", "sales")] == dict(SALES_PLANS[sales_plan])
    assert sections[("incentives", "marketing")] == dict(MARKETING_PLANS[marketing_plan])
    assert sections[("alignment", "levers")] == dict(ALIGNMENT_STAGES[stage])
    assert (resolved.incentives.sales_plan, resolved.incentives.marketing_plan,
            resolved.alignment.stage) == (sales_plan, marketing_plan, stage)


def test_resolved_sections_have_no_optional_field() -> None:
    for model in (SalesPlan, MarketingPlan, AlignmentLevers):
        assert all(field.is_required() for field in model.model_fields.values()), model
        assert not any(type(None) in getattr(field.annotation, "__args__", ())
                       for field in model.model_fields.values()), model
    with pytest.raises(ValidationError):
        SalesPlan.model_validate({k: v for k, v in SALES_PLANS["shared_revenue"].items()
                                  if k != "cherry_pick"})


def test_presets_cover_every_field() -> None:
    sections = _sections_of(Scenario())
    for plan in SALES_PLANS.values():
        assert set(plan) == set(sections[("incentives", "sales")]) == set(SalesPlan.model_fields)
    for plan in MARKETING_PLANS.values():
        assert set(plan) == set(sections[("incentives", "marketing")])
    for stage in ALIGNMENT_STAGES.values():
        assert set(stage) == set(sections[("alignment", "levers")])


def test_resolve_keeps_a_field_the_scenario_overrides() -> None:
    scenario = Scenario().with_overrides({
        "incentives.sales_plan": "shared_revenue",
        "incentives.sales.follow_up_rate": 0.5,
        "incentives.marketing.bonus_per_mql": 7.0,
        "alignment.stage": "integrated",
        "alignment.levers.sla_hours": 4.0,
    })
    resolved = scenario.resolve()
    assert resolved.incentives.sales.follow_up_rate == 0.5
    assert SALES_PLANS["shared_revenue"]["follow_up_rate"] != 0.5
    assert resolved.incentives.sales.neglect_under_load == SALES_PLANS["shared_revenue"][
        "neglect_under_load"]
    assert resolved.incentives.marketing.bonus_per_mql == 7.0
    assert resolved.incentives.marketing.bonus_pipeline_rate == MARKETING_PLANS["pipeline"][
        "bonus_pipeline_rate"]
    assert resolved.alignment.levers.sla_hours == 4.0
    assert resolved.alignment.levers.shared_metrics == ALIGNMENT_STAGES["integrated"][
        "shared_metrics"]
    # the scenario itself is not changed
    assert dumped(scenario)["incentives"]["sales"]["neglect_under_load"] is None


def test_resolve_keeps_everything_that_is_not_a_preset_field() -> None:
    scenario = Scenario().with_overrides({"sales.reps": 3, "marketing.brand_share": 0.2,
                                          "name": "x", "finance.gross_margin": 0.5})
    resolved = dumped(scenario.resolve())
    given = dumped(scenario)
    for key in ("name", "seed", "marketing", "leads", "nurture", "sales", "finance"):
        assert resolved[key] == given[key], key
    assert "timeline" not in resolved and "extends" not in resolved


def test_neutral_resolution_sets_the_neutral_values() -> None:
    scenario = Scenario().with_overrides({
        "neutral": True,
        "incentives.sales_plan": "quota_accelerator",
        "incentives.marketing_plan": "mql_volume",
        "alignment.stage": "integrated",
        "incentives.sales.follow_up_rate": 0.5,
    })
    resolved = dumped(scenario.resolve())
    for path, value in NEUTRAL_OVERRIDES.items():
        assert get_path(resolved, path) == value, path
    stages = resolved["sales"]["stages"]
    assert len(stages) == len(scenario.sales.stages)
    assert all(stage["advance_probability"] == 1.0 for stage in stages)
    # fields neutral mode does not name still come from the presets
    assert resolved["incentives"]["sales"]["commission_rate"] == SALES_PLANS[
        "quota_accelerator"]["commission_rate"]
    assert resolved["alignment"]["levers"]["overhead_fixed_annual"] == ALIGNMENT_STAGES[
        "integrated"]["overhead_fixed_annual"]


def test_non_neutral_resolution_keeps_stage_probabilities() -> None:
    scenario = Scenario()
    resolved = scenario.resolve()
    assert [s.advance_probability for s in resolved.sales.stages] == [
        s.advance_probability for s in scenario.sales.stages]
    assert resolved.nurture.handoff_threshold == scenario.nurture.handoff_threshold
    assert resolved.nurture.handoff_threshold != NEUTRAL_OVERRIDES["nurture.handoff_threshold"]


@pytest.mark.parametrize(
    ("section", "data", "message"),
    [
        ("alignment", {"alignment": {"stage": "aligned",
                                     "levers": dict(ALIGNMENT_STAGES["defined"])}},
         "alignment.levers repeats every value of stage 'defined', so alignment.stage "
         "'aligned' would change nothing"),
        ("incentives", {"incentives": {"sales_plan": "quota_accelerator",
                                       "sales": dict(SALES_PLANS["revenue_commission"])}},
         "incentives.sales repeats every value of sales plan 'revenue_commission', so "
         "incentives.sales_plan 'quota_accelerator' would change nothing"),
        ("incentives", {"incentives": {"marketing_plan": "revenue",
                                       "marketing": dict(MARKETING_PLANS["pipeline"])}},
         "incentives.marketing repeats every value of marketing plan 'pipeline'"),
    ],
    ids=["stage", "sales-plan", "marketing-plan"],
)
def test_a_preset_name_hidden_by_another_presets_values_is_refused(
        section: str, data: dict[str, Any], message: str) -> None:
    # A scenario written out in full whose preset name was changed afterwards.
    with pytest.raises(ValidationError) as exc:
        Scenario.model_validate(data)
    assert exc.value.errors()[0]["loc"] == (section,)
    assert message in problem(exc)


def test_overrides_that_repeat_the_named_preset_or_set_own_values_are_accepted() -> None:
    same = Scenario.model_validate({"alignment": {"stage": "defined",
                                                  "levers": dict(ALIGNMENT_STAGES["defined"])}})
    assert same.resolve().alignment.levers == Scenario().resolve().alignment.levers
    own = {**ALIGNMENT_STAGES["defined"], "sla_hours": 3.0}
    custom = Scenario.model_validate({"alignment": {"stage": "aligned", "levers": own}})
    assert custom.resolve().alignment.levers.model_dump() == own


# --- with_overrides -----------------------------------------------------------------------


def test_with_overrides_returns_a_new_validated_scenario() -> None:
    original = Scenario()
    before = dumped(original)
    changed = original.with_overrides({
        "sales.reps": 3,
        "sales.stages.1.advance_probability": 0.25,
        "marketing.brand_saturation.shape": 2.0,
    })
    assert isinstance(changed, Scenario)
    assert changed is not original
    assert (changed.sales.reps, changed.sales.stages[1].advance_probability,
            changed.marketing.brand_saturation.shape) == (3, 0.25, 2.0)
    assert dumped(original) == before
    assert original.sales.reps == 8


def test_with_overrides_validates() -> None:
    original = Scenario()
    with pytest.raises(ValidationError):
        original.with_overrides({"sales.reps": -2})
    with pytest.raises(ValidationError):
        original.with_overrides({"sales.repz": 2})
    with pytest.raises(IndexError):
        original.with_overrides({"sales.stages.9.name": "x"})
    assert original.sales.reps == 8


def test_with_overrides_coerces_through_validation() -> None:
    changed = Scenario().with_overrides({"horizon_days": 10})
    assert isinstance(changed.horizon_days, float)


# --- timeline ---------------------------------------------------------------------------


def test_without_timeline_there_is_one_period_from_the_warmup() -> None:
    scenario = Scenario().with_overrides({"warmup_days": 30})
    periods = scenario.periods()
    assert len(periods) == 1
    assert periods[0][0] == -30
    assert periods[0][1] == scenario.resolve()


def test_periods_are_sorted_by_day_and_accumulate() -> None:
    scenario = with_timeline(
        {"day": 100, "set": {"marketing.annual_budget": 3_000_000.0}},
        {"day": 50, "set": {"marketing.brand_share": 0.3}},
        warmup_days=20,
    )
    periods = scenario.periods()
    assert [day for day, _ in periods] == [-20, 50, 100]
    budgets = [p.marketing.annual_budget for _, p in periods]
    shares = [p.marketing.brand_share for _, p in periods]
    assert budgets == [2_000_000.0, 2_000_000.0, 3_000_000.0]
    assert shares == [0.46, 0.3, 0.3]
    # every period is resolved and has no timeline of its own
    for _, period in periods:
        assert isinstance(period, ResolvedScenario)
        assert "timeline" not in dumped(period)


def test_changes_on_the_same_day_make_one_period() -> None:
    scenario = with_timeline(
        {"day": 60, "set": {"marketing.annual_budget": 1_000_000.0}},
        {"day": 60, "set": {"sales.base_discount": 0.2}},
        warmup_days=0,
    )
    periods = scenario.periods()
    assert [day for day, _ in periods] == [0, 60]
    assert periods[1][1].marketing.annual_budget == 1_000_000.0
    assert periods[1][1].sales.base_discount == 0.2


def test_a_plan_switch_on_the_timeline_re_resolves_presets() -> None:
    scenario = with_timeline(
        {"day": 180, "set": {"incentives.sales_plan": "shared_revenue",
                             "alignment.stage": "integrated"}},
        incentives={"sales_plan": "revenue_commission"}, warmup_days=0,
    )
    (d0, first), (d1, second) = scenario.periods()
    assert (d0, d1) == (0, 180)
    before = SALES_PLANS["revenue_commission"]["follow_up_rate"]
    assert first.incentives.sales.follow_up_rate == before
    assert second.incentives.sales.follow_up_rate == SALES_PLANS["shared_revenue"]["follow_up_rate"]
    assert dumped(second)["incentives"]["sales"] == dict(SALES_PLANS["shared_revenue"])
    assert dumped(second)["alignment"]["levers"] == dict(ALIGNMENT_STAGES["integrated"])


def test_a_field_override_survives_a_plan_switch() -> None:
    scenario = with_timeline(
        {"day": 90, "set": {"incentives.sales_plan": "shared_revenue"}},
        incentives={"sales": {"follow_up_rate": 0.5}},
    )
    (_, first), (_, second) = scenario.periods()
    assert first.incentives.sales.follow_up_rate == 0.5
    assert second.incentives.sales.follow_up_rate == 0.5
    assert second.incentives.sales.cherry_pick == SALES_PLANS["shared_revenue"]["cherry_pick"]


def test_neutral_applies_to_every_period() -> None:
    scenario = with_timeline(
        {"day": 30, "set": {"incentives.sales_plan": "quota_accelerator"}}, neutral=True,
    )
    for _, period in scenario.periods():
        assert period.incentives.sales.follow_up_rate == 1.0
        assert all(s.advance_probability == 1.0 for s in period.sales.stages)


@pytest.mark.parametrize(
    "key",
    ["horizon_days", "warmup_days", "seed", "replications", "neutral", "name",
     "sales.slots_per_rep", "sales.period_days", "leads.segments", "leads.segments.0.share",
     "record_leads", "timeline"],
)
def test_structural_keys_on_the_timeline_are_rejected(key: str) -> None:
    assert any(key == k or key.startswith(k + ".") for k in fixed_keys("timeline"))
    with pytest.raises(ValidationError) as exc:
        with_timeline({"day": 10, "set": {key: 1}})
    assert f"timeline.0.set.{key}" in problem(exc)
    assert "cannot change during a run" in problem(exc)


@pytest.mark.parametrize(
    ("change", "key"),
    [({"sales": {"slots_per_rep": 3}}, "sales.slots_per_rep"),
     ({"leads": {"segments": [{"name": "x", "share": 1.0}]}}, "leads.segments")],
    ids=["sales-section", "leads-section"],
)
def test_structural_keys_set_through_their_parent_section_are_rejected(
    change: dict[str, Any], key: str,
) -> None:
    with pytest.raises(ValidationError) as exc:
        with_timeline({"day": 10, "set": change})
    assert "timeline.0.set" in problem(exc)
    assert key in problem(exc)
    assert "cannot change during a run" in problem(exc)


def test_a_timeline_may_not_change_the_number_of_stages() -> None:
    with pytest.raises(ValidationError) as exc:
        with_timeline({"day": 10, "set": {"sales.stages": [{"name": "only"}]}})
    assert "timeline.0.set" in problem(exc)
    assert "number of sales stages" in problem(exc)


def test_a_timeline_may_change_a_stage_field() -> None:
    scenario = with_timeline({"day": 10, "set": {"sales.stages.2.advance_probability": 0.9}})
    (_, first), (_, second) = scenario.periods()
    assert first.sales.stages[2].advance_probability == 0.55
    assert second.sales.stages[2].advance_probability == 0.9
    assert first.sales.reps == second.sales.reps


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"day": 10, "set": {"marketing.annual_budget": -1}}, "timeline.0.set"),
        ({"day": 10, "set": {"marketing.annual_budgt": 1}}, "annual_budget"),
        ({"day": 10, "set": {"incentives.sales_plan": "bonus"}}, "sales_plan"),
        ({"day": 10, "set": {"sales.stages.9.advance_probability": 0.5}}, "no index 9"),
        ({"day": 10, "set": {"sales.base_discount": 0.9}}, "max_discount"),
        ({"day": 10, "set": {"marketing.annual_budget": math.nan}}, "finite"),
        ({"day": 10, "set": {"marketing.annual_budget.x": 1}}, "not a section"),
        ({"day": -1, "set": {"marketing.annual_budget": 1}}, "day"),
        ({"day": math.inf, "set": {"marketing.annual_budget": 1}}, "day"),
        ({"day": 10, "set": {}}, "set"),
        ({"set": {"marketing.annual_budget": 1}, "day": "soon"}, "day"),
    ],
    ids=["negative", "unknown-key", "bad-plan", "index", "cross-field", "nan", "into-scalar",
         "negative-day", "inf-day", "empty-set", "text-day"],
)
def test_invalid_timeline_values_are_rejected(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as exc:
        with_timeline(change)
    assert "timeline.0" in problem(exc)
    assert expected in problem(exc)


def test_a_timeline_error_names_the_change_as_written() -> None:
    with pytest.raises(ValidationError) as exc:
        with_timeline(
            {"day": 100, "set": {"marketing.annual_budget": 1.0}},
            {"day": 50, "set": {"marketing.brand_share": 2.0}},
        )
    assert "timeline.1.set" in problem(exc)
    assert "timeline.0.set" not in problem(exc)
