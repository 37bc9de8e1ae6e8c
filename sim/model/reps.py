"""Sales reps as individuals, each with a limited number of active-lead slots.

With a fixed headcount every rep has the same slots throughout. With capacity
over time (:mod:`sim.model.capacity`) reps join, open slots as they ramp and
leave; the pool then keeps each lead a rep holds as a :class:`Seat`, so a
leaver's leads can be handed over, and integrates its capacity over time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy


class Seat:
    """One lead held by a rep, when the headcount changes during a run.

    Attributes:
        rep: the rep holding the lead now (another after a handover).
        process: the lead's process, once it has the seat, for a lead with a
            process of its own (interrupted if the lead is lost in a handover).
        sleep: for a lead whose journey is a chain of callbacks, while the
            rep works it: the event it wakes on, the callback that continues
            its journey then, and what the model needs to record it lost
            instead if it is lost in a handover (set by the model).
        lost_at: the day the lead was lost in a handover, if it was.
    """

    __slots__ = ("lost_at", "process", "rep", "sleep")

    def __init__(self, rep: int) -> None:
        self.rep = rep
        self.process: simpy.Process | None = None
        self.sleep: tuple[simpy.Event, Callable[[Any], None], Any] | None = None
        self.lost_at: float | None = None


class RepPool:
    """Reps with ``slots`` each; MQLs queue first-come first-served for a free slot.

    A waiting lead whose buying window closes is dropped lazily: it stays in
    the queue until a slot frees (or the run ends) and is then reported through
    ``on_expired`` with the time its window closed. This is exact and costs no
    event per waiting lead.

    The pool also integrates busy slots over time (from ``count_from`` on) for
    the utilisation metric, and, with capacity over time, open slots too.

    Args:
        env: the simulation environment.
        reps: number of reps (with capacity over time, every rep of the run,
            each closed until they join).
        slots: a fully productive rep's slots.
        on_expired: told of each waiting lead whose window closed.
        count_from: the day the integrals start.
        dynamic: capacity over time: reps join (:meth:`open_slots`) and leave
            (:meth:`leave`), and each lead held is a :class:`Seat`.
    """

    def __init__(
        self,
        env: simpy.Environment,
        reps: int,
        slots: int,
        on_expired: Callable[[Any, float], None],
        count_from: float = 0.0,
        dynamic: bool = False,
    ) -> None:
        self.env = env
        self.slots = slots
        self.capacity = reps * slots
        self.active = [0] * reps
        self.busy = 0
        # Capacity over time: each rep's open slots (0 before joining and after
        # leaving) and the seats they hold; reps start closed and join.
        self.dynamic = dynamic
        self.open = [0 if dynamic else slots] * reps
        self.held: list[dict[Seat, None]] = [{} for _ in range(reps)] if dynamic else []
        self.last_seat: Seat | None = None  # the seat :meth:`_take` made last
        if dynamic:
            self.capacity = 0
        self.capacity_slot_days = 0.0
        self._queue: deque[tuple[simpy.Event, Any, float]] = deque()
        self._on_expired = on_expired
        self._count_from = count_from
        self._last_change = count_from
        self.busy_slot_days = 0.0
        # A fixed pool keeps, for each number of leads held, the set of reps
        # holding that many as the bits of an integer, and the lowest number
        # that may have a rep: the least-loaded rep is then the lowest bit of
        # the lowest non-empty set (what ``active.index(min(active))`` gives)
        # in a few integer operations, whatever the headcount. Scanning every
        # rep cost a tenth of a run of a thousand reps' leads; heaps per count
        # cost 4 us a lead at 276 reps (benchmarks/performance.md).
        self._levels: list[int] = [] if dynamic else [(1 << reps) - 1] + [0] * slots
        self._floor = 0

    def _accumulate(self) -> None:
        now = self.env.now
        if now > self._count_from:
            days = now - max(self._last_change, self._count_from)
            self.busy_slot_days += self.busy * days
            self.capacity_slot_days += self.capacity * days
            self._last_change = now

    def load(self) -> float:
        """Share of all slots in use (1 while no slot is open)."""
        return self.busy / self.capacity if self.capacity else 1.0

    def rep_load(self, rep: int) -> float:
        """Share of one rep's open slots in use."""
        return self.active[rep] / self.open[rep] if self.open[rep] else 1.0

    def slot_days(self, horizon: float) -> float:
        """Slots open, integrated over ``[count_from, horizon)`` (after :meth:`close`)."""
        if not self.dynamic:  # the same product as ever, to the last bit
            return self.capacity * (horizon - self._count_from)
        return self.capacity_slot_days

    def _take(self, rep: int) -> None:
        self._accumulate()
        self.active[rep] += 1
        self.busy += 1
        if self.dynamic:
            self.last_seat = Seat(rep)
            self.held[rep][self.last_seat] = None
        else:  # one more lead: the rep moves up a set (see __init__)
            levels, level, bit = self._levels, self.active[rep], 1 << rep
            levels[level - 1] ^= bit
            levels[level] |= bit

    def _least_loaded(self) -> int:
        """The first of the least-loaded reps with a free slot (there must be one)."""
        if not self.dynamic:
            levels, level = self._levels, self._floor
            while not levels[level]:
                level += 1
            self._floor = level
            lowest = levels[level]
            return (lowest & -lowest).bit_length() - 1
        best, rep = math.inf, -1
        for k, (a, o) in enumerate(zip(self.active, self.open, strict=True)):
            if a < o and a / o < best:
                best, rep = a / o, k
        return rep

    def take_free_slot(self) -> int | None:
        """Take a free slot now for the least-loaded rep and return the rep, if any is free.

        The same as :meth:`request` when a slot is free, without an event to
        wait for; ``None`` when every slot is busy (then ``request``). With
        capacity over time the seat taken is :attr:`last_seat`.
        """
        if self.busy >= self.capacity:
            return None
        rep = self._least_loaded()
        self._take(rep)
        return rep

    def request(self, lead: Any, expires_at: float) -> simpy.Event:
        """An event that fires with a rep's index once a slot is free for ``lead``.

        ``lead`` identifies the lead to ``on_expired``; the pool never looks inside it.

        With free slots the least-loaded rep takes the lead at once; otherwise
        the lead waits. It never fires if the window closes first. With
        capacity over time it fires with the :class:`Seat` instead.
        """
        event = self.env.event()
        rep = self.take_free_slot()
        if rep is not None:
            event.succeed(self.last_seat if self.dynamic else rep)
        else:
            self._queue.append((event, lead, expires_at))
        return event

    def release(self, rep: int) -> None:
        """Free one of ``rep``'s slots and hand it to the next lead still in-market."""
        self._accumulate()
        self.active[rep] -= 1
        self.busy -= 1
        if not self.dynamic:  # one lead fewer: the rep moves down a set (see __init__)
            levels, level, bit = self._levels, self.active[rep], 1 << rep
            levels[level + 1] ^= bit
            levels[level] |= bit
            if level < self._floor:
                self._floor = level
        self._serve(rep)

    def release_seat(self, seat: Seat) -> None:
        """Free the slot of ``seat`` (capacity over time)."""
        del self.held[seat.rep][seat]
        self.release(seat.rep)

    def _serve(self, rep: int) -> None:
        """Give ``rep``'s free slots to the next leads still in-market."""
        now = self.env.now
        while self._queue and self.active[rep] < self.open[rep]:
            event, lead, expires_at = self._queue.popleft()
            if expires_at < now:
                self._on_expired(lead, expires_at)
                continue
            self._take(rep)
            event.succeed(self.last_seat if self.dynamic else rep)
            if not self.dynamic:
                return

    def open_slots(self, rep: int, slots: int) -> None:
        """Open ``rep``'s slots up to ``slots`` (joining, ramping) and serve the queue."""
        self._accumulate()
        self.capacity += slots - self.open[rep]
        self.open[rep] = slots
        self._serve(rep)

    def leave(self, rep: int) -> list[Seat]:
        """Close all of ``rep``'s slots; return the seats they held, to hand over.

        The seats are freed (the pool no longer counts them busy): whoever
        takes a lead over takes a new slot.
        """
        self._accumulate()
        seats = list(self.held[rep])
        self.held[rep].clear()
        self.busy -= self.active[rep]
        self.active[rep] = 0
        self.capacity -= self.open[rep]
        self.open[rep] = 0
        return seats

    def take_over(self, seat: Seat) -> bool:
        """Give ``seat`` to the least-loaded rep with a free slot; ``False`` if none has one."""
        if self.busy >= self.capacity:
            return False
        rep = self._least_loaded()
        self._accumulate()
        self.active[rep] += 1
        self.busy += 1
        seat.rep = rep
        self.held[rep][seat] = None
        return True

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
