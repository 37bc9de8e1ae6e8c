"""A run pauses Python's cyclic garbage collector and always leaves it as it found it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from sim import Scenario
from sim.model.funnel import FunnelModel, _cyclic_gc_paused
from sim.model.streams import make_streams


@pytest.fixture(autouse=True)
def _collector_back_on() -> Iterator[None]:
    """Whatever a failing test leaves, the next one starts with the collector on."""
    yield
    gc.enable()


class _Broken(FunnelModel):
    """A model whose run fails inside the simulation, once nurture starts."""

    collector_during_run: bool | None = None

    def _start_nurture(self, *args: object) -> None:
        self.collector_during_run = gc.isenabled()
        raise RuntimeError("nurture failed")


def _broken() -> _Broken:
    return _Broken(Scenario().with_overrides({"horizon_days": 30}), make_streams(1))


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_that_raises_leaves_the_collector_as_it_was(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    model = _broken()
    with pytest.raises(RuntimeError, match="nurture failed"):
        model.run()
    assert model.collector_during_run is False  # paused while the model ran
    assert gc.isenabled() is enabled


def test_a_run_that_finishes_leaves_the_collector_on() -> None:
    model = FunnelModel(Scenario().with_overrides({"horizon_days": 30}), make_streams(1))
    model.run()
    assert gc.isenabled()


def test_an_exception_inside_nested_pauses_restores_the_collector() -> None:
    with pytest.raises(KeyError), _cyclic_gc_paused(), _cyclic_gc_paused():
        assert not gc.isenabled()
        raise KeyError("inner")
    assert gc.isenabled()


def test_runs_in_two_threads_share_the_pause_and_the_last_one_out_restores() -> None:
    # A enters, B enters, A leaves (B still runs: still paused), B leaves.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with _cyclic_gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with _cyclic_gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["after the first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"after the first left": False}
    assert gc.isenabled()
