"""The scenario schema: a validated description of a company and its plans, in two forms.

- :class:`Scenario` is what people write: the company, preset names for the
  incentive plans and the alignment stage, and optional field-by-field
  overrides of those presets. Unknown keys are rejected.
- :class:`ResolvedScenario` is what the engine accepts: the numbers in force
  for one period, every preset field explicit and neutral mode applied, with
  no optional field left. :meth:`Scenario.resolve` and
  :meth:`Scenario.periods` make it.

Every field carries a description, a unit and a default, so this module is also
the reference documentation (``python run.py schema`` prints it as JSON Schema).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.errors import ScenarioError
from sim.scenario.fields import Section, param
from sim.scenario.overrides import (
    STARTING_KEYS,
    WHY_FIXED,
    Source,
    apply_overrides,
    fixed_key_of,
    fixed_keys,
    get_path,
    overridden,
)
from sim.scenario.plans import (
    AlignmentLeverOverrides,
    AlignmentLevers,
    MarketingPlan,
    MarketingPlanOverrides,
    SalesPlan,
    SalesPlanOverrides,
)
from sim.scenario.presets import (
    ALIGNMENT_STAGES,
    MARKETING_PLANS,
    NEUTRAL_OVERRIDES,
    SALES_PLANS,
    AlignmentStage,
    MarketingPlanName,
    PresetTable,
    SalesPlanName,
    alignment_stage,
    marketing_plan,
    sales_plan,
)

__all__ = [
    "AlignmentStage",
    "DurationKind",
    "MarketingPlanName",
    "ResolvedScenario",
    "SalesPlanName",
    "Scenario",
]

DurationKind = Literal["exponential", "lognormal", "gamma", "fixed"]


# --- marketing --------------------------------------------------------------------


class Saturation(Section):
    """Hill saturation of a spend stock, expressed as effective daily spend."""

    half_saturation_daily_spend: float = param(
        3000.0, "Steady daily spend that gives half of the maximum effect (assumption: about the "
        "baseline's own spend, so it sits mid-curve).", "currency/day", ge=0.01, le=1e9
    )
    shape: float = param(
        1.0, "Hill shape: 1 is concave, above 1 is S-shaped (Meridian, PyMC-Marketing forms).",
        "-", gt=0, le=10,
    )


class BrandEffects(Section):
    """How brand equity (0..1) changes sales outcomes (Binet & Field)."""

    win_odds_lift: float = param(
        0.5, "Multiplier on stage-advance odds is 1 + lift x brand equity (assumption; "
        "plausible range 0.25-0.75).", "-", ge=0, le=10,
    )
    cycle_reduction: float = param(
        0.15, "Stage durations shrink by this fraction at full brand equity (assumption; "
        "plausible range 0.05-0.25).", "fraction", ge=0, le=0.9,
    )
    discount_reduction: float = param(
        0.4, "Base discount shrinks by this fraction at full brand equity (pricing power) "
        "(assumption; plausible range 0.2-0.6).", "fraction", ge=0, le=1,
    )


class Content(Section):
    """Sales content (collateral): case studies, battle cards, proposal templates.

    A share of the marketing budget builds a library of content (a stock that
    ages with a half-life, saturated like the brand stock). Sales uses a piece
    only when it is relevant; relevance starts at ``base_relevance`` and rises
    with sales feedback on what resonates and with joint content work
    (``alignment.effects.content_relevance_*``). Used content raises every
    stage's advance odds; the spend on content nobody uses is wasted (metric
    ``content_wasted``). ``budget_share`` 0 switches it off (the neutral setting).
    """

    budget_share: float = param(
        0.0, "Share of the annual marketing budget spent on sales content, taken before the "
        "brand/promotion split; 0: none (assumption when on: 0.05-0.15).", "fraction",
        ge=0, le=0.9,
    )
    half_life_days: float = param(
        365.0, "Half-life of the content library: content ages as products, prices and "
        "competitors change (assumption; plausible range 180-730).", "days", ge=0, le=3650,
    )
    half_saturation_daily_spend: float = param(
        400.0, "Steady daily content spend that gives half of the fullest useful library "
        "(assumption: about 150,000 a year; plausible range 200-800 a day).",
        "currency/day", ge=0.01, le=1e9,
    )
    win_odds_lift: float = param(
        0.3, "Stage-advance odds are multiplied by 1 + lift x library x relevance, with the "
        "library (saturated stock) and relevance in 0-1 (assumption; plausible range "
        "0.1-0.5).", "-", ge=0, le=10,
    )
    base_relevance: float = param(
        0.35, "Share of content sales finds relevant and uses with no feedback and no joint "
        "work: the commonly cited industry figure is that 60-70% of marketing content goes "
        "unused by sales (SiriusDecisions); plausible range 0.3-0.4.", "fraction", ge=0, le=1,
    )


class Marketing(Section):
    """Spend plan, adstock stocks and lead arrivals (MODEL.md section 2)."""

    annual_budget: float = param(
        2_000_000.0, "Marketing budget per year, brand plus promotion.", "currency/year", ge=0,
        le=1e12,
    )
    brand_share: float = param(
        0.46, "Share of the budget spent on brand; the rest is promotion (activation). "
        "0.46 is Binet & Field's B2B reference split.", "fraction", ge=0, le=1,
    )
    prior_annual_budget: float | None = param(
        2_000_000.0, "Today's budget: the plan run before day 0 (the warm-up), which sets the "
        "brand and promotion stocks, the open pipeline and the reps' load on day 0, so a "
        "different annual_budget is a move from today's plan on day 0. null asks for a "
        "steady-state comparison instead: the same as annual_budget, as if the plan had "
        "always been in force.", "currency/year", ge=0, le=1e12,
    )
    prior_brand_share: float | None = param(
        0.46, "Today's brand share: the split run before day 0 (the warm-up), so a different "
        "brand_share (by file, --set, sweep or optimize) is a move from today's split on day 0. "
        "null asks for a steady-state comparison instead: the same as brand_share, as if the "
        "split had always been in force.", "fraction", ge=0, le=1,
    )
    brand_half_life_days: float = param(
        180.0, "Half-life of the brand stock (Binet & Field: brand effects show after ~6 months).",
        "days", ge=0, le=3650,
    )
    promo_half_life_days: float = param(
        7.0, "Half-life of the promotion stock (Robyn: digital theta 0-0.3 per week).", "days",
        ge=0, le=365,
    )
    brand_saturation: Saturation = param(Saturation, "Saturation of the brand stock.")
    promo_saturation: Saturation = param(Saturation, "Saturation of the promotion stock.")
    organic_leads_per_day: float = param(
        8.0, "Organic (inbound, word of mouth) leads per day with no brand equity "
        "(assumption: with "
        "promotion, ~10,000 leads a year for a mid-size firm).", "leads/day",
        ge=0, le=10_000,
    )
    organic_gain: float = param(
        1.0, "Organic rate is multiplied by 1 + gain x brand equity (assumption).", "-", ge=0,
        le=100,
    )
    promo_max_leads_per_day: float = param(
        30.0, "Promotion-sourced leads per day at full promotion saturation (assumption).",
        "leads/day", ge=0, le=10_000,
    )
    brand_effects: BrandEffects = param(BrandEffects, "Effects of brand equity on sales.")
    content: Content = param(Content, "Sales content (collateral) and its relevance.")


# --- leads -------------------------------------------------------------------------


class Segment(Section):
    """A customer segment with its own deal size, cycle length and buying window."""

    name: str = param("mid_market", "Segment name.", min_length=1)
    share: float = param(1.0, "Share of new leads in this segment.", "fraction", ge=0, le=1)
    deal_size_mean: float = param(40_000.0, "Mean list deal size.", "currency", gt=0, le=1e9)
    deal_size_cv: float = param(
        0.6, "Coefficient of variation of deal size (lognormal).", "-", ge=0, le=5
    )
    cycle_multiplier: float = param(
        1.0, "Multiplier on every sales-stage duration (set so SQL-to-close medians match industry "
        "benchmarks: SMB 2-4 weeks, mid-market 1-3 months, enterprise 3-6+ months).", "-",
        gt=0, le=20
    )
    buying_window_days_mean: float = param(
        120.0, "Mean time a lead stays in-market (exponential); a lead not worked by then buys "
        "elsewhere or decides not to buy.", "days", gt=0, le=36_500,
    )
    response_reach: float = param(
        1.0, "Multiplier on the share of a lead's chance to qualify that depends on catching "
        "it while it is live (sales.response_decay.reach_*): 1 as for the inbound leads "
        "Oldroyd et al. measured; less where a buying committee decides over months "
        "(assumption: enterprise 0.5, plausible range 0.25-0.75).", "fraction", ge=0, le=1,
    )


def _default_segments() -> list[Segment]:
    return [
        Segment(name="smb", share=0.50, deal_size_mean=10_000.0, deal_size_cv=0.5,
                cycle_multiplier=0.4, buying_window_days_mean=60.0),
        Segment(name="mid_market", share=0.35, deal_size_mean=40_000.0, deal_size_cv=0.6,
                cycle_multiplier=1.0, buying_window_days_mean=120.0),
        Segment(name="enterprise", share=0.15, deal_size_mean=150_000.0, deal_size_cv=0.8,
                cycle_multiplier=2.5, buying_window_days_mean=240.0, response_reach=0.5),
    ]


class QualityDistribution(Section):
    """Beta(a, b) distribution of a lead's latent propensity to buy."""

    a: float = param(2.0, "Beta shape a.", "-", gt=0, le=1000)
    b: float = param(3.0, "Beta shape b.", "-", gt=0, le=1000)


class HandRaisers(Section):
    """Customer-initiated requests (demo and contact forms): a source of leads of its own.

    A hand-raiser asks for sales: it skips nurture (an MQL the moment it
    arrives), has high intent, a short buying window, and its chance to
    qualify follows the whole response-decay curve (Oldroyd et al. 2011
    studied exactly such web inquiries). Its rate grows with brand equity and
    with the promotion stock (digital presence): ``per_day x (1 + brand_gain x
    brand equity) x (1 + promotion_gain x promotion effect)``. ``per_day`` 0
    switches the source off (the neutral setting).
    """

    per_day: float = param(
        0.0, "Hand-raisers per day with no brand equity and no promotion stock; 0: none "
        "(assumption when on: 0.5-3 a day for a mid-size firm, a tenth to a third of its "
        "inbound).", "leads/day", ge=0, le=10_000,
    )
    brand_gain: float = param(
        1.0, "The rate is multiplied by 1 + gain x brand equity: buyers ask for a demo from "
        "vendors they know (assumption; plausible range 0.5-2, as organic_gain).", "-",
        ge=0, le=100,
    )
    promotion_gain: float = param(
        0.5, "The rate is multiplied by 1 + gain x promotion effect (saturated promotion "
        "stock, 0-1): search and paid presence bring people to the form (assumption; "
        "plausible range 0-1).", "-", ge=0, le=100,
    )
    quality: QualityDistribution = Field(
        default_factory=lambda: QualityDistribution(a=4.0, b=2.0),
        description="Quality of hand-raisers: high intent, mean 0.67 against 0.4 for organic "
        "and 0.27 for promotion leads (assumption; mean plausible 0.55-0.8).",
    )
    buying_window_days_mean: float = param(
        14.0, "Mean days a hand-raiser stays in-market (exponential), whatever its segment: "
        "not answered, it buys elsewhere or goes cold within days (assumption; plausible "
        "range 7-30).", "days", gt=0, le=36_500,
    )
    response_reach: float = param(
        1.0, "Share of a hand-raiser's chance to qualify that depends on catching it while "
        "it is live: 1, the leads Oldroyd et al. measured were such web inquiries "
        "(plausible range 0.8-1).", "fraction", ge=0, le=1,
    )


class Leads(Section):
    """Segments, lead quality by source and buying windows (MODEL.md section 3)."""

    segments: list[Segment] = Field(
        default_factory=_default_segments, min_length=1, max_length=20,
        description="Customer segments; shares must sum to 1.",
    )
    quality_organic: QualityDistribution = param(
        QualityDistribution, "Quality of organic and brand-driven leads."
    )
    quality_promotion: QualityDistribution = Field(
        default_factory=lambda: QualityDistribution(a=1.5, b=4.0),
        description="Quality of promotion-sourced leads (lower intent).",
    )
    initial_engagement_organic: float = param(
        0.0, "Engagement an organic lead starts nurture with.", "0-1", ge=0, lt=1
    )
    initial_engagement_promotion: float = param(
        0.4, "Engagement a promotion lead starts with: it has just answered an offer, so it is "
        "in-market now and reaches the threshold sooner (assumption).", "0-1", ge=0, lt=1,
    )
    buying_window: bool = param(
        True, "Whether leads leave the market when their buying window closes (false: never).",
    )
    hand_raisers: HandRaisers = param(
        HandRaisers, "Customer-initiated requests (demo, contact forms): straight to sales."
    )

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: list[Segment]) -> list[Segment]:
        total = sum(s.share for s in segments)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"segment shares must sum to 1, got {total:g}")
        names = [s.name for s in segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segment names must be unique, got {names}")
        return segments


# --- nurture -----------------------------------------------------------------------


class Nurture(Section):
    """Engagement, lead scoring and the MQL hand-off threshold (MODEL.md section 4)."""

    handoff_threshold: float = param(
        0.5, "Lead score at which a lead becomes an MQL and is handed to sales.", "score 0-1",
        ge=0, le=1,
    )
    quality_weight: float = param(
        0.6, "Weight of latent quality in the lead score; the rest is engagement.", "-", ge=0,
        lt=1,
    )
    touches_per_week: float = param(
        2.0, "Nurture touches per week (assumption).", "touches/week", ge=0, le=100
    )
    content_effectiveness: float = param(
        0.15, "Fraction of the remaining engagement gap one touch closes.", "fraction", ge=0,
        lt=1,
    )
    scoring_noise: float = param(
        0.12, "Standard deviation of the error in the lead score marketing sees.", "score",
        ge=0, le=2,
    )
    cold_hazard_per_day: float = param(
        1 / 90, "Rate at which a nurtured lead goes cold (assumption: ~3 months).", "1/day",
        ge=0, le=10
    )
    max_nurture_days: float = param(
        365.0, "Leads still in nurture after this long are dropped (assumption).", "days", gt=0,
        le=36_500,
    )


# --- sales -------------------------------------------------------------------------


class Duration(Section):
    """A stage duration distribution with its mean and coefficient of variation."""

    distribution: DurationKind = param("lognormal", "Family: exponential, lognormal, gamma, fixed.")
    mean_days: float = param(10.0, "Mean duration before multipliers.", "days", ge=0,
                             le=36_500)
    cv: float = param(
        0.6, "Coefficient of variation (ignored by exponential and fixed).", "-", ge=0, le=5
    )


class Stage(Section):
    """One stage of the sales pipeline."""

    name: str = param("stage", "Stage name.", min_length=1)
    duration: Duration = param(Duration, "Duration of the stage.")
    advance_probability: float = param(
        0.6, "Chance an average lead (quality 0.5, no brand) passes the stage.", "probability",
        ge=0, le=1,
    )
    late_stage: bool = param(
        False, "Whether tactical marketing support applies here (proposal, negotiation).",
    )


def _default_stages() -> list[Stage]:
    return [
        Stage(name="discovery", duration=Duration(mean_days=10.0, cv=0.6),
              advance_probability=0.9),
        Stage(name="solution", duration=Duration(mean_days=14.0, cv=0.6),
              advance_probability=0.65),
        Stage(name="proposal", duration=Duration(mean_days=14.0, cv=0.6),
              advance_probability=0.55, late_stage=True),
        Stage(name="negotiation", duration=Duration(mean_days=10.0, cv=0.6),
              advance_probability=0.7, late_stage=True),
    ]


class ResponseDecay(Section):
    """How the chance to qualify a lead falls with its first-response time, and for which leads.

    The curve is stated by response band, at the resolution of the evidence
    (Oldroyd, McElheran & Elkington, HBR 2011, 1.25 M web-generated leads of 29
    B2C and 13 B2B firms, compared across firms): flat within the first hour,
    ``1 / first_vs_second_hour`` in the second, ``1 / first_hour_vs_day`` from a
    day on, log-linear between 2 h and 24 h (no published figure there). How
    much of a lead's chance depends on catching it while it is live (its
    reach) is an assumption by source and by segment (``leads.segments.*.
    response_reach``): the ratios apply in full only to inbound-like leads.
    """

    first_vs_second_hour: float = param(
        6.5, "Chance to qualify a lead first contacted within an hour over one first contacted "
        "in the second hour (Oldroyd et al. 2011: nearly 7x).", "ratio", ge=1, le=1000,
    )
    first_hour_vs_day: float = param(
        65.0, "Chance to qualify a lead first contacted within an hour over one first contacted "
        "after 24 hours or more (Oldroyd et al. 2011: more than 60x).", "ratio", ge=1,
        le=100_000,
    )
    reach_promotion: float = param(
        1.0, "Share of a promotion lead's chance to qualify that depends on catching it while "
        "it is live. Promotion leads answered an offer, like the web-generated inbound leads "
        "Oldroyd et al. measured, so the curve applies in full (assumption; plausible range "
        "0.7-1).", "fraction", ge=0, le=1,
    )
    reach_organic: float = param(
        0.5, "Share of an organic lead's chance to qualify that depends on catching it while "
        "it is live: organic MQLs crossed the hand-off threshold after weeks of nurture, not "
        "at a moment of inquiry (assumption; plausible range 0.25-0.75).", "fraction", ge=0,
        le=1,
    )

    @model_validator(mode="after")
    def _day_at_least_second_hour(self) -> ResponseDecay:
        if self.first_hour_vs_day < self.first_vs_second_hour:
            raise ValueError(
                f"first_hour_vs_day ({self.first_hour_vs_day:g}) must be >= "
                f"first_vs_second_hour ({self.first_vs_second_hour:g}): a later first contact "
                "never qualifies more often"
            )
        return self


class Staffing(Section):
    """Sales headcount over time: hiring lag, ramp-up, attrition, handover (MODEL.md capacity).

    The planned headcount is ``sales.reps``, which may change on the timeline.
    The defaults switch attrition off, so a run with a fixed ``sales.reps`` keeps
    its reps throughout; ``neutral`` also removes the lag and the ramp.
    """

    hiring_lag_days: float = param(
        60.0, "Days from the timeline step that raises sales.reps until the hires join and are "
        "paid (assumption; plausible range 30-120: recruiting a B2B rep commonly takes one to "
        "four months).", "days", ge=0, le=3650,
    )
    ramp_days: float = param(
        180.0, "Days a new rep takes to reach full capacity: their active-lead slots open "
        "linearly from one on the first day to all from this day on (assumption; plausible "
        "range 90-270: three to nine months is commonly reported in sales-industry surveys).",
        "days", ge=0, le=3650,
    )
    attrition_annual: float = param(
        0.0, "Annual rate at which reps leave (exponential tenure; each leaver is replaced). "
        "Off by default so a fixed headcount stays fixed (assumption; plausible range "
        "0.20-0.35 a year is commonly reported for B2B sales reps).", "per year", ge=0, le=20,
    )
    replacement_lag_days: float = param(
        60.0, "Days from a rep leaving by attrition until the replacement joins (assumption; "
        "plausible range 30-120, as the hiring lag).", "days", ge=0, le=3650,
    )
    handover_loss: float = param(
        0.2, "Chance that an open lead of a rep who leaves is lost in the handover; the others "
        "continue with another rep if one has a free slot, else they are lost too "
        "(assumption; plausible range 0.05-0.4).", "probability", ge=0, le=1,
    )


class DataCapture(Section):
    """Sales recording customer data (needs, roles, reasons won and lost) for marketing.

    A rep records it on a share of the leads responded to (``capture_rate``,
    raised by a reward in the sales plan or a program), which takes rep time
    (qualification lasts longer). The records teach marketing's targeting over
    months: promotion leads get better and lead scoring less noisy, as the
    records accumulate (and age: half of a record's worth is gone after
    ``half_life_days``). ``capture_rate`` 0 switches it off (the neutral setting).
    """

    capture_rate: float = param(
        0.0, "Share of the leads responded to on which the rep records customer data; 0: "
        "none (assumption when rewarded: 0.3-0.8).", "fraction", ge=0, le=1,
    )
    days_per_record: float = param(
        0.25, "Extra rep time per record, added to the qualification time (assumption: about "
        "two hours of a working day; plausible range 0.1-0.5).", "days", ge=0, le=30,
    )
    half_saturation_records: float = param(
        3000.0, "Records (weighted by age) that teach half of what targeting can learn "
        "(assumption; plausible range 1500-6000).", "records", gt=0, le=1e9,
    )
    half_life_days: float = param(
        365.0, "Half-life of a record's worth: markets and contacts change (assumption; "
        "plausible range 180-730).", "days", gt=0, le=36_500,
    )
    promotion_quality_gain: float = param(
        0.15, "Share of the quality gap (1 - quality) of promotion leads that full learning "
        "closes: better targeting brings better-fitting leads (assumption; plausible range "
        "0.05-0.3).", "fraction", ge=0, le=1,
    )
    scoring_noise_reduction: float = param(
        0.3, "Cut in scoring noise at full learning: scoring on firmographics and needs "
        "(assumption; plausible range 0.1-0.5).", "fraction", ge=0, le=1,
    )


class Sales(Section):
    """Reps, response, qualification, pipeline stages and pricing (MODEL.md 5-7)."""

    reps: int = param(
        8, "Number of sales reps (with their salary, sales cost ~10% of revenue: Chung et al.). "
        "On the timeline, the planned headcount: a rise hires, a fall lets the latest hires go "
        "(sales.staffing).", "reps", ge=1, le=100_000,
    )
    slots_per_rep: int = param(
        20, "Active leads a rep can hold at once, from acceptance to close: the baseline's "
        "reps are about 78% busy, the 70-80% of a sales team with some headroom "
        "(assumption; plausible range 15-25).", "leads", ge=1, le=10_000,
    )
    response_within_1h: float = param(
        0.48, "Share of first responses within an hour of a rep taking the lead, with no SLA "
        "(Oldroyd et al. 2011: of 2,241 firms sent a web lead, 37% answered within an hour, "
        "16% in 1-24 h, 24% later, 23% never; 37/77 of those that answered). Leads never "
        "followed up are the follow-up mechanism (incentives.sales), not a delay.", "fraction",
        ge=0, le=1,
    )
    response_within_24h: float = param(
        0.69, "Share of first responses within 24 hours, with no SLA (Oldroyd et al. 2011: "
        "(37 + 16)/77).", "fraction", ge=0, le=1,
    )
    response_tail_mean_hours: float = param(
        129.0, "Mean delay of the first responses that come after 24 hours, with no SLA "
        "(exponential beyond 24 h). 129 gives Oldroyd et al.'s mean of 42 h over all responses "
        "with the default band shape.", "hours", gt=24, le=100_000,
    )
    response_band_shape: float = param(
        2.0, "How responses spread inside a band (the first hour, 1-24 h, or an SLA's hours): "
        "a share x of the band's width holds x^(1/shape) of its responses. 1 spreads them "
        "evenly, 2 puts half in the first quarter, 0.5 bunches them towards the band's end "
        "(a deadline). Published band figures cannot tell it (assumption; plausible range "
        "0.5-8: responses thin out with time across Oldroyd et al.'s bands, so within a band "
        "too, up to steeply; an SLA deadline may bunch them late). Three-year revenue moves "
        "by less than 10% over the range (tests/behaviour/test_response_shape.py).", "-",
        gt=0, le=50,
    )
    response_decay: ResponseDecay = param(
        ResponseDecay, "How the chance to qualify falls with the first-response time, and for "
        "which leads."
    )
    qualify_probability: float = param(
        0.6, "Chance an average lead first contacted within the hour is reached and qualified "
        "(before the response decay of later contacts). 0.6 since the decay curve is flat "
        "within the first hour (it was 0.95 at an instant contact on a curve that fell within "
        "it): it keeps the baseline's rep utilisation (~77%) and lead-to-customer rate (~3.4%) "
        "where they were (assumption).", "probability", ge=0, le=1,
    )
    qualification_days: float = param(
        2.0, "Mean days a rep spends reaching and qualifying a lead (exponential), holding a "
        "slot, whether or not the lead qualifies (assumption).", "days", ge=0, le=365,
    )
    quality_odds_weight: float = param(
        3.0, "Odds of qualifying and of advancing are multiplied by exp(w x (quality - 0.5)).",
        "-", ge=0, le=50,
    )
    stages: list[Stage] = Field(
        default_factory=_default_stages, min_length=1, max_length=20,
        description="Pipeline stages in order; a lead becomes an opportunity when it passes the "
        "first.",
    )
    base_discount: float = param(
        0.10, "Discount on an average deal with no brand equity.", "fraction", ge=0, le=1
    )
    max_discount: float = param(0.40, "Largest discount ever granted.", "fraction", ge=0, le=1)
    rep_annual_salary: float = param(
        100_000.0, "Fully loaded salary of a rep.", "currency/year", ge=0, le=1e9
    )
    period_days: float = param(
        91.25, "Length of a sales period (quota and period-end push).", "days", ge=1,
        le=36_500,
    )
    staffing: Staffing = param(
        Staffing, "Headcount over time: hiring lag, ramp-up, attrition and handover of a "
        "leaver's leads (sales.reps on the timeline is the planned headcount)."
    )
    data_capture: DataCapture = param(
        DataCapture, "Customer data recorded by sales and what it teaches marketing's targeting."
    )

    @model_validator(mode="after")
    def _response_bands_in_order(self) -> Sales:
        if self.response_within_24h < self.response_within_1h:
            raise ValueError(
                f"response_within_24h ({self.response_within_24h:g}) must be >= "
                f"response_within_1h ({self.response_within_1h:g})"
            )
        return self

    @model_validator(mode="after")
    def _discount_order(self) -> Sales:
        if self.max_discount < self.base_discount:
            raise ValueError(
                f"max_discount ({self.max_discount:g}) must be >= base_discount "
                f"({self.base_discount:g})"
            )
        return self




# --- incentives --------------------------------------------------------------------


class _IncentivePlans(Section):
    """The names of the incentive plans (shared by the scenario and its resolved form)."""

    sales_plan: SalesPlanName = param(
        "revenue_commission", "Sales plan preset: revenue_commission, quota_accelerator or "
        "shared_revenue.",
    )
    marketing_plan: MarketingPlanName = param(
        "pipeline", "Marketing plan preset: mql_volume, pipeline or revenue."
    )


class Incentives(_IncentivePlans):
    """Sales and marketing incentive plans (MODEL.md section 8): presets and overrides."""

    sales: SalesPlanOverrides = param(
        SalesPlanOverrides, "Field-by-field overrides of the sales plan."
    )
    marketing: MarketingPlanOverrides = param(
        MarketingPlanOverrides, "Field-by-field overrides of the marketing plan."
    )

    @model_validator(mode="after")
    def _presets_still_count(self) -> Incentives:
        _refuse_stale(self.sales, SALES_PLANS, self.sales_plan, "incentives.sales",
                      "sales plan", "incentives.sales_plan")
        _refuse_stale(self.marketing, MARKETING_PLANS, self.marketing_plan,
                      "incentives.marketing", "marketing plan", "incentives.marketing_plan")
        return self


class ResolvedIncentives(_IncentivePlans):
    """The incentive plans in force, every field explicit (MODEL.md section 8)."""

    sales: SalesPlan = param(..., "The sales plan: its preset with the scenario's overrides.")
    marketing: MarketingPlan = param(
        ..., "The marketing plan: its preset with the scenario's overrides."
    )


# --- alignment ---------------------------------------------------------------------


class AlignmentEffects(Section):
    """Effect sizes of the alignment levers at full strength (assumptions)."""

    cross_training_content_lift: float = param(
        0.2, "Content effectiveness is multiplied by 1 + lift x cross_training (assumption; "
        "plausible range 0.1-0.5).", "-", ge=0, le=10,
    )
    cross_training_qualify_lift: float = param(
        0.1, "Qualify odds are multiplied by 1 + lift x cross_training (assumption; "
        "plausible range 0.05-0.3).", "-", ge=0, le=10,
    )
    cross_training_cycle_reduction: float = param(
        0.1, "Stage durations shrink by this fraction x cross_training (assumption; "
        "plausible range 0.05-0.25).", "fraction", ge=0, le=0.9,
    )
    tactical_support_win_odds_lift: float = param(
        0.4, "Late-stage advance odds are multiplied by 1 + lift x tactical_support: with the "
        "stages' lever values, integrated wins about 14% more of its opportunities than "
        "defined, inside the ~38% aligned-vs-not gap (MarketingProfs, vendor study) "
        "(assumption; plausible range 0.2-0.6).", "-", ge=0, le=10,
    )
    tactical_support_cycle_reduction: float = param(
        0.1, "Late-stage durations shrink by this fraction x tactical_support (assumption; "
        "plausible range 0.05-0.2).", "fraction", ge=0, le=0.9,
    )
    feedback_max_noise_reduction: float = param(
        0.5, "Largest cut in scoring noise that feedback can teach (assumption; plausible "
        "range 0.3-0.7).", "fraction", ge=0, le=1,
    )
    feedback_half_saturation_leads: float = param(
        500.0, "Feedback items that teach half of the largest cut (assumption; plausible "
        "range 250-1000).", "leads", gt=0, le=1e9,
    )
    content_relevance_from_feedback: float = param(
        0.6, "Share of the unused content that sales feedback on what resonates can make "
        "relevant, learned like scoring (half of it after feedback_half_saturation_leads "
        "items) (assumption; plausible range 0.3-0.8).", "fraction", ge=0, le=1,
    )
    content_feedback_half_life_days: float = param(
        90.0, "Half-life of what feedback taught about which content resonates: it ages as "
        "products, competitors and buyers' questions change, so content relevance needs a "
        "steady flow of feedback (lead scoring keeps all it learned) (assumption; plausible "
        "range 60-180).", "days", gt=0, le=36_500,
    )
    content_relevance_from_cross_training: float = param(
        0.4, "Share of the unused content that joint content work makes relevant at full "
        "cross_training (assumption; plausible range 0.2-0.6).", "fraction", ge=0, le=1,
    )


class Leadership(Section):
    """Who moves marketing money on evidence: two equal heads, or one revenue leader.

    From day 0, a review every ``review_days`` moves the brand share toward
    ``target_brand_share`` (the split the evidence points to). Two equal heads
    compete for the same funds: they close only part of the gap per review
    (a compromise), their decision takes effect after a long lag, and each
    move costs friction (re-planning, agency changes) as a share of the
    budget moved. One revenue leader closes the whole gap soon after each
    review, at the cost of the role. ``mode: none`` (the default) has no
    reviews: the brand share is the plan's.
    """

    mode: Literal["none", "two_heads", "one_leader"] = param(
        "none", "none: no reviews (the plan's split throughout); two_heads or one_leader."
    )
    target_brand_share: float = param(
        0.46, "Brand share the evidence points to, that reviews move toward (Binet & Field's "
        "B2B reference split, 46%).", "fraction", ge=0, le=1,
    )
    review_days: float = param(
        91.25, "Days between reviews of the split (a quarterly business review).", "days",
        ge=1, le=3650,
    )
    two_heads_lag_days: float = param(
        180.0, "Days from a review to the new split in force when two equal heads must agree "
        "on moving money between them (assumption: two quarters, a budget cycle; plausible "
        "range 90-365).", "days", ge=0, le=3650,
    )
    two_heads_step: float = param(
        0.5, "Share of the gap to the target two heads close per review: a compromise "
        "(assumption; plausible range 0.25-0.75).", "fraction", ge=0, le=1,
    )
    two_heads_friction: float = param(
        0.1, "Cost of each move by two heads, as a share of the annual budget moved "
        "(re-planning, agency and tool changes, meetings; assumption: 0.05-0.2).",
        "fraction", ge=0, le=1,
    )
    one_leader_lag_days: float = param(
        30.0, "Days from a review to the new split in force under one revenue leader "
        "(assumption: a month; plausible range 14-60).", "days", ge=0, le=3650,
    )
    one_leader_step: float = param(
        1.0, "Share of the gap to the target one leader closes per review (assumption; "
        "plausible range 0.75-1).", "fraction", ge=0, le=1,
    )
    leader_annual_cost: float = param(
        300_000.0, "Fully loaded annual cost of the revenue leader role (assumption: a chief "
        "revenue officer's pay; plausible range 200,000-500,000).", "currency/year",
        ge=0, le=1e9,
    )


class _AlignmentStage(Section):
    """The alignment stage's name (shared by the scenario and its resolved form)."""

    stage: AlignmentStage = param(
        "defined", "Alignment stage preset: undefined, defined, aligned or integrated."
    )
    leadership: Leadership = param(
        Leadership, "Two equal heads or one revenue leader moving the brand/promotion split."
    )


class Alignment(_AlignmentStage):
    """Relationship stage between sales and marketing (Kotler et al., HBR 2006)."""

    levers: AlignmentLeverOverrides = param(
        AlignmentLeverOverrides, "Field-by-field overrides of the levers."
    )
    effects: AlignmentEffects = param(AlignmentEffects, "Effect sizes of the levers.")

    @model_validator(mode="after")
    def _stage_still_counts(self) -> Alignment:
        _refuse_stale(self.levers, ALIGNMENT_STAGES, self.stage, "alignment.levers", "stage",
                      "alignment.stage")
        return self


class ResolvedAlignment(_AlignmentStage):
    """The alignment stage in force, every lever explicit (Kotler et al., HBR 2006)."""

    levers: AlignmentLevers = param(..., "The levers: the stage's, with the scenario's overrides.")
    effects: AlignmentEffects = param(AlignmentEffects, "Effect sizes of the levers.")


def _refuse_stale(overrides: Section, table: PresetTable, chosen: str, section: str,
                  kind: str, name_key: str) -> None:
    """Refuse overrides that repeat every field of another preset than the one named.

    That is a scenario written out in full whose preset name was changed
    afterwards: the overrides would hide the new preset entirely, so the
    change would silently do nothing.
    """
    given = overrides.model_dump(exclude_none=True)
    if len(given) < len(type(overrides).model_fields):
        return
    for name, values in table.items():
        if name != chosen and given == dict(values):
            raise ValueError(
                f"{section} repeats every value of {kind} '{name}', so {name_key} '{chosen}' "
                f"would change nothing; delete {section} to use '{chosen}' (or keep only the "
                "fields that should differ from it)"
            )


# --- finance and timeline ----------------------------------------------------------


class Finance(Section):
    """Economics used to turn revenue into contribution."""

    gross_margin: float = param(
        0.75, "Gross margin on revenue (contribution = margin x revenue - costs; assumption, "
        "typical "
        "of B2B software and services).", "fraction",
        ge=0, le=1,
    )


class TimelineChange(Section):
    """A change of plan that takes effect on a given day."""

    day: float = param(0.0, "Day the change takes effect.", "days", ge=0, le=36_500)
    set: dict[str, Any] = Field(
        min_length=1, description="Dotted key paths and their new values, as with --set."
    )
    note: str = param("", "What the change means, for people.")


# --- the scenario ------------------------------------------------------------------


class _Common(Section):
    """The fields a scenario and its resolved form share."""

    name: str = param("scenario", "Short name, used in report folder names.", min_length=1,
                      max_length=200)
    description: str = param("", "What the scenario represents and which question it answers.")
    horizon_days: float = param(1095.0, "Simulated days from day 0.", "days", gt=0, le=36_500)
    warmup_days: float = param(
        365.0, "Days simulated before day 0 under today's marketing plan (marketing.prior_*), "
        "so a run starts from today's business: brand and promotion stocks, leads in nurture, "
        "the open pipeline and the reps' load. Warm-up leads are not in the cohort counts, "
        "but their deals closed from day 0 on are booked. 365 reaches the steady state: "
        "the baseline's bookings level off about half a year after an empty start, and with "
        "365 days its first-90-day bookings are 96% of 90/365 of its first-year bookings "
        "(20 replications; 31% with no warm-up). 0 starts from an empty company.",
        "days", ge=0, le=3650,
    )
    seed: int = param(20240601, "Root seed of all random streams.", "-", ge=0,
                      le=2**64 - 1)
    replications: int = param(20, "Independent replications to run.", "-", ge=1, le=100_000)
    record_leads: bool = param(False, "Keep a record per lead (memory grows with leads).")
    neutral: bool = param(
        False, "Switch every behavioural mechanism off: an open queueing network (MODEL.md 13)."
    )
    marketing: Marketing = param(Marketing, "Spend plan, stocks and lead arrivals.")
    leads: Leads = param(Leads, "Segments, quality and buying windows.")
    nurture: Nurture = param(Nurture, "Nurture, scoring and the hand-off threshold.")
    sales: Sales = param(Sales, "Reps, response, stages and pricing.")
    finance: Finance = param(Finance, "Margin used for contribution.")


class ResolvedScenario(_Common):
    """The numbers in force during one period: what the engine accepts.

    Every preset field is explicit (the named preset with the scenario's
    overrides) and neutral mode is applied. There is no timeline: each period
    of a scenario's timeline resolves to its own :class:`ResolvedScenario`.
    """

    incentives: ResolvedIncentives = param(..., "Sales and marketing incentive plans in force.")
    alignment: ResolvedAlignment = param(..., "Alignment stage in force and its levers.")


class Scenario(_Common):
    """A complete scenario: the company, its plans, and how to run it."""

    incentives: Incentives = param(Incentives, "Sales and marketing incentive plans.")
    alignment: Alignment = param(Alignment, "Alignment stage between the two teams.")
    timeline: list[TimelineChange] = Field(
        default_factory=list, max_length=1000,
        description="Changes of plan that take effect on given days.",
    )
    extends: str | None = param(
        None, "Base scenario file this one overrides, relative to this file (sections merge "
        "key by key; lists replace). Resolved when the file is loaded.",
    )
    start: Literal["today", "steady_state"] = param(
        "today", "What ran before day 0 (the warm-up). today: today's plan, so the plan under "
        "test is a move from it on day 0 (the warm-up runs the values in `today`); "
        "steady_state: the plan under test ran all along (its spend too: the prior_* fields are "
        "not used), a comparison of steady states.",
    )
    today: dict[str, Any] = Field(
        default_factory=dict, max_length=1000,
        description="Today's plan where it differs from this scenario's: dotted keys and their "
        "values in force before day 0. Filled by the tool when a plan is a move from another: "
        "--set, --vary and --param record the values they replace, and a file that extends a "
        "base records the base's values of the keys it changes. Keys that fix the run's "
        "structure (sales.reps, horizon_days...) cannot differ before day 0.",
    )

    @model_validator(mode="after")
    def _timeline_is_valid(self) -> Scenario:
        if self.today:
            self._today_plan()  # today's values must give a valid scenario
        if self.timeline:
            self.periods()  # every step must give a valid scenario
        return self

    def _today_plan(self) -> Scenario:
        """This scenario with today's values: the plan of the warm-up before day 0."""
        plain = self.model_copy(update={"today": {}, "timeline": []})
        return apply_overrides(Scenario, plain, self.today, Source("today", in_file=True),
                               scope="timeline")

    def moved_from(self, base: Scenario, keys: Iterable[str]) -> Scenario:
        """This scenario as a move from ``base`` on day 0 for the given keys.

        Records in :attr:`today` the value ``base`` has (with its own ``today``
        applied) for each key that may change during a run, unless ``today``
        already names it. A scenario that asks for a steady-state comparison,
        or has no warm-up, is returned as it is.
        """
        if self.start != "today" or self.warmup_days <= 0:
            return self
        reference = (base._today_plan() if base.today else base).model_dump(mode="python")
        today = dict(self.today)
        for key in keys:
            if (key in today or fixed_key_of(key, "timeline") is not None
                    or any(key == k or key.startswith(k + ".") for k in STARTING_KEYS)):
                continue
            try:
                today[key] = get_path(reference, key)
            except (KeyError, IndexError, TypeError):
                continue  # a key the base does not have: nothing to move from
        if today == self.today:
            return self
        return Scenario.model_validate({**self.model_dump(mode="python"), "today": today})

    # -- variants --------------------------------------------------------------

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A validated copy with dotted-path values replaced (``{"sales.reps": 8}``).

        Raises:
            pydantic.ValidationError: a value the schema refuses.
            KeyError, IndexError: a path that cannot be set (see
                :func:`sim.scenario.overrides.set_path`).
        """
        return Scenario.model_validate(overridden(self.model_dump(mode="python"), overrides))

    def resolve(self) -> ResolvedScenario:
        """The plan in force before any timeline change, as the engine reads it.

        Every preset field the scenario leaves out comes from the preset it
        names; neutral mode (MODEL.md 13) is applied. The timeline is not:
        :meth:`periods` resolves each of its steps.
        """
        data = self.model_dump(mode="python", exclude={"timeline", "extends", "start", "today"})
        incentives, alignment = data["incentives"], data["alignment"]
        incentives["sales"] = _filled(sales_plan(self.incentives.sales_plan),
                                      incentives["sales"])
        incentives["marketing"] = _filled(marketing_plan(self.incentives.marketing_plan),
                                          incentives["marketing"])
        alignment["levers"] = _filled(alignment_stage(self.alignment.stage), alignment["levers"])
        if self.start == "steady_state":  # the plan ran all along: so did its spend
            data["marketing"]["prior_annual_budget"] = None
            data["marketing"]["prior_brand_share"] = None
        if self.neutral:
            data = overridden(data, NEUTRAL_OVERRIDES)
            for stage in data["sales"]["stages"]:
                stage["advance_probability"] = 1.0
        return ResolvedScenario.model_validate(data)

    def periods(self) -> list[tuple[float, ResolvedScenario]]:
        """The resolved plans in force from each timeline day on, sorted by day.

        Changes accumulate: each step applies its ``set`` to the previous step.
        The first period starts at ``-warmup_days``: under today's plan
        (:attr:`today`) when the scenario is a move from it, with the plan
        under test from day 0.

        Raises:
            ScenarioError: a step that changes a key fixed during a run, or
                gives an invalid scenario (one line naming ``timeline.<i>.set``).
        """
        first = self.model_copy(update={"timeline": []})
        current = first
        if self.start == "today" and self.today and self.warmup_days > 0:
            # The warm-up runs today's plan; the plan under test starts on day 0.
            out = [(-self.warmup_days, self._today_plan().resolve()), (0.0, first.resolve())]
        else:
            out = [(-self.warmup_days, first.resolve())]
        for i, change in sorted(enumerate(self.timeline), key=lambda ic: ic[1].day):
            source = Source(f"timeline.{i}.set", in_file=True)
            current = apply_overrides(Scenario, current, change.set, source, scope="timeline")
            _check_structure(first, current, i)
            if len(out) > 1 and out[-1][0] == change.day:  # the first period keeps the prior plan
                out[-1] = (change.day, current.resolve())
            else:
                out.append((change.day, current.resolve()))
        return out


def _filled(preset: Section, overrides: dict[str, Any]) -> dict[str, Any]:
    """The preset's fields, replaced by the overrides that are given (not null)."""
    return {**preset.model_dump(), **{k: v for k, v in overrides.items() if v is not None}}


def _check_structure(first: Scenario, later: Scenario, index: int) -> None:
    """Refuse a timeline step that changes the run's structure.

    Compares the values, so ``sales: {reps: 3}`` is caught as well as ``sales.reps: 3``.
    """
    before, after = first.model_dump(mode="python"), later.model_dump(mode="python")
    for key in fixed_keys("timeline"):
        if key == "timeline":
            continue
        if get_path(before, key) != get_path(after, key):
            raise ScenarioError(
                f"timeline.{index}.set: changes {key}, which {WHY_FIXED['timeline']}"
            )
    if len(first.sales.stages) != len(later.sales.stages):
        raise ScenarioError(
            f"timeline.{index}.set: changes the number of sales stages, which cannot change "
            "during a run; change a stage's fields instead (sales.stages.0.advance_probability)"
        )
