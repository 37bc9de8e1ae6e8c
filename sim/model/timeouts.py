"""Many SimPy timeouts scheduled at once, as ``env.timeout`` would one by one.

A large run lets a whole day of wake-ups into SimPy's event heap at each day
start (``FunnelModel._calendar_day``): a thousand timeouts a day at a million
leads. ``env.timeout(delay)`` costs three Python calls each (the event's
``__init__``, ``Environment.schedule``, then ``heappush``); here the same
events get the same heap entries (time, priority, event id in the order
given) in one loop, and a batch that outnumbers the heap is added by
``heapify`` instead of a push each. Entries differ in their event ids, so the
order SimPy pops them in depends only on the entries, not on how the heap was
built: the run is the same event for event.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any

import simpy
from simpy.events import NORMAL, Timeout


def schedule_timeouts(env: simpy.Environment,
                      due: Sequence[tuple[float, Callable[[Any], None]]]) -> None:
    """Schedule one timeout per ``(time, callback)`` of ``due``, in that order.

    Each is what ``env.timeout(time - env.now).callbacks.append(callback)``
    makes and schedules. Every ``time`` must be one that ``env.now + (time -
    env.now)`` gives back exactly (the calendar only keeps such times) and
    not before ``env.now``.

    Args:
        env: The environment whose heap receives the events.
        due: ``(time, callback)`` pairs in the order their timeouts were made.
    """
    now = env.now
    # SimPy 4's heap and event counter, as Environment.schedule uses them (the
    # hot-path test checks the result against env.timeout, so a change in SimPy shows).
    queue = env._queue
    eid = env._eid
    entries = []
    for t, callback in due:
        event = Timeout.__new__(Timeout)  # Timeout.__init__ without its schedule call
        event.env = env
        event.callbacks = [callback]
        event._value = None
        event._delay = t - now
        event._ok = True
        entries.append((t, NORMAL, next(eid), event))
    if len(entries) >= len(queue):  # linear in both: cheaper than a push each
        queue.extend(entries)
        heapq.heapify(queue)
    else:
        for entry in entries:
            heapq.heappush(queue, entry)
