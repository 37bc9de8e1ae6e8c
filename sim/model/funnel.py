"""The SimPy model of the funnel, from marketing spend to won or lost deals.

Leads flow from marketing spend through nurture and the hand-off into the
sales pipeline.

Design for speed without losing exactness (profiles and measurements:
``benchmarks/performance.md``):

* Leads are created in blocks of a few days: one draw of arrival times and of
  random numbers per block and source, transformed in one vectorised pass
  (the leads of several blocks are drawn at once and cut into blocks);
  each day's leads enter nurture at the start of their day, with that day's
  scoring noise. Nurture is solved in closed form
  (:func:`sim.model.mechanisms.nurture_crossing_days`): a lead that never reaches the
  hand-off threshold costs no event at all; one that does gets one timeout
  that wakes it at its exact MQL time.
* A lead's journey is a chain of callbacks on SimPy events, not a process:
  a lead only sleeps until a time or waits for a rep, so each step runs as
  the callback of the event it waited for (:meth:`FunnelModel._journey`).
  A large run keeps wake-ups after the current day in a calendar of days,
  so SimPy's event heap stays small (:meth:`FunnelModel._wake`).
* Once a rep takes a lead, nothing else can hold it up, so its first response,
  qualification and whole pipeline (every stage's duration and outcome) are
  decided then, and the lead sleeps once, until the rep lets it go: rep
  capacity is held for exactly the right time, with one event instead of one
  per step. Each step is recorded with its own time; the one effect on other
  leads, sales feedback improving lead scoring, counts from the response time.
  A free slot is taken at once, with no event.
* All luck of a lead is a row of uniforms drawn at creation (common random
  numbers across scenarios), its columns named in :class:`sim.model.luck.Luck`.
  Each source of randomness has its own stream, so drawing a block's numbers
  at once gives the numbers day-by-day draws did.
* Per-lead data lives in its block's columns only while some lead of the
  block is in flight; then the block is folded into running totals
  (:mod:`sim.model.records`), so memory follows the leads in flight, not the horizon.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import simpy
from simpy.events import URGENT

from sim.model import variates as dist
from sim.model.arrivals import daily_counts, times_within_days
from sim.model.capacity import (
    has_dynamics,
    staffing_events,
    staffing_plan,
    staffing_streams,
    starting_team,
)
from sim.model.content import FeedbackMemory
from sim.model.effort import RepBookings
from sim.model.hand_raisers import hand_raiser_streams
from sim.model.luck import Luck, transform_rows
from sim.model.mechanisms import (
    content_odds_factor,
    discount,
    in_push_window,
    nurture_crossing_days,
    nurture_crossing_days_scalar,
    pull_forward_close,
    quality_odds,
    scale_odds_scalar,
    targeted_quality,
)
from sim.model.policy import Policy
from sim.model.records import LeadBlock, LeadTotals, Outcome, Reason, Source
from sim.model.reps import RepPool, Seat
from sim.model.spend import SpendPlan, build_spend_plan
from sim.model.streams import Streams
from sim.model.timeouts import schedule_timeouts
from sim.model.trust import LeadTrust
from sim.scenario.schema import ResolvedScenario, Scenario

# A block of leads spans whole days: about this many leads, at most this many days.
BLOCK_LEADS = 4096
BLOCK_DAYS = 28
# The leads of several blocks, about this many leads at most, are drawn at once,
# then cut into blocks: the same numbers, with fewer array calls per lead.
DRAW_LEADS = 16384
# A day with at most this many leads enters nurture lead by lead, not as arrays:
# the same numbers, and faster up to about this size (measured on the baseline,
# about 27 leads a day, and the MQL-volume plan: benchmarks/performance.md).
SMALL_DAY_LEADS = 96
# A run of at least this many leads a day (at its busiest) keeps wake-ups after
# the current day in a calendar of days, not in SimPy's event heap (see
# FunnelModel._wake; measured: benchmarks/performance.md).
CALENDAR_LEADS_PER_DAY = 200.0

Lead = tuple[LeadBlock, int]  # a lead: its block and its row there


@dataclass(frozen=True)
class _Nurture:
    """What the leads of a block bring into nurture, drawn with the block.

    Attributes:
        rows: each lead's row of luck (columns: :class:`Luck`).
        engaged: engagement at the start of nurture.
        exits: days until the lead leaves nurture, unless it is an MQL first.
        exit_reason: why it would leave then (a :class:`Reason`).
        timing: a block's leads' arrival time, ``exits`` and ``engaged``, one row
            each (``_start_nurture_few`` takes a day's as one list); ``None``
            for the leads of a draw not yet cut into blocks.
    """

    rows: np.ndarray
    engaged: np.ndarray
    exits: np.ndarray
    exit_reason: np.ndarray
    timing: np.ndarray | None = None


@dataclass(frozen=True)
class _Drawn:
    """The leads of some days, drawn at once and cut into blocks (``_new_block``).

    Attributes:
        times: arrival times, in lead order.
        source: each lead's source.
        period: the period of the plan each lead lives under.
        bounds: the first lead of each (day, source) group, organic first, and the end.
        group_day: the day of each group.
        group_period: the period of each group's plan (-1 for an empty group).
        nurture: what the leads bring into nurture.
    """

    times: np.ndarray
    source: np.ndarray
    period: np.ndarray
    bounds: list[int]
    group_day: list[int]
    group_period: list[int]
    nurture: _Nurture


class FunnelModel:
    """One replication of a scenario.

    Args:
        scenario: the scenario; each period of its timeline is resolved here
            (:meth:`~sim.scenario.schema.Scenario.periods`).
        streams: the replication's random streams.
        keep_leads: keep every lead's record (``totals.blocks``) for per-lead output.
    """

    def __init__(self, scenario: Scenario, streams: Streams, keep_leads: bool = False) -> None:
        self.scenario = scenario
        self.streams = streams
        self.horizon = scenario.horizon_days
        periods = scenario.periods()
        self.period_starts = [start for start, _ in periods]
        self.period_scenarios: list[ResolvedScenario] = [s for _, s in periods]
        self.policies = [Policy.from_scenario(s) for s in self.period_scenarios]
        self.single_period = len(self.policies) == 1
        # The period :meth:`policy_at` found last, [from, to): most calls fall in it.
        self._period_from, self._period_to = math.inf, math.inf
        self._period_policy = self.policies[0]
        self.plan: SpendPlan = build_spend_plan(periods, self.horizon)
        self.stages = len(scenario.sales.stages)
        self.env = simpy.Environment(initial_time=float(self.plan.start_day))
        self.totals = LeadTotals(self.horizon, self.period_starts, self.stages, keep_leads)
        self.blocks_in_flight: dict[int, LeadBlock] = {}
        self.blocks_made = 0
        self.leads_created = 0  # every lead so far, warm-up included
        # Capacity over time (sim.model.capacity): who works when is decided
        # before the run; without a change of headcount, a fixed pool.
        self.spells = None
        self.lost_to_leavers = 0  # leads lost when their rep left
        n_reps = starting_team(periods)
        if has_dynamics(periods):
            self._staffing_rng = staffing_streams(streams)
            self.spells = staffing_plan(periods, self.horizon,
                                        self._staffing_rng.tenure.random)
            n_reps = len(self.spells)
        self.reps = RepPool(
            self.env, n_reps, scenario.sales.slots_per_rep, self._expired_waiting,
            dynamic=self.spells is not None,
        )
        self.feedback_items = 0.0
        self.bookings = RepBookings(n_reps)  # effort against quota
        self.trust = LeadTrust(self.policies[0].mql_trust_reference_quality, self.env.now)
        self._feedback_due: list[tuple[float, float]] = []  # (response time, feedback) heap
        # Days and the share of sales content used from then on (only with content).
        self.content_on = bool(np.any(self.plan.content_spend > 0.0))
        self.relevance_log: list[tuple[float, float]] = []
        # Customer data recorded by sales (only with data capture): due records, and
        # what they are worth to targeting as they age.
        self.capture_on = any(p.capture_rate > 0.0 for p in self.policies)
        self._capture_due: list[tuple[float, float]] = []
        self.customer_data = FeedbackMemory(
            self.period_scenarios[0].sales.data_capture.half_life_days, self.env.now)
        # The calendar of wake-ups (FunnelModel._wake): day -> (time, callback) in
        # the order they were made; None when the run is too small for it to pay.
        peak_rate = float(np.max(self.plan.organic_rate + self.plan.promo_rate
                                 + self.plan.hand_raiser_rate, initial=0.0))
        whole_start = float(self.plan.start_day).is_integer()
        self._calendar: defaultdict[int, list[tuple[float, Callable[[Any], None]]]] | None = (
            defaultdict(list) if peak_rate >= CALENDAR_LEADS_PER_DAY and whole_start else None)
        self._calendar_from = float(self.plan.start_day)  # the first day not yet let out
        self.content_feedback = FeedbackMemory(
            self.period_scenarios[0].alignment.effects.content_feedback_half_life_days,
            self.env.now)

    # -- helpers ---------------------------------------------------------------

    def policy_at(self, t: float) -> Policy:
        """The policy in force at time ``t``."""
        if self._period_from <= t < self._period_to:  # the period of the last call: no search
            return self._period_policy
        starts = self.period_starts
        k = max(bisect.bisect_right(starts, t) - 1, 0)
        self._period_from = starts[k] if k > 0 else -math.inf
        self._period_to = starts[k + 1] if k + 1 < len(starts) else math.inf
        self._period_policy = self.policies[k]
        return self._period_policy

    def _scenario_at(self, t: float) -> ResolvedScenario:
        if self.single_period:
            return self.period_scenarios[0]
        return self.period_scenarios[max(bisect.bisect_right(self.period_starts, t) - 1, 0)]

    def _finish(self, lead: Lead, outcome: Outcome, reason: Reason, t: float) -> None:
        block, i = lead
        block.outcome[i] = outcome
        block.reason[i] = reason
        block.outcome_time[i] = t
        self._finished(block, 1)

    def _finished(self, block: LeadBlock, count: int) -> None:
        """``count`` leads of ``block`` got their outcome; fold the block once all have."""
        block.unfinished -= count
        if block.unfinished == 0:
            self._fold(block)

    def _fold(self, block: LeadBlock) -> None:
        del self.blocks_in_flight[block.number]
        self.totals.defer(block)  # folded with others, in this order (run() flushes)

    def _feedback_items(self) -> float:
        """Leads sales has fed back on by now.

        A rep feeds back when responding to a lead; the response is decided
        at assignment (see _journey), so its feedback waits here until due.
        """
        due = self._feedback_due
        while due and due[0][0] <= self.env.now:
            t, items = heapq.heappop(due)
            self.feedback_items += items
            if self.content_on:
                self.content_feedback.add(t, items)
        return self.feedback_items

    def _data_learned(self, p: Policy) -> float:
        """Share of what targeting can learn that the customer data recorded by now taught."""
        due = self._capture_due
        while due and due[0][0] <= self.env.now:
            t, records = heapq.heappop(due)
            self.customer_data.add(t, records)
        return p.data_learned(self.customer_data.at(self.env.now))

    def _data_noise_factor(self, p: Policy) -> float:
        """Multiplier on scoring noise from customer data (1 without data capture)."""
        return 1.0 - p.data_noise_reduction * self._data_learned(p) if self.capture_on else 1.0

    def _content_relevance(self, p: Policy) -> float:
        """Share of sales content used now, from the feedback of recent months."""
        self._feedback_items()
        return p.content_relevance(self.content_feedback.at(self.env.now))

    def _expired_waiting(self, lead: Lead, t: float) -> None:
        self._finish(lead, Outcome.NEVER_CONTACTED, Reason.EXPIRED_WAITING, t)

    # -- run -------------------------------------------------------------------

    def run(self) -> None:
        """Simulate from the first warm-up day to the horizon, then fold every lead in."""
        if self.spells is not None:  # first, so the first reps are in post before any lead
            self.env.process(self._staffing())
        self.env.process(self._marketing())
        if np.any(self.plan.hand_raiser_rate > 0.0):  # off: no process, no draws
            self.env.process(self._hand_raisers())
        if self._calendar is not None:
            self.env.timeout(0.0).callbacks.append(self._calendar_day)
        with _cyclic_gc_paused():
            self.env.run(until=self.horizon)
        self.reps.close(self.horizon)
        for block in list(self.blocks_in_flight.values()):  # leads in flight at the horizon
            self._fold(block)
        self.totals.flush()

    # -- marketing and nurture -----------------------------------------------

    def _marketing(self) -> Generator[simpy.Event, Any, None]:
        """Create each day's leads at the start of the day, solving their nurture."""
        plan = self.plan
        days = plan.days
        # Blocks span whole days, about BLOCK_LEADS leads at the busiest expected rate.
        peak_rate = float(np.max(plan.organic_rate + plan.promo_rate, initial=1.0))
        span = int(min(max(BLOCK_LEADS // peak_rate, 1), BLOCK_DAYS))
        # Several blocks' leads are drawn at once: every stream draws in the same
        # order whatever the size of a draw, so these are the numbers block by block drew.
        step = span * int(max(DRAW_LEADS // (span * peak_rate), 1))
        for k0 in range(0, days.size, step):
            end0 = min(k0 + step, days.size)
            # One uniform per day and source: the same numbers as one draw for all days.
            u = self.streams.arrival_counts.random((end0 - k0, 2))
            counts = np.stack([daily_counts(plan.organic_rate[k0:end0], u[:, 0]),
                               daily_counts(plan.promo_rate[k0:end0], u[:, 1])], axis=1)
            drawn = self._draw_days(days[k0:end0], counts)
            for k in range(0, end0 - k0, span):
                block, nurture, groups = self._new_block(drawn, k, min(k + span, end0 - k0))
                for day, lo, hi, period in groups:
                    if day > self.env.now:
                        yield self.env.timeout(day - self.env.now)
                    self._start_nurture(block, nurture, lo, hi, period)

    def _hand_raisers(self) -> Generator[simpy.Event, Any, None]:
        """Create the hand-raisers: MQLs the moment they arrive, straight to a rep.

        They come from streams of their own (:mod:`sim.model.hand_raisers`), in
        blocks of whole days like the other leads; each gets a journey that
        wakes at its arrival. Their buying window (short: they are not answered,
        they buy elsewhere) is the deadline of their wait for a rep.
        """
        plan, days = self.plan, self.plan.days
        rng = hand_raiser_streams(self.streams)
        peak_rate = float(np.max(plan.hand_raiser_rate, initial=1.0))
        span = int(min(max(BLOCK_LEADS // peak_rate, 1), BLOCK_DAYS))
        width = Luck.width(self.stages)
        for k in range(0, days.size, span):
            end = min(k + span, days.size)
            if days[k] > self.env.now:
                yield self.env.timeout(float(days[k]) - self.env.now)
            counts = daily_counts(plan.hand_raiser_rate[k:end], rng.counts.random(end - k))
            times = times_within_days(days[k:end], counts, rng.times)
            times = times[times < self.horizon]
            n = times.size
            rows = rng.leads.random((n, width))
            period = np.array([max(bisect.bisect_right(self.period_starts, float(t)) - 1, 0)
                               for t in times], dtype=np.int64)
            for j in np.unique(period):
                members = period == j
                rows[members] = transform_rows(rows[members], Source.HAND_RAISER,
                                               self.period_scenarios[j])
            block = LeadBlock(self.blocks_made, self.leads_created, n, self.stages)
            self.blocks_made += 1
            self.leads_created += n
            block.created[:] = times
            block.source[:] = Source.HAND_RAISER
            block.segment[:] = rows[:, Luck.SEGMENT]
            block.quality[:] = rows[:, Luck.QUALITY]
            self.blocks_in_flight[block.number] = block
            if n == 0:
                self._fold(block)
                continue
            rows[:, Luck.BUYING_WINDOW] += times  # from now on, the day it closes
            now = self.env.now
            for i, (t, row) in enumerate(zip(times.tolist(), rows.tolist(), strict=True)):
                self._journey((block, i), t - now, row)

    def _draw_days(self, days: np.ndarray, counts: np.ndarray) -> _Drawn:
        """Draw the leads of some days: arrival times, sources, plans and rows of luck.

        Leads are ordered by day, then source (organic first), then time, as
        day-by-day creation numbered them. A day's leads of one source live
        under the plan in force when the first of them arrives.
        """
        n_groups = counts.size  # (day, source) pairs: organic, promotion, organic, ...
        group_day = np.repeat(days, 2)
        group_source = np.tile([Source.ORGANIC, Source.PROMOTION], days.size)
        times = times_within_days(group_day, counts.ravel(), self.streams.arrival_times)
        group = np.repeat(np.arange(n_groups), counts.ravel())
        inside = times < self.horizon
        times, group = times[inside], group[inside]
        source = group_source[group]
        bounds = np.searchsorted(group, np.arange(n_groups + 1))
        sizes = np.diff(bounds)
        # Each group's plan: the period in force at its first lead (the bisect of
        # policy_at, as one search), -1 for an empty group.
        first = times[np.minimum(bounds[:-1], max(times.size - 1, 0))] if times.size else sizes
        in_force = np.maximum(np.searchsorted(np.asarray(self.period_starts, dtype=np.float64),
                                              first, side="right") - 1, 0)
        group_period = np.where(sizes > 0, in_force, -1)
        period = np.repeat(group_period, sizes)
        return _Drawn(times, source, period, bounds.tolist(), group_day.tolist(),
                      group_period.tolist(), self._draw_luck(source, period))

    def _new_block(
        self, drawn: _Drawn, first_day: int, end_day: int
    ) -> tuple[LeadBlock, _Nurture, list[tuple[int, int, int, int]]]:
        """The block of the drawn leads of days ``first_day`` to ``end_day`` (excluded).

        Returns:
            The block; what its leads bring into nurture; and the groups of
            leads that enter nurture together, ``(day, first row, end row,
            period)``: one per day, or per day and source in the rare case that
            a plan changes between a day's first organic and promotion leads.
        """
        bounds = drawn.bounds
        first, end = bounds[2 * first_day], bounds[2 * end_day]
        times, source = drawn.times[first:end], drawn.source[first:end]
        period = drawn.period[first:end]
        n = end - first
        groups: list[tuple[int, int, int, int]] = []
        for g in range(2 * first_day, 2 * end_day):
            lo, hi = bounds[g] - first, bounds[g + 1] - first
            if hi > lo:
                k = drawn.group_period[g]
                day = int(drawn.group_day[g])
                if groups and groups[-1][0] == day and groups[-1][3] == k:
                    groups[-1] = (day, groups[-1][1], hi, k)
                else:
                    groups.append((day, lo, hi, k))
        luck = drawn.nurture
        exits, engaged = luck.exits[first:end], luck.engaged[first:end]
        nurture = _Nurture(luck.rows[first:end], engaged, exits, luck.exit_reason[first:end],
                           np.column_stack((times, exits, engaged)))
        if self.capture_on:  # targeting taught by customer data: better promotion leads
            for k in np.unique(period):
                p = self.policies[k]
                members = (period == k) & (source == Source.PROMOTION)
                nurture.rows[members, Luck.QUALITY] = targeted_quality(
                    nurture.rows[members, Luck.QUALITY], p.data_quality_gain,
                    self._data_learned(p))
        block = LeadBlock(self.blocks_made, self.leads_created, n, self.stages)
        self.blocks_made += 1
        self.leads_created += n
        block.created[:] = times
        block.source[:] = source
        block.segment[:] = nurture.rows[:, Luck.SEGMENT]
        block.quality[:] = nurture.rows[:, Luck.QUALITY]
        self.blocks_in_flight[block.number] = block
        if n == 0:
            self._fold(block)
        return block, nurture, groups

    def _draw_luck(self, source: np.ndarray, period: np.ndarray) -> _Nurture:
        """Draw and transform the rows of luck of new leads, and when they leave nurture."""
        n = source.size
        width = Luck.width(self.stages)
        rows = np.empty((n, width))
        organic = source == Source.ORGANIC
        rows[organic] = self.streams.organic_leads.random((int(organic.sum()), width))
        rows[~organic] = self.streams.promotion_leads.random((n - int(organic.sum()), width))
        engaged, exits = np.empty(n), np.empty(n)
        exit_reason = np.empty(n, dtype=np.int8)
        for k in np.unique(period):
            s, p = self.period_scenarios[k], self.policies[k]
            for src, start in ((Source.ORGANIC, s.leads.initial_engagement_organic),
                               (Source.PROMOTION, s.leads.initial_engagement_promotion)):
                members = (period == k) & (source == src)
                if members.any():
                    rows[members] = transform_rows(rows[members], src, s)
                    engaged[members] = start
            # Leaving nurture (unless the lead becomes an MQL first) does not
            # depend on the score: going cold, the buying window, the age limit.
            members = period == k
            with np.errstate(over="ignore"):  # a vanishing hazard means never cold: inf
                cold = (rows[members, Luck.GOING_COLD] / p.cold_hazard if p.cold_hazard > 0
                        else np.full(int(members.sum()), np.inf))
            window = rows[members, Luck.BUYING_WINDOW]
            leave = np.minimum(np.minimum(cold, window), p.max_nurture_days)
            exits[members] = leave
            exit_reason[members] = np.where(
                leave == cold, Reason.WENT_COLD,
                np.where(leave == window, Reason.BOUGHT_ELSEWHERE, Reason.AGED_OUT))
        return _Nurture(rows, engaged, exits, exit_reason)

    def _start_nurture(self, block: LeadBlock, nurture: _Nurture, lo: int, hi: int,
                       period: int) -> None:
        """Put one day's leads into nurture (rows ``lo:hi`` of the block).

        Their scoring noise is the noise of the day: sales feedback so far
        has taught marketing to score better.
        """
        p = self.policies[period]
        items = self._feedback_items()
        scale = p.noise_after_feedback(items)
        factor = self._data_noise_factor(p) if self.capture_on else None
        if self.content_on:  # the day's share of content used, for the waste
            self.relevance_log.append((self.env.now, self._content_relevance(p)))
        if hi - lo <= SMALL_DAY_LEADS:
            self._start_nurture_few(block, nurture, lo, hi, p, scale, factor)
            return
        u = nurture.rows[lo:hi]
        times = block.created[lo:hi]
        noise = scale * u[:, Luck.SCORE_NOISE]
        if factor is not None:
            noise = noise * factor
        crossing = nurture_crossing_days(u[:, Luck.QUALITY], noise, p.threshold,
                                         p.score_quality_weight, p.engagement_rate,
                                         nurture.engaged[lo:hi])
        exits = nurture.exits[lo:hi]
        becomes_mql = crossing < exits
        # Leads that leave nurture first are decided now (their outcome time may
        # be later); those leaving after the horizon stay in flight.
        t_exit = times + exits
        lost = np.flatnonzero(~becomes_mql & (t_exit < self.horizon))
        if lost.size:
            block.outcome[lo + lost] = Outcome.COLD
            block.reason[lo + lost] = nurture.exit_reason[lo + lost]
            block.outcome_time[lo + lost] = t_exit[lost]
        t_mql = times + crossing
        mql = np.flatnonzero(becomes_mql & (t_mql < self.horizon))
        delays = (t_mql[mql] - self.env.now).tolist()
        # From now on a lead's buying window is the day it closes.
        window_ends = (times[mql] + u[mql, Luck.BUYING_WINDOW]).tolist()
        # A busy day's MQLs keep their rows in the block's array until they wake
        # (:meth:`_handoff_from`): compact in memory while they wait, as a million leads need.
        # The wake-up keeps only the block, the lead's index (its row's in ``rows``) and the
        # window's end: the lead's tuple is made when it wakes.
        rows, handoff_from, wake = nurture.rows, self._handoff_from, self._wake
        for i, delay, window_end in zip((mql + lo).tolist(), delays, window_ends, strict=True):
            wake(delay, partial(handoff_from, block, i, rows, window_end))
        if lost.size:
            self._finished(block, lost.size)

    def _start_nurture_few(self, block: LeadBlock, nurture: _Nurture, lo: int, hi: int,
                           p: Policy, scale: float, factor: float | None) -> None:
        """:meth:`_start_nurture` for a day of few leads: the same numbers, lead by lead.

        A small company has a few leads a day, where the dozen array
        operations of a day cost more than the leads themselves; plain floats
        take the same operations in the same order (and NumPy's logarithm, in
        :func:`~sim.model.mechanisms.nurture_crossing_days_scalar`).
        """
        now, horizon = self.env.now, self.horizon
        assert nurture.timing is not None
        lost = 0
        for j, (row, (t, exit_days, engaged)) in enumerate(zip(
                nurture.rows[lo:hi].tolist(), nurture.timing[lo:hi].tolist(), strict=True)):
            noise = scale * row[Luck.SCORE_NOISE]
            if factor is not None:
                noise = noise * factor
            crossing = nurture_crossing_days_scalar(
                row[Luck.QUALITY], noise, p.threshold, p.score_quality_weight, p.engagement_rate,
                engaged)
            if crossing < exit_days:
                t_mql = t + crossing
                if t_mql < horizon:
                    row[Luck.BUYING_WINDOW] = t + row[Luck.BUYING_WINDOW]
                    self._journey((block, lo + j), t_mql - now, row)
            elif t + exit_days < horizon:
                block.outcome[lo + j] = Outcome.COLD
                block.reason[lo + j] = nurture.exit_reason[lo + j]
                block.outcome_time[lo + j] = t + exit_days
                lost += 1
        if lost:
            self._finished(block, lost)

    def _renurture(self, lead: Lead, row: list[float], p: Policy) -> float:
        """Send a rejected lead back to nurture.

        Returns:
            Days until it is an MQL again; ``inf`` if it leaves nurture first
            (recorded as lost when that happens before the horizon).
        """
        rng = self.streams.recycle
        now = self.env.now
        fresh = rng.random(2 + len(Luck.HANDOFF))
        noise = (p.noise_after_feedback(self._feedback_items())
                 * dist.standard_normal_scalar(float(fresh[0])) * self._data_noise_factor(p))
        leads = self._scenario_at(now).leads
        block, i = lead
        engaged = (leads.initial_engagement_organic if block.source[i] == Source.ORGANIC
                   else leads.initial_engagement_promotion)
        crossing = nurture_crossing_days_scalar(
            row[Luck.QUALITY], noise, p.threshold, p.score_quality_weight, p.engagement_rate,
            engaged,
        )
        cold = (dist.exponential_scalar(float(fresh[1]), 1.0) / p.cold_hazard
                if p.cold_hazard > 0 else math.inf)
        window_left = row[Luck.BUYING_WINDOW] - now
        exit_days = min(cold, window_left, p.max_nurture_days)
        for col, value in zip(Luck.HANDOFF, fresh[2:].tolist(), strict=True):
            row[col] = value
        row[Luck.RESPONSE] = dist.standard_normal_scalar(row[Luck.RESPONSE])
        row[Luck.QUALIFY_DAYS] = dist.exponential_scalar(row[Luck.QUALIFY_DAYS], 1.0)
        block.recycled[i] += 1
        if crossing < exit_days:
            return crossing
        if now + exit_days < self.horizon:
            reason = (Reason.WENT_COLD if exit_days == cold else
                      Reason.BOUGHT_ELSEWHERE if exit_days == window_left else Reason.AGED_OUT)
            self._finish(lead, Outcome.COLD, reason, now + exit_days)
        return math.inf

    # -- capacity over time ----------------------------------------------------

    def _staffing(self) -> Generator[simpy.Event, Any, None]:
        """Open and close reps' slots as they join, ramp and leave (sim.model.capacity)."""
        assert self.spells is not None
        for t, rep, slots in staffing_events(self.spells, self.reps.slots, self.horizon):
            if t > self.env.now:
                yield self.env.timeout(t - self.env.now)
            if slots:
                self.reps.open_slots(rep, slots)
            else:
                self._hand_over(self.reps.leave(rep))

    def _hand_over(self, seats: list[Seat]) -> None:
        """Hand a leaver's leads over to the least-loaded reps with a free slot.

        Each lead is lost with the chance ``handover_loss``, or when no rep has
        a free slot; the others continue as planned (their pipeline was decided
        when they were taken on).
        """
        loss = self._scenario_at(self.env.now).sales.staffing.handover_loss
        for seat in seats:
            if self._staffing_rng.handover.random() >= loss and self.reps.take_over(seat):
                continue
            seat.lost_at = self.env.now
            if seat.sleep is not None:  # a journey, asleep while its rep works it
                self._interrupt(seat)
            elif seat.process is not None:  # a lead with a process (the opening pipeline)
                seat.process.interrupt()

    def _interrupt(self, seat: Seat) -> None:
        """Wake a lead whose rep left while holding it, lost (see :meth:`_hand_over`).

        As :meth:`simpy.Process.interrupt` would wake a sleeping process: in
        an urgent event now, which takes the lead's wake-up off its event and
        records it lost.
        """
        def wake_lost(_: simpy.Event) -> None:
            assert seat.sleep is not None
            wake, then, (lead, start, stage_days) = seat.sleep
            wake.callbacks.remove(then)
            self._lost_while_held(lead, start, stage_days, seat)

        _Urgent(self.env, wake_lost)

    def _lost_while_held(self, lead: Lead, start: float, stage_days: list[float] | None,
                         seat: Seat) -> None:
        assert seat.lost_at is not None
        lead[0].rep[lead[1]] = seat.rep  # the rep who held it last, after a handover
        self._lost_in_handover(lead, start, stage_days, seat.lost_at)

    def _held_until(self, seat: Seat | None,
                    t: float) -> Generator[simpy.Event, Any, float | None]:
        """Hold a lead until time ``t``; the day it was lost if its rep left first.

        For a lead with a process of its own (the opening pipeline,
        :mod:`sim.model.opening`); a journey holds its lead with :meth:`_hold`.
        """
        try:
            yield from self._sleep_until(t)
        except simpy.Interrupt:
            assert seat is not None and seat.lost_at is not None
            return seat.lost_at
        return None

    def _sleep_until(self, t: float) -> Generator[simpy.Event, Any, None]:
        """Wait until time ``t`` (not at all if it is now); past the horizon, for good."""
        if t > self.env.now:
            yield self.env.timeout(t - self.env.now)

    def _release(self, rep: int, seat: Seat | None) -> None:
        if seat is None:
            self.reps.release(rep)
        else:
            self.reps.release_seat(seat)

    def _lost_in_handover(self, lead: Lead, start: float, stage_days: list[float] | None,
                          t: float) -> None:
        """Record a lead lost at ``t`` when its rep left.

        Before it qualified (``start``, or with no pipeline planned) it is
        recorded as cold; in the pipeline, as lost in sales at the stage it was
        in, which lasted until ``t``. Either way its reason is ``REP_LEFT``.
        """
        block, i = lead
        self.lost_to_leavers += 1
        if stage_days is None or t < start:
            block.sql_time[i] = math.nan  # it never qualified
            block.deal_size[i] = math.nan
            self._finish(lead, Outcome.COLD, Reason.REP_LEFT, t)
            return
        done, j = start, 0
        while j < len(stage_days) - 1 and done + stage_days[j] <= t:
            done += stage_days[j]
            j += 1
        block.stage_reached[i] = j
        block.stage_days[i, :j] = stage_days[:j]
        block.stage_days[i, j] = t - done
        self._finish(lead, Outcome.LOST_IN_SALES, Reason.REP_LEFT, t)

    # -- hand-off and sales ----------------------------------------------------

    def _journey(self, lead: Lead, delay: float, row: list[float]) -> None:
        """Start the journey of a lead that becomes an MQL in ``delay`` days.

        A journey is a chain of callbacks on SimPy events, not a process: a
        lead only ever sleeps until a time or waits for a rep, so each step
        (:meth:`_handoff`, :meth:`_assigned`, :meth:`_unqualified`,
        :meth:`_closed`) runs as the callback of the event it waited for,
        without a generator, its frame and the process's own events. The
        events are the ones a process would wait on, made in the same order,
        so the run is the same event for event.
        """
        self._wake(delay, partial(self._handoff, lead, row))

    def _wake(self, delay: float, callback: Callable[[Any], None]) -> None:
        """Call ``callback`` in ``delay`` days, as the callback of a SimPy timeout.

        With the calendar on (a large run), a wake-up after the current day
        waits in the calendar until its day starts (:meth:`_calendar_day`),
        which then makes the timeout, for the very same time: SimPy's event
        heap holds about a day of wake-ups instead of a whole nurture
        period's and pipeline's, whose depth and cache misses cost more than
        the leads' own work at a million leads.
        """
        env = self.env
        if self._calendar is not None:
            t = env.now + delay  # the time of env.timeout(delay)
            if t >= self._calendar_from:
                day = math.floor(t)
                if day + (t - day) == t:  # made at the day start, the timeout gets this time
                    self._calendar[day].append((t, callback))
                    return
        env.timeout(delay).callbacks.append(callback)

    def _calendar_day(self, _: Any = None) -> None:
        """A day starts: its wake-ups leave the calendar for SimPy's heap, in time order."""
        assert self._calendar is not None
        env = self.env
        now = env.now
        self._calendar_from = now + 1.0
        due = self._calendar.pop(int(now), None)
        if due:  # in the order made: SimPy's heap orders them by time, ties as made
            schedule_timeouts(env, due)
        if now + 1.0 < self.horizon:
            env.timeout(1.0).callbacks.append(self._calendar_day)

    def _handoff(self, lead: Lead, row: list[float], _: simpy.Event | None = None) -> None:
        """At the MQL: followed up or not; then a free slot, or the queue for one."""
        reps = self.reps
        block, i = lead
        t_mql = self.env.now
        if math.isnan(block.mql_time[i]):
            block.mql_time[i] = t_mql
        p = self.policy_at(t_mql)
        p_follow = (p.follow_up_rate * (1.0 - p.neglect_under_load * reps.load())
                    * self.trust.follow_up_factor(t_mql, p))
        if row[Luck.FOLLOW_UP] >= p_follow:
            self._finish(lead, Outcome.NEVER_CONTACTED, Reason.NOT_FOLLOWED_UP, t_mql)
            return
        rep = reps.take_free_slot()
        if rep is None:  # every slot is busy: queue for one
            reps.request(lead, row[Luck.BUYING_WINDOW]).callbacks.append(
                partial(self._offered, lead, row, t_mql))
            return
        self._assigned(lead, row, t_mql, rep, reps.last_seat if reps.dynamic else None)

    def _handoff_from(self, block: LeadBlock, i: int, rows: np.ndarray, window_end: float,
                      _: simpy.Event | None = None) -> None:
        """:meth:`_handoff` of lead ``i`` of ``block``, whose row is row ``i`` of ``rows``.

        Its buying window ends at ``window_end``.
        """
        row = rows[i].tolist()
        row[Luck.BUYING_WINDOW] = window_end
        self._handoff((block, i), row)

    def _offered(self, lead: Lead, row: list[float], t_mql: float, offer: simpy.Event) -> None:
        """A slot came free for a queued lead (a rep's index, or a :class:`Seat`)."""
        got: Any = offer.value
        if self.reps.dynamic:
            self._assigned(lead, row, t_mql, got.rep, got)
        else:
            self._assigned(lead, row, t_mql, got, None)

    def _assigned(self, lead: Lead, row: list[float], t_mql: float, rep: int,
                  seat: Seat | None) -> None:
        """A rep took the lead on: rejected, or its response, qualification and pipeline."""
        env, reps = self.env, self.reps
        block, i = lead
        quality = row[Luck.QUALITY]
        if seat is not None and seat.lost_at is not None:  # left between the offer and now
            self._lost_in_handover(lead, math.inf, None, seat.lost_at)
            return
        t_assigned = env.now
        block.rep[i] = rep
        if math.isnan(block.assigned_time[i]):
            block.assigned_time[i] = t_assigned
            block.wait_days[i] = t_assigned - t_mql
        p = self.policy_at(t_assigned)
        busy_before = (reps.active[rep] - 1) / reps.open[rep]
        if row[Luck.REJECT] < p.cherry_pick * busy_before * (1.0 - quality):
            self._release(rep, seat)
            if row[Luck.RECYCLE] < p.recycle_rejected:
                again = self._renurture(lead, row, p)
                if again < math.inf and env.now + again < self.horizon:
                    self._wake(again, partial(self._handoff, lead, row))
                return  # back to nurture, recorded lost, or still in nurture at the horizon
            self._finish(lead, Outcome.REJECTED, Reason.REJECTED, t_assigned)
            return
        # From here the rep works the lead without waiting on anyone: the
        # first response, qualification and (if qualified) every pipeline
        # stage are decided now, and the lead sleeps once, until the rep
        # lets it go. What happens on the way is recorded with its own time.
        t_response = t_assigned + p.response_delay_hours(row[Luck.RESPONSE]) / 24.0
        hours = (t_response - t_mql) * 24.0
        if t_response < self.horizon:
            block.first_response_hours[i] = hours
            # Sales feeds back on the lead when it responds (see _feedback_items).
            heapq.heappush(self._feedback_due, (t_response, p.feedback_gain))
        if self.capture_on:  # the rep records customer data as they respond
            heapq.heappush(self._capture_due, (t_response, p.capture_rate))
        self.trust.observe(t_response, quality)  # sales judges the lead as it responds
        chance = scale_odds_scalar(
            p.qualify_probability,
            quality_odds(quality, p.quality_odds_weight) * p.qualify_odds_multiplier,
        ) * p.qualify_multiplier(hours, block.source[i], int(row[Luck.SEGMENT]))
        # Reaching and qualifying takes the rep's time whatever the answer:
        # weak MQLs cost capacity, not only a lost lead.
        qualifying = row[Luck.QUALIFY_DAYS] * p.qualification_days
        if self.capture_on:  # recording customer data takes the rep's time too
            qualifying += p.capture_days
        t_qualified = t_response + qualifying if qualifying > 0 else t_response
        if row[Luck.QUALIFY] >= chance:
            self._hold(seat, t_qualified, partial(self._unqualified, lead, rep, seat, t_qualified),
                       lead, math.inf, None)
            return
        effort = self.bookings.effort(rep, t_assigned, p)
        close, stage, stage_days, deal = self._pipeline(lead, row, p, t_qualified, effort)
        self._hold(seat, close, partial(self._closed, lead, rep, seat, close, stage, stage_days,
                                        deal), lead, t_qualified, stage_days)

    def _hold(self, seat: Seat | None, t: float, then: Callable[[Any], None], lead: Lead,
              start: float, stage_days: list[float] | None) -> None:
        """Hold a lead until time ``t`` (not at all if it is now; past the horizon, for good).

        ``then`` continues the journey at ``t``. With capacity over time the
        rep may leave first and the lead be lost: then it is recorded with
        ``start`` and ``stage_days`` instead (:meth:`_interrupt`,
        :meth:`_lost_in_handover`).
        """
        now = self.env.now
        if t <= now:
            then(None)
            return
        if seat is None:  # a fixed pool: nothing can cut the hold short
            self._wake(t - now, then)
            return
        wake = self.env.timeout(t - now)
        wake.callbacks.append(then)
        seat.sleep = (wake, then, (lead, start, stage_days))

    def _unqualified(self, lead: Lead, rep: int, seat: Seat | None, t: float, _: Any) -> None:
        """The rep let an unqualified lead go."""
        if seat is not None:  # the rep who held it last, after a handover
            lead[0].rep[lead[1]] = seat.rep
        self._release(rep, seat)
        self._finish(lead, Outcome.COLD, Reason.UNQUALIFIED, t)

    def _closed(self, lead: Lead, rep: int, seat: Seat | None, close: float, stage: int,
                stage_days: list[float], deal: tuple[float, float, bool] | None, _: Any) -> None:
        """A deal closed, won or lost: the rep lets the lead go."""
        block, i = lead
        if seat is not None:  # the rep who held it last, after a handover
            block.rep[i] = seat.rep
        self._release(rep, seat)
        block.stage_reached[i] = stage
        block.stage_days[i, : len(stage_days)] = stage_days
        if deal is None:
            self._finish(lead, Outcome.LOST_IN_SALES, Reason.LOST_AT_STAGE, close)
        else:
            block.discount[i], block.value[i], block.pushed[i] = deal
            self.bookings.book(rep if seat is None else seat.rep, close, deal[1],
                               self.policy_at(close).period_days)
            self._finish(lead, Outcome.WON, Reason.WON, close)

    def _pipeline(
        self, lead: Lead, row: list[float], p: Policy, start: float, effort: float = 1.0
    ) -> tuple[float, int, list[float], tuple[float, float, bool] | None]:
        """Decide every stage of a lead qualified at time ``start``.

        ``p`` is the policy in force at assignment. Each stage runs under the
        policy in force when it starts (durations, advance odds, late-stage
        multipliers), and uses the brand equity on that day, so a change of
        plan on the timeline reaches deals already in the pipeline and the
        stages stay exact although no event marks them. Under a plan with a
        period-end push (the plan in force at that period end), a deal that
        would be won just after a period end may be pulled into the end of the
        period: the stages it skips are decided again with lower odds (pulled
        deals are lost more often) and it gets a deeper discount. The discount
        follows the plan in force at the close (a pulled deal's push discount,
        the plan that pulled it). The outcome is recorded only when the deal
        closes (a deal open at the horizon is in flight).

        ``effort`` is the rep's effort on the deal, chosen when the rep took
        the lead on (:meth:`sim.model.effort.RepBookings.effort`): it
        multiplies the advance odds of every stage run under a plan with a
        quota.

        Returns:
            Close time, index of the stage lost at (number of stages if won),
            the days spent in each stage entered, and for a won deal
            ``(discount, value, pulled_forward)``, else ``None``.
        """
        plan = self.plan
        single = len(self.policies) == 1  # no timeline: one policy throughout
        policy_at = self.policy_at
        t = start
        segment = int(row[Luck.SEGMENT])
        quality = row[Luck.QUALITY]
        q = p if single else policy_at(start)  # the policy of the stage about to start
        quality_mult = quality_odds(quality, q.quality_odds_weight)
        size = row[Luck.DEAL_SIZE] * q.segment_deal_size[segment]
        if start < self.horizon:  # an SQL by the horizon
            block, i = lead
            block.sql_time[i] = start
            block.deal_size[i] = size
        ends: list[float] = []
        chances: list[float] = []
        # Content sales uses: as relevant as feedback and joint work have made it by now.
        relevance = self._content_relevance(q) if self.content_on else 0.0
        for j in range(self.stages):
            if not single and (now := policy_at(t)) is not q:
                q = now
                quality_mult = quality_odds(quality, q.quality_odds_weight)
            equity = plan.equity_at(t)
            late = q.stage_late[j]
            days = (row[Luck.stage_duration(j)] * q.stage_mean_days[j]
                    * q.segment_cycle_multiplier[segment]
                    * (1.0 - q.brand_cycle_reduction * equity)
                    * (q.cycle_factor_late if late else q.cycle_factor_early))
            odds = quality_mult * (1.0 + q.brand_win_odds_lift * equity)
            if self.content_on and q.content_win_odds_lift > 0.0:
                odds *= content_odds_factor(plan.library_at(t), relevance,
                                            q.content_win_odds_lift)
            if q.quota_per_rep_period > 0.0:
                odds *= effort
            if late:
                odds *= q.late_win_odds_multiplier
            t += days
            ends.append(t)
            chances.append(scale_odds_scalar(q.stage_advance[j], odds))
            if row[Luck.stage_advance(j)] >= chances[j]:
                return t, j, _stage_days(start, ends), None
        # The push comes from the plan in force just before the period end the
        # deal would be pulled into (the period length is fixed during a run).
        pusher = q
        if not single:
            period_end = math.floor(t / q.period_days) * q.period_days
            pusher = self.policies[max(bisect.bisect_left(self.period_starts, period_end) - 1, 0)]
        pulled = None
        if pusher.push_window_days > 0:
            pulled = pull_forward_close(
                start, t, row[Luck.PUSH], pusher.period_days, pusher.push_window_days,
                pusher.pull_forward_days, pusher.pull_forward_probability,
            )
        if pulled is not None:
            t = pulled
            for j, end in enumerate(ends):
                if end > t:  # a stage rushed at the period end: worse odds
                    ends[j] = t
                    rushed = scale_odds_scalar(chances[j], pusher.push_win_odds_factor)
                    if row[Luck.stage_advance(j)] >= rushed:
                        return t, j, _stage_days(start, ends[: j + 1]), None
        c = q if single else policy_at(t)  # the policy at the close
        extra = c.discount_pressure
        if pulled is not None:
            extra += pusher.push_discount
        elif c.push_window_days > 0 and in_push_window(t, c.period_days, c.push_window_days):
            extra += c.push_discount
        d = discount(c.base_discount, plan.equity_at(t), c.brand_discount_reduction, extra,
                     c.max_discount)
        return t, self.stages, _stage_days(start, ends), (d, size * (1.0 - d), pulled is not None)


_gc_pause_lock = threading.Lock()
_gc_pauses = 0  # runs of this process now inside _cyclic_gc_paused
_gc_was_enabled = False  # the collector's state before the first of them


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then leave it as it was.

    A large run keeps hundreds of thousands of leads in flight (their events
    and callbacks; lead processes before journeys became callbacks), and every
    collection walks all of them: on the million-lead benchmark
    (``benchmarks/enterprise_1m.yaml``, 120 days) the collector ran 1,175
    times for a quarter to a third of the CPU time; on the baseline (three
    years) it runs 7 times, about 1%. Finished processes are freed by
    reference counting, so little piles up meanwhile (the cycles of processes
    still waiting when the run stops, about a tenth of an object per lead);
    the collector takes them once it runs again.

    The collector is restored on every way out, an exception included. Runs in
    several threads of one process share the pause: the last to end restores
    the collector's state from before the first began.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_pause_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_pause_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


class _Urgent(simpy.Event):
    """An event that fires now, before the ordinary events of this time, with one callback.

    SimPy interrupts a process with such an event (``simpy.events.Interruption``).
    """

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]) -> None:
        super().__init__(env)
        self.callbacks.append(callback)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT)


def _stage_days(start: float, ends: list[float]) -> list[float]:
    """Days spent in each stage, from the stage end times."""
    return [end - prev for prev, end in zip([start, *ends[:-1]], ends, strict=True)]
