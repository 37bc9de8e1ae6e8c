"""Experiment designs: what to compare, which grid, which parameter to optimise.

A design (:class:`CompareSpec`, :class:`SweepSpec`, :class:`OptimizeSpec`) is
a validated, JSON-serialisable definition of an experiment: its scenarios or
grid, the common root seed and the replications (:class:`Stopping`). Every
scenario or grid point is validated when the design is built, before anything
runs, and a bad one raises :class:`ExperimentError` with one line naming the
option (``--vary``, ``--param``, ``--objective``), the key and what is wrong.
The same seed and replications at every point are what give common random
numbers (see :mod:`sim.experiments.experiment`), so those keys cannot be varied.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import numpy as np

from sim.results.catalog import direction
from sim.results.catalog import names as metric_names
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import parse_set
from sim.scenario.overrides import Source, apply_overrides, fixed_key_of, show
from sim.scenario.scale import check_scale
from sim.scenario.schema import Scenario

Goal = Literal["max", "min"]

# The most scenarios or grid points an experiment may have, and values an
# optimisation may try in one round: checked before anything runs, so a typo
# (two 5001-value axes, --points 100000000) is one line, not a hang.
MAX_POINTS = 10_000
MAX_POINTS_PER_ROUND = 1_000
MAX_REFINEMENTS = 100


class ExperimentError(Exception):
    """A bad experiment definition (grid, parameter, objective); the message is one line."""


@dataclass(frozen=True)
class Stopping:
    """How many replications each point gets.

    Attributes:
        replications: replications of the first round.
        precision: with sequential stopping, the largest acceptable 95% CI
            half-width of the objective relative to its mean; rounds of more
            replications run until every point meets it. ``None``: one round.
        max_replications: the most replications sequential stopping may reach.
        objective: the metric whose precision is checked.
    """

    replications: int
    precision: float | None = None
    max_replications: int = 200
    objective: str = "contribution"

    def __post_init__(self) -> None:
        if self.replications < 1:
            raise ValueError(f"replications: expected >= 1, got {self.replications}")
        if self.precision is not None and not 0 < self.precision < math.inf:
            raise ValueError(f"precision: expected a number > 0, got {self.precision}")
        if self.max_replications < self.replications:
            raise ValueError(f"max_replications ({self.max_replications}) must be >= "
                             f"replications ({self.replications})")
        check_metric(self.objective)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"replications": self.replications, "precision": self.precision,
                "max_replications": self.max_replications, "objective": self.objective}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stopping:
        """The inverse of :meth:`to_json`."""
        return cls(**data)


@dataclass(frozen=True)
class Point:
    """One scenario of an experiment: a compared scenario or a grid point.

    Attributes:
        id: the key of its replications in the results store.
        label: a name for people.
        values: the grid values that define it (empty for a compared scenario).
        scenario: the validated scenario.
    """

    id: str
    label: str
    values: Mapping[str, Any]
    scenario: Scenario


def check_metric(name: str, option: str = "--objective") -> str:
    """``name`` if it is a metric, else an :class:`ExperimentError` with a suggestion."""
    if name in metric_names():
        return name
    close = difflib.get_close_matches(name, metric_names(), n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else "; see the metrics in README.md"
    raise ExperimentError(f"{option} {name}: unknown metric{hint}")


def resolve_goal(objective: str, goal: Goal | None) -> Goal:
    """The goal given, or the one the metric's direction implies.

    Raises:
        ExperimentError: a metric with no preferred direction and no goal given.
    """
    if goal is not None:
        return goal
    way = direction(objective)
    if way == 0:
        raise ExperimentError(f"--objective {objective}: neither higher nor lower is better; "
                              "say which with --goal max or --goal min")
    return "max" if way > 0 else "min"


def unique_labels(names: Sequence[str]) -> list[str]:
    """Scenario names made unique with a ``-2``, ``-3`` suffix on repeats."""
    seen: dict[str, int] = {}
    labels = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        labels.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    taken = set(labels)
    if len(taken) != len(labels):  # a suffixed name collides with a real one
        labels = [f"{i + 1}-{name}" for i, name in enumerate(names)]
    return labels


def with_values(base: Scenario, values: Mapping[str, Any], option: str) -> Scenario:
    """A validated copy of ``base`` with dotted-path ``values`` set.

    The keys common to every point of an experiment (the seed, the
    replications: :data:`sim.scenario.overrides.FIXED_KEYS`) cannot be varied.
    Each point is a move from the base's plan on day 0: the warm-up runs the
    base's values (:meth:`sim.scenario.schema.Scenario.moved_from`).

    Raises:
        ExperimentError: one line naming the option, the key and what is wrong.
    """
    try:
        scenario = apply_overrides(Scenario, base, values, Source(option), scope="experiment")
        # A point is a move from the base's plan on day 0 (unless it asks for steady state).
        scenario = scenario.moved_from(base, list(values))
        check_scale(scenario, f"{option} {_point_label(values)}")
    except ScenarioError as exc:
        raise ExperimentError(str(exc)) from None
    return scenario


def _number(text: str, option: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ExperimentError(f"{option}: expected a number, got {text.strip()!r}") from None
    if not value.is_finite():
        raise ExperimentError(f"{option}: expected a finite number, got {text.strip()!r}")
    return value


def _plain(value: Decimal, integral: bool) -> int | float:
    return int(value) if integral else float(value)


def parse_vary(option: str, max_values: int = MAX_POINTS) -> tuple[str, tuple[Any, ...]]:
    """Split ``--vary KEY=VALUES`` into the key and its values.

    ``VALUES`` is ``a,b,c`` (each read as YAML, like ``--set``) or
    ``start:stop:step``, stop included (``0:1:0.25`` is 0, 0.25, 0.5, 0.75, 1).
    A range of whole numbers gives whole numbers. Decimal arithmetic keeps
    ``0.1`` steps exact (0.3, not 0.30000000000000004).

    Raises:
        ExperimentError: a malformed option, a zero step, a step pointing away
            from ``stop``, or more than ``max_values`` values. ``a:b`` (one colon)
            is refused: YAML 1.1 would read ``4:10`` as the base-60 number 250.
    """
    key, sep, raw = option.partition("=")
    key, raw = key.strip(), raw.strip()
    where = f"--vary {option}"
    if not sep or not key or not raw:
        raise ExperimentError(f"{where}: expected KEY=VALUES, e.g. sales.reps=4,6,8 or "
                              "marketing.brand_share=0:1:0.25")
    if raw.count(":") == 1 and "," not in raw:
        raise ExperimentError(f"{where}: expected start:stop:step (three numbers, stop "
                              "included, e.g. 4:10:2) or a list a,b,c")
    if raw.count(":") == 2 and "," not in raw:
        start, stop, step = (_number(part, where) for part in raw.split(":"))
        if step == 0:
            raise ExperimentError(f"{where}: the step must not be 0")
        if (stop - start) * step < 0:
            raise ExperimentError(f"{where}: the step {step} leads away from {stop}")
        count = int((stop - start) / step) + 1
        if count > max_values:
            raise ExperimentError(f"{where}: gives {count} values; expected at most {max_values}")
        integral = all(part == part.to_integral_value() and "." not in str(part)
                       and "E" not in str(part).upper() for part in (start, stop, step))
        return key, tuple(_plain(start + i * step, integral) for i in range(count))
    values = []
    items = raw.split(",")
    if len(items) > max_values:
        raise ExperimentError(f"{where}: gives {len(items)} values; expected at most "
                              f"{max_values}")
    for item in items:
        if not item.strip():
            raise ExperimentError(f"{where}: an empty value in the list")
        values.append(parse_set(f"{key}={item}")[1])
    return key, tuple(values)


def parse_param(option: str) -> tuple[str, float, float]:
    """Split ``--param KEY=LOW:HIGH`` into the key and the bounds.

    Raises:
        ExperimentError: a malformed option or ``LOW >= HIGH``.
    """
    key, sep, raw = option.partition("=")
    key = key.strip()
    where = f"--param {option}"
    if not sep or not key or raw.count(":") != 1:
        raise ExperimentError(f"{where}: expected KEY=LOW:HIGH, e.g. "
                              "marketing.brand_share=0:1")
    low, high = (_number(part, where) for part in raw.split(":"))
    if low >= high:
        raise ExperimentError(f"{where}: expected LOW < HIGH")
    return key, float(low), float(high)


def _point_id(values: Mapping[str, Any]) -> str:
    return json.dumps(dict(values), sort_keys=True, separators=(",", ":"))


def _point_label(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={show(v)}" for k, v in values.items())


def build_grid(base: Scenario, axes: Sequence[tuple[str, Sequence[Any]]],
               max_points: int = MAX_POINTS) -> list[Point]:
    """Every point of the grid (first axis slowest), each validated before anything runs.

    Raises:
        ExperimentError: a key given twice, more than ``max_points`` points, or
            a point that is not a valid scenario.
    """
    keys = [key for key, _ in axes]
    for key in keys:
        if keys.count(key) > 1:
            raise ExperimentError(f"--vary {key}: given twice; list every value in one --vary")
    count = math.prod(len(values) for _, values in axes)
    if count > max_points:
        sizes = " x ".join(str(len(values)) for _, values in axes)
        raise ExperimentError(f"--vary: the grid has {count:,} points ({sizes}); expected at "
                              f"most {max_points:,}")
    points = []
    for combo in itertools.product(*(values for _, values in axes)):
        values = dict(zip(keys, combo, strict=True))
        scenario = with_values(base, values, "--vary")  # before the id: it must be valid JSON
        points.append(Point(_point_id(values), _point_label(values), values, scenario))
    return points


def _common(scenario: Scenario, seed: int, replications: int) -> Scenario:
    # The seed and replication count actually used, so the resolved scenario
    # files say what was run.
    if scenario.seed == seed and scenario.replications == replications:
        return scenario
    return scenario.with_overrides({"seed": seed, "replications": replications})


@dataclass(frozen=True)
class CompareSpec:
    """Scenarios compared with the first (the reference) under common random numbers.

    Attributes:
        scenarios: the scenarios, all with the same seed and replications.
        labels: unique names for the tables.
        seed: the common root seed.
        stopping: replications and optional sequential stopping.
        files: where each scenario came from (for the manifest).
    """

    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    seed: int
    stopping: Stopping
    files: tuple[str, ...] = ()

    command = "compare"

    @classmethod
    def build(cls, scenarios: Sequence[Scenario], files: Sequence[str] = (),
              seed: int | None = None, stopping: Stopping | None = None) -> CompareSpec:
        """A comparison with the reference's seed and replications unless given.

        Raises:
            ExperimentError: fewer than two scenarios.
        """
        if len(scenarios) < 2:
            raise ExperimentError("compare: expected at least two scenarios")
        seed = scenarios[0].seed if seed is None else seed
        stopping = stopping or Stopping(scenarios[0].replications)
        common = tuple(_common(s, seed, stopping.replications) for s in scenarios)
        labels = tuple(unique_labels([s.name for s in scenarios]))
        return cls(common, labels, seed, stopping, tuple(str(f) for f in files))

    def points(self) -> list[Point]:
        """One point per scenario, keyed by its label."""
        return [Point(label, label, {}, s) for label, s in zip(self.labels, self.scenarios,
                                                               strict=True)]

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json``."""
        return {"command": self.command, "seed": self.seed, "stopping": self.stopping.to_json(),
                "labels": list(self.labels), "files": list(self.files),
                "scenarios": [s.model_dump(mode="json") for s in self.scenarios]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CompareSpec:
        """The inverse of :meth:`to_json`."""
        return cls(tuple(Scenario.model_validate(s) for s in data["scenarios"]),
                   tuple(data["labels"]), int(data["seed"]),
                   Stopping.from_json(data["stopping"]), tuple(data["files"]))


@dataclass(frozen=True)
class SweepSpec:
    """A grid over one or more parameters of a base scenario.

    Attributes:
        base: the base scenario (with the common seed and replications).
        axes: ``(dotted key, values)`` per parameter; the first varies slowest.
        seed: the common root seed.
        stopping: replications and optional sequential stopping.
        goal: whether the best point has the highest or lowest objective
            (``None``: no best point, for an objective with no direction).
        file: where the base scenario came from.
    """

    base: Scenario
    axes: tuple[tuple[str, tuple[Any, ...]], ...]
    seed: int
    stopping: Stopping
    goal: Goal | None = None
    file: str = ""

    command = "sweep"

    @classmethod
    def build(cls, base: Scenario, axes: Sequence[tuple[str, Sequence[Any]]],
              file: str = "", seed: int | None = None, stopping: Stopping | None = None,
              goal: Goal | None = None) -> SweepSpec:
        """A sweep; every grid point is validated here, before anything runs.

        Raises:
            ExperimentError: no axis, or a grid point that is not a valid scenario.
        """
        if not axes:
            raise ExperimentError("sweep: expected at least one --vary KEY=VALUES")
        seed = base.seed if seed is None else seed
        stopping = stopping or Stopping(base.replications)
        if goal is None and direction(stopping.objective) != 0:
            goal = resolve_goal(stopping.objective, None)
        spec = cls(_common(base, seed, stopping.replications),
                   tuple((k, tuple(v)) for k, v in axes), seed, stopping, goal, str(file))
        spec.points()
        return spec

    @property
    def keys(self) -> list[str]:
        """The swept keys, in order."""
        return [key for key, _ in self.axes]

    def points(self) -> list[Point]:
        """The grid points, validated."""
        return build_grid(self.base, self.axes)

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json``."""
        return {"command": self.command, "seed": self.seed, "stopping": self.stopping.to_json(),
                "goal": self.goal, "file": self.file,
                "axes": [{"key": k, "values": list(v)} for k, v in self.axes],
                "base": self.base.model_dump(mode="json")}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SweepSpec:
        """The inverse of :meth:`to_json`."""
        return cls(Scenario.model_validate(data["base"]),
                   tuple((a["key"], tuple(a["values"])) for a in data["axes"]),
                   int(data["seed"]), Stopping.from_json(data["stopping"]), data["goal"],
                   data["file"])




@dataclass(frozen=True)
class OptimizeSpec:
    """The best value of one numeric parameter for an objective metric.

    Attributes:
        base: the base scenario (with the common seed and replications).
        parameter: the dotted key to optimise.
        low, high: the search interval (both ends are valid scenarios).
        objective: the metric to optimise.
        goal: ``"max"`` or ``"min"``.
        seed: the common root seed.
        stopping: replications and optional sequential stopping.
        points_per_round: grid size of each round.
        refinements: rounds after the first, each around the best point so far.
        bootstrap: bootstrap resamples for the CI of the best value.
        file: where the base scenario came from.
    """

    base: Scenario
    parameter: str
    low: float
    high: float
    objective: str
    goal: Goal
    seed: int
    stopping: Stopping
    points_per_round: int = 5
    refinements: int = 3
    bootstrap: int = 2000
    file: str = ""

    command = "optimize"

    @classmethod
    def build(cls, base: Scenario, parameter: str, low: float, high: float, objective: str,
              goal: Goal | None = None, file: str = "", seed: int | None = None,
              stopping: Stopping | None = None, points_per_round: int = 5,
              refinements: int = 3, bootstrap: int = 2000) -> OptimizeSpec:
        """An optimisation; the parameter and both ends of the interval are validated.

        Raises:
            ExperimentError: an unknown or non-numeric parameter, an interval
                outside the parameter's allowed range, an unknown objective.
        """
        check_metric(objective)
        goal = resolve_goal(objective, goal)
        if not 3 <= points_per_round <= MAX_POINTS_PER_ROUND:
            raise ExperimentError(f"--points: expected 3 to {MAX_POINTS_PER_ROUND:,}, got "
                                  f"{points_per_round}")
        if not 0 <= refinements <= MAX_REFINEMENTS:
            raise ExperimentError(f"--refinements: expected 0 to {MAX_REFINEMENTS}, got "
                                  f"{refinements}")
        seed = base.seed if seed is None else seed
        stopping = stopping or Stopping(base.replications, objective=objective)
        if stopping.objective != objective:
            stopping = Stopping(stopping.replications, stopping.precision,
                                stopping.max_replications, objective)
        option = f"--param {parameter}"
        if fixed_key_of(parameter, "experiment") is not None:
            with_values(base, {parameter: low}, "--param")  # raises: it cannot be varied
        try:
            current = _value_at(base.model_dump(mode="python"), parameter)
        except ExperimentError:
            # An unknown key: validation says which, with the closest valid key.
            with_values(base, {parameter: low}, "--param")
            raise
        if isinstance(current, bool) or not isinstance(current, int | float):
            raise ExperimentError(f"{option}: expected a numeric parameter; it is "
                                  f"{type(current).__name__ if current is not None else 'null'}"
                                  " here")
        if isinstance(current, int) and (low != int(low) or high != int(high)):
            raise ExperimentError(f"{option}: a whole-number parameter needs whole-number "
                                  f"bounds, got {low:g}:{high:g}")
        spec = cls(_common(base, seed, stopping.replications), parameter, low, high,
                   objective, goal, seed, stopping, points_per_round, refinements, bootstrap,
                   str(file))
        for value in (low, high):
            spec.point(value)
        return spec

    @property
    def integer(self) -> bool:
        """Whether the parameter takes whole numbers (``sales.reps``)."""
        current = _value_at(self.base.model_dump(mode="python"), self.parameter)
        return isinstance(current, int) and not isinstance(current, bool)

    def point(self, value: float) -> Point:
        """The grid point for one value of the parameter (validated)."""
        value = _nearest_int(value) if self.integer else float(f"{value:.12g}")
        values = {self.parameter: value}
        return Point(_point_id(values), _point_label(values), values,
                     with_values(self.base, values, "--param"))

    def grid(self, low: float, high: float) -> list[float]:
        """``points_per_round`` evenly spaced values over ``[low, high]`` (whole if integer)."""
        raw = np.linspace(low, high, self.points_per_round)
        if self.integer:
            return sorted({_nearest_int(v) for v in raw})
        return sorted({float(f"{v:.12g}") for v in raw})

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json``."""
        return {"command": self.command, "seed": self.seed, "stopping": self.stopping.to_json(),
                "parameter": self.parameter, "low": self.low, "high": self.high,
                "objective": self.objective, "goal": self.goal,
                "points_per_round": self.points_per_round, "refinements": self.refinements,
                "bootstrap": self.bootstrap, "file": self.file,
                "base": self.base.model_dump(mode="json")}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OptimizeSpec:
        """The inverse of :meth:`to_json`."""
        return cls(Scenario.model_validate(data["base"]), data["parameter"],
                   float(data["low"]), float(data["high"]), data["objective"], data["goal"],
                   int(data["seed"]), Stopping.from_json(data["stopping"]),
                   int(data["points_per_round"]), int(data["refinements"]),
                   int(data["bootstrap"]), data["file"])


def _nearest_int(value: float) -> int:
    # Halves round up (12.5 -> 13), not to even as round() does: grids stay evenly spread.
    return math.floor(float(value) + 0.5)


def _value_at(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise ExperimentError(f"--param {path}: no such key in the scenario")
    return node


Spec = CompareSpec | SweepSpec | OptimizeSpec


def spec_from_json(data: Mapping[str, Any]) -> Spec:
    """The spec stored in ``experiment.json``, whatever its command, checked as when built.

    Raises:
        ExperimentError: a stored definition that could not have been built
            (edited by hand, damaged): its scenarios and points are validated
            here, before anything runs.
        KeyError, TypeError, ValueError: a definition missing a field or of
            the wrong shape.
    """
    readers: dict[str, Callable[[Mapping[str, Any]], Spec]] = {
        "compare": CompareSpec.from_json, "sweep": SweepSpec.from_json,
        "optimize": OptimizeSpec.from_json}
    spec = readers[data["command"]](data)
    _check_stored(spec)
    return spec


def first_round_tasks(spec: Spec) -> int:
    """Replications the first round of ``spec`` runs: more workers than this would idle."""
    if isinstance(spec, CompareSpec):
        points = len(spec.scenarios)
    elif isinstance(spec, SweepSpec):
        points = math.prod(len(values) for _, values in spec.axes)
    else:
        points = spec.points_per_round
    return points * spec.stopping.replications


def _check_stored(spec: Spec) -> None:
    """Refuse a stored spec that :meth:`build` would not have made."""
    stopping = spec.stopping
    for name, value in (("seed", spec.seed), ("replications", stopping.replications),
                        ("max_replications", stopping.max_replications)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ExperimentError(f"{name}: expected a whole number >= 0, got {value!r}")
    if isinstance(spec, CompareSpec):
        labels = spec.labels
        if (len(labels) != len(spec.scenarios) or len(labels) < 2 or len(labels) > MAX_POINTS
                or not all(isinstance(label, str) for label in labels)
                or len(set(labels)) != len(labels)):
            raise ExperimentError("labels: expected one unique name per scenario")
    elif isinstance(spec, SweepSpec):
        if not spec.axes or spec.goal not in (None, "max", "min"):
            raise ExperimentError("axes, goal: expected at least one axis and max, min or null")
        spec.points()  # every point validated, the grid's size too
    else:
        if spec.goal not in ("max", "min") or not spec.low < spec.high or not (
                1 <= spec.bootstrap <= 100_000):
            raise ExperimentError("goal, low, high, bootstrap: out of range")
        OptimizeSpec.build(spec.base, spec.parameter, spec.low, spec.high, spec.objective,
                           spec.goal, spec.file, spec.seed, spec.stopping,
                           spec.points_per_round, spec.refinements, spec.bootstrap)
