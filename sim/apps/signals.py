"""SIGTERM handled like Ctrl-C: a stopped command keeps what finished and says so in one line.

``kill PID``, a closing terminal session, a CI time-out and a container stop
send SIGTERM. By default it ends Python at once: an experiment's manifest
stays ``running`` and temporary folders are left behind. Inside
:func:`terminate_as_interrupt` it raises :class:`Terminated`, a
:class:`KeyboardInterrupt`, so every path that handles Ctrl-C (save the
finished replications, mark the experiment interrupted, remove temporary
folders, print one line) handles it too.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["EXIT_INTERRUPTED", "EXIT_TERMINATED", "Terminated", "exit_code",
           "terminate_as_interrupt"]

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived; handled wherever Ctrl-C is."""


def exit_code(interrupt: BaseException) -> int:
    """The exit code for an interruption: 143 after SIGTERM, 130 after Ctrl-C."""
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`; the previous handler is restored.

    Only the main thread can set signal handlers; elsewhere the block changes nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
