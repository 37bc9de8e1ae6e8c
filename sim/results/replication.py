"""Run one replication of a scenario and return its results."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.model.funnel import FunnelModel
from sim.model.opening import OpeningFunnelModel, OpeningPipeline
from sim.model.streams import make_streams
from sim.results.metrics import (
    compute_metrics,
    first_response_hours,
    lead_records,
    weekly_timeseries,
    won_deals,
)
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class SimulationResult:
    """The outputs of one replication.

    Attributes:
        metrics: metric name -> value (see :data:`sim.results.metrics.METRIC_NAMES`).
        timeseries: weekly series from day 0.
        leads: per-lead records, or ``None`` unless requested.
        seed, replication: what reproduces this result.
        won_deals: one compact row per won deal (see :func:`sim.results.metrics.won_deals`),
            kept whatever ``record_leads`` says; reports draw cycle times from it.
        first_response_hours: first-response delay of every lead a rep responded to.
    """

    metrics: dict[str, float]
    timeseries: pd.DataFrame
    leads: pd.DataFrame | None
    seed: int
    replication: int
    won_deals: pd.DataFrame | None = None
    first_response_hours: np.ndarray | None = None


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    record_leads: bool | None = None,
    opening: OpeningPipeline | None = None,
) -> SimulationResult:
    """Simulate one replication.

    Args:
        scenario: a validated scenario.
        seed: root seed; defaults to ``scenario.seed``.
        replication: index of the replication; each has its own random streams.
        record_leads: keep per-lead records; defaults to ``scenario.record_leads``.
        opening: start from these deals open on day 0 instead of the warm-up's
            pipeline (:mod:`sim.model.opening`); ``None``: the model as ever.
    """
    seed = scenario.seed if seed is None else seed
    keep = scenario.record_leads if record_leads is None else record_leads
    streams = make_streams(seed, replication)
    model = (FunnelModel(scenario, streams, keep_leads=keep) if opening is None
             else OpeningFunnelModel(scenario, streams, opening, keep_leads=keep))
    model.run()
    return SimulationResult(
        metrics=compute_metrics(model),
        timeseries=weekly_timeseries(model),
        leads=lead_records(model) if keep else None,
        seed=seed,
        replication=replication,
        won_deals=won_deals(model),
        first_response_hours=first_response_hours(model),
    )
