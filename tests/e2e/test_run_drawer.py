"""The ``run`` command with its drawing process started early: the same report, and the
process ended whatever happens to the command."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest
from processes import gone

from sim.apps.cli import main
from sim.report import drawer as drawer_module
from sim.report.drawer import Drawer

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the drawer runs on Linux only")

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"
SHORT = ["-n", "1", "--horizon-days", "30", "--quiet"]


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, idle: bool,
         args: list[str] | None = None) -> tuple[int, list[int]]:
    """Run the command; its exit code and the drawers it started."""
    started: list[int] = []
    start = drawer_module.Drawer.start

    def recorded() -> Drawer | None:
        drawer = start()
        if drawer is not None:
            started.append(drawer.pid)
        return drawer

    monkeypatch.setattr(drawer_module, "other_core_idle", lambda: idle)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(Drawer, "start", recorded)
    code = main(["run", *(args or [str(BASELINE)]), *SHORT, "--out", str(tmp_path / name)])
    return code, started


def test_the_drawer_writes_the_same_figures(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    code, started = _run(tmp_path, monkeypatch, "drawer", idle=True)
    assert code == 0 and len(started) == 1 and gone(started[0])
    code, started = _run(tmp_path, monkeypatch, "here", idle=False)
    assert code == 0 and started == []
    pngs = sorted((tmp_path / "here" / "figures").glob("*.png"))
    assert len(pngs) >= 8
    for png in pngs:
        assert (tmp_path / "drawer" / "figures" / png.name).read_bytes() == png.read_bytes()
    assert (tmp_path / "drawer" / "tables" / "tables.xlsx").stat().st_size > 0


def test_a_command_that_fails_ends_its_drawer(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    code, started = _run(tmp_path, monkeypatch, "missing", idle=True,
                         args=[str(tmp_path / "no-such.yaml")])
    assert code != 0 and len(started) == 1 and gone(started[0])
    assert not (tmp_path / "missing").exists()
