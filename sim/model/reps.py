"""Sales reps as individuals, each with a limited number of active-lead slots."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy


class RepPool:
    """Reps with ``slots`` each; MQLs queue first-come first-served for a free slot.

    A waiting lead whose buying window closes is dropped lazily: it stays in
    the queue until a slot frees (or the run ends) and is then reported through
    ``on_expired`` with the time its window closed. This is exact and costs no
    event per waiting lead.

    The pool also integrates busy slots over time (from ``count_from`` on) for
    the utilisation metric.
    """

    def __init__(
        self,
        env: simpy.Environment,
        reps: int,
        slots: int,
        on_expired: Callable[[Any, float], None],
        count_from: float = 0.0,
    ) -> None:
        self.env = env
        self.slots = slots
        self.capacity = reps * slots
        self.active = [0] * reps
        self.busy = 0
        self._queue: deque[tuple[simpy.Event, Any, float]] = deque()
        self._on_expired = on_expired
        self._count_from = count_from
        self._last_change = count_from
        self.busy_slot_days = 0.0

    def _accumulate(self) -> None:
        now = self.env.now
        if now > self._count_from:
            self.busy_slot_days += self.busy * (now - max(self._last_change, self._count_from))
            self._last_change = now

    def load(self) -> float:
        """Share of all slots in use."""
        return self.busy / self.capacity

    def rep_load(self, rep: int) -> float:
        """Share of one rep's slots in use."""
        return self.active[rep] / self.slots

    def _take(self, rep: int) -> None:
        self._accumulate()
        self.active[rep] += 1
        self.busy += 1

    def take_free_slot(self) -> int | None:
        """Take a free slot now for the least-loaded rep and return the rep, if any is free.

        The same as :meth:`request` when a slot is free, without an event to
        wait for; ``None`` when every slot is busy (then ``request``).
        """
        if self.busy >= self.capacity:
            return None
        rep = self.active.index(min(self.active))  # the first of the least loaded
        self._take(rep)
        return rep

    def request(self, lead: Any, expires_at: float) -> simpy.Event:
        """An event that fires with a rep's index once a slot is free for ``lead``.

        ``lead`` identifies the lead to ``on_expired``; the pool never looks inside it.

        With free slots the least-loaded rep takes the lead at once; otherwise
        the lead waits. It never fires if the window closes first.
        """
        event = self.env.event()
        rep = self.take_free_slot()
        if rep is not None:
            event.succeed(rep)
        else:
            self._queue.append((event, lead, expires_at))
        return event

    def release(self, rep: int) -> None:
        """Free one of ``rep``'s slots and hand it to the next lead still in-market."""
        self._accumulate()
        self.active[rep] -= 1
        self.busy -= 1
        now = self.env.now
        while self._queue:
            event, lead, expires_at = self._queue.popleft()
            if expires_at < now:
                self._on_expired(lead, expires_at)
                continue
            self._take(rep)
            event.succeed(rep)
            return

    def close(self, horizon: float) -> list[Any]:
        """Settle the queue at the end of the run; return the leads still waiting."""
        self._accumulate()
        waiting = []
        for _, lead, expires_at in self._queue:
            if expires_at < horizon:
                self._on_expired(lead, expires_at)
            else:
                waiting.append(lead)
        self._queue.clear()
        return waiting
