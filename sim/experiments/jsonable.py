"""Numbers for strict JSON: the results files and ``--json`` output of every command.

A metric can be undefined in a replication (no deal won: no cycle time), and
its mean and interval then are NaN. Strict JSON has no NaN or infinity, so
every number the tool writes goes through :func:`finite` first and an
undefined value is written as ``null``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite(x: float | None) -> float | None:
    """A number for JSON: NaN or infinity (undefined) becomes ``None`` (null).

    Args:
        x: a number (Python or NumPy float or int) or ``None``.

    Returns:
        ``float(x)``, or ``None`` when ``x`` is ``None``, NaN or infinite.
    """
    if x is None:
        return None
    value = float(x)
    return value if math.isfinite(value) else None


def json_value(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds; anything else unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value
