"""The scenario parameters a simulation fit moves, each tied to one statistic.

A knob is one parameter on a *working scale* (logit of a probability, log of
a duration or size), paired with the statistic that moves most with it:
a stage's advance probability with the share of that stage's passages that
advanced, a segment's deal size with its opportunities' amounts. The fit
moves each knob until the simulated statistic matches the observed one.
:class:`Knobs` turns knob values into scenario overrides (dotted paths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from sim.calibration.parsing import snake
from sim.scenario.schema import Scenario

_P_MIN, _P_MAX = 1e-3, 1.0 - 1e-3


def resolved(scenario: Scenario) -> Any:
    """The plan in force on day 0 with every preset field written out.

    ``Scenario.resolve`` (``expanded`` in earlier versions of the schema).
    """
    method = getattr(scenario, "resolve", None) or getattr(scenario, "expanded")  # noqa: B009
    return method()


def logit(p: float) -> float:
    """``log(p / (1 - p))``, with ``p`` kept inside (0.001, 0.999)."""
    p = min(max(p, _P_MIN), _P_MAX)
    return math.log(p / (1.0 - p))


def expit(x: float) -> float:
    """The inverse of :func:`logit`."""
    return 1.0 / (1.0 + math.exp(-x))


def lognormal_sigma(cv: float) -> float:
    """Spread of log values of a lognormal with coefficient of variation ``cv``."""
    return math.sqrt(math.log1p(cv * cv))


def lognormal_cv(sigma: float) -> float:
    """Coefficient of variation of a lognormal whose log values have spread ``sigma``."""
    return math.sqrt(math.expm1(min(sigma * sigma, 50.0)))


def attenuation(p: float, share: float | None) -> float:
    """The slope of logit(share) in logit(p) when ``share = p x c``, ``c`` fixed (at most 1)."""
    if share is None or not 0.0 < share < 1.0:
        return 1.0
    return float(min(max((1.0 - p) / (1.0 - share), 0.1), 1.0))


@dataclass(frozen=True)
class Knob:
    """One fitted parameter.

    Attributes:
        name: its key, also the key of its statistic.
        start: its working value in the base scenario.
        slope: first guess of d(statistic) / d(knob), both on working scales.
        max_step: the largest move in one iteration (working scale).
        low, high: bounds of the working value.
        paths: the scenario keys it sets, for people.
    """

    name: str
    start: float
    slope: float
    max_step: float
    low: float
    high: float
    paths: tuple[str, ...]


class Knobs:
    """The knobs a base scenario offers for the statistics of an export.

    Args:
        base: the base scenario (with its presets; values are read expanded).
        stages: stage names measured one by one; empty when the export has no
            usable stage history (one knob then moves every stage at once).
        segments: the scenario's segment names.
        reference: the segment whose cycle multiplier stays fixed (stage
            durations are measured for it).
        available: names of the statistics the export supports.
        shares: observed values of share statistics (first guesses of slopes).
    """

    def __init__(self, base: Scenario, stages: list[str], segments: list[str],
                 reference: str | None, available: set[str],
                 shares: dict[str, float] | None = None) -> None:
        self.base = base
        x = resolved(base)
        self.x = x
        shares = shares or {}
        self.stage_names = [s.name for s in x.sales.stages]
        self.segment_names = [g.name for g in x.leads.segments]
        knobs: list[Knob] = []

        def add(name: str, start: float, slope: float, step: float, paths: tuple[str, ...],
                low: float = -math.inf, high: float = math.inf) -> None:
            if name in available and math.isfinite(start):
                knobs.append(Knob(name, start, slope, step, low, high, paths))

        add("mql_share", x.nurture.handoff_threshold, -6.0, 0.12,
            ("nurture.handoff_threshold",), 0.02, 0.98)
        # A probability p that scales a share (share = p x c) moves its logit by
        # (1 - p) / (1 - share) per unit of logit(p): the first guess of the slope.
        follow = x.incentives.sales.follow_up_rate or 0.0
        add("contact_share", logit(follow), attenuation(follow, shares.get("contact_share")), 2.0,
            ("incentives.sales.follow_up_rate",))
        add("qualify_share", logit(x.sales.qualify_probability),
            attenuation(x.sales.qualify_probability, shares.get("qualify_share")), 2.0,
            ("sales.qualify_probability",))
        self.stages = [snake(s) for s in stages]
        by_snake = {snake(n): j for j, n in enumerate(self.stage_names)}
        for name in self.stages:
            j = by_snake[name]
            stage = x.sales.stages[j]
            add(f"advance:{name}", logit(stage.advance_probability), 1.0, 2.0,
                (f"sales.stages.{j}.advance_probability",))
            add(f"duration:{name}", math.log(max(stage.duration.mean_days, 1e-3)), 1.0, 1.5,
                (f"sales.stages.{j}.duration.mean_days",))
        if not self.stages:
            add("win_share", 0.0, 1.5, 2.0, ("sales.stages.*.advance_probability",))
            add("duration:pipeline", 0.0, 1.0, 1.5, ("sales.stages.*.duration.mean_days",))
        if any(s.duration.distribution in ("lognormal", "gamma") and s.duration.cv > 0
               for s in x.sales.stages):
            add("duration:spread", 0.0, 1.0, 1.0, ("sales.stages.*.duration.cv",))
        self.reference = reference
        for i, seg in enumerate(x.leads.segments):
            if seg.name != reference:
                add(f"cycle:{seg.name}", math.log(seg.cycle_multiplier), 1.0, 1.5,
                    (f"leads.segments.{i}.cycle_multiplier",))
            sigma = lognormal_sigma(seg.deal_size_cv)
            add(f"amount:{seg.name}", math.log(seg.deal_size_mean) - sigma * sigma / 2.0, 1.0,
                2.0, (f"leads.segments.{i}.deal_size_mean",))
            if sigma > 0:
                add(f"amount:{seg.name}:spread", math.log(sigma), 1.0, 1.0,
                    (f"leads.segments.{i}.deal_size_cv",))
        if x.sales.base_discount > 0:
            add("discount", math.log(x.sales.base_discount), 1.0, 1.0, ("sales.base_discount",))
        self.knobs = knobs

    def start(self) -> dict[str, float]:
        """Every knob's working value in the base scenario."""
        return {k.name: k.start for k in self.knobs}

    def overrides(self, theta: dict[str, float]) -> dict[str, Any]:
        """Scenario overrides (dotted path -> value) for knob values ``theta``."""
        x = self.x
        out: dict[str, Any] = {}
        if "mql_share" in theta:
            out["nurture.handoff_threshold"] = theta["mql_share"]
        if "contact_share" in theta:
            out["incentives.sales.follow_up_rate"] = expit(theta["contact_share"])
        if "qualify_share" in theta:
            out["sales.qualify_probability"] = expit(theta["qualify_share"])
        spread = math.exp(theta.get("duration:spread", 0.0))
        for j, stage in enumerate(x.sales.stages):
            name = snake(stage.name)
            if f"advance:{name}" in theta:
                out[f"sales.stages.{j}.advance_probability"] = expit(theta[f"advance:{name}"])
            elif "win_share" in theta:
                out[f"sales.stages.{j}.advance_probability"] = expit(
                    logit(stage.advance_probability) + theta["win_share"])
            if f"duration:{name}" in theta:
                out[f"sales.stages.{j}.duration.mean_days"] = math.exp(theta[f"duration:{name}"])
            elif "duration:pipeline" in theta:
                out[f"sales.stages.{j}.duration.mean_days"] = stage.duration.mean_days * math.exp(
                    theta["duration:pipeline"])
            if "duration:spread" in theta and stage.duration.distribution in (
                    "lognormal", "gamma") and stage.duration.cv > 0:
                sigma = lognormal_sigma(stage.duration.cv) * spread
                out[f"sales.stages.{j}.duration.cv"] = min(lognormal_cv(sigma), 5.0)
        for i, seg in enumerate(x.leads.segments):
            if f"cycle:{seg.name}" in theta:
                out[f"leads.segments.{i}.cycle_multiplier"] = min(
                    math.exp(theta[f"cycle:{seg.name}"]), 20.0)
            if f"amount:{seg.name}" in theta:
                sigma = lognormal_sigma(seg.deal_size_cv)
                if f"amount:{seg.name}:spread" in theta:
                    sigma = math.exp(theta[f"amount:{seg.name}:spread"])
                    out[f"leads.segments.{i}.deal_size_cv"] = min(lognormal_cv(sigma), 5.0)
                out[f"leads.segments.{i}.deal_size_mean"] = math.exp(
                    theta[f"amount:{seg.name}"] + sigma * sigma / 2.0)
        if "discount" in theta:
            out["sales.base_discount"] = min(math.exp(theta["discount"]), x.sales.max_discount)
        return out
