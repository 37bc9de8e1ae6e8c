"""Starting a run from a given open pipeline: the deals open on day 0.

A company's CRM shows the deals open today: each at a stage, for some days
already, of some size, held by an owner. :class:`OpeningPipeline` lists them,
and :class:`OpeningFunnelModel` runs the funnel from them: on day 0 each deal
takes a rep's slot (queueing like an MQL if none is free) and then runs the
stages it has left with the model's stage odds and durations, competing for
rep capacity like any lead. Everything else is the model as ever: the warm-up
before day 0 runs marketing and nurture, so leads arrive and hand off from
day 0 as in any run.

The opening pipeline replaces the warm-up's: a warm-up lead that would
qualify before day 0 stops there (it is recorded lost at the first stage
before day 0, outside every window and the cohort, and frees its rep), since
the deals open on day 0 are the ones given. Warm-up leads handed off but not
qualified by day 0 carry on, and qualify from day 0 on.

What is assumed of a deal, beyond what it states:

* **Time already spent in its stage.** The stage's duration is drawn given
  that it is longer than the days already spent (the stage's distribution at
  the plan of day 0, conditioned on exceeding them), and the deal stays for
  the rest: a deal caught mid-stage closes sooner than one entering it, as in
  the company (for exponential durations the two are the same). The odds do
  not depend on the days spent. The days already spent are added to the
  stage's days in the records.
* **Its lead.** The other luck is drawn as for a new lead of its source, from
  a stream of their own (so the leads of the run are the same leads with or
  without an opening pipeline). Its quality is that of a lead of its segment
  that qualified in the warm-up, picked at random: a deal is a lead that
  passed qualification, so it is better than an average new lead (with no
  warm-up, an average new lead's).
* **Its rep.** The pool gives it the least-loaded rep with a free slot, as it
  does every lead (:class:`~sim.model.reps.RepPool` takes no particular rep);
  ``owner`` is kept with the deal, and the records name the rep who held it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.model.funnel import FunnelModel, Lead
from sim.model.luck import Luck, transform_rows
from sim.model.policy import Policy
from sim.model.records import LeadBlock, Outcome, Reason, Source
from sim.model.streams import Streams
from sim.model.variates import unit_mean, unit_mean_cdf
from sim.scenario.schema import ResolvedScenario, Scenario

# The spawn-key word of the opening deals' branch under a replication's seed: a
# branch of their own, so seeding a pipeline leaves every other stream's numbers
# as they were.
BRANCH_KEY = 1_000_014


@dataclass(frozen=True)
class OpenDeal:
    """A deal open on day 0.

    Attributes:
        segment: index of its segment in the scenario's ``leads.segments``.
        stage: index of the pipeline stage it is in.
        days_in_stage: days it has already spent in that stage (0 or more).
        deal_size: its list value.
        owner: index of the rep who owns it in the CRM (-1: unknown); kept
            with the deal, the pool chooses the rep.
        source: where its lead came from.
        qualified: the day it qualified (day 0 or before; NaN: the day it
            entered its stage, ``-days_in_stage``).
        created: the day its lead was created (NaN: ``qualified``).
    """

    segment: int
    stage: int
    days_in_stage: float
    deal_size: float
    owner: int = -1
    source: Source = Source.ORGANIC
    qualified: float = math.nan
    created: float = math.nan

    @property
    def qualified_day(self) -> float:
        """The day it qualified, ``-days_in_stage`` when not given."""
        return -self.days_in_stage if math.isnan(self.qualified) else self.qualified

    @property
    def created_day(self) -> float:
        """The day its lead was created, the day it qualified when not given."""
        return self.qualified_day if math.isnan(self.created) else self.created


@dataclass(frozen=True)
class OpeningPipeline:
    """The deals open on day 0 of a run.

    Attributes:
        deals: the open deals.
    """

    deals: tuple[OpenDeal, ...]

    def __len__(self) -> int:
        return len(self.deals)

    def check(self, scenario: Scenario) -> None:
        """Raise ``ValueError`` naming the first deal that does not fit ``scenario``."""
        stages, segments = len(scenario.sales.stages), len(scenario.leads.segments)
        for k, d in enumerate(self.deals):
            problem = (
                f"stage {d.stage} is not one of the {stages} stages"
                if not 0 <= d.stage < stages else
                f"segment {d.segment} is not one of the {segments} segments"
                if not 0 <= d.segment < segments else
                f"days_in_stage {d.days_in_stage} is negative or not a number"
                if not d.days_in_stage >= 0.0 else
                f"deal_size {d.deal_size} is not positive" if not d.deal_size > 0.0 else
                f"it qualified on day {d.qualified_day}, after day 0"
                if not d.qualified_day <= 0.0 else
                f"its lead was created on day {d.created_day}, after it qualified"
                if not d.created_day <= d.qualified_day else "")
            if problem:
                raise ValueError(f"opening pipeline, deal {k}: {problem}")


def opening_stream(streams: Streams) -> np.random.Generator:
    """The generator of the opening deals' luck, a branch of the replication's seed."""
    parent = streams.arrival_counts.bit_generator.seed_seq
    if not isinstance(parent, np.random.SeedSequence):  # made by make_streams
        raise TypeError("the streams were not made from a SeedSequence")
    branch = np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, BRANCH_KEY))
    return np.random.Generator(np.random.PCG64(branch))


class OpeningFunnelModel(FunnelModel):
    """One replication of a scenario started from an open pipeline on day 0.

    Args:
        scenario: the scenario.
        streams: the replication's random streams.
        opening: the deals open on day 0.
        keep_leads: keep every lead's record (``totals.blocks``).

    Raises:
        ValueError: a deal that does not fit the scenario.
    """

    def __init__(self, scenario: Scenario, streams: Streams, opening: OpeningPipeline,
                 keep_leads: bool = False) -> None:
        opening.check(scenario)
        super().__init__(scenario, streams, keep_leads=keep_leads)
        self.opening = opening
        self.opening_block: LeadBlock | None = None
        # The quality of each warm-up lead that qualified, by segment.
        self.qualified_quality: list[list[float]] = [[] for _ in scenario.leads.segments]

    def run(self) -> None:
        """Seed the open deals on day 0, then run as ever."""
        self.env.process(self._open_pipeline())
        super().run()

    def _pipeline(
        self, lead: Lead, row: list[float], p: Policy, start: float, effort: float = 1.0
    ) -> tuple[float, int, list[float], tuple[float, float, bool] | None]:
        """The model's pipeline, but a warm-up lead qualifying before day 0 stops there.

        It is recorded lost at the first stage the moment it qualifies (before
        day 0: outside every window), with no SQL: the deals open on day 0 are
        the opening pipeline's.
        """
        if start < 0.0:
            self.qualified_quality[int(row[Luck.SEGMENT])].append(row[Luck.QUALITY])
            return start, 0, [0.0], None
        return super()._pipeline(lead, row, p, start, effort)

    def _open_pipeline(self) -> Generator[simpy.Event, Any, None]:
        """On day 0, one block of the open deals, each with a process of its own."""
        if self.env.now < 0.0:
            yield self.env.timeout(-self.env.now)
        deals = self.opening.deals
        n = len(deals)
        block = LeadBlock(self.blocks_made, self.leads_created, n, self.stages)
        self.blocks_made += 1
        self.leads_created += n
        self.blocks_in_flight[block.number] = block
        self.opening_block = block
        if n == 0:
            self._fold(block)
            return
        rows = self._opening_rows(opening_stream(self.streams))
        block.created[:] = [d.created_day for d in deals]
        block.source[:] = [int(d.source) for d in deals]
        block.segment[:] = [d.segment for d in deals]
        block.quality[:] = rows[:, Luck.QUALITY]
        block.sql_time[:] = [d.qualified_day for d in deals]
        block.deal_size[:] = [d.deal_size for d in deals]
        for i, (deal, row) in enumerate(zip(deals, rows.tolist(), strict=True)):
            self.env.process(self._open_deal((block, i), deal, row))

    def _opening_rows(self, rng: np.random.Generator) -> np.ndarray:
        """The rows of luck of the open deals, set to run from their stage on day 0.

        Drawn and transformed as for new leads of each deal's source under the
        plan of day 0; then the segment is the deal's, the deal size gives its
        list value, the quality that of a warm-up lead of its segment that
        qualified, the stages before the deal's take no time and always
        advance, and its stage lasts the rest of a duration longer than the
        days already spent.
        """
        deals = self.opening.deals
        p, s = self.policy_at(0.0), self._scenario_at(0.0)
        rows = rng.random((len(deals), Luck.width(self.stages)))
        picks, rests = rng.random(len(deals)), rng.random(len(deals))
        equity = self.plan.equity_at(0.0)
        sources = np.array([int(d.source) for d in deals], dtype=np.int64)
        for src in np.unique(sources):
            members = sources == src
            rows[members] = transform_rows(rows[members], Source(int(src)), s)
        for k, d in enumerate(deals):
            rows[k, Luck.SEGMENT] = d.segment
            rows[k, Luck.DEAL_SIZE] = d.deal_size / p.segment_deal_size[d.segment]
            for j in range(d.stage):  # passed already: no time, no chance of loss
                rows[k, Luck.stage_duration(j)] = 0.0
                rows[k, Luck.stage_advance(j)] = -1.0  # below any chance, 0 included
            pool = self.qualified_quality[d.segment]
            if pool:
                rows[k, Luck.QUALITY] = pool[min(int(picks[k] * len(pool)), len(pool) - 1)]
            rows[k, Luck.stage_duration(d.stage)] = self._rest_of_stage(
                d, rests[k], p, s, equity)
        return rows

    def _rest_of_stage(self, deal: OpenDeal, u: float, p: Policy, s: ResolvedScenario,
                       equity: float) -> float:
        """The stage's remaining duration (in the stage's mean units) from a uniform ``u``.

        The stage's days at the plan of day 0 are ``unit x scale``; the unit
        duration is drawn given that it exceeds the days spent (``spent /
        scale``), and what is left of it is returned.
        """
        j, duration = deal.stage, s.sales.stages[deal.stage].duration
        scale = (p.stage_mean_days[j] * p.segment_cycle_multiplier[deal.segment]
                 * (1.0 - p.brand_cycle_reduction * equity)
                 * (p.cycle_factor_late if p.stage_late[j] else p.cycle_factor_early))
        spent = deal.days_in_stage / scale if scale > 0.0 else 0.0
        below = float(unit_mean_cdf(spent, duration.distribution, duration.cv))
        q = min(below + u * (1.0 - below), math.nextafter(1.0, 0.0))
        whole = float(unit_mean(q, duration.distribution, duration.cv))
        return max(whole - spent, 0.0)

    def _open_deal(self, lead: Lead, deal: OpenDeal,
                   row: list[float]) -> Generator[simpy.Event, Any, None]:
        """An open deal: a rep's slot, then the stages it has left."""
        env, reps = self.env, self.reps
        block, i = lead
        rep = reps.take_free_slot()
        seat = reps.last_seat if reps.dynamic and rep is not None else None
        if rep is None:  # every slot is busy: queue for one (an open deal has no window)
            got = yield reps.request(lead, math.inf)
            seat, rep = (got, got.rep) if reps.dynamic else (None, got)
        if seat is not None:  # capacity over time: its rep may leave
            seat.process = env.active_process
            if seat.lost_at is not None:  # left between the offer and now
                self._open_deal_lost(lead, deal, env.now, [0.0] * deal.stage, seat.lost_at)
                return
        block.rep[i] = rep
        start = env.now
        p = self.policy_at(start)
        effort = self.bookings.effort(rep, start, p)
        close, stage, stage_days, won = super()._pipeline(lead, row, p, start, effort)
        block.sql_time[i] = deal.qualified_day  # _pipeline wrote the day it started
        block.deal_size[i] = deal.deal_size
        lost = yield from self._held_until(seat, close)
        if lost is not None:
            if seat is not None:  # the rep who held it last, after a handover
                block.rep[i] = seat.rep
            self._open_deal_lost(lead, deal, start, stage_days, lost)
            return
        self._closed(lead, rep, seat, close, stage, _days_so_far(deal, stage_days), won, None)

    def _open_deal_lost(self, lead: Lead, deal: OpenDeal, start: float,
                        stage_days: list[float], t: float) -> None:
        """Record an open deal lost at ``t`` when its rep left, at the stage it was in."""
        block, i = lead
        self.lost_to_leavers += 1
        done, j = start, deal.stage
        while j < len(stage_days) - 1 and done + stage_days[j] <= t:
            done += stage_days[j]
            j += 1
        block.stage_reached[i] = j
        days = _days_so_far(deal, [*stage_days[:j], t - done])
        block.stage_days[i, : len(days)] = days
        self._finish(lead, Outcome.LOST_IN_SALES, Reason.REP_LEFT, t)


def _days_so_far(deal: OpenDeal, stage_days: list[float]) -> list[float]:
    """The days in each stage entered: unknown before the deal's, its days so far added."""
    return [*([math.nan] * deal.stage), stage_days[deal.stage] + deal.days_in_stage,
            *stage_days[deal.stage + 1:]]
