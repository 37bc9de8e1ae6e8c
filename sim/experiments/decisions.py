"""Decisions under uncertainty as experiments: the one place that knows their three designs.

- ``compare --uncertainty N``: :class:`~sim.experiments.uncertainty.UncertainCompareSpec`;
- ``sensitivity``: :class:`~sim.experiments.sensitivity.SensitivitySpec`;
- ``optimize`` with several levers, a budget or a risk:
  :class:`~sim.experiments.optimizer.LeverSpec`.

Each is stored in an experiment's folder like any design (``experiment.json``
with a ``design`` field naming it), resumed from there, run on any executor
and written by :func:`sim.experiments.experiment.write_results`; the command
line, the experiment runner and the design registry reach them through the
three functions here, so their own modules stay out of the shared ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sim.experiments.evaluation import Progress
from sim.experiments.executors import Executor
from sim.experiments.optimizer import LeverResult, LeverSpec, run_levers
from sim.experiments.sensitivity import SensitivityResult, SensitivitySpec, run_sensitivity
from sim.experiments.store import ExperimentStore
from sim.experiments.uncertainty import (
    UncertainCompareResult,
    UncertainCompareSpec,
    run_uncertain_compare,
)

DecisionSpec = UncertainCompareSpec | SensitivitySpec | LeverSpec
DecisionResult = UncertainCompareResult | SensitivityResult | LeverResult

_DESIGNS: dict[str, type[Any]] = {
    UncertainCompareSpec.design_name: UncertainCompareSpec,
    SensitivitySpec.design_name: SensitivitySpec,
    LeverSpec.design_name: LeverSpec,
}
_RUNNERS: dict[type[Any], Callable[..., Any]] = {
    UncertainCompareSpec: run_uncertain_compare,
    SensitivitySpec: run_sensitivity,
    LeverSpec: run_levers,
}


def is_decision(spec: object) -> bool:
    """Whether ``spec`` is one of the designs of this module."""
    return isinstance(spec, UncertainCompareSpec | SensitivitySpec | LeverSpec)


def is_decision_json(data: Mapping[str, Any]) -> bool:
    """Whether a stored ``experiment.json`` holds one of these designs."""
    return data.get("design") in _DESIGNS


def decision_from_json(data: Mapping[str, Any]) -> DecisionSpec:
    """The design stored in ``experiment.json``.

    Raises:
        KeyError: not one of these designs.
    """
    spec: DecisionSpec = _DESIGNS[data["design"]].from_json(data)
    return spec


def run_decision(spec: DecisionSpec, executor: Executor, store: ExperimentStore | None = None,
                 progress: Progress | None = None) -> DecisionResult:
    """Run a decision design on an executor, saving into ``store`` (resumable)."""
    result: DecisionResult = _RUNNERS[type(spec)](spec, executor, store, progress)
    return result
