"""The preset-backed sections: incentive plans and alignment levers, resolved and as overrides.

Each comes in two forms built from one definition:

- the resolved section (:class:`SalesPlan`, :class:`MarketingPlan`,
  :class:`AlignmentLevers`): every field required, what the engine reads;
- its overrides (:data:`SalesPlanOverrides`...): the same fields, each optional,
  what a scenario file may write under ``incentives.sales``,
  ``incentives.marketing`` and ``alignment.levers``; a field left out (null)
  comes from the preset the scenario names (:mod:`sim.scenario.presets`).

The override models are generated from the resolved ones, so a field, its
description, unit and bounds are written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, create_model

from sim.scenario.fields import Section, param


class SalesPlan(Section):
    """Behaviour and cost of a sales incentive plan, every field explicit."""

    follow_up_rate: float = param(
        ..., "Chance an MQL is followed up at all when reps are idle.", "probability", ge=0, le=1
    )
    neglect_under_load: float = param(
        ..., "Follow-up falls by this fraction of team load (busy slots / all slots).",
        "fraction", ge=0, le=1,
    )
    cherry_pick: float = param(
        ..., "Chance a fully busy rep rejects a lead of quality 0; scales with rep load and "
        "(1 - quality).", "probability", ge=0, le=1,
    )
    feedback_rate: float = param(
        ..., "Share of worked leads reps give quality feedback on.", "fraction", ge=0, le=1
    )
    discount_pressure: float = param(
        ..., "Extra discount reps grant to close.", "fraction", ge=0, le=1
    )
    commission_rate: float = param(..., "Commission on revenue booked.", "fraction", ge=0, le=1)
    accelerator_rate: float = param(
        ..., "Extra commission on team bookings above quota in a period.", "fraction", ge=0, le=1
    )
    quota_per_rep_period: float = param(
        ..., "Bookings quota per rep per sales period.", "currency", ge=0, le=1e10
    )
    push_window_days: float = param(
        ..., "Days before a period end in which reps push deals to close.", "days", ge=0,
        le=36_500,
    )
    push_discount: float = param(
        ..., "Extra discount on deals closing in the push window.", "fraction", ge=0, le=1
    )
    pull_forward_days: float = param(
        ..., "Deals due to close this many days after a period end may be pulled forward.",
        "days", ge=0, le=36_500,
    )
    pull_forward_probability: float = param(
        ..., "Chance a deal due just after a period end is pulled forward.", "probability",
        ge=0, le=1,
    )
    push_win_odds_factor: float = param(
        ..., "Multiplier on the final-stage win odds of a pulled-forward deal.", "-", ge=0,
        le=10,
    )
    # Effort against quota (sim.model.effort): a rep who takes a lead on works it
    # harder or less hard by where they stand against this period's quota.
    quota_effort_odds: float = param(
        ..., "Multiplier on the stage-advance odds of a deal a rep takes on while the "
        "period's quota is within reach (Chung, Steenburgh & Sudhir 2014: quotas pace "
        "reps who are behind; Misra & Nair 2011: +9% revenue from a redesigned plan; "
        "assumption; plausible range 1.0-1.3). 1 = effort does not depend on quota.",
        "-", ge=0, le=10,
    )
    give_up_pace: float = param(
        ..., "Pace a rep would need to make quota (the rest of it over the rest of the "
        "period, relative to the quota's own pace) beyond which the rep gives up "
        "(Chung, Steenburgh & Sudhir 2014: give-up far from quota; assumption; "
        "plausible range 1.5-3).", "-", ge=0, le=1000,
    )
    give_up_effort_odds: float = param(
        ..., "Multiplier on the stage-advance odds of a deal a rep takes on after giving "
        "up on the period's quota (assumption; plausible range 0.6-1.0).", "-", ge=0, le=10,
    )
    above_quota_effort_odds: float = param(
        ..., "Multiplier on the stage-advance odds of a deal a rep takes on after making "
        "the period's quota: accelerators keep effort up, a cap would lower it (Chung, "
        "Steenburgh & Sudhir 2014; assumption; plausible range 0.9-1.2).", "-", ge=0, le=10,
    )
    # Trust in marketing's leads (sim.model.trust): sales follows up fewer MQLs
    # when the MQLs it worked lately were weak.
    mql_trust_elasticity: float = param(
        ..., "Elasticity of the follow-up chance to the quality of the MQLs sales worked "
        "lately, below the reference quality: follow-up x (quality / reference) ^ "
        "elasticity (Sabnis, Chatterjee, Grewal & Lilien 2013: reps follow up fewer "
        "marketing leads when their prequalification is poor; assumption; plausible "
        "range 0.5-3). 0 = follow-up ignores lead quality.", "-", ge=0, le=10,
    )
    mql_trust_floor: float = param(
        ..., "Least share of the follow-up chance left however weak recent MQLs were "
        "(assumption; plausible range 0.3-0.8).", "fraction", ge=0, le=1,
    )
    mql_trust_reference_quality: float = param(
        ..., "Propensity to buy of the MQLs sales regards as normal; weaker MQLs cost "
        "trust (a little below the baseline's worked MQLs, about 0.45, so the baseline "
        "keeps its follow-up; assumption; plausible range 0.40-0.46, up to the "
        "baseline's own level).", "0-1", ge=0, le=1,
    )
    mql_trust_half_life_days: float = param(
        ..., "Half-life of sales' memory of the quality of the MQLs it worked "
        "(exponentially weighted; assumption; plausible range 7-90).", "days", ge=0.01,
        le=36_500,
    )


class MarketingPlan(Section):
    """Behaviour and cost of a marketing incentive plan, every field explicit."""

    threshold_shift: float = param(
        ..., "Added to the hand-off threshold in practice (negative: looser).", "score",
        ge=-1, le=1,
    )
    promotion_tilt: float = param(
        ..., "Fraction of the brand budget moved to promotion in practice.", "fraction", ge=0,
        le=1,
    )
    bonus_per_mql: float = param(..., "Bonus paid per MQL.", "currency/MQL", ge=0, le=1e9)
    bonus_pipeline_rate: float = param(
        ..., "Bonus as a share of pipeline created (deal size of new SQLs).", "fraction", ge=0,
        le=1,
    )
    bonus_revenue_rate: float = param(
        ..., "Bonus as a share of revenue booked.", "fraction", ge=0, le=1
    )
    # Drift of the split (sim.model.spend): marketing judged only on short-term
    # sales metrics moves budget from brand to activation, bit by bit.
    brand_drift_per_year: float = param(
        ..., "Share of the brand budget moved to promotion per year while the plan lasts, "
        "on top of promotion_tilt (direction: Binet & Field, IPA 2013: short-term "
        "metrics breed short-termism; size an assumption; plausible range 0-0.2).",
        "fraction/year", ge=0, le=1,
    )
    brand_drift_cap: float = param(
        ..., "Most of the brand budget the drift moves: marketing still defends some "
        "brand spend (assumption; plausible range 0.2-0.6).", "fraction", ge=0, le=1,
    )


class AlignmentLevers(Section):
    """Collaboration levers of an alignment stage, every field explicit."""

    sla: bool = param(..., "Whether a first-response SLA is in force.")
    sla_hours: float = param(
        ..., "Hours within which the SLA asks for a first response once a rep has the lead.",
        "hours", ge=0, le=8760,
    )
    sla_compliance: float = param(
        ..., "Share of first responses that come within sla_hours under the SLA, as a CRM "
        "shows it. Responses that met it anyway stay; those brought inside are spread over "
        "the SLA's hours (sales.response_band_shape); the rest keep their delay without the "
        "SLA, beyond sla_hours. At or below the share already within sla_hours it changes "
        "nothing (assumption per stage; plausible range 0.5-0.95).", "fraction", ge=0, le=1,
    )
    scoring_noise_factor: float = param(
        ..., "Multiplier on scoring noise from a shared lead definition.", "-", ge=0, le=1
    )
    recycle_rejected: float = param(
        ..., "Chance a rejected lead goes back to nurture instead of being lost.",
        "probability", ge=0, le=1,
    )
    feedback_loop: float = param(
        ..., "Strength of the channel that turns sales feedback into better scoring.", "0-1",
        ge=0, le=1,
    )
    cross_training: float = param(
        ..., "Cross-training and joint work (content, hand-off, collateral).", "0-1", ge=0, le=1
    )
    tactical_support: float = param(
        ..., "Marketing support on late-stage deals.", "0-1", ge=0, le=1
    )
    shared_metrics: float = param(
        ..., "Shared metrics and a transparent funnel: cut neglect and cherry-picking.", "0-1",
        ge=0, le=1,
    )
    overhead_fixed_annual: float = param(
        ..., "Fixed cost of alignment (meetings, tools, a revenue-ops role).", "currency/year",
        ge=0, le=1e12,
    )
    overhead_per_rep_annual: float = param(
        ..., "Alignment cost per rep (cross-training and meeting time).", "currency/year",
        ge=0, le=1e9,
    )


def overrides_model(resolved: type[Section], name: str, doc: str) -> type[Section]:
    """A section with every field of ``resolved`` optional: null means "from the preset".

    Descriptions, units and bounds are those of ``resolved``; the bounds apply
    to a value that is given.
    """
    fields: dict[str, Any] = {}
    for field_name, info in resolved.model_fields.items():
        inner: Any = (Annotated[info.annotation, *info.metadata] if info.metadata
                      else info.annotation)
        fields[field_name] = (
            inner | None,
            Field(None, description=info.description, json_schema_extra=info.json_schema_extra),
        )
    model: type[Section] = create_model(
        name, __base__=Section, __doc__=doc, __module__=__name__, **fields
    )
    return model


# The schema reads these annotations by name when the scenario models are built.
# For the type checker they are plain sections: only the resolution reads their
# fields, and it does so by name (model_dump), never by attribute.
if TYPE_CHECKING:
    SalesPlanOverrides = Section
    MarketingPlanOverrides = Section
    AlignmentLeverOverrides = Section
else:
    SalesPlanOverrides = overrides_model(
        SalesPlan, "SalesPlanOverrides",
        "Behaviour and cost of a sales incentive plan; a field left out (null) comes from "
        "the preset incentives.sales_plan.",
    )
    MarketingPlanOverrides = overrides_model(
        MarketingPlan, "MarketingPlanOverrides",
        "Behaviour and cost of a marketing incentive plan; a field left out (null) comes from "
        "the preset incentives.marketing_plan.",
    )
    AlignmentLeverOverrides = overrides_model(
        AlignmentLevers, "AlignmentLeverOverrides",
        "Collaboration levers of an alignment stage; a field left out (null) comes from the "
        "preset alignment.stage.",
    )
