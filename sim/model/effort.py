"""Reps' effort against their quota: each rep's bookings in the current sales period.

Under a plan with a quota (``quota_per_rep_period > 0``) a rep who takes a
lead on works it harder or less hard by where they stand against this
period's quota (:func:`sim.model.mechanisms.quota_effort`): harder while the
quota is within reach, less hard once it is out of reach (give-up), and at
the accelerators' effort once it is made (Chung, Steenburgh & Sudhir 2014).
Effort multiplies the odds of every stage of that deal. The model plans a
deal's whole pipeline when a rep takes its lead on (:mod:`sim.model.funnel`),
so the effort chosen then holds for the whole deal, also where it closes in
a later period: an approximation of a rep whose effort varies day by day.

Sales periods are the multiples of ``period_days`` from day 0 (warm-up
periods before it included).
"""

from __future__ import annotations

import math

from sim.model.mechanisms import quota_effort, required_pace
from sim.model.policy import Policy


class RepBookings:
    """Each rep's bookings in the current sales period, and by period from day 0.

    Args:
        reps: number of reps (indices ``0 .. reps - 1``).
    """

    def __init__(self, reps: int) -> None:
        self._period: list[int | None] = [None] * reps  # the period of _booked
        self._booked = [0.0] * reps
        self.by_rep_period: dict[tuple[int, int], float] = {}
        """Bookings from day 0 on by ``(rep, period index)``: what accelerators pay on."""

    def book(self, rep: int, t: float, value: float, period_days: float) -> None:
        """Credit ``rep`` with a deal of ``value`` closed won at time ``t``."""
        k = math.floor(t / period_days)
        if self._period[rep] != k:  # the first deal of a new period
            self._period[rep] = k
            self._booked[rep] = 0.0
        self._booked[rep] += value
        if t >= 0.0:
            key = (rep, k)
            self.by_rep_period[key] = self.by_rep_period.get(key, 0.0) + value

    def booked(self, rep: int, t: float, period_days: float) -> float:
        """What ``rep`` has booked so far in the period containing time ``t``."""
        return self._booked[rep] if self._period[rep] == math.floor(t / period_days) else 0.0

    def effort(self, rep: int, t: float, p: Policy) -> float:
        """Odds multiplier of ``rep``'s effort on a deal taken on at time ``t``; 1 without quota."""
        quota = p.quota_per_rep_period
        if quota <= 0.0:
            return 1.0
        position = t / p.period_days
        pace = required_pace(self.booked(rep, t, p.period_days), quota,
                             position - math.floor(position))
        return quota_effort(pace, p.quota_effort_odds, p.give_up_pace, p.give_up_effort_odds,
                            p.above_quota_effort_odds)
