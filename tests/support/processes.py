"""Helpers for tests of child processes."""

from __future__ import annotations

import os


def gone(pid: int) -> bool:
    """Whether the child ``pid`` has ended and been reaped (no zombie left)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False
