"""RepPool on a real SimPy environment: assignment, FIFO queue, expiry, busy-slot time."""

from __future__ import annotations

from collections.abc import Generator

import simpy

from sim.model.reps import RepPool


def make_pool(
    reps: int, slots: int, count_from: float = 0.0
) -> tuple[simpy.Environment, RepPool, list[tuple[int, float]]]:
    """A pool whose on_expired callback appends (lead, expiry time) to a list."""
    env = simpy.Environment()
    expired: list[tuple[int, float]] = []
    pool = RepPool(env, reps, slots, lambda lead, t: expired.append((lead, t)), count_from)
    return env, pool, expired


def test_free_slots_go_at_once_to_the_least_loaded_rep() -> None:
    _, pool, expired = make_pool(reps=3, slots=2)
    events = [pool.request(lead, expires_at=100.0) for lead in range(4)]
    assert all(e.triggered for e in events)
    # Ties go to the lowest index: 0, 1, 2, then rep 0 again (all at one lead).
    assert [e.value for e in events] == [0, 1, 2, 0]
    assert pool.active == [2, 1, 1]
    assert pool.busy == 4
    assert pool.load() == 4 / 6
    assert pool.rep_load(0) == 1.0 and pool.rep_load(1) == 0.5
    # Rep 1 frees its slot: loads 2, 0, 1, so rep 1 is the least loaded.
    pool.release(1)
    nxt = pool.request(4, expires_at=100.0)
    assert nxt.triggered and nxt.value == 1
    assert expired == []


def test_leads_wait_first_come_first_served_when_all_slots_are_busy() -> None:
    _, pool, expired = make_pool(reps=1, slots=1)
    first = pool.request(0, expires_at=100.0)
    waiting = [pool.request(lead, expires_at=100.0) for lead in (1, 2, 3)]
    assert first.triggered
    assert not any(e.triggered for e in waiting)
    assert pool.busy == 1
    # Each release hands the slot to the longest-waiting lead, in order of arrival.
    pool.release(0)
    assert [e.triggered for e in waiting] == [True, False, False]
    assert waiting[0].value == 0
    pool.release(0)
    assert [e.triggered for e in waiting] == [True, True, False]
    assert pool.busy == 1  # the slot changed hands; it was never free
    pool.release(0)
    assert all(e.triggered for e in waiting)
    pool.release(0)
    assert pool.busy == 0
    assert expired == []


def test_release_skips_and_reports_a_waiting_lead_whose_window_closed() -> None:
    env, pool, expired = make_pool(reps=1, slots=1)
    pool.request(0, expires_at=100.0)
    stale = pool.request(1, expires_at=3.0)
    fresh = pool.request(2, expires_at=100.0)

    def free_at_5() -> Generator[simpy.Event, None, None]:
        yield env.timeout(5.0)
        pool.release(0)

    env.process(free_at_5())
    env.run()
    # Lead 1's window closed at 3 < 5: reported with its expiry time, never served.
    assert expired == [(1, 3.0)]
    assert not stale.triggered
    assert fresh.triggered and fresh.value == 0
    assert pool.busy == 1


def test_release_with_only_expired_leads_waiting_frees_the_slot() -> None:
    env, pool, expired = make_pool(reps=1, slots=1)
    pool.request(0, expires_at=100.0)
    pool.request(1, expires_at=1.0)
    pool.request(2, expires_at=2.0)
    env.run(until=4.0)
    pool.release(0)
    assert expired == [(1, 1.0), (2, 2.0)]
    assert pool.busy == 0
    later = pool.request(3, expires_at=100.0)
    assert later.triggered and later.value == 0


def test_close_reports_expired_and_returns_in_market_leads() -> None:
    env, pool, expired = make_pool(reps=1, slots=1)
    pool.request(0, expires_at=100.0)
    pool.request(1, expires_at=5.0)
    pool.request(2, expires_at=50.0)
    pool.request(3, expires_at=8.0)
    env.run(until=10.0)
    # At horizon 10: leads 1 and 3 left the market (5, 8 < 10); lead 2 is still in it.
    assert pool.close(10.0) == [2]
    assert expired == [(1, 5.0), (3, 8.0)]
    # The queue is settled: closing again reports nothing new.
    assert pool.close(10.0) == []
    assert len(expired) == 2


def _timeline(count_from: float) -> tuple[RepPool, list[float]]:
    """Two reps with one slot each; lead A holds [0, 5), B [2, 6), C waits from 3, holds 4.

    Busy slots: [0, 2) 1, [2, 6) 2 (C takes A's slot at 5), [6, 9) 1, [9, 10) 0.
    """
    env, pool, expired = make_pool(reps=2, slots=1, count_from=count_from)
    starts: list[float] = []

    def lead(name: int, arrive: float, hold: float) -> Generator[simpy.Event, int, None]:
        yield env.timeout(arrive)
        rep = yield pool.request(name, expires_at=100.0)
        starts.append(env.now)
        yield env.timeout(hold)
        pool.release(rep)

    env.process(lead(0, 0.0, 5.0))
    env.process(lead(1, 2.0, 4.0))
    env.process(lead(2, 3.0, 4.0))
    env.run(until=10.0)
    assert pool.close(10.0) == []
    assert expired == []
    return pool, starts


def test_busy_slot_days_by_hand() -> None:
    # 1 * 2 + 2 * 4 + 1 * 3 + 0 * 1 = 2 + 8 + 3 = 13 busy slot-days.
    pool, starts = _timeline(count_from=0.0)
    assert starts == [0.0, 2.0, 5.0]  # C waited from 3 to 5
    assert pool.busy_slot_days == 13.0
    assert pool.busy == 0


def test_busy_slot_days_count_only_from_count_from() -> None:
    # From day 4: 2 * (6 - 4) + 1 * 3 = 4 + 3 = 7.
    pool, _ = _timeline(count_from=4.0)
    assert pool.busy_slot_days == 7.0


def test_busy_slot_days_zero_before_count_from() -> None:
    # Counting starts after the run's last change and close: nothing counted.
    pool, _ = _timeline(count_from=20.0)
    assert pool.busy_slot_days == 0.0
