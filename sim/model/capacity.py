"""Sales capacity over time: hires, ramp-up, attrition and replacements.

The headcount of a run follows ``sales.reps`` on the timeline (the planned
headcount) and ``sales.staffing`` (hiring lag, ramp, attrition, replacement
lag, handover loss). Who works when does not depend on any lead, so the whole
staffing of a replication is decided before the run, as a list of
:class:`Spell` (one per rep: when they join, how long they ramp, when they
leave). The rep pool (:class:`sim.model.reps.RepPool`) then opens and closes
slots at those times, and the funnel hands a leaver's open leads over.

Rules (MODEL.md, capacity over time):

* The starting team is the planned headcount of day 0, in post and fully
  productive from the first warm-up day (the warm-up runs today's business
  with that team): ``--set sales.reps=N``, a scenario file's ``sales.reps`` or
  a timeline step on day 0 set the starting team, not a hire.
* A rise of the planned headcount at a later timeline step hires the difference: the
  hires join ``hiring_lag_days`` later (paid from the day they join) and ramp.
* A fall cancels hires not yet joined first (the latest first), then the reps
  who joined last leave on the step's day, with no replacement.
* Reps leave at the annual attrition rate of the plan in force each day (an
  exponential tenure when the rate is constant; a rate that changes on the
  timeline, or from today's plan on day 0, changes the hazard from then on);
  a rep who leaves this way is replaced
  ``replacement_lag_days`` later by a new hire, who ramps.
* Ramp: a rep with ``slots`` slots and ``ramp_days`` of ramp has
  :func:`ramp_slots` slots ``d`` days after joining: one slot on day 0 and one
  more every ``ramp_days / slots`` days, all of them from ``ramp_days`` on.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.streams import Streams
from sim.scenario.schema import ResolvedScenario

# The spawn-key word of the staffing streams' branch under a replication's seed:
# a branch of their own, so turning capacity over time on leaves every other
# stream's numbers as they were.
BRANCH_KEY = 1_000_013


@dataclass(frozen=True)
class StaffingStreams:
    """The staffing generators of one replication.

    Attributes:
        tenure: one uniform per spell, in the order the spells are made.
        handover: one uniform per lead of a leaver, in the order handed over.
    """

    tenure: np.random.Generator
    handover: np.random.Generator


def staffing_streams(streams: Streams) -> StaffingStreams:
    """The staffing generators of the replication that owns ``streams``."""
    parent = streams.arrival_counts.bit_generator.seed_seq
    if not isinstance(parent, np.random.SeedSequence):  # made by make_streams
        raise TypeError("the streams were not made from a SeedSequence")
    base = np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, BRANCH_KEY))
    return StaffingStreams(*(np.random.Generator(np.random.PCG64(c)) for c in base.spawn(2)))


@dataclass
class Spell:
    """One rep's time with the company.

    Attributes:
        rep: the rep's index in the pool.
        join: day they join (paid and holding slots from then).
        leave: day they leave (``inf``: still there at the horizon).
        ramp_days: days from joining until all their slots are open (0: at once).
        replaced: whether a replacement is hired when they leave (attrition).
    """

    rep: int
    join: float
    leave: float = math.inf
    ramp_days: float = 0.0
    replaced: bool = False


def ramp_slots(slots: int, days_in_post: float, ramp_days: float) -> int:
    """Slots open to a rep ``days_in_post`` days after joining, with ``ramp_days`` of ramp.

    ``min(slots, 1 + floor(slots * d / ramp_days))``: one slot on the first
    day, one more every ``ramp_days / slots`` days. Over the ramp a rep holds
    ``(slots + 1) / 2`` slots on average (hand-computed in the unit tests).
    """
    if days_in_post < 0:
        return 0
    if ramp_days <= 0:
        return slots
    return min(slots, 1 + math.floor(slots * days_in_post / ramp_days))


def slot_openings(slots: int, join: float, ramp_days: float) -> list[float]:
    """Days on which a ramping rep's 2nd, 3rd, ... slot opens (empty without a ramp)."""
    if ramp_days <= 0:
        return []
    return [join + ramp_days * k / slots for k in range(1, slots)]


def tenure_days(u: float, annual_rate: float) -> float:
    """Days until a rep leaves by attrition, from a uniform ``u`` (exponential tenure).

    The mean is ``365 / annual_rate`` days; ``inf`` when the rate is 0.
    """
    if annual_rate <= 0:
        return math.inf
    return -math.log1p(-u) * 365.0 / annual_rate


def starting_team(periods: Sequence[tuple[float, ResolvedScenario]]) -> int:
    """The planned headcount of day 0: the team in post from the first warm-up day."""
    return [s for start, s in periods if start <= 0.0 or start == periods[0][0]][-1].sales.reps


def attrition_day(u: float, join: float, periods: Sequence[tuple[float, ResolvedScenario]]
                  ) -> float:
    """The day a rep who joined on ``join`` leaves by attrition, from a uniform ``u``.

    The hazard is ``attrition_annual / 365`` a day under the plan in force
    each day: the rep leaves once the hazard integrated from ``join`` reaches
    ``-log(1 - u)``. With one rate throughout this is ``join +``
    :func:`tenure_days`; ``inf`` if the rate is 0 from some day on and the
    hazard never gets there.
    """
    need = -math.log1p(-u)
    bounds = [start for start, _ in periods[1:]] + [math.inf]
    for (start, plan), end in zip(periods, bounds, strict=True):
        lo = max(start, join)
        if end <= lo:
            continue
        rate = plan.sales.staffing.attrition_annual / 365.0
        if rate > 0 and need <= rate * (end - lo):
            return lo + need / rate
        if rate > 0:
            need -= rate * (end - lo)
    return math.inf


def has_dynamics(periods: Sequence[tuple[float, ResolvedScenario]]) -> bool:
    """Whether the headcount can change during the run (a later step or attrition)."""
    first = starting_team(periods)
    return any((start > 0.0 and s.sales.reps != first) or s.sales.staffing.attrition_annual > 0
               for start, s in periods)


def staffing_plan(
    periods: Sequence[tuple[float, ResolvedScenario]],
    horizon: float,
    draw: Callable[[], float],
) -> list[Spell]:
    """Every rep's spell over the run, from the timeline and the staffing parameters.

    Args:
        periods: the scenario's periods ``(start day, plan)``; the first starts
            on the first warm-up day.
        horizon: the last day of the run (nothing is decided from it on).
        draw: the next uniform of the staffing stream; one is drawn per spell,
            in the order the spells are made, whether or not attrition is on
            (so scenarios share their draws).

    Returns:
        The spells, indexed by rep (``spells[k].rep == k``).
    """
    starts = [start for start, _ in periods]

    def plan_at(t: float) -> ResolvedScenario:
        k = 0
        while k + 1 < len(starts) and starts[k + 1] <= t:
            k += 1
        return periods[k][1]

    spells: list[Spell] = []
    due: list[tuple[float, int, int]] = []  # (day, kind, rep): kind 0 = attrition leave

    def hire(join: float, ramp: bool) -> None:
        s = plan_at(join).sales.staffing
        spell = Spell(len(spells), join, ramp_days=s.ramp_days if ramp else 0.0)
        spells.append(spell)
        leave = attrition_day(draw(), join, periods)
        if leave < horizon:
            heapq.heappush(due, (leave, 0, spell.rep))

    team = starting_team(periods)
    for _ in range(team):
        hire(starts[0], ramp=False)
    steps = []  # (day, planned headcount, before): the changes after day 0
    for start, s in periods[1:]:
        if start > 0.0 and s.sales.reps != team:
            steps.append((start, s.sales.reps, team))
            team = s.sales.reps
    for k, step in enumerate(steps):
        heapq.heappush(due, (step[0], 1, k))  # kind 1: a timeline step
    while due:
        t, kind, index = heapq.heappop(due)
        if kind == 0:  # attrition: leave and be replaced, unless already gone
            spell = spells[index]
            if spell.leave == math.inf and spell.join <= t:
                spell.leave, spell.replaced = t, True
                lag = plan_at(t).sales.staffing.replacement_lag_days
                if t + lag < horizon:
                    hire(t + lag, ramp=True)
            continue
        _, reps, before = steps[index]
        if reps > before:
            lag = plan_at(t).sales.staffing.hiring_lag_days
            for _ in range(reps - before):
                if t + lag < horizon:
                    hire(t + lag, ramp=True)
        elif reps < before:
            staying = sorted((s for s in spells if s.leave == math.inf),
                             key=lambda s: (s.join, s.rep), reverse=True)
            for spell in staying[: before - reps]:
                spell.leave = max(t, spell.join)  # a hire not yet joined never joins
    return spells


def rep_days_by_period(spells: Sequence[Spell], starts: Sequence[float],
                       horizon: float) -> list[float]:
    """Days worked by all reps within each period, counted over ``[0, horizon)``.

    Salaries are paid from the day a rep joins (ramp included) until they leave.
    """
    bounds = [*starts[1:], horizon]
    out = [0.0] * len(starts)
    for spell in spells:
        lo_s, hi_s = max(spell.join, 0.0), min(spell.leave, horizon)
        for k, (lo, hi) in enumerate(zip(starts, bounds, strict=True)):
            days = min(hi_s, hi) - max(lo_s, lo, 0.0)
            if days > 0:
                out[k] += days
    return out


def staffing_events(spells: Sequence[Spell], slots: int,
                    horizon: float) -> list[tuple[float, int, int]]:
    """The pool's changes over the run, in time order: ``(day, rep, open slots)``.

    ``open slots`` is 0 when the rep leaves. A rep who leaves before joining
    (a hire cancelled by a fall of the planned headcount) has no event.
    """
    events: list[tuple[float, int, int]] = []
    for spell in spells:
        if spell.leave <= spell.join or spell.join >= horizon:
            continue
        events.append((spell.join, spell.rep, ramp_slots(slots, 0.0, spell.ramp_days)))
        for k, t in enumerate(slot_openings(slots, spell.join, spell.ramp_days), start=2):
            if t < min(spell.leave, horizon):
                events.append((t, spell.rep, k))
        if spell.leave < horizon:
            events.append((spell.leave, spell.rep, 0))
    events.sort(key=lambda e: (e[0], e[1], e[2] == 0))
    return events
