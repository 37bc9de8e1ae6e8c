"""Named presets: incentive plans and alignment stages as data, looked up by name.

A preset is only a starting point. A scenario names one (``incentives.sales_plan:
quota_accelerator``) and may override any of its fields one by one under
``incentives.sales``; :meth:`sim.scenario.schema.Scenario.resolve` fills every
field the scenario leaves out from the named preset. The values are documented
assumptions; where a published figure informs one, the comment says which (see
MODEL.md, sections 8 and 9).

:func:`sales_plan`, :func:`marketing_plan` and :func:`alignment_stage` give a
preset as its validated section; an unknown name is an
:class:`~sim.scenario.errors.ScenarioError` that lists the choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, TypeVar

from sim.scenario.errors import ScenarioError, unknown_name
from sim.scenario.fields import Section
from sim.scenario.plans import AlignmentLevers, MarketingPlan, SalesPlan

# The names a scenario may give; the schema checks them and documents them.
# A unit test checks that they are the keys of the tables below.
SalesPlanName = Literal["revenue_commission", "quota_accelerator", "shared_revenue"]
MarketingPlanName = Literal["mql_volume", "pipeline", "revenue"]
AlignmentStage = Literal["undefined", "defined", "aligned", "integrated"]

PresetTable = MappingProxyType[str, MappingProxyType[str, float | bool]]

SALES_PLANS: PresetTable = MappingProxyType(
    {
        # Straight commission on revenue: reps chase the best-looking leads and
        # neglect the rest when busy (Sabnis et al. 2013: up to ~70% of
        # marketing leads never followed up in the worst cases).
        "revenue_commission": MappingProxyType(
            {
                "follow_up_rate": 0.85,
                "neglect_under_load": 0.30,
                "cherry_pick": 0.60,
                "feedback_rate": 0.10,
                "discount_pressure": 0.02,
                "commission_rate": 0.04,
                "accelerator_rate": 0.0,
                "quota_per_rep_period": 0.0,
                "push_window_days": 0.0,
                "push_discount": 0.0,
                "pull_forward_days": 0.0,
                "pull_forward_probability": 0.0,
                "push_win_odds_factor": 1.0,
                "quota_effort_odds": 1.0,
                "give_up_pace": 2.0,
                "give_up_effort_odds": 1.0,
                "above_quota_effort_odds": 1.0,
                "mql_trust_elasticity": 2.0,
                "mql_trust_floor": 0.5,
                "mql_trust_reference_quality": 0.44,
                "mql_trust_half_life_days": 28.0,
            }
        ),
        # Quota with accelerators. It cuts both ways. Effort: reps work harder
        # while the quarter's quota is within reach, give up far from it and
        # keep going above it (Chung, Steenburgh & Sudhir 2014; Misra & Nair
        # 2011: +9% revenue from a redesigned plan): about +8% revenue on the
        # baseline. Timing: the end-of-period push pulls deals forward with
        # deeper discounts and lower win rates (Larkin, JOLE 2014: 6-8% of
        # revenue lost to timing-driven discounts): the push discount gives
        # away about 7% of revenue, and the push costs about 9% in all. The
        # quota is set so that about half of the rep-quarters make it (the
        # baseline books about 560 k per rep and quarter). Follow-up and
        # cherry-picking are those of a straight commission: no source gives a
        # difference.
        "quota_accelerator": MappingProxyType(
            {
                "follow_up_rate": 0.85,
                "neglect_under_load": 0.30,
                "cherry_pick": 0.60,
                "feedback_rate": 0.10,
                "discount_pressure": 0.02,
                "commission_rate": 0.03,
                "accelerator_rate": 0.06,
                "quota_per_rep_period": 450_000.0,
                "push_window_days": 15.0,
                "push_discount": 0.15,
                "pull_forward_days": 45.0,
                "pull_forward_probability": 0.6,
                "push_win_odds_factor": 0.8,
                "quota_effort_odds": 1.2,
                "give_up_pace": 2.0,
                "give_up_effort_odds": 0.8,
                "above_quota_effort_odds": 1.05,
                "mql_trust_elasticity": 2.0,
                "mql_trust_floor": 0.5,
                "mql_trust_reference_quality": 0.44,
                "mql_trust_half_life_days": 28.0,
            }
        ),
        # A revenue target shared by sales and marketing: reps give feedback on
        # lead quality, trust MQLs more, and neglect and cherry-pick less under
        # load. Shared goals cut neglect and cherry-picking only in part (Sabnis
        # et al. 2013 give the direction, no size): by 0.3, as the integrated
        # stage's shared-metrics lever does (assumption, range 0.2-0.6: +6% to
        # +17% three-year revenue, docs/EFFECTS.md). Follow-up and discounting
        # stay as under the commission plan: both pay the same 4% commission and
        # no source gives a difference. The published ceiling for a plan change
        # is Misra & Nair's (2011) +9% revenue.
        "shared_revenue": MappingProxyType(
            {
                "follow_up_rate": 0.85,
                "neglect_under_load": 0.21,
                "cherry_pick": 0.42,
                "feedback_rate": 0.60,
                "discount_pressure": 0.02,
                "commission_rate": 0.04,
                "accelerator_rate": 0.0,
                "quota_per_rep_period": 0.0,
                "push_window_days": 0.0,
                "push_discount": 0.0,
                "pull_forward_days": 0.0,
                "pull_forward_probability": 0.0,
                "push_win_odds_factor": 1.0,
                "quota_effort_odds": 1.0,
                "give_up_pace": 2.0,
                "give_up_effort_odds": 1.0,
                "above_quota_effort_odds": 1.0,
                "mql_trust_elasticity": 0.5,
                "mql_trust_floor": 0.5,
                "mql_trust_reference_quality": 0.44,
                "mql_trust_half_life_days": 28.0,
            }
        ),
    }
)

MARKETING_PLANS: PresetTable = MappingProxyType(
    {
        # Paid on MQL volume: pressure to lower the effective threshold and to
        # move budget from brand to promotion, which fills the funnel faster.
        "mql_volume": MappingProxyType(
            {
                "threshold_shift": -0.10,
                "promotion_tilt": 0.25,
                "bonus_per_mql": 20.0,
                "bonus_pipeline_rate": 0.0,
                "bonus_revenue_rate": 0.0,
                "brand_drift_per_year": 0.0,
                "brand_drift_cap": 0.0,
            }
        ),
        "pipeline": MappingProxyType(
            {
                "threshold_shift": 0.0,
                "promotion_tilt": 0.0,
                "bonus_per_mql": 0.0,
                "bonus_pipeline_rate": 0.004,
                "bonus_revenue_rate": 0.0,
                "brand_drift_per_year": 0.0,
                "brand_drift_cap": 0.0,
            }
        ),
        # Paid only on sales metrics (a share of revenue, like sales): stronger
        # leads, but judged on this quarter's sales marketing drifts to short-term
        # activation, 15% of the brand budget a year, at most half of it (the
        # direction: Binet & Field, IPA 2013; the size an assumption). Shared
        # incentives help "only to an extent": brand erodes over years.
        "revenue": MappingProxyType(
            {
                "threshold_shift": 0.03,
                "promotion_tilt": 0.0,
                "bonus_per_mql": 0.0,
                "bonus_pipeline_rate": 0.0,
                "bonus_revenue_rate": 0.01,
                "brand_drift_per_year": 0.15,
                "brand_drift_cap": 0.5,
            }
        ),
    }
)

ALIGNMENT_STAGES: PresetTable = MappingProxyType(
    {
        # Kotler, Rackham & Krishnaswamy (HBR 2006): the four relationship
        # stages. Each step adds collaboration levers and overhead.
        # The SLA: hours and compliance per stage are assumptions (plausible
        # compliance 0.5-0.95); "undefined" has none (its hours and compliance
        # apply only if a scenario switches one on: a loosely kept 4 h SLA).
        # The lever values are assumptions, sized so that the stages' effects sit
        # inside the published ranges of the calibration table (sim/studies/
        # published.py: win rate, aligned or integrated vs defined, within 5-38% and
        # 10-45%; three-year revenue, defined -> integrated +10-45%, undefined ->
        # defined +5-30%). Shared metrics and a transparent funnel cut neglect and
        # cherry-picking only in part, even when integrated: reps keep judging lead
        # quality themselves (Sabnis et al. 2013) (plausible range at integrated
        # 0.2-0.6). Recycling, cross-training and a shared lead definition grow
        # with each stage (plausible ranges at integrated: recycle 0.3-0.8,
        # cross-training 0.4-0.9, scoring noise factor 0.45-0.8).
        "undefined": MappingProxyType(
            {
                "sla": False,
                "sla_hours": 4.0,
                "sla_compliance": 0.6,
                "scoring_noise_factor": 1.0,
                "recycle_rejected": 0.0,
                "feedback_loop": 0.0,
                "cross_training": 0.0,
                "tactical_support": 0.0,
                "shared_metrics": 0.0,
                "overhead_fixed_annual": 0.0,
                "overhead_per_rep_annual": 0.0,
            }
        ),
        "defined": MappingProxyType(
            {
                "sla": True,
                "sla_hours": 4.0,
                "sla_compliance": 0.7,
                "scoring_noise_factor": 0.8,
                "recycle_rejected": 0.3,
                "feedback_loop": 0.3,
                "cross_training": 0.3,
                "tactical_support": 0.0,
                "shared_metrics": 0.2,
                "overhead_fixed_annual": 20_000.0,
                "overhead_per_rep_annual": 1_000.0,
            }
        ),
        "aligned": MappingProxyType(
            {
                "sla": True,
                "sla_hours": 2.0,
                "sla_compliance": 0.75,
                "scoring_noise_factor": 0.7,
                "recycle_rejected": 0.35,
                "feedback_loop": 0.6,
                "cross_training": 0.45,
                "tactical_support": 0.4,
                "shared_metrics": 0.25,
                "overhead_fixed_annual": 50_000.0,
                "overhead_per_rep_annual": 3_000.0,
            }
        ),
        "integrated": MappingProxyType(
            {
                "sla": True,
                "sla_hours": 1.0,
                "sla_compliance": 0.8,
                "scoring_noise_factor": 0.6,
                "recycle_rejected": 0.4,
                "feedback_loop": 0.9,
                "cross_training": 0.6,
                "tactical_support": 0.8,
                "shared_metrics": 0.3,
                # One revenue process needs a revenue-operations function: one to
                # two roles with their tools (assumption; plausible range
                # 100,000-300,000 a year).
                "overhead_fixed_annual": 200_000.0,
                "overhead_per_rep_annual": 6_000.0,
            }
        ),
    }
)

# Neutral mode (MODEL.md 13): the values that switch every behavioural
# mechanism off, as dotted scenario paths. With all of them the model is an
# open queueing network: Poisson arrivals, FIFO, c = reps x slots servers.
NEUTRAL_OVERRIDES: MappingProxyType[str, float | bool] = MappingProxyType(
    {
        "marketing.organic_gain": 0.0,
        "marketing.brand_effects.win_odds_lift": 0.0,
        "marketing.brand_effects.cycle_reduction": 0.0,
        "marketing.brand_effects.discount_reduction": 0.0,
        "marketing.content.win_odds_lift": 0.0,
        "sales.data_capture.capture_rate": 0.0,
        "nurture.handoff_threshold": 0.0,
        "nurture.scoring_noise": 0.0,
        "nurture.cold_hazard_per_day": 0.0,
        "leads.buying_window": False,
        "sales.response_decay.reach_promotion": 0.0,
        "sales.response_decay.reach_organic": 0.0,
        "sales.qualify_probability": 1.0,
        "sales.qualification_days": 0.0,
        "sales.quality_odds_weight": 0.0,
        "sales.base_discount": 0.0,
        "incentives.sales.follow_up_rate": 1.0,
        "incentives.sales.neglect_under_load": 0.0,
        "incentives.sales.cherry_pick": 0.0,
        "incentives.sales.feedback_rate": 0.0,
        "incentives.sales.discount_pressure": 0.0,
        "incentives.sales.push_window_days": 0.0,
        "incentives.sales.pull_forward_probability": 0.0,
        "incentives.marketing.threshold_shift": 0.0,
        "incentives.marketing.promotion_tilt": 0.0,
        "incentives.sales.quota_effort_odds": 1.0,
        "incentives.sales.give_up_effort_odds": 1.0,
        "incentives.sales.above_quota_effort_odds": 1.0,
        "incentives.sales.mql_trust_elasticity": 0.0,
        "incentives.marketing.brand_drift_per_year": 0.0,
        # An SLA of 0 hours, always met: every first response at once.
        "alignment.levers.sla": True,
        "alignment.levers.sla_hours": 0.0,
        "alignment.levers.sla_compliance": 1.0,
        "alignment.levers.recycle_rejected": 0.0,
        "alignment.levers.feedback_loop": 0.0,
        "alignment.levers.cross_training": 0.0,
        "alignment.levers.tactical_support": 0.0,
        "alignment.levers.shared_metrics": 0.0,
        # Capacity over time: hires join and are fully productive at once, nobody leaves
        # on their own, and a leaver's leads are handed over whenever a slot is free.
        "sales.staffing.hiring_lag_days": 0.0,
        "sales.staffing.ramp_days": 0.0,
        "sales.staffing.attrition_annual": 0.0,
        "sales.staffing.handover_loss": 0.0,
    }
)


_S = TypeVar("_S", bound=Section)


def _lookup(table: Mapping[str, Mapping[str, float | bool]], name: str, kind: str,
            model: type[_S]) -> _S:
    """The preset ``name`` of ``table`` as a validated ``model``, or a one-line error."""
    values = table.get(name)
    if values is None:
        raise ScenarioError(unknown_name(kind, name, list(table)))
    return model.model_validate(dict(values))


def sales_plan(name: str) -> SalesPlan:
    """The sales incentive plan called ``name``, every field explicit.

    Raises:
        ScenarioError: an unknown name (the message lists the plans).
    """
    return _lookup(SALES_PLANS, name, "sales plan", SalesPlan)


def marketing_plan(name: str) -> MarketingPlan:
    """The marketing incentive plan called ``name``, every field explicit.

    Raises:
        ScenarioError: an unknown name (the message lists the plans).
    """
    return _lookup(MARKETING_PLANS, name, "marketing plan", MarketingPlan)


def alignment_stage(name: str) -> AlignmentLevers:
    """The levers of the alignment stage called ``name``, every field explicit.

    Raises:
        ScenarioError: an unknown name (the message lists the stages).
    """
    return _lookup(ALIGNMENT_STAGES, name, "alignment stage", AlignmentLevers)
