"""Argument types shared by the command lines (``run.py`` and ``run.py calibrate``).

Standard library only, so a command line that imports it stays fast to start.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable


def whole_number(minimum: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse type: a whole number >= ``minimum``, refused in one line otherwise.

    Args:
        minimum: the smallest value accepted.
        what: what the number is, for the message (``expected a seed >= 0``).
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what} >= {minimum}, got {value}")
        return value

    return parse
