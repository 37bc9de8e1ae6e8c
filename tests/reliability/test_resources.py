"""Resource caps with clear errors and executors that fail fast (findings 10, 11, 12)."""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import PYTHON, REPO, assert_one_line, run_cli, subprocess_env, tiny

from sim.experiments import runner
from sim.experiments.designs import (
    MAX_POINTS,
    CompareSpec,
    ExperimentError,
    OptimizeSpec,
    SweepSpec,
    first_round_tasks,
    parse_vary,
)
from sim.experiments.executors import (
    DaskExecutor,
    Execution,
    ExecutorError,
    available_cores,
    max_workers,
)
from sim.scenario.loading import load_scenario

# --- finding 11: workers, grids, points --------------------------------------------------------


def test_workers_are_capped_at_the_tasks() -> None:
    assert Execution(workers=50).capped(2).worker_count == 2
    assert Execution(workers=3).capped(10).worker_count == 3
    assert Execution(workers=None).capped(1).worker_count == 1
    assert Execution("dask", workers=50, scheduler="tcp://x:1").capped(2).scheduler


def test_run_starts_no_more_workers_than_replications(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys) -> None:  # type: ignore[no-untyped-def]
    seen: list[Execution] = []

    def record(scenario: Any, *args: Any, execution: Execution, **kwargs: Any) -> Any:
        seen.append(execution)
        raise KeyboardInterrupt  # enough: how many workers would have started

    monkeypatch.setattr(runner, "run_replications", record)
    code, _, _ = run_cli(["run", str(tiny(tmp_path)), "--workers", "8", "--out",
                          str(tmp_path / "o")], capsys)
    assert code == 130 and seen[0].worker_count == 2


def test_too_many_workers_are_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--workers", "5000"], capsys)
    assert f"at most {max_workers()}" in assert_one_line(err, code)
    assert max_workers() >= 4 * available_cores()


def test_an_experiment_starts_no_more_workers_than_its_first_round(tmp_path: Path) -> None:
    base = load_scenario(tiny(tmp_path))
    assert first_round_tasks(CompareSpec.build([base, base])) == 4
    assert first_round_tasks(SweepSpec.build(base, [parse_vary("sales.reps=4,5,6")])) == 6
    spec = OptimizeSpec.build(base, "sales.reps", 2, 9, "contribution", points_per_round=4)
    assert first_round_tasks(spec) == 8


def test_a_grid_of_two_5001_value_axes_is_refused_at_once(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    code, _, err = run_cli(["sweep", str(tiny(tmp_path)), "--vary", "sales.reps=1:5001:1",
                            "--vary", "sales.slots_per_rep=1:5001:1"], capsys)
    line = assert_one_line(err, code)
    assert "25,010,001 points" in line and f"at most {MAX_POINTS:,}" in line
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(("option", "value"), [("--points", "100000000"),
                                                ("--refinements", "100000")])
def test_an_optimisation_beyond_its_caps_is_refused_at_once(tmp_path: Path, option: str,
                                                            value: str, capsys) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    code, _, err = run_cli(["optimize", str(tiny(tmp_path)), "--param", "sales.reps=1:50",
                            "--objective", "contribution", option, value], capsys)
    assert f"{option}: expected" in assert_one_line(err, code)
    assert time.perf_counter() - started < 30


def test_a_long_list_of_values_is_refused() -> None:
    with pytest.raises(ExperimentError, match="expected at most"):
        parse_vary("sales.reps=" + ",".join(["4"] * (MAX_POINTS + 1)))


# --- finding 10: a scheduler that is not one fails within the timeout, in one line ------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP service that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    kept: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                kept.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()
    for conn in kept:
        conn.close()


@pytest.fixture
def http_server() -> Iterator[str]:
    """A service that answers everything with an HTTP error."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn = server.accept()[0]
            except OSError:
                return
            conn.recv(100)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.mark.parametrize("which", ["silent_server", "http_server"])
def test_a_service_that_is_not_a_scheduler_fails_within_the_timeout(
        which: str, request: pytest.FixtureRequest) -> None:
    address = request.getfixturevalue(which)
    started = time.perf_counter()
    with pytest.raises(ExecutorError, match=f"--scheduler {address}: cannot start or reach"):
        DaskExecutor(scheduler=address, connect_timeout=3.0)
    assert time.perf_counter() - started < 15


def test_a_malformed_scheduler_address_is_one_line_and_the_process_ends(
        tmp_path: Path) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [PYTHON, str(REPO / "run.py"), "compare", str(tiny(tmp_path)), str(tiny(tmp_path)),
         "--executor", "dask", "--scheduler", "foo://nowhere", "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120, env=subprocess_env(), cwd=tmp_path)
    assert "unknown address scheme" in assert_one_line(done.stderr, done.returncode)
    assert time.perf_counter() - started < 60  # no 20 s wait for a half-made client
    assert not (tmp_path / "o").exists()


def test_the_local_cluster_has_no_dashboard_and_is_quiet_when_8787_is_taken(
        capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    with contextlib.suppress(OSError):  # taken by something else already: the same case
        taken.bind(("0.0.0.0", 8787))
        taken.listen()
    with caplog.at_level(logging.WARNING):
        executor = DaskExecutor(workers=1)
        try:
            scheduler = executor._cluster.scheduler
            ports = [s.getsockname() for s in scheduler.http_server._sockets.values()]
        finally:
            executor.close()
    taken.close()
    assert all(host == "127.0.0.1" and port != 8787 for host, port, *_ in ports)
    out, err = capfd.readouterr()
    assert "8787" not in out + err + caplog.text
    assert "dashboard" not in (out + err).lower()
