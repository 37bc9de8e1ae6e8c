"""Shared set-up of the reliability tier: the command line in-process, tiny scenarios."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sim.apps import cli

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# The smallest scenario that books deals (a short warm-up fills the pipeline): two weeks.
TINY = "name: tiny\nhorizon_days: 14\nwarmup_days: 60\nreplications: 2\nseed: 7\n"
QUICK = ["--horizon-days", "14", "-n", "2"]


def tiny(folder: Path, name: str = "tiny.yaml", extra: str = "") -> Path:
    """A tiny scenario file in ``folder`` (``extra`` YAML appended)."""
    path = folder / name
    path.write_text(TINY + extra, encoding="utf-8")
    return path


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``run.py ARGV`` in this process: exit code, stdout, stderr."""
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line(err: str, code: int, expected: int = cli.EXIT_BAD_INPUT) -> str:
    """The answer to bad input: exit ``expected`` and exactly one line on stderr."""
    assert code == expected, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert err.endswith("\n")
    return lines[0]


def no_leftovers(folder: Path) -> list[str]:
    """Hidden temporary files or folders the tool left in ``folder`` (recursively)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*")
                  if ".tmp-" in p.name or ".old-" in p.name)


def subprocess_env() -> dict[str, str]:
    """The environment of a child ``run.py``: this checkout first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def start(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    """``run.py ARGV`` as a child in its own process group, Ctrl-C not ignored."""
    return subprocess.Popen(
        [PYTHON, str(REPO / "run.py"), *argv], cwd=cwd, env=subprocess_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


# The command line once it is imported: it prints "ready" first, so a signal sent
# after that line lands in the tool's own code (Python's start-up is not the tool's).
_READY = ("import sys\nfrom sim.apps import cli\nprint('ready', flush=True)\n"
          "sys.exit(cli.main(sys.argv[1:]))\n")


def start_ready(argv: list[str], cwd: Path) -> subprocess.Popen[str]:
    """:func:`start`, returning once the child has imported the command line."""
    child = subprocess.Popen(
        [PYTHON, "-c", _READY, *argv], cwd=cwd, env=subprocess_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    return child
