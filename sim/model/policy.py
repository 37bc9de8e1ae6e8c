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

from sim.model.mechanisms import (
    content_relevance,
    engagement_rate,
    first_response_hours,
    learned_share,
    qualify_multiplier,
    unmanaged_response_share,
)
from sim.model.records import Source
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
    response_within_1h: float
    response_within_24h: float
    response_tail_mean_hours: float
    response_band_shape: float
    sla_hours: float | None  # None: no SLA
    sla_compliance: float
    sla_met_share: float  # share answered within the SLA hours without the SLA (0: no SLA)
    decay_first_vs_second_hour: float
    decay_first_hour_vs_day: float
    response_reach: tuple[tuple[float, ...], ...]  # [source][segment]
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
    # effort against quota and trust in marketing's leads (part of the sales plan)
    quota_per_rep_period: float
    quota_effort_odds: float
    give_up_pace: float
    give_up_effort_odds: float
    above_quota_effort_odds: float
    mql_trust_elasticity: float
    mql_trust_floor: float
    mql_trust_reference_quality: float
    mql_trust_half_life_days: float
    # sales content (collateral): used when relevant, it raises stage-advance odds
    content_win_odds_lift: float
    content_base_relevance: float
    content_relevance_from_feedback: float
    cross_training: float
    content_relevance_from_cross_training: float
    # customer data recorded by sales, teaching marketing's targeting
    capture_rate: float
    capture_days: float  # expected extra rep days per lead responded to
    data_half_saturation: float
    data_quality_gain: float
    data_noise_reduction: float

    @classmethod
    def from_scenario(cls, s: ResolvedScenario) -> Policy:
        """Flatten the resolved scenario of one period (every preset field explicit)."""
        sp, mp = s.incentives.sales, s.incentives.marketing
        lv, fx = s.alignment.levers, s.alignment.effects
        ct, ts, sm = lv.cross_training, lv.tactical_support, lv.shared_metrics
        content = s.nurture.content_effectiveness * (1.0 + fx.cross_training_content_lift * ct)
        early = 1.0 - fx.cross_training_cycle_reduction * ct
        decay = s.sales.response_decay
        reach_by_source = {Source.ORGANIC: decay.reach_organic,
                           Source.PROMOTION: decay.reach_promotion,
                           Source.HAND_RAISER: s.leads.hand_raisers.response_reach}
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
            response_within_1h=s.sales.response_within_1h,
            response_within_24h=s.sales.response_within_24h,
            response_tail_mean_hours=s.sales.response_tail_mean_hours,
            response_band_shape=s.sales.response_band_shape,
            sla_hours=lv.sla_hours if lv.sla else None,
            sla_compliance=lv.sla_compliance,
            sla_met_share=0.0 if not lv.sla else unmanaged_response_share(
                lv.sla_hours, s.sales.response_within_1h, s.sales.response_within_24h,
                s.sales.response_tail_mean_hours, s.sales.response_band_shape),
            decay_first_vs_second_hour=decay.first_vs_second_hour,
            decay_first_hour_vs_day=decay.first_hour_vs_day,
            response_reach=tuple(
                tuple(reach_by_source[source] * g.response_reach for g in s.leads.segments)
                for source in sorted(Source)),
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
            quota_per_rep_period=sp.quota_per_rep_period,
            quota_effort_odds=sp.quota_effort_odds,
            give_up_pace=sp.give_up_pace,
            give_up_effort_odds=sp.give_up_effort_odds,
            above_quota_effort_odds=sp.above_quota_effort_odds,
            mql_trust_elasticity=sp.mql_trust_elasticity,
            mql_trust_floor=sp.mql_trust_floor,
            mql_trust_reference_quality=sp.mql_trust_reference_quality,
            mql_trust_half_life_days=sp.mql_trust_half_life_days,
            content_win_odds_lift=s.marketing.content.win_odds_lift,
            content_base_relevance=s.marketing.content.base_relevance,
            content_relevance_from_feedback=fx.content_relevance_from_feedback,
            cross_training=ct,
            content_relevance_from_cross_training=fx.content_relevance_from_cross_training,
            capture_rate=s.sales.data_capture.capture_rate,
            capture_days=s.sales.data_capture.capture_rate * s.sales.data_capture.days_per_record,
            data_half_saturation=s.sales.data_capture.half_saturation_records,
            data_quality_gain=s.sales.data_capture.promotion_quality_gain,
            data_noise_reduction=s.sales.data_capture.scoring_noise_reduction,
        )

    def response_delay_hours(self, luck: float) -> float:
        """Hours from a rep taking a lead to its first response.

        Args:
            luck: the lead's response luck, a standard normal
                (:attr:`sim.model.luck.Luck.RESPONSE`); larger is later.
        """
        u = 0.5 * math.erfc(-luck / math.sqrt(2.0))  # back to its uniform
        return first_response_hours(
            u, self.response_within_1h, self.response_within_24h, self.response_tail_mean_hours,
            self.response_band_shape, self.sla_hours, self.sla_compliance, self.sla_met_share,
        )

    def qualify_multiplier(self, hours: float, source: int, segment: int) -> float:
        """Multiplier on the chance to qualify a lead first contacted ``hours`` after its MQL."""
        return qualify_multiplier(hours, self.response_reach[source][segment],
                                  self.decay_first_vs_second_hour, self.decay_first_hour_vs_day)

    def content_relevance(self, feedback_items: float) -> float:
        """Share of sales content used once sales has fed back on ``feedback_items`` leads.

        Feedback teaches what resonates at the pace it teaches scoring (half
        of what it can after ``feedback_half_saturation`` items).
        """
        learned = feedback_items / (feedback_items + self.feedback_half_saturation)
        return content_relevance(self.content_base_relevance, learned,
                                 self.content_relevance_from_feedback, self.cross_training,
                                 self.content_relevance_from_cross_training)

    def data_learned(self, records: float) -> float:
        """Share of what targeting can learn that ``records`` (age-weighted) have taught."""
        return learned_share(records, self.data_half_saturation)

    def noise_after_feedback(self, feedback_items: float) -> float:
        """Scoring noise once sales has fed back on ``feedback_items`` leads."""
        learned = feedback_items / (feedback_items + self.feedback_half_saturation)
        return self.scoring_noise * (1.0 - self.feedback_max_noise_reduction * learned)
