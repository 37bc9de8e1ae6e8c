"""A lead's row of luck: the uniforms drawn when it is created, by column name.

All luck of a lead is one row of uniforms drawn at creation, from its
source's stream (common random numbers across scenarios): a fixed set of
columns, then two per pipeline stage. :func:`transform_rows` turns most of
them into the variates they stand for at once, vectorised over a block of
leads; the others stay uniforms, compared with a chance when the lead gets
there. The order of the columns is the order of the draws, so it is part of
every stored result: add columns at the end, never in between.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from sim.model import variates as dist
from sim.model.records import Source
from sim.scenario.schema import ResolvedScenario


class Luck:
    """Column of each piece of a lead's luck in its row (a namespace: never instantiated).

    Plain integers rather than an ``IntEnum``: the model reads them a dozen
    times per lead on its hottest path, and an enum member costs several
    times a class attribute there. What each column holds once
    :func:`transform_rows` has run:
    """

    SEGMENT: Final = 0
    """Segment index, drawn by the segment shares."""
    QUALITY: Final = 1
    """Lead quality in [0, 1], Beta of the lead's source."""
    BUYING_WINDOW: Final = 2
    """Days the buying window stays open (``inf`` without windows); the model
    replaces it by the absolute day it closes once the lead is an MQL."""
    SCORE_NOISE: Final = 3
    """Standard normal: the lead's scoring noise, scaled by the day's noise level."""
    GOING_COLD: Final = 4
    """Unit exponential: days until it goes cold, at a hazard of one a day."""
    FOLLOW_UP: Final = 5
    """Uniform: not followed up when at or above the follow-up chance."""
    RESPONSE: Final = 6
    """Standard normal behind the rep's lognormal first-response delay."""
    REJECT: Final = 7
    """Uniform: rejected by a busy rep when below the cherry-pick chance."""
    RECYCLE: Final = 8
    """Uniform: a rejected lead goes back to nurture when below the recycle share."""
    QUALIFY: Final = 9
    """Uniform: qualified when below the qualification chance."""
    PUSH: Final = 10
    """Uniform: a deal closing just after a period end is pulled into it when below
    the pull-forward chance."""
    DEAL_SIZE: Final = 11
    """Deal size with mean 1 (lognormal of the segment's spread)."""
    QUALIFY_DAYS: Final = 12
    """Unit exponential: the rep's time to qualify, in units of its mean."""
    FIXED: Final = 13
    """Columns before the stages' pairs; stage ``j`` has :meth:`stage_duration`
    and :meth:`stage_advance` after them."""

    HANDOFF: Final = (FOLLOW_UP, RESPONSE, REJECT, RECYCLE, QUALIFY, QUALIFY_DAYS)
    """Drawn again, from the recycle stream, when a rejected lead goes back to
    nurture: its second hand-off is new luck."""

    @staticmethod
    def stage_duration(stage: int) -> int:
        """Column of stage ``stage``'s duration (mean 1, the stage's distribution)."""
        return Luck.FIXED + 2 * stage

    @staticmethod
    def stage_advance(stage: int) -> int:
        """Column of stage ``stage``'s uniform: lost there when at or above the advance chance."""
        return Luck.FIXED + 2 * stage + 1

    @staticmethod
    def width(stages: int) -> int:
        """Columns in the row of a lead in a pipeline of ``stages`` stages."""
        return Luck.FIXED + 2 * stages


def transform_rows(u: np.ndarray, source: Source, s: ResolvedScenario) -> np.ndarray:
    """Turn the uniforms of new leads (one row each) in place into their luck.

    Args:
        u: uniforms, one row of :meth:`Luck.width` columns per lead.
        source: where every one of these leads came from.
        s: the plan in force when they arrive.

    Returns:
        ``u``, transformed (see :class:`Luck` for each column).
    """
    n = u.shape[0]
    quality = {Source.ORGANIC: s.leads.quality_organic,
               Source.PROMOTION: s.leads.quality_promotion,
               Source.HAND_RAISER: s.leads.hand_raisers.quality}[Source(source)]
    cum = np.cumsum([g.share for g in s.leads.segments])
    u[:, Luck.SEGMENT] = np.minimum(np.searchsorted(cum, u[:, Luck.SEGMENT], side="right"),
                                    len(cum) - 1)
    u[:, Luck.QUALITY] = dist.beta(u[:, Luck.QUALITY], quality.a, quality.b)
    window_mean = np.array([g.buying_window_days_mean for g in s.leads.segments])
    if source == Source.HAND_RAISER:  # short patience, whatever the segment
        window_mean = np.full(window_mean.size, s.leads.hand_raisers.buying_window_days_mean)
    u[:, Luck.BUYING_WINDOW] = (
        dist.exponential(u[:, Luck.BUYING_WINDOW], 1.0)
        * window_mean[u[:, Luck.SEGMENT].astype(int)] if s.leads.buying_window else np.inf)
    u[:, Luck.SCORE_NOISE] = dist.standard_normal(u[:, Luck.SCORE_NOISE])
    u[:, Luck.GOING_COLD] = dist.exponential(u[:, Luck.GOING_COLD], 1.0)
    u[:, Luck.RESPONSE] = dist.standard_normal(u[:, Luck.RESPONSE])
    u[:, Luck.QUALIFY_DAYS] = dist.exponential(u[:, Luck.QUALIFY_DAYS], 1.0)
    segment = u[:, Luck.SEGMENT].astype(int)
    deal = np.empty(n)
    for cv in {g.deal_size_cv for g in s.leads.segments}:
        members = np.array([g.deal_size_cv == cv for g in s.leads.segments])[segment]
        deal[members] = dist.unit_mean(u[members, Luck.DEAL_SIZE], "lognormal", cv)
    u[:, Luck.DEAL_SIZE] = deal
    for j, stage in enumerate(s.sales.stages):
        col = Luck.stage_duration(j)
        u[:, col] = dist.unit_mean(u[:, col], stage.duration.distribution, stage.duration.cv)
    return u
