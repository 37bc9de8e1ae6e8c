"""What would flip it: global sensitivity of a result to the uncertain assumptions.

``sensitivity FILE --metric M [--against OTHER]`` asks which assumptions move
a result (a metric of one scenario, or the difference between two) and which
could change the answer:

- global indices over the declared assumptions (:mod:`sim.experiments.assumptions`)
  with SALib: Sobol first-order and total indices from Saltelli's design with
  bootstrap CIs (Saltelli 2002; Saltelli et al. 2010), or Morris screening
  (mu*, the mean absolute elementary effect, with its CI; Campolongo et al.
  2007) when the factors are many;
- a tornado: each assumption alone at its 5th and 95th percentile, the others
  at their medians (one at a time);
- for a difference, where it flips sign: on each one-at-a-time line whose
  ends disagree in sign, the value found by bisection;
- the share of the global design's points where the answer has the other sign.

Every evaluation is the mean of the same replications (``0 .. R-1``): common
random numbers across all points, so the indices see the assumptions, not a
fresh draw of luck at every point. Morris levels are placed at the 1st to 99th
percentiles, so an unbounded distribution is never evaluated at an extreme.

The analysis (:func:`analyse`) takes the evaluation as a function, so it is
tested on the Ishigami function, whose indices are known.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.experiments.assumptions import AssumptionError, AssumptionSet, applied, check_draws
from sim.experiments.designs import ExperimentError, check_metric, unique_labels
from sim.experiments.evaluation import Evaluator, Progress, SampleDesign, long_table, point_id
from sim.experiments.executors import Executor
from sim.experiments.jsonable import finite
from sim.experiments.store import ExperimentStore
from sim.model.streams import EXPERIMENT_KEY
from sim.scenario.schema import Scenario

DESIGN = "sensitivity"
# Spawn key of the sensitivity design's own stream (see sim.experiments.optimizer).
SENSITIVITY_STREAM = 4
# Above this many factors the default method is Morris screening.
SOBOL_MAX_FACTORS = 12
# The one-at-a-time line: each factor from its 5th to its 95th percentile.
OAT_LOW, OAT_HIGH = 0.05, 0.95
# Morris levels span the 1st to 99th percentile of each factor.
MORRIS_MARGIN = 0.01

Method = Literal["sobol", "morris"]
Model = Callable[[list[dict[str, float | int]]], NDArray[np.float64]]


def default_method(factors: int) -> Method:
    """Sobol indices for a few factors, Morris screening for many."""
    return "sobol" if factors <= SOBOL_MAX_FACTORS else "morris"


def _seed(seed: int) -> int:
    seq = np.random.SeedSequence(seed, spawn_key=(EXPERIMENT_KEY, SENSITIVITY_STREAM))
    # SALib falls back to NumPy's global generator on a seed of 0: never give it one.
    return int(seq.generate_state(1)[0]) or 1


def _problem(d: int, names: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}


def global_design(assumptions: AssumptionSet, method: Method, samples: int, seed: int
                  ) -> NDArray[np.float64]:
    """The points of the unit hypercube the global analysis evaluates.

    Sobol: Saltelli's design, ``samples * (d + 2)`` points (``samples`` a
    power of two). Morris: ``samples`` trajectories of ``d + 1`` points.
    """
    problem = _problem(assumptions.dimension, assumptions.factors)
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample  # type: ignore[import-untyped, unused-ignore]

        return np.asarray(sobol_sample.sample(problem, samples, calc_second_order=False,
                                              seed=_seed(seed)), dtype=float)
    from SALib.sample import morris as morris_sample  # type: ignore[import-untyped, unused-ignore]

    unit = np.asarray(morris_sample.sample(problem, samples, num_levels=4, seed=_seed(seed)),
                      dtype=float)
    return MORRIS_MARGIN + (1.0 - 2.0 * MORRIS_MARGIN) * unit


def global_indices(assumptions: AssumptionSet, method: Method, points: NDArray[np.float64],
                   results: NDArray[np.float64], seed: int) -> pd.DataFrame:
    """Sobol or Morris indices of each factor with their 95% CIs.

    Returns:
        Sobol: ``factor, S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of
        the 95% bootstrap CI). Morris: ``factor, mu_star, mu_star_conf, mu,
        sigma``, in units of the result per unit of the factor's percentile.
    """
    problem = _problem(assumptions.dimension, assumptions.factors)
    y = np.asarray(results, dtype=float)
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analyze  # type: ignore[import-untyped, unused-ignore]

        found = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=_seed(seed))
        return pd.DataFrame({"factor": assumptions.factors,
                             **{k: np.asarray(found[k], dtype=float)
                                for k in ("S1", "S1_conf", "ST", "ST_conf")}})
    from SALib.analyze import morris as morris_analyze  # type: ignore[import-untyped, unused-ignore]

    found = morris_analyze.analyze(problem, points, y, num_levels=4, seed=_seed(seed))
    return pd.DataFrame({"factor": assumptions.factors,
                         **{k: np.asarray(found[k], dtype=float)
                            for k in ("mu_star", "mu_star_conf", "mu", "sigma")}})


@dataclass(frozen=True)
class Tornado:
    """One factor alone at its low and high percentile, the others at their medians.

    Attributes:
        factor: the factor.
        low_value, high_value: its value at the 5th and 95th percentile.
        low_result, high_result: the result there.
        center_result: the result with every factor at its median.
    """

    factor: str
    low_value: float
    high_value: float
    low_result: float
    high_result: float
    center_result: float

    @property
    def swing(self) -> float:
        """How far the result moves over the factor's range."""
        return abs(self.high_result - self.low_result)


@dataclass(frozen=True)
class Flip:
    """Where a difference changes sign along one factor's line.

    Attributes:
        factor: the factor.
        side: ``"low"`` or ``"high"``: the end of its range where the answer flips.
        value: the factor's value at the flip (bisection).
        percentile: the same as a percentile of its distribution.
    """

    factor: str
    side: Literal["low", "high"]
    value: float
    percentile: float


@dataclass(frozen=True)
class Analysis:
    """What the sensitivity analysis found.

    Attributes:
        method: sobol or morris.
        indices: the global indices (see :func:`global_indices`).
        points: the global design's points (unit hypercube).
        results: the result at each point.
        tornado: one entry per factor that has an order (not a draws table),
            largest swing first.
        flips: where the answer flips sign, if the result is a difference.
        center: the result with every factor at its median.
        opposite_share: the share of the global design's points whose result
            has the other sign than the centre's (NaN if not a difference).
    """

    method: Method
    indices: pd.DataFrame
    points: NDArray[np.float64]
    results: NDArray[np.float64]
    tornado: list[Tornado]
    flips: list[Flip]
    center: float
    opposite_share: float

    def ranking(self) -> list[str]:
        """Factors, most influential first (total index, or mu*)."""
        column = "ST" if self.method == "sobol" else "mu_star"
        ordered = self.indices.sort_values(column, ascending=False)
        return [str(f) for f in ordered["factor"]]


def _sign(x: float) -> int:
    return 0 if x == 0 or math.isnan(x) else (1 if x > 0 else -1)


def analyse(assumptions: AssumptionSet, model: Model, *, method: Method, samples: int,
            seed: int, difference: bool = False, bisection_steps: int = 6,
            line_model: Model | None = None) -> Analysis:
    """Global indices, tornado and flips of ``model`` over the assumptions.

    Args:
        assumptions: the factors.
        model: evaluates a batch of assumption values (one dict of dotted-key
            values per point) to one result each; called once per phase with
            every point of the phase, so it can run them in parallel.
        method: sobol or morris.
        samples: Sobol base samples (a power of two) or Morris trajectories.
        seed: the root seed (the design has its own stream).
        difference: whether the result is a difference whose sign is the answer.
        bisection_steps: halvings of each flip's bracket.
        line_model: evaluates the one-at-a-time lines and the bisection
            (default ``model``); on the simulator, with more replications than
            the global design, since a few points decide the tornado and the flips.

    Raises:
        ExperimentError: a result undefined at some point.
    """
    points = global_design(assumptions, method, samples, seed)
    results = np.asarray(model(assumptions.values(points)), dtype=float)
    if np.any(np.isnan(results)):
        raise ExperimentError("sensitivity: the result is undefined (no deal won?) at "
                              f"{int(np.sum(np.isnan(results)))} of {results.size} points; "
                              "choose another metric or a longer horizon")
    indices = global_indices(assumptions, method, points, results, seed)
    ordered = len(assumptions.assumptions)  # a draws table has no low or high end
    d = assumptions.dimension
    center_u = np.full(d, 0.5)
    line = [center_u]
    for j in range(ordered):
        for u in (OAT_LOW, OAT_HIGH):
            p = center_u.copy()
            p[j] = u
            line.append(p)
    line_model = line_model or model
    line_results = np.asarray(line_model(assumptions.values(np.array(line))), dtype=float)
    center = float(line_results[0])
    tornado = []
    for j in range(ordered):
        dist = assumptions.assumptions[j].distribution
        low_v, high_v = (float(v) for v in dist.ppf([OAT_LOW, OAT_HIGH]))
        tornado.append(Tornado(assumptions.factors[j], low_v, high_v,
                               float(line_results[1 + 2 * j]), float(line_results[2 + 2 * j]),
                               center))
    flips = (_flips(assumptions, line_model, tornado, center, bisection_steps) if difference
             else [])
    tornado.sort(key=lambda t: -t.swing)
    opposite = math.nan
    if difference and _sign(center) != 0:
        opposite = float(np.mean(np.sign(results) == -_sign(center)))
    return Analysis(method, indices, points, results, tornado, flips, center, opposite)


def _flips(assumptions: AssumptionSet, model: Model, tornado: Sequence[Tornado], center: float,
           steps: int) -> list[Flip]:
    """Bisection, all brackets in step, on the lines whose end has the other sign."""
    d = assumptions.dimension
    brackets = []
    for j, t in enumerate(tornado):
        ends: tuple[tuple[Literal["low", "high"], float, float], ...] = (
            ("low", OAT_LOW, t.low_result), ("high", OAT_HIGH, t.high_result))
        for side, u_end, result in ends:
            if _sign(result) != 0 and _sign(result) != _sign(center):
                brackets.append(_Bracket(j, side, 0.5, u_end))
    for _ in range(steps if brackets else 0):
        middles = []
        for b in brackets:
            p = np.full(d, 0.5)
            p[b.factor] = b.middle
            middles.append(p)
        values = np.asarray(model(assumptions.values(np.array(middles))), dtype=float)
        for b, value in zip(brackets, values, strict=True):
            if _sign(float(value)) == _sign(center):
                b.inside = b.middle
            else:
                b.outside = b.middle
    out = []
    for b in brackets:
        value = float(assumptions.assumptions[b.factor].distribution.ppf([b.middle])[0])
        out.append(Flip(assumptions.factors[b.factor], b.side, value, b.middle))
    return out


@dataclass
class _Bracket:
    """A flip's bracket on one factor's line, in percentiles: where the answer holds, and not."""

    factor: int
    side: Literal["low", "high"]
    inside: float
    outside: float

    @property
    def middle(self) -> float:
        return (self.inside + self.outside) / 2.0


# --- the design of a run on the simulator ------------------------------------------------------


@dataclass(frozen=True)
class SensitivitySpec:
    """A sensitivity analysis on the simulator.

    Attributes:
        scenarios: the scenario (and the one it is compared against, first).
        labels: their unique names.
        files: where they came from.
        metric: the metric.
        method: sobol or morris.
        samples: Sobol base samples or Morris trajectories.
        replications: replications of every point of the global design (the same at
            every point).
        seed: the root seed.
        assumptions: the factors.
        bisection_steps: halvings of each flip's bracket.
        left_out: default assumptions left out because the scenarios differ on them.
        line_replications: replications of the one-at-a-time lines and the
            bisection (0: :attr:`line_factor` x ``replications``).
    """

    scenarios: tuple[Scenario, ...]
    labels: tuple[str, ...]
    files: tuple[str, ...]
    metric: str
    method: Method
    samples: int
    replications: int
    seed: int
    assumptions: AssumptionSet
    bisection_steps: int = 6
    left_out: tuple[str, ...] = field(default=())
    line_replications: int = 0

    command = "sensitivity"
    design_name = DESIGN
    default_replications = 2
    # A few points decide the tornado and the flips: they get this many times the
    # replications of the global design's points.
    line_factor = 4
    default_samples: ClassVar[Mapping[str, int]] = MappingProxyType(
        {"sobol": 32, "morris": 10})

    @property
    def difference(self) -> bool:
        """Whether the result is the difference of two scenarios."""
        return len(self.scenarios) == 2

    @property
    def reference(self) -> str:
        """The scenario the difference is taken against (or the only one)."""
        return self.labels[0]

    @classmethod
    def build(cls, scenario: Scenario, metric: str, *, against: Scenario | None = None,
              files: Sequence[str] = (), method: Method | None = None,
              samples: int | None = None, replications: int | None = None,
              seed: int | None = None, assumptions: AssumptionSet | None = None,
              left_out: Sequence[str] = ()) -> SensitivitySpec:
        """A validated sensitivity analysis (nothing runs).

        With ``against``, the result is ``scenario - against`` (``against`` is
        the reference), evaluated in the same worlds with the same luck.

        Raises:
            ExperimentError: a bad metric, method or sample count.
            AssumptionError: no assumption, or an extreme that makes a scenario invalid.
        """
        check_metric(metric, "--metric")
        if assumptions is None or not assumptions:
            raise AssumptionError("sensitivity: no assumption is uncertain")
        method = method or default_method(assumptions.dimension)
        if method not in ("sobol", "morris"):
            raise ExperimentError(f"--method {method}: expected sobol or morris")
        n = samples or cls.default_samples[method]
        if method == "sobol" and (n < 2 or n & (n - 1)):
            raise ExperimentError(f"--samples {n}: Sobol's design needs a power of two "
                                  "(8, 16, 32, 64...)")
        if method == "morris" and n < 2:
            raise ExperimentError(f"--samples {n}: Morris screening needs at least 2 "
                                  "trajectories")
        seed = scenario.seed if seed is None else seed
        pair = (scenario,) if against is None else (against, scenario)
        common = tuple(s if s.seed == seed else s.with_overrides({"seed": seed}) for s in pair)
        labels = tuple(unique_labels([s.name for s in common]))
        for label, s in zip(labels, common, strict=True):
            check_draws(assumptions, s, f"sensitivity '{label}'")
        ordered = tuple(files) if against is None else tuple(reversed(tuple(files)))
        reps = replications or cls.default_replications
        return cls(common, labels, ordered, metric, method, n, reps, seed, assumptions,
                   left_out=tuple(left_out), line_replications=cls.line_factor * reps)

    def to_json(self) -> dict[str, Any]:
        """The definition stored in ``experiment.json``."""
        return {"command": self.command, "design": self.design_name, "seed": self.seed,
                "metric": self.metric, "method": self.method, "samples": self.samples,
                "replications": self.replications, "bisection_steps": self.bisection_steps,
                "line_replications": self.line_replications,
                "labels": list(self.labels), "files": list(self.files),
                "left_out": list(self.left_out), "assumptions": self.assumptions.to_json(),
                "scenarios": [s.model_dump(mode="json") for s in self.scenarios]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SensitivitySpec:
        """The inverse of :meth:`to_json`."""
        return cls(tuple(Scenario.model_validate(s) for s in data["scenarios"]),
                   tuple(data["labels"]), tuple(data["files"]), str(data["metric"]),
                   data["method"], int(data["samples"]), int(data["replications"]),
                   int(data["seed"]), AssumptionSet.from_json(data["assumptions"]),
                   int(data["bisection_steps"]), tuple(data.get("left_out", ())),
                   int(data.get("line_replications", 0)))

    def planned(self) -> int:
        """Simulations the analysis needs at least (for the progress bar)."""
        d = self.assumptions.dimension
        points = (self.samples * (d + 2) if self.method == "sobol"
                  else self.samples * (d + 1))
        line = 1 + 2 * len(self.assumptions.assumptions)
        return (points * self.replications + line * self.lines) * len(self.scenarios)

    @property
    def lines(self) -> int:
        """Replications of the one-at-a-time lines and the bisection."""
        return self.line_replications or self.line_factor * self.replications


@dataclass(frozen=True)
class SensitivityResult:
    """A finished sensitivity analysis on the simulator.

    Attributes:
        spec: the analysis.
        analysis: indices, tornado, flips.
        evaluations: one row per evaluated point and scenario and replication.
    """

    spec: SensitivitySpec
    analysis: Analysis
    evaluations: pd.DataFrame

    @property
    def replications(self) -> int:
        """Replications per point."""
        return self.spec.replications

    def tornado_table(self) -> pd.DataFrame:
        """One row per factor, largest swing first."""
        return pd.DataFrame([{"factor": t.factor, "low_value": t.low_value,
                              "high_value": t.high_value, "low_result": t.low_result,
                              "high_result": t.high_result, "center_result": t.center_result,
                              "swing": t.swing} for t in self.analysis.tornado],
                            columns=["factor", "low_value", "high_value", "low_result",
                                     "high_result", "center_result", "swing"])

    def flips_table(self) -> pd.DataFrame:
        """One row per flip found."""
        return pd.DataFrame([{"factor": f.factor, "side": f.side, "value": f.value,
                              "percentile": f.percentile} for f in self.analysis.flips],
                            columns=["factor", "side", "value", "percentile"])

    def points_table(self) -> pd.DataFrame:
        """The global design: each point's factor values and result."""
        values = self.spec.assumptions.values(self.analysis.points)
        rows = [{**v, "result": float(y)} for v, y in zip(values, self.analysis.results,
                                                          strict=True)]
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """File name -> table."""
        return {"indices.csv": self.analysis.indices, "tornado.csv": self.tornado_table(),
                "flips.csv": self.flips_table(), "points.csv": self.points_table(),
                "replications.csv": self.evaluations}

    def scenario_files(self) -> dict[str, Scenario]:
        """File name -> scenario as run."""
        return {f"scenarios/{label}.yaml": s
                for label, s in zip(self.spec.labels, self.spec.scenarios, strict=True)}

    def to_json(self) -> dict[str, Any]:
        """The object printed by ``sensitivity --json`` (NaN as null)."""
        spec, a = self.spec, self.analysis
        defaults = {row["key"]: row for row in spec.assumptions.table()}
        return {
            "command": "sensitivity", "design": DESIGN, "seed": spec.seed,
            "metric": spec.metric, "method": a.method, "samples": spec.samples,
            "replications": spec.replications, "scenarios": list(spec.labels),
            "difference": None if not spec.difference else
            f"{spec.labels[1]} - {spec.labels[0]}",
            "horizon_days": spec.scenarios[0].horizon_days, "center": finite(a.center),
            "opposite_share": finite(a.opposite_share),
            "assumptions": spec.assumptions.table(), "left_out": list(spec.left_out),
            "ranking": a.ranking(),
            "indices": [{k: (finite(v) if isinstance(v, float) else v) for k, v in row.items()}
                        for row in a.indices.to_dict("records")],
            "tornado": [{"factor": t.factor, "low_value": finite(t.low_value),
                         "high_value": finite(t.high_value),
                         "median": finite(defaults.get(t.factor, {}).get("median")),
                         "low_result": finite(t.low_result),
                         "high_result": finite(t.high_result), "swing": finite(t.swing)}
                        for t in a.tornado],
            "flips": [{"factor": f.factor, "side": f.side, "value": finite(f.value),
                       "percentile": finite(f.percentile)} for f in a.flips],
        }


def run_sensitivity(spec: SensitivitySpec, executor: Executor,
                    store: ExperimentStore | None = None,
                    progress: Progress | None = None) -> SensitivityResult:
    """Run a sensitivity analysis on the simulator (resumable; any executor)."""
    evaluator = Evaluator(executor, spec.seed, store, progress)
    evaluator.expect(spec.planned())
    # Replications 0 .. R-1 at every point; the lines' first R are the design's own.
    stride = max(spec.replications, spec.lines)
    design = SampleDesign.luck_only(spec.replications, stride)
    line_design = SampleDesign.luck_only(spec.lines, stride)
    seen: dict[tuple[str, int], dict[str, NDArray[np.float64]]] = {}

    def evaluated(on: SampleDesign) -> Model:
        def model(points: list[dict[str, float | int]]) -> NDArray[np.float64]:
            batch = []
            for values in points:
                for label, scenario in zip(spec.labels, spec.scenarios, strict=True):
                    pid = point_id(label, values)
                    if (pid, on.replications) not in seen:
                        batch.append((pid, _world(scenario, values, label)))
            unique = list(dict(batch).items())
            found = evaluator.evaluate(unique, on) if unique else {}
            seen.update({(pid, on.replications): v for pid, v in found.items()})
            out = []
            for values in points:
                means = [_mean(seen[(point_id(label, values), on.replications)][spec.metric])
                         for label in spec.labels]
                out.append(means[1] - means[0] if spec.difference else means[0])
            return np.array(out, dtype=float)

        return model

    analysis = analyse(spec.assumptions, evaluated(design), method=spec.method,
                       samples=spec.samples, seed=spec.seed, difference=spec.difference,
                       bisection_steps=spec.bisection_steps,
                       line_model=evaluated(line_design))
    rows = []
    for (pid, reps), metrics in seen.items():
        table = long_table({pid: metrics}, SampleDesign.luck_only(reps, stride), "point")
        rows += [row for row in table if (pid, line_design.replications) not in seen
                 or reps == line_design.replications]
    return SensitivityResult(spec, analysis, pd.DataFrame(rows))


def _mean(x: NDArray[np.float64]) -> float:
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else math.nan


def _world(scenario: Scenario, values: Mapping[str, Any], label: str) -> Scenario:
    try:
        return applied(scenario, values)
    except AssumptionError as exc:
        raise AssumptionError(f"sensitivity '{label}': {exc}") from None
