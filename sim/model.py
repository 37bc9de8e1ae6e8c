"""The SimPy model of the funnel, from marketing spend to won or lost deals.

Leads flow from marketing spend through nurture and the hand-off into the
sales pipeline.

Design for speed without losing exactness:

* Leads are created in daily batches. Their nurture is solved in closed form
  (:func:`sim.mechanisms.nurture_crossing_days`): a lead that never reaches the
  hand-off threshold costs no event at all; one that does gets one process that
  wakes at its exact MQL time.
* A lead's whole pipeline (every stage's duration and outcome) is decided when
  it is qualified, and the process sleeps once until the deal closes: rep
  capacity is held for exactly the right time, with one event instead of one
  per stage.
* All luck of a lead is a row of uniforms drawn at creation (common random
  numbers across scenarios).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from sim import distributions as dist
from sim.arrivals import daily_counts, times_within_day
from sim.mechanisms import (
    discount,
    in_push_window,
    nurture_crossing_days,
    pull_forward_close,
    quality_odds,
    response_decay,
    scale_odds_scalar,
)
from sim.policy import Policy
from sim.records import LeadTable, Outcome, Reason, Source
from sim.reps import RepPool
from sim.scenario import Scenario
from sim.spend import SpendPlan, build_spend_plan
from sim.streams import Streams

# Columns of a lead's row of random numbers (uniforms, some pre-transformed).
(SEGMENT, QUALITY, WINDOW, NOISE, COLD, FOLLOW, RESPONSE, REJECT, RECYCLE, QUALIFY, PUSH, DEAL,
 QUALIFY_DAYS) = range(13)
FIRST_STAGE_COLUMN = 13  # then two columns per stage: unit duration, advance uniform
HANDOFF_COLUMNS = (FOLLOW, RESPONSE, REJECT, RECYCLE, QUALIFY, QUALIFY_DAYS)


class FunnelModel:
    """One replication of a scenario.

    Args:
        scenario: the scenario (presets are expanded here).
        streams: the replication's random streams.
    """

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        self.scenario = scenario
        self.streams = streams
        self.horizon = scenario.horizon_days
        periods = scenario.periods()
        self.period_starts = [start for start, _ in periods]
        self.period_scenarios = [s for _, s in periods]
        self.policies = [Policy.from_scenario(s) for s in self.period_scenarios]
        self.plan: SpendPlan = build_spend_plan(periods, self.horizon)
        self.stages = len(scenario.sales.stages)
        self.env = simpy.Environment(initial_time=float(self.plan.start_day))
        expected = float(self.plan.organic_rate.sum() + self.plan.promo_rate.sum())
        self.leads = LeadTable(int(expected * 1.1) + 64, self.stages)
        self.reps = RepPool(
            self.env, scenario.sales.reps, scenario.sales.slots_per_rep, self._expired_waiting
        )
        self.feedback_items = 0.0
        self._shape_cache: dict[int, list[tuple[str, float]]] = {}

    # -- helpers ---------------------------------------------------------------

    def policy_at(self, t: float) -> Policy:
        """The policy in force at time ``t``."""
        return self.policies[max(bisect.bisect_right(self.period_starts, t) - 1, 0)]

    def _scenario_at(self, t: float) -> Scenario:
        return self.period_scenarios[max(bisect.bisect_right(self.period_starts, t) - 1, 0)]

    def _finish(self, lead: int, outcome: Outcome, reason: Reason, t: float) -> None:
        self.leads.outcome[lead] = outcome
        self.leads.reason[lead] = reason
        self.leads.outcome_time[lead] = t

    def _expired_waiting(self, lead: int, t: float) -> None:
        self._finish(lead, Outcome.NEVER_CONTACTED, Reason.EXPIRED_WAITING, t)

    # -- run -------------------------------------------------------------------

    def run(self) -> None:
        """Simulate from the first warm-up day to the horizon."""
        self.env.process(self._marketing())
        self.env.run(until=self.horizon)
        self.reps.close(self.horizon)

    # -- marketing and nurture -----------------------------------------------

    def _marketing(self) -> Generator[simpy.Event, Any, None]:
        """Create each day's leads at the start of the day, solving their nurture."""
        plan = self.plan
        u = self.streams.arrival_counts.random((plan.organic_rate.size, 2))
        counts = np.stack(
            [daily_counts(plan.organic_rate, u[:, 0]), daily_counts(plan.promo_rate, u[:, 1])],
            axis=1,
        )
        for k, day in enumerate(plan.days):
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            for source, rng in (
                (Source.ORGANIC, self.streams.organic_leads),
                (Source.PROMOTION, self.streams.promotion_leads),
            ):
                n = int(counts[k, source])
                if n:
                    times = times_within_day(int(day), n, self.streams.arrival_times)
                    times = times[times < self.horizon]
                    if times.size:
                        self._create_leads(times, source, rng)

    def _lead_rows(self, n: int, source: Source, rng: np.random.Generator,
                   s: Scenario) -> np.ndarray:
        """Draw and transform the random numbers of ``n`` new leads."""
        u = rng.random((n, FIRST_STAGE_COLUMN + 2 * self.stages))
        quality = (s.leads.quality_organic if source == Source.ORGANIC
                   else s.leads.quality_promotion)
        cum = np.cumsum([g.share for g in s.leads.segments])
        u[:, SEGMENT] = np.minimum(np.searchsorted(cum, u[:, SEGMENT], side="right"),
                                   len(cum) - 1)
        u[:, QUALITY] = dist.beta(u[:, QUALITY], quality.a, quality.b)
        window_mean = np.array([g.buying_window_days_mean for g in s.leads.segments])
        u[:, WINDOW] = (dist.exponential(u[:, WINDOW], 1.0) *
                        window_mean[u[:, SEGMENT].astype(int)] if s.leads.buying_window
                        else np.inf)
        u[:, NOISE] = dist.standard_normal(u[:, NOISE])
        u[:, COLD] = dist.exponential(u[:, COLD], 1.0)
        u[:, RESPONSE] = dist.standard_normal(u[:, RESPONSE])
        u[:, QUALIFY_DAYS] = dist.exponential(u[:, QUALIFY_DAYS], 1.0)
        sizes = {(g.deal_size_cv) for g in s.leads.segments}
        seg = u[:, SEGMENT].astype(int)
        deal = np.empty(n)
        for cv in sizes:
            members = np.array([g.deal_size_cv == cv for g in s.leads.segments])[seg]
            deal[members] = dist.unit_mean(u[members, DEAL], "lognormal", cv)
        u[:, DEAL] = deal
        for j, stage in enumerate(s.sales.stages):
            col = FIRST_STAGE_COLUMN + 2 * j
            u[:, col] = dist.unit_mean(u[:, col], stage.duration.distribution, stage.duration.cv)
        return u

    def _create_leads(self, times: np.ndarray, source: Source, rng: np.random.Generator) -> None:
        t0 = float(times[0])
        s, p = self._scenario_at(t0), self.policy_at(t0)
        n = times.size
        u = self._lead_rows(n, source, rng, s)
        rows = self.leads.add(n)
        leads = self.leads
        leads.created[rows] = times
        leads.source[rows] = source
        leads.segment[rows] = u[:, SEGMENT]
        leads.quality[rows] = u[:, QUALITY]

        noise = p.noise_after_feedback(self.feedback_items) * u[:, NOISE]
        engaged = (s.leads.initial_engagement_organic if source == Source.ORGANIC
                   else s.leads.initial_engagement_promotion)
        crossing = nurture_crossing_days(
            u[:, QUALITY], noise, p.threshold, p.score_quality_weight, p.engagement_rate, engaged
        )
        with np.errstate(over="ignore"):  # a vanishing hazard means never cold: inf
            cold = u[:, COLD] / p.cold_hazard if p.cold_hazard > 0 else np.full(n, np.inf)
        window = u[:, WINDOW]
        exits = np.minimum(np.minimum(cold, window), p.max_nurture_days)
        becomes_mql = crossing < exits
        first = rows.start
        for j in np.flatnonzero(~becomes_mql):
            t_exit = times[j] + exits[j]
            if t_exit < self.horizon:
                reason = (Reason.WENT_COLD if exits[j] == cold[j] else
                          Reason.BOUGHT_ELSEWHERE if exits[j] == window[j] else Reason.AGED_OUT)
                self._finish(first + j, Outcome.COLD, reason, t_exit)
        now = self.env.now
        for j in np.flatnonzero(becomes_mql):
            t_mql = times[j] + crossing[j]
            if t_mql < self.horizon:
                row = u[j].tolist()
                row[WINDOW] = times[j] + window[j]  # absolute end of the buying window
                self.env.process(self._journey(first + j, t_mql - now, row))

    def _renurture(self, lead: int, row: list[float], p: Policy) -> float:
        """Send a rejected lead back to nurture.

        Returns:
            Days until it is an MQL again; ``inf`` if it leaves nurture first
            (recorded as lost when that happens before the horizon).
        """
        rng = self.streams.recycle
        now = self.env.now
        fresh = rng.random(2 + len(HANDOFF_COLUMNS))
        noise = p.noise_after_feedback(self.feedback_items) * dist.standard_normal(fresh[0])
        leads = self._scenario_at(now).leads
        engaged = (leads.initial_engagement_organic if self.leads.source[lead] == Source.ORGANIC
                   else leads.initial_engagement_promotion)
        crossing = float(nurture_crossing_days(
            row[QUALITY], noise, p.threshold, p.score_quality_weight, p.engagement_rate, engaged
        ))
        cold = float(dist.exponential(fresh[1], 1.0)) / p.cold_hazard if p.cold_hazard > 0 \
            else math.inf
        window_left = row[WINDOW] - now
        exit_days = min(cold, window_left, p.max_nurture_days)
        for col, value in zip(HANDOFF_COLUMNS, fresh[2:], strict=True):
            row[col] = value
        row[RESPONSE] = float(dist.standard_normal(row[RESPONSE]))
        row[QUALIFY_DAYS] = float(dist.exponential(row[QUALIFY_DAYS], 1.0))
        self.leads.recycled[lead] += 1
        if crossing < exit_days:
            return crossing
        if now + exit_days < self.horizon:
            reason = (Reason.WENT_COLD if exit_days == cold else
                      Reason.BOUGHT_ELSEWHERE if exit_days == window_left else Reason.AGED_OUT)
            self._finish(lead, Outcome.COLD, reason, now + exit_days)
        return math.inf

    # -- hand-off and sales ----------------------------------------------------

    def _journey(self, lead: int, delay: float,
                 row: list[float]) -> Generator[simpy.Event, Any, None]:
        """From MQL to a rep, first response, qualification and the pipeline."""
        env, leads, reps = self.env, self.leads, self.reps
        quality = row[QUALITY]
        yield env.timeout(delay)
        while True:
            t_mql = env.now
            if math.isnan(leads.mql_time[lead]):
                leads.mql_time[lead] = t_mql
            p = self.policy_at(t_mql)
            p_follow = p.follow_up_rate * (1.0 - p.neglect_under_load * reps.load())
            if row[FOLLOW] >= p_follow:
                self._finish(lead, Outcome.NEVER_CONTACTED, Reason.NOT_FOLLOWED_UP, t_mql)
                return
            rep = yield reps.request(lead, row[WINDOW])
            t_assigned = env.now
            if math.isnan(leads.assigned_time[lead]):
                leads.assigned_time[lead] = t_assigned
                leads.wait_days[lead] = t_assigned - t_mql
            p = self.policy_at(t_assigned)
            busy_before = (reps.active[rep] - 1) / reps.slots
            if row[REJECT] < p.cherry_pick * busy_before * (1.0 - quality):
                reps.release(rep)
                if row[RECYCLE] < p.recycle_rejected:
                    again = self._renurture(lead, row, p)
                    if again < math.inf and env.now + again < self.horizon:
                        yield env.timeout(again)
                        continue
                    return  # recorded lost, or still in nurture at the horizon
                self._finish(lead, Outcome.REJECTED, Reason.REJECTED, t_assigned)
                return
            if p.response_hours_mean > 0:
                unit = math.exp(p.response_sigma * row[RESPONSE] - 0.5 * p.response_sigma**2)
                yield env.timeout(unit * p.response_hours_mean / 24.0)
            hours = (env.now - t_mql) * 24.0
            leads.first_response_hours[lead] = hours
            self.feedback_items += p.feedback_gain
            chance = scale_odds_scalar(
                p.qualify_probability,
                quality_odds(quality, p.quality_odds_weight) * p.qualify_odds_multiplier,
            ) * float(response_decay(hours, p.decay_half_life_hours, p.decay_floor))
            # Reaching and qualifying takes the rep's time whatever the answer:
            # weak MQLs cost capacity, not only a lost lead.
            qualifying = row[QUALIFY_DAYS] * p.qualification_days
            if qualifying > 0:
                yield env.timeout(qualifying)
            if row[QUALIFY] >= chance:
                reps.release(rep)
                self._finish(lead, Outcome.COLD, Reason.UNQUALIFIED, env.now)
                return
            close, stage, stage_days, deal = self._pipeline(lead, row, p)
            if close > env.now:
                yield env.timeout(close - env.now)
            reps.release(rep)
            leads.stage_reached[lead] = stage
            leads.stage_days[lead, : len(stage_days)] = stage_days
            if deal is None:
                self._finish(lead, Outcome.LOST_IN_SALES, Reason.LOST_AT_STAGE, close)
            else:
                leads.discount[lead], leads.value[lead], leads.pushed[lead] = deal
                self._finish(lead, Outcome.WON, Reason.WON, close)
            return

    def _pipeline(
        self, lead: int, row: list[float], p: Policy
    ) -> tuple[float, int, list[float], tuple[float, float, bool] | None]:
        """Decide every stage of a qualified lead now.

        Durations and advance chances use the brand equity on the day each
        stage starts, so they stay exact although no event marks the stage.
        Under a plan with a period-end push, a deal that would be won just
        after a period end may be pulled into the end of the period: the
        stages it skips are decided again with lower odds (pulled deals are
        lost more often) and it gets a deeper discount. The outcome is
        recorded only when the deal closes (a deal open at the horizon is in
        flight).

        Returns:
            Close time, index of the stage lost at (number of stages if won),
            the days spent in each stage entered, and for a won deal
            ``(discount, value, pulled_forward)``, else ``None``.
        """
        plan = self.plan
        start = t = self.env.now
        self.leads.sql_time[lead] = start
        segment = int(row[SEGMENT])
        quality_mult = quality_odds(row[QUALITY], p.quality_odds_weight)
        size = row[DEAL] * p.segment_deal_size[segment]
        self.leads.deal_size[lead] = size
        ends: list[float] = []
        chances: list[float] = []
        for j in range(self.stages):
            equity = plan.equity_at(t)
            late = p.stage_late[j]
            days = (row[FIRST_STAGE_COLUMN + 2 * j] * p.stage_mean_days[j]
                    * p.segment_cycle_multiplier[segment]
                    * (1.0 - p.brand_cycle_reduction * equity)
                    * (p.cycle_factor_late if late else p.cycle_factor_early))
            odds = quality_mult * (1.0 + p.brand_win_odds_lift * equity)
            if late:
                odds *= p.late_win_odds_multiplier
            t += days
            ends.append(t)
            chances.append(scale_odds_scalar(p.stage_advance[j], odds))
            if row[FIRST_STAGE_COLUMN + 2 * j + 1] >= chances[j]:
                return t, j, _stage_days(start, ends), None
        pulled = None
        if p.push_window_days > 0:
            pulled = pull_forward_close(
                start, t, row[PUSH], p.period_days, p.push_window_days, p.pull_forward_days,
                p.pull_forward_probability,
            )
        if pulled is not None:
            t = pulled
            for j, end in enumerate(ends):
                if end > t:  # a stage rushed at the period end: worse odds
                    ends[j] = t
                    rushed = scale_odds_scalar(chances[j], p.push_win_odds_factor)
                    if row[FIRST_STAGE_COLUMN + 2 * j + 1] >= rushed:
                        return t, j, _stage_days(start, ends[: j + 1]), None
        extra = p.discount_pressure
        if p.push_window_days > 0 and (
            pulled is not None or in_push_window(t, p.period_days, p.push_window_days)
        ):
            extra += p.push_discount
        d = discount(p.base_discount, plan.equity_at(t), p.brand_discount_reduction, extra,
                     p.max_discount)
        return t, self.stages, _stage_days(start, ends), (d, size * (1.0 - d), pulled is not None)


def _stage_days(start: float, ends: list[float]) -> list[float]:
    """Days spent in each stage, from the stage end times."""
    return [end - prev for prev, end in zip([start, *ends[:-1]], ends, strict=True)]
