"""Sales' trust in marketing's leads: the quality of the MQLs it worked lately.

Reps judge a lead when they first respond to it. Their memory of how good
marketing's leads have been is an exponentially weighted mean of the
propensity to buy of the MQLs they responded to, with a half-life of a few
weeks; when it falls below the quality they regard as normal, they follow up
fewer new MQLs (:func:`sim.model.mechanisms.trust_follow_up_factor`;
Sabnis, Chatterjee, Grewal & Lilien 2013). So marketing paid on MQL volume,
which hands over more and weaker MQLs, loses part of them to sales' distrust.

The mean weighs what reps see, lead quality, not whether the lead qualified:
qualification here mostly follows the response delay, and reps who blamed
slow responses on the leads would double every response-time effect.
"""

from __future__ import annotations

import heapq

from sim.model.mechanisms import trust_follow_up_factor
from sim.model.policy import Policy


class LeadTrust:
    """Exponentially weighted mean quality of the MQLs sales responded to.

    Responses are decided ahead of time (when a rep takes a lead on), so each
    observation waits in a heap until its response time, like sales feedback.

    Args:
        reference: the quality sales starts from (one lead's weight; it fades
            within days).
        start: the first simulated time.
    """

    def __init__(self, reference: float, start: float) -> None:
        self._due: list[tuple[float, float]] = []  # (response time, quality) heap
        self._weight = 1.0
        self._total = reference
        self._last = start

    def observe(self, t: float, quality: float) -> None:
        """A rep responds at time ``t`` to an MQL of propensity ``quality``."""
        heapq.heappush(self._due, (t, quality))

    def quality(self, now: float, half_life_days: float) -> float:
        """The mean quality of the MQLs responded to by ``now``, recent ones weighing most."""
        due = self._due
        while due and due[0][0] <= now:
            t, q = heapq.heappop(due)
            keep = 0.5 ** ((t - self._last) / half_life_days)
            self._weight = self._weight * keep + 1.0
            self._total = self._total * keep + q
            self._last = t
        return self._total / self._weight

    def follow_up_factor(self, now: float, p: Policy) -> float:
        """Multiplier on the follow-up chance of an MQL handed over at ``now``."""
        level = self.quality(now, p.mql_trust_half_life_days)
        return trust_follow_up_factor(level, p.mql_trust_reference_quality,
                                      p.mql_trust_elasticity, p.mql_trust_floor)
