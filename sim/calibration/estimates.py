"""What a calibration reports for each scenario value: an estimate or a reason to keep the base."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Estimate:
    """One estimated scenario value.

    Attributes:
        path: the scenario key (dotted path).
        value: the estimate.
        low, high: its 95 % interval.
        base: the base scenario's value.
        records: records it rests on.
        method: how it was estimated and from what, one line.
    """

    path: str
    value: float
    low: float
    high: float
    base: float
    records: int
    method: str


@dataclass(frozen=True)
class Fallback:
    """A scenario value left at the base, and why."""

    path: str
    reason: str


def wilson(hits: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of a share ``hits / n`` (95 % for the default ``z``)."""
    if n == 0:
        return 0.0, 1.0
    p = hits / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n * n)) / (1 + z**2 / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)
