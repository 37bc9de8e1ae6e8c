"""Assumptions as distributions: which scenario values are uncertain, and how much.

Every confidence interval of a plain experiment covers the luck of the draw
only: the scenario's numbers are taken as known. Many of them are not; the
schema marks them "(assumption ...)". An :class:`AssumptionSet` says which
dotted keys are uncertain and gives each a distribution, so an experiment can
draw plausible worlds and run its replications in each
(:mod:`sim.experiments.uncertainty`, :mod:`sim.experiments.sensitivity`,
:mod:`sim.experiments.optimizer`).

Each distribution is written as the inverse of its cumulative distribution
(``ppf``) over a uniform number in (0, 1), so one unit hypercube serves plain
random draws, Sobol sequences and one-at-a-time lines alike. A file of joint
parameter draws (the ``.draws.csv`` that ``sim.calibration`` writes) is one
more factor: its uniform number picks a row.

Sources, one line of error each, before anything runs:

- a YAML file (``--assumptions FILE``; see :func:`load_assumptions`);
- the schema's own ranges (:func:`default_assumptions`): every numeric field
  whose description marks it an assumption (or whose section is marked
  "(assumptions)") gets a uniform range: the "plausible range a-b" the
  description states when it holds today's value, else today's value +/-50 %,
  clipped to the field's bounds.

Draws come from a branch of the experiment's seed tree that no replication
reaches (:func:`assumption_stream`), so drawing assumptions never shifts the
luck of a replication, and the same seed gives the same draws.
"""

from __future__ import annotations

import csv
import math
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel
from scipy import special  # type: ignore[import-untyped, unused-ignore]

from sim.experiments.designs import ExperimentError, with_values
from sim.model.streams import EXPERIMENT_KEY
from sim.scenario.errors import ScenarioError
from sim.scenario.loading import read_yaml
from sim.scenario.overrides import fixed_key_of, get_path
from sim.scenario.schema import ResolvedScenario, Scenario

# The spawn key of the assumption draws under the experiments' branch
# (sim.model.streams): 0 is the optimiser's bootstrap, 1 the assumption draws.
ASSUMPTION_STREAM = 1
# Default spread of an assumption whose description states no plausible range.
DEFAULT_SPREAD = 0.5

DistributionKind = Literal["uniform", "triangular", "normal", "lognormal", "beta"]
DISTRIBUTIONS: tuple[DistributionKind, ...] = ("uniform", "triangular", "normal", "lognormal",
                                               "beta")
_RANGE = re.compile(r"plausible range\s+(-?\d[\d,]*\.?\d*)\s*(?:-|–|to)\s*(-?\d[\d,]*\.?\d*)",
                    re.IGNORECASE)
# Uniform numbers are kept inside (0, 1) so an unbounded distribution stays finite.
_EDGE = 1e-12


class AssumptionError(ExperimentError):
    """A bad assumption (key, distribution, range or draws file); the message is one line."""


def assumption_stream(seed: int) -> np.random.Generator:
    """The generator of an experiment's assumption draws, from its root seed.

    Its own branch of the seed tree, ``(EXPERIMENT_KEY, 1)``, which no
    replication's key reaches: the draws share no numbers with any replication.
    """
    return np.random.Generator(np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(EXPERIMENT_KEY, ASSUMPTION_STREAM))))


# --- distributions ----------------------------------------------------------------------


def _inside(u: NDArray[np.float64]) -> NDArray[np.float64]:
    clipped: NDArray[np.float64] = np.clip(np.asarray(u, dtype=float), _EDGE, 1.0 - _EDGE)
    return clipped


@dataclass(frozen=True)
class Distribution:
    """A distribution of one assumption, as the inverse of its CDF.

    Attributes:
        kind: uniform, triangular, normal, lognormal or beta.
        params: its parameters (see :func:`make_distribution`).
        low, high: the support; truncation bounds for normal and lognormal
            (``-inf``/``inf`` when not truncated).
    """

    kind: DistributionKind
    params: Mapping[str, float]
    low: float
    high: float

    def ppf(self, u: NDArray[np.float64] | Sequence[float]) -> NDArray[np.float64]:
        """The values at cumulative probabilities ``u`` (each in [0, 1])."""
        q = _inside(np.asarray(u, dtype=float))
        p = self.params
        if self.kind == "uniform":
            return np.asarray(self.low + q * (self.high - self.low), dtype=float)
        if self.kind == "triangular":
            a, c, b = self.low, p["mode"], self.high
            cut = (c - a) / (b - a)
            left = a + np.sqrt(q * (b - a) * (c - a))
            right = b - np.sqrt((1.0 - q) * (b - a) * (b - c))
            return np.asarray(np.where(q < cut, left, right), dtype=float)
        if self.kind == "beta":
            x = special.betaincinv(p["a"], p["b"], q)
            return np.asarray(self.low + x * (self.high - self.low), dtype=float)
        # normal and lognormal: the standard normal, truncated to the bounds.
        mu, sigma = self._normal()
        lo, hi = self._on_normal_scale()
        cdf_lo = special.ndtr((lo - mu) / sigma) if math.isfinite(lo) else 0.0
        cdf_hi = special.ndtr((hi - mu) / sigma) if math.isfinite(hi) else 1.0
        z = mu + sigma * special.ndtri(_inside(cdf_lo + q * (cdf_hi - cdf_lo)))
        x = np.exp(z) if self.kind == "lognormal" else z
        return np.asarray(np.clip(x, self.low, self.high), dtype=float)

    def _normal(self) -> tuple[float, float]:
        """Mean and sd of the (log-)normal before truncation."""
        p = self.params
        if self.kind == "normal":
            return p["mean"], p["sd"]
        # lognormal with the given mean and coefficient of variation
        s2 = math.log1p(p["cv"] ** 2)
        return math.log(p["mean"]) - s2 / 2.0, math.sqrt(s2)

    def _on_normal_scale(self) -> tuple[float, float]:
        if self.kind == "normal":
            return self.low, self.high
        lo = math.log(self.low) if self.low > 0 else -math.inf
        return lo, math.log(self.high) if math.isfinite(self.high) else math.inf

    @property
    def median(self) -> float:
        """The value at cumulative probability 0.5."""
        return float(self.ppf([0.5])[0])

    def to_json(self) -> dict[str, Any]:
        """The distribution as written in an assumptions file."""
        out: dict[str, Any] = {"distribution": self.kind, **dict(self.params)}
        if self.kind in ("uniform", "triangular", "beta") or math.isfinite(self.low):
            out["low"] = self.low
        if self.kind in ("uniform", "triangular", "beta") or math.isfinite(self.high):
            out["high"] = self.high
        if self.kind == "lognormal" and out.get("low") == 0.0:
            out.pop("low")
        return out

    def describe(self) -> str:
        """A short description: ``uniform 0.25 to 0.75``, ``normal mean 0.7 sd 0.1``."""
        p = {k: f"{v:g}" for k, v in self.params.items()}
        span = f"{self.low:g} to {self.high:g}"
        if self.kind == "uniform":
            return f"uniform {span}"
        if self.kind == "triangular":
            return f"triangular {span}, mode {p['mode']}"
        if self.kind == "beta":
            return f"beta(a={p['a']}, b={p['b']}) on {span}"
        text = (f"normal mean {p['mean']} sd {p['sd']}" if self.kind == "normal"
                else f"lognormal mean {p['mean']} cv {p['cv']}")
        bounded = [b for b in (self.low, self.high) if math.isfinite(b)]
        if self.kind == "lognormal" and self.low == 0:
            bounded = [self.high] if math.isfinite(self.high) else []
        return text + (f", within {span}" if bounded else "")


_PARAMS: dict[DistributionKind, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "lognormal": ("mean", "cv"),
    "beta": ("a", "b"),
}
_OPTIONAL: dict[DistributionKind, tuple[str, ...]] = {
    "uniform": (), "triangular": (), "normal": ("low", "high"),
    "lognormal": ("low", "high"), "beta": ("low", "high"),
}


def make_distribution(spec: Mapping[str, Any], where: str) -> Distribution:
    """A distribution from its mapping in an assumptions file.

    Forms (every number in the field's own unit)::

        {distribution: uniform, low: 0.2, high: 0.8}
        {distribution: triangular, low: 0.2, mode: 0.5, high: 0.8}
        {distribution: normal, mean: 0.7, sd: 0.05, low: 0.5, high: 0.9}  # low/high optional
        {distribution: lognormal, mean: 2.0, cv: 0.3, high: 10}           # low/high optional
        {distribution: beta, a: 2, b: 5, low: 0, high: 1}                 # low/high default 0, 1

    Raises:
        AssumptionError: an unknown distribution, a missing, unknown or
            non-numeric parameter, or an empty range (one line naming ``where``).
    """
    if not isinstance(spec, Mapping):
        raise AssumptionError(f"{where}: expected a mapping such as "
                              "{distribution: uniform, low: 0.2, high: 0.8}")
    kind = spec.get("distribution")
    if kind not in DISTRIBUTIONS:
        raise AssumptionError(f"{where}: distribution: expected one of "
                              f"{', '.join(DISTRIBUTIONS)}; got {kind!r}")
    required, optional = _PARAMS[kind], _OPTIONAL[kind]
    values: dict[str, float] = {}
    for name, value in spec.items():
        if name == "distribution":
            continue
        if name not in required + optional:
            raise AssumptionError(f"{where}: {kind} has no parameter '{name}'; expected "
                                  f"{', '.join(required + optional)}")
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value):
            raise AssumptionError(f"{where}: {name}: expected a finite number; got {value!r}")
        values[name] = float(value)
    missing = [name for name in required if name not in values]
    if missing:
        raise AssumptionError(f"{where}: {kind} needs {', '.join(missing)}")
    default_low = {"normal": -math.inf, "lognormal": 0.0, "beta": 0.0}.get(kind, math.nan)
    default_high = {"normal": math.inf, "lognormal": math.inf, "beta": 1.0}.get(kind, math.nan)
    low, high = values.pop("low", default_low), values.pop("high", default_high)
    if not low < high:
        raise AssumptionError(f"{where}: empty range: expected low < high; got low {low:g}, "
                              f"high {high:g}")
    if kind == "triangular" and not low <= values["mode"] <= high:
        raise AssumptionError(f"{where}: mode {values['mode']:g} is outside {low:g} to "
                              f"{high:g}")
    for name in ("sd", "cv", "a", "b"):
        if name in values and values[name] <= 0:
            raise AssumptionError(f"{where}: {name}: expected a number > 0; got "
                                  f"{values[name]:g}")
    if kind == "lognormal":
        if values["mean"] <= 0:
            raise AssumptionError(f"{where}: mean: expected a number > 0 for a lognormal; got "
                                  f"{values['mean']:g}")
        if low < 0:
            raise AssumptionError(f"{where}: low: a lognormal is positive; got {low:g}")
    dist = Distribution(kind, values, low, high)
    if kind in ("normal", "lognormal"):
        mu, sigma = dist._normal()
        lo, hi = dist._on_normal_scale()
        mass = (special.ndtr((hi - mu) / sigma) if math.isfinite(hi) else 1.0) - (
            special.ndtr((lo - mu) / sigma) if math.isfinite(lo) else 0.0)
        if mass < 1e-9:
            raise AssumptionError(f"{where}: empty range: low {low:g} to high {high:g} holds "
                                  "no probability of this distribution")
    return dist


# --- the fields of the schema -----------------------------------------------------------


@dataclass(frozen=True)
class FieldFacts:
    """What the schema says about one numeric field.

    Attributes:
        key: the dotted key.
        value: its value in the scenario (resolved: a preset's value when the
            scenario names the preset).
        integer: whether it takes whole numbers.
        low, high: its bounds (``-inf``/``inf`` when open).
        low_open, high_open: whether a bound is strict (``gt``, ``lt``).
        description: the schema's description.
        assumption: whether the schema marks it an assumption.
    """

    key: str
    value: float
    integer: bool
    low: float
    high: float
    low_open: bool
    high_open: bool
    description: str
    assumption: bool

    def admits(self, low: float, high: float) -> bool:
        """Whether every value in ``[low, high]`` lies within the field's bounds."""
        above = low > self.low if self.low_open else low >= self.low
        below = high < self.high if self.high_open else high <= self.high
        return above and below

    def bounds_text(self) -> str:
        """``0 to 1``, ``> 0``, ``>= 0``: the valid values, for messages."""
        lo = math.isfinite(self.low)
        hi = math.isfinite(self.high)
        if lo and hi:
            return (f"{'above ' if self.low_open else ''}{self.low:g} to {self.high:g}"
                    f"{' (exclusive)' if self.high_open else ''}")
        if lo:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        if hi:
            return f"{'<' if self.high_open else '<='} {self.high:g}"
        return "any number"

    def plausible_range(self) -> tuple[float, float] | None:
        """The "plausible range a-b" the description states, if it holds today's value."""
        found = _RANGE.search(self.description)
        if not found:
            return None
        low, high = (float(x.replace(",", "")) for x in found.groups())
        if not low <= self.value <= high or not low < high:
            return None
        return low, high

    def default_range(self, spread: float = DEFAULT_SPREAD) -> tuple[float, float] | None:
        """The documented range, else today's value +/- ``spread``, clipped to the bounds.

        ``None`` when that range is empty (today's value is 0 and no range is stated).
        """
        stated = self.plausible_range()
        if stated is not None:
            return stated
        low = self.value * (1.0 - spread)
        high = self.value * (1.0 + spread)
        low, high = min(low, high), max(low, high)
        low = max(low, np.nextafter(self.low, math.inf) if self.low_open else self.low)
        high = min(high, np.nextafter(self.high, -math.inf) if self.high_open else self.high)
        if self.integer:
            low, high = float(math.ceil(low)), float(math.floor(high))
        return (float(low), float(high)) if low < high else None


def _constraints(info: Any) -> dict[str, float]:
    bounds: dict[str, float] = {}
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # X | None keeps its bounds inside
        metadata += list(getattr(arg, "__metadata__", ()))
    for item in metadata:
        for name in ("ge", "gt", "le", "lt"):
            value = getattr(item, name, None)
            if value is not None:
                bounds[name] = float(value)
    return bounds


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _model_of(arg)
            if inner is not None:
                return inner
    return None


def _is_number(annotation: Any) -> tuple[bool, bool]:
    """(numeric, integer) for ``float``, ``int`` and ``X | None`` of them (never bool)."""
    args = typing.get_args(annotation) or (annotation,)
    kinds = {a for a in args if a is not type(None)}
    if kinds == {int}:
        return True, True
    if kinds <= {float, int} and kinds:
        return True, False
    return False, False


def _facts(key: str, info: Any, value: Any, section_marked: bool) -> FieldFacts | None:
    numeric, integer = _is_number(info.annotation)
    if not numeric or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    bounds = _constraints(info)
    description = info.description or ""
    return FieldFacts(
        key=key, value=float(value), integer=integer,
        low=bounds.get("ge", bounds.get("gt", -math.inf)),
        high=bounds.get("le", bounds.get("lt", math.inf)),
        low_open="gt" in bounds, high_open="lt" in bounds, description=description,
        assumption=section_marked or "assumption" in description.lower(),
    )


def _walk(model: type[BaseModel], data: Mapping[str, Any], prefix: str,
          marked: bool) -> Iterator[FieldFacts]:
    section_marked = marked or "(assumptions)" in (model.__doc__ or "")
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        value = data.get(name)
        inner = _model_of(info.annotation)
        if inner is not None and isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Mapping):
                    yield from _walk(inner, item, f"{key}.{i}.", section_marked)
        elif inner is not None and isinstance(value, Mapping):
            yield from _walk(inner, value, f"{key}.", section_marked)
        else:
            facts = _facts(key, info, value, section_marked)
            if facts is not None:
                yield facts


def schema_fields(base: Scenario) -> dict[str, FieldFacts]:
    """Every numeric field of the scenario (as resolved) and what the schema says of it."""
    resolved = base.resolve().model_dump(mode="python")
    return {f.key: f for f in _walk(ResolvedScenario, resolved, "", False)}


def field_facts(base: Scenario, key: str, option: str) -> FieldFacts:
    """The facts of one dotted key, or a one-line error naming ``option``.

    An unknown key is reported by the one override routine (with the closest
    valid key); a key that exists but is not a number says so.

    Raises:
        AssumptionError: an unknown, fixed or non-numeric key.
    """
    if fixed_key_of(key, "experiment") is not None:
        _check_key(base, key, option)  # raises: the experiment's seed or replications
    facts = schema_fields(base).get(key)
    if facts is not None:
        return facts
    _check_key(base, key, option)
    raise AssumptionError(f"{option} {key}: expected a numeric parameter")


def _check_key(base: Scenario, key: str, option: str) -> None:
    """Raise the override routine's own one-line error for an unknown or fixed key."""
    try:
        current = get_path(base.resolve().model_dump(mode="python"), key)
    except (KeyError, IndexError, TypeError):
        current = 0.0
    try:
        with_values(base, {key: current}, option)
    except ExperimentError as exc:
        raise AssumptionError(str(exc)) from None


# --- the set of assumptions ---------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """One uncertain dotted key and its distribution.

    Attributes:
        key: the dotted scenario key (as ``--set``).
        distribution: its distribution, in the field's unit.
        integer: round draws to whole numbers.
        source: where it was declared (the file, or "schema default").
    """

    key: str
    distribution: Distribution
    integer: bool = False
    source: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict."""
        return {"key": self.key, **self.distribution.to_json(), "integer": self.integer,
                "source": self.source}


@dataclass(frozen=True)
class DrawsTable:
    """Joint parameter draws from a file (one row per draw, one column per dotted key).

    Attributes:
        file: where they came from.
        keys: the dotted keys, in column order.
        rows: one tuple of values per draw.
        integer: per key, whether it takes whole numbers.
    """

    file: str
    keys: tuple[str, ...]
    rows: tuple[tuple[float, ...], ...]
    integer: tuple[bool, ...] = ()

    def row(self, u: float) -> dict[str, float | int]:
        """The draw a uniform number in [0, 1] picks."""
        i = min(int(u * len(self.rows)), len(self.rows) - 1)
        out: dict[str, float | int] = {}
        for j, (key, value) in enumerate(zip(self.keys, self.rows[i], strict=True)):
            whole = self.integer[j] if self.integer else False
            out[key] = round(value) if whole else float(value)
        return _renormalised_shares(out)

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict (the rows are kept: a resumed run needs no file)."""
        return {"file": self.file, "keys": list(self.keys), "rows": [list(r) for r in self.rows],
                "integer": list(self.integer)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DrawsTable:
        """The inverse of :meth:`to_json`."""
        return cls(str(data["file"]), tuple(data["keys"]),
                   tuple(tuple(float(v) for v in r) for r in data["rows"]),
                   tuple(bool(x) for x in data.get("integer", ())))


def _renormalised_shares(values: dict[str, float | int]) -> dict[str, float | int]:
    # Segment shares drawn independently must still sum to 1 (the schema's rule);
    # sim.calibration writes its draws the same way and reads them back re-summed.
    shares = sorted(k for k in values if k.startswith("leads.segments.") and k.endswith(".share"))
    if shares:
        total = sum(float(values[k]) for k in shares)
        if total > 0:
            for k in shares:
                values[k] = float(values[k]) / total
    return values


@dataclass(frozen=True)
class AssumptionSet:
    """The uncertain keys of an experiment and their distributions.

    Each assumption is one factor of the unit hypercube; a draws table is one
    more (the last), whose number picks a row.

    Attributes:
        assumptions: the independent assumptions.
        draws: joint draws from a file, or ``None``.
        source: the assumptions file, or ``"schema defaults"``.
    """

    assumptions: tuple[Assumption, ...] = ()
    draws: DrawsTable | None = None
    source: str = ""

    @property
    def factors(self) -> list[str]:
        """The factor names: each assumption's key, then ``draws:FILE`` if any."""
        names = [a.key for a in self.assumptions]
        if self.draws is not None:
            names.append(f"draws:{Path(self.draws.file).name}")
        return names

    @property
    def dimension(self) -> int:
        """The number of factors."""
        return len(self.assumptions) + (self.draws is not None)

    def __bool__(self) -> bool:
        return self.dimension > 0

    def values(self, u: NDArray[np.float64] | Sequence[Sequence[float]]
               ) -> list[dict[str, float | int]]:
        """The dotted-key values at points ``u`` of the unit hypercube (one row each)."""
        unit = np.atleast_2d(np.asarray(u, dtype=float))
        if unit.shape[1] != self.dimension:
            raise ValueError(f"expected points with {self.dimension} coordinates, got "
                             f"{unit.shape[1]}")
        columns = [a.distribution.ppf(unit[:, j]) for j, a in enumerate(self.assumptions)]
        out = []
        for i in range(unit.shape[0]):
            row: dict[str, float | int] = {}
            for a, col in zip(self.assumptions, columns, strict=True):
                row[a.key] = round(col[i]) if a.integer else float(col[i])
            if self.draws is not None:
                row.update(self.draws.row(float(unit[i, -1])))
            out.append(row)
        return out

    def sample(self, n: int, seed: int) -> NDArray[np.float64]:
        """``n`` independent uniform points of the hypercube from the assumption stream."""
        return assumption_stream(seed).random((n, self.dimension))

    def draw(self, n: int, seed: int) -> list[dict[str, float | int]]:
        """``n`` independent draws of every assumption (see :meth:`sample`)."""
        return self.values(self.sample(n, seed)) if self else [{} for _ in range(n)]

    def to_json(self) -> dict[str, Any]:
        """A JSON-friendly dict, enough to rebuild the set without its files."""
        return {"source": self.source, "assumptions": [a.to_json() for a in self.assumptions],
                "draws": None if self.draws is None else self.draws.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AssumptionSet:
        """The inverse of :meth:`to_json`."""
        items = []
        for a in data.get("assumptions", []):
            spec = {k: v for k, v in a.items() if k not in ("key", "integer", "source")}
            items.append(Assumption(a["key"], make_distribution(spec, a["key"]),
                                    bool(a.get("integer", False)), str(a.get("source", ""))))
        draws = data.get("draws")
        return cls(tuple(items), None if draws is None else DrawsTable.from_json(draws),
                   str(data.get("source", "")))

    def table(self) -> list[dict[str, Any]]:
        """One row per factor: key, distribution in words, source (for reports)."""
        rows = [{"key": a.key, "distribution": a.distribution.describe(),
                 "median": a.distribution.median, "source": a.source}
                for a in self.assumptions]
        if self.draws is not None:
            rows.append({"key": self.factors[-1],
                         "distribution": f"one of {len(self.draws.rows)} joint draws of "
                         f"{len(self.draws.keys)} keys", "median": math.nan,
                         "source": self.draws.file})
        return rows


def default_assumptions(base: Scenario, keys: Sequence[str] | None = None,
                        spread: float = DEFAULT_SPREAD) -> AssumptionSet:
    """Uniform ranges for the schema's assumptions (see the module docstring).

    Args:
        base: the scenario whose values (presets resolved) centre the ranges.
        keys: only these keys or the keys under these sections (``None``: every
            assumption); each must be a schema assumption.
        spread: the relative half-width used where no plausible range is stated.

    Raises:
        AssumptionError: a key in ``keys`` that is not a schema assumption.
    """
    fields = schema_fields(base)
    chosen = [f for f in fields.values() if f.assumption and not _fixed(f.key)]
    if keys is not None:
        wanted = list(keys)
        for key in wanted:
            if not any(f.key == key or f.key.startswith(key + ".") for f in chosen):
                raise AssumptionError(f"--uncertainty: {key} is not an assumption of the "
                                      "schema; declare it in an --assumptions file")
        chosen = [f for f in chosen
                  if any(f.key == k or f.key.startswith(k + ".") for k in wanted)]
    items = []
    for f in chosen:
        span = f.default_range(spread)
        if span is None:
            continue
        dist = Distribution("uniform", {}, span[0], span[1])
        items.append(Assumption(f.key, dist, f.integer, "schema default"))
    return AssumptionSet(tuple(items), None, "schema defaults")


def _fixed(key: str) -> bool:
    return fixed_key_of(key, "experiment") is not None


# --- the assumptions file -----------------------------------------------------------------

_TOP = ("assumptions", "draws", "defaults")


def load_assumptions(path: Path, base: Scenario) -> AssumptionSet:
    """Read and check an assumptions file against a scenario, before anything runs.

    The file::

        assumptions:                        # dotted key -> distribution
          alignment.effects.tactical_support_win_odds_lift:
            {distribution: triangular, low: 0.2, mode: 0.5, high: 0.8}
          finance.gross_margin: {distribution: normal, mean: 0.75, sd: 0.05, low: 0.6, high: 0.9}
        draws: my-company.draws.csv         # optional: joint draws, relative to this file
        defaults: true                      # optional: the schema's ranges for the rest

    Raises:
        AssumptionError: an unknown key, a key that is not a number or may not
            vary, a distribution outside the field's bounds, an empty range, a
            bad draws file (one line naming the file and the key).
        ScenarioError: the file cannot be read or is not YAML.
    """
    data = read_yaml(path)
    where = str(path)
    for name in data:
        if name not in _TOP:
            raise AssumptionError(f"{where}: unknown key '{name}'; expected "
                                  f"{', '.join(_TOP)}")
    declared = data.get("assumptions") or {}
    if not isinstance(declared, Mapping):
        raise AssumptionError(f"{where}: assumptions: expected a mapping of dotted keys to "
                              "distributions")
    items = []
    for key, spec in declared.items():
        at = f"{where}: {key}"
        facts = _facts_or_error(base, str(key), where)
        dist = make_distribution(spec, at)
        if not facts.admits(dist.low, dist.high):
            span = f"{dist.low:g} to {dist.high:g}"
            if not (math.isfinite(dist.low) and math.isfinite(dist.high)):
                raise AssumptionError(f"{at}: {dist.describe()} is unbounded but the field "
                                      f"takes {facts.bounds_text()}; give low and high within "
                                      "its bounds")
            raise AssumptionError(f"{at}: the range {span} goes outside the field's valid "
                                  f"values ({facts.bounds_text()})")
        items.append(Assumption(str(key), dist, facts.integer, where))
    draws = _read_draws(data.get("draws"), path, base, {a.key for a in items})
    found = AssumptionSet(tuple(items), draws, where)
    if data.get("defaults", False) not in (True, False):
        raise AssumptionError(f"{where}: defaults: expected true or false; got "
                              f"{data.get('defaults')!r}")
    if data.get("defaults"):
        taken = {a.key for a in items} | set(draws.keys if draws else ())
        extra = [a for a in default_assumptions(base).assumptions if a.key not in taken]
        found = AssumptionSet((*items, *extra), draws, where)
    if not found:
        raise AssumptionError(f"{where}: declares no assumption; expected assumptions:, "
                              "draws: or defaults: true")
    check_draws(found, base, where)
    return found


def _facts_or_error(base: Scenario, key: str, where: str) -> FieldFacts:
    try:
        return field_facts(base, key, f"{where}:")
    except AssumptionError as exc:
        raise AssumptionError(str(exc).replace(f"{where}: ", f"{where}: ", 1)) from None


def _read_draws(entry: Any, path: Path, base: Scenario, taken: set[str]) -> DrawsTable | None:
    if entry is None:
        return None
    where = f"{path}: draws"
    if not isinstance(entry, str):
        raise AssumptionError(f"{where}: expected the path of a draws CSV file")
    file = (path.parent / entry) if not Path(entry).is_absolute() else Path(entry)
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise AssumptionError(f"{where}: {file} cannot be read ({exc.strerror or exc})"
                              ) from None
    if len(rows) < 2:
        raise AssumptionError(f"{where}: {file} has no draws (expected a header and rows)")
    header = [h.strip() for h in rows[0]]
    columns = [i for i, h in enumerate(header) if h != "draw"]
    keys = tuple(header[i] for i in columns)
    facts = []
    for key in keys:
        if key in taken:
            raise AssumptionError(f"{where}: {key} is also declared under assumptions; give "
                                  "it once")
        facts.append(_facts_or_error(base, key, f"{where} {file.name}"))
    values = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            values.append(tuple(float(row[i]) for i in columns))
        except (ValueError, IndexError):
            raise AssumptionError(f"{where}: {file} line {number}: expected a number in "
                                  "every column") from None
    for j, f in enumerate(facts):
        column = [v[j] for v in values]
        if not f.admits(min(column), max(column)):
            raise AssumptionError(f"{where}: {file.name} column {f.key}: values "
                                  f"{min(column):g} to {max(column):g} go outside the field's "
                                  f"valid values ({f.bounds_text()})")
    return DrawsTable(str(file), keys, tuple(values), tuple(f.integer for f in facts))


def check_draws(assumptions: AssumptionSet, base: Scenario, where: str) -> None:
    """Check that the extremes of the assumptions give valid scenarios, before anything runs.

    Each assumption at its lowest and at its highest value (the others at
    their medians) must make a valid scenario: a rule across fields (such as
    ``response_within_24h >= response_within_1h``) could otherwise fail
    half-way through an experiment.

    Raises:
        AssumptionError: one line naming the assumption and the rule it breaks.
    """
    if not assumptions:
        return
    center = np.full(assumptions.dimension, 0.5)
    probes: list[tuple[str, NDArray[np.float64]]] = [(" with every assumption at its median",
                                                       center)]
    for j, name in enumerate(assumptions.factors):
        for u, end in ((0.0, "lowest"), (1.0, "highest")):
            point = center.copy()
            point[j] = u
            probes.append((f" with {name} at its {end}", point))
    values = assumptions.values(np.array([p for _, p in probes]))
    for (which, _), draw in zip(probes, values, strict=True):
        try:
            with_values(base, draw, "--assumptions")
        except ExperimentError as exc:
            raise AssumptionError(f"{where}: an assumption gives an invalid scenario{which}: "
                                  f"{exc}") from None


def applied(base: Scenario, values: Mapping[str, Any], option: str = "--assumptions"
            ) -> Scenario:
    """``base`` with one draw's values set, validated.

    Raises:
        AssumptionError: the values make an invalid scenario.
    """
    if not values:
        return base
    try:
        return with_values(base, values, option)
    except ExperimentError as exc:
        raise AssumptionError(str(exc)) from None


__all__ = [
    "Assumption",
    "AssumptionError",
    "AssumptionSet",
    "Distribution",
    "DrawsTable",
    "FieldFacts",
    "ScenarioError",
    "applied",
    "assumption_stream",
    "default_assumptions",
    "field_facts",
    "load_assumptions",
    "make_distribution",
    "schema_fields",
]
