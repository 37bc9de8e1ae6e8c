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
        ..., "Bookings quota per rep per sales period.", "currency", ge=0
    )
    push_window_days: float = param(
        ..., "Days before a period end in which reps push deals to close.", "days", ge=0
    )
    push_discount: float = param(
        ..., "Extra discount on deals closing in the push window.", "fraction", ge=0, le=1
    )
    pull_forward_days: float = param(
        ..., "Deals due to close this many days after a period end may be pulled forward.",
        "days", ge=0,
    )
    pull_forward_probability: float = param(
        ..., "Chance a deal due just after a period end is pulled forward.", "probability",
        ge=0, le=1,
    )
    push_win_odds_factor: float = param(
        ..., "Multiplier on the final-stage win odds of a pulled-forward deal.", "-", ge=0,
        le=10,
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
    bonus_per_mql: float = param(..., "Bonus paid per MQL.", "currency/MQL", ge=0)
    bonus_pipeline_rate: float = param(
        ..., "Bonus as a share of pipeline created (deal size of new SQLs).", "fraction", ge=0,
        le=1,
    )
    bonus_revenue_rate: float = param(
        ..., "Bonus as a share of revenue booked.", "fraction", ge=0, le=1
    )


class AlignmentLevers(Section):
    """Collaboration levers of an alignment stage, every field explicit."""

    sla: bool = param(..., "Whether a response-time SLA is in force.")
    sla_hours: float = param(..., "Mean first-response delay under the SLA.", "hours", ge=0)
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
        ge=0,
    )
    overhead_per_rep_annual: float = param(
        ..., "Alignment cost per rep (cross-training and meeting time).", "currency/year",
        ge=0,
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
