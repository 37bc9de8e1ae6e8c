"""What sales feedback has taught marketing about which content resonates, recently.

Unlike lead scoring (which learns from every piece of feedback ever given),
knowing what resonates ages: products, prices, competitors and buyers'
questions change, so feedback counts with a weight that halves every
``half_life_days``. A steady flow of feedback keeps the stock at ``flow x
half_life / ln 2``; feedback that stops is forgotten.
"""

from __future__ import annotations

import math


class FeedbackMemory:
    """An exponentially fading sum of feedback items.

    Args:
        half_life_days: days after which an item counts half; ``inf`` never forgets.
        start: the time the memory starts, empty.
    """

    def __init__(self, half_life_days: float, start: float) -> None:
        self.rate = math.log(2.0) / half_life_days if half_life_days < math.inf else 0.0
        self.t = start
        self.items = 0.0

    def add(self, t: float, items: float) -> None:
        """Record ``items`` of feedback given at time ``t`` (not before the last call)."""
        self.items = self.at(t) + items
        self.t = t

    def at(self, t: float) -> float:
        """The weighted items remembered at time ``t`` (not before the last :meth:`add`)."""
        return self.items * math.exp(-self.rate * (t - self.t))
