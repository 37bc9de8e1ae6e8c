"""The numbers in force during one period, flattened for the per-lead hot path.

A :class:`Policy` is derived from a resolved scenario (presets filled in,
neutral mode applied: :class:`~sim.scenario.schema.ResolvedScenario`). It
combines the levers that act on the same quantity (e.g. scoring noise = base
noise x shared-definition factor) once, so the model reads plain attributes
instead of walking the scenario for every lead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.model.mechanisms import engagement_rate
from sim.scenario.schema import ResolvedScenario


@dataclass(frozen=True, slots=True)
class Policy:
    """Flattened parameters of one timeline period (see the scenario schema)."""

    # nurture
    threshold: float
    score_quality_weight: float
    engagement_rate: float
    scoring_noise: float
    feedback_max_noise_reduction: float
    feedback_half_saturation: float
    cold_hazard: float
    max_nurture_days: float
    # hand-off
    follow_up_rate: float
    neglect_under_load: float
    cherry_pick: float
    recycle_rejected: float
    feedback_gain: float
    response_hours_mean: float
    response_sigma: float
    decay_half_life_hours: float
    decay_floor: float
    qualify_probability: float
    qualify_odds_multiplier: float
    quality_odds_weight: float
    qualification_days: float
    # pipeline
    stage_mean_days: tuple[float, ...]
    stage_advance: tuple[float, ...]
    stage_late: tuple[bool, ...]
    cycle_factor_early: float
    cycle_factor_late: float
    late_win_odds_multiplier: float
    brand_win_odds_lift: float
    brand_cycle_reduction: float
    brand_discount_reduction: float
    segment_deal_size: tuple[float, ...]
    segment_cycle_multiplier: tuple[float, ...]
    base_discount: float
    max_discount: float
    discount_pressure: float
    period_days: float
    push_window_days: float
    push_discount: float
    pull_forward_days: float
    pull_forward_probability: float
    push_win_odds_factor: float

    @classmethod
    def from_scenario(cls, s: ResolvedScenario) -> Policy:
        """Flatten the resolved scenario of one period (every preset field explicit)."""
        sp, mp = s.incentives.sales, s.incentives.marketing
        lv, fx = s.alignment.levers, s.alignment.effects
        ct, ts, sm = lv.cross_training, lv.tactical_support, lv.shared_metrics
        content = s.nurture.content_effectiveness * (1.0 + fx.cross_training_content_lift * ct)
        early = 1.0 - fx.cross_training_cycle_reduction * ct
        response = s.sales.response_hours_mean
        if lv.sla:
            response = min(response, lv.sla_hours)
        return cls(
            threshold=min(max(s.nurture.handoff_threshold + mp.threshold_shift, 0.0), 1.0),
            score_quality_weight=s.nurture.quality_weight,
            engagement_rate=engagement_rate(s.nurture.touches_per_week, content),
            scoring_noise=s.nurture.scoring_noise * lv.scoring_noise_factor,
            feedback_max_noise_reduction=fx.feedback_max_noise_reduction,
            feedback_half_saturation=fx.feedback_half_saturation_leads,
            cold_hazard=s.nurture.cold_hazard_per_day,
            max_nurture_days=s.nurture.max_nurture_days,
            follow_up_rate=sp.follow_up_rate,
            neglect_under_load=sp.neglect_under_load * (1.0 - sm),
            cherry_pick=sp.cherry_pick * (1.0 - sm),
            recycle_rejected=lv.recycle_rejected,
            feedback_gain=sp.feedback_rate * lv.feedback_loop,
            response_hours_mean=response,
            response_sigma=math.sqrt(math.log1p(s.sales.response_hours_cv**2)),
            decay_half_life_hours=s.sales.response_decay.half_life_hours,
            decay_floor=s.sales.response_decay.floor,
            qualify_probability=s.sales.qualify_probability,
            qualify_odds_multiplier=1.0 + fx.cross_training_qualify_lift * ct,
            quality_odds_weight=s.sales.quality_odds_weight,
            qualification_days=s.sales.qualification_days,
            stage_mean_days=tuple(st.duration.mean_days for st in s.sales.stages),
            stage_advance=tuple(st.advance_probability for st in s.sales.stages),
            stage_late=tuple(st.late_stage for st in s.sales.stages),
            cycle_factor_early=early,
            cycle_factor_late=max(early - fx.tactical_support_cycle_reduction * ts, 0.05),
            late_win_odds_multiplier=1.0 + fx.tactical_support_win_odds_lift * ts,
            brand_win_odds_lift=s.marketing.brand_effects.win_odds_lift,
            brand_cycle_reduction=s.marketing.brand_effects.cycle_reduction,
            brand_discount_reduction=s.marketing.brand_effects.discount_reduction,
            segment_deal_size=tuple(g.deal_size_mean for g in s.leads.segments),
            segment_cycle_multiplier=tuple(g.cycle_multiplier for g in s.leads.segments),
            base_discount=s.sales.base_discount,
            max_discount=s.sales.max_discount,
            discount_pressure=sp.discount_pressure,
            period_days=s.sales.period_days,
            push_window_days=sp.push_window_days,
            push_discount=sp.push_discount,
            pull_forward_days=sp.pull_forward_days,
            pull_forward_probability=sp.pull_forward_probability,
            push_win_odds_factor=sp.push_win_odds_factor,
        )

    def noise_after_feedback(self, feedback_items: float) -> float:
        """Scoring noise once sales has fed back on ``feedback_items`` leads."""
        learned = feedback_items / (feedback_items + self.feedback_half_saturation)
        return self.scoring_noise * (1.0 - self.feedback_max_noise_reduction * learned)
