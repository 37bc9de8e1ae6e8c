"""Per-lead records kept in growable NumPy arrays (one column per attribute)."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Outcome(IntEnum):
    """Where a lead ended (``IN_FLIGHT`` while still in the system)."""

    IN_FLIGHT = 0
    WON = 1
    NEVER_CONTACTED = 2
    REJECTED = 3
    COLD = 4
    LOST_IN_SALES = 5


class Reason(IntEnum):
    """The detailed reason behind an outcome."""

    NONE = 0
    NOT_FOLLOWED_UP = 1
    EXPIRED_WAITING = 2
    REJECTED = 3
    WENT_COLD = 4
    BOUGHT_ELSEWHERE = 5
    AGED_OUT = 6
    UNQUALIFIED = 7
    LOST_AT_STAGE = 8
    WON = 9


class Source(IntEnum):
    """Where a lead came from."""

    ORGANIC = 0
    PROMOTION = 1


_COLUMNS: dict[str, tuple[type, float | int]] = {
    "created": (np.float64, np.nan),
    "source": (np.int8, -1),
    "segment": (np.int8, -1),
    "quality": (np.float64, np.nan),
    "mql_time": (np.float64, np.nan),
    "assigned_time": (np.float64, np.nan),
    "wait_days": (np.float64, np.nan),
    "first_response_hours": (np.float64, np.nan),
    "sql_time": (np.float64, np.nan),
    "deal_size": (np.float64, np.nan),
    "discount": (np.float64, np.nan),
    "value": (np.float64, 0.0),
    "pushed": (np.bool_, False),
    "recycled": (np.int16, 0),
    "stage_reached": (np.int16, -1),
    "outcome": (np.int8, int(Outcome.IN_FLIGHT)),
    "reason": (np.int8, int(Reason.NONE)),
    "outcome_time": (np.float64, np.nan),
}


class LeadTable:
    """Columns of per-lead data, grown by doubling as leads are created."""

    def __init__(self, capacity: int, stages: int) -> None:
        capacity = max(capacity, 16)
        self.n = 0
        self.columns = {
            name: np.full(capacity, fill, dtype=dtype) for name, (dtype, fill) in _COLUMNS.items()
        }
        self.stage_days = np.full((capacity, stages), np.nan)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def add(self, count: int) -> slice:
        """Reserve rows for ``count`` new leads and return their slice."""
        need = self.n + count
        capacity = self.stage_days.shape[0]
        if need > capacity:
            grown = max(need, 2 * capacity)
            for name, (_, fill) in _COLUMNS.items():
                old = self.columns[name]
                new = np.full(grown, fill, dtype=old.dtype)
                new[: self.n] = old[: self.n]
                self.columns[name] = new
            stage_days = np.full((grown, self.stage_days.shape[1]), np.nan)
            stage_days[: self.n] = self.stage_days[: self.n]
            self.stage_days = stage_days
        rows = slice(self.n, need)
        self.n = need
        return rows

    def view(self) -> dict[str, np.ndarray]:
        """The filled part of every column."""
        return {name: col[: self.n] for name, col in self.columns.items()}
