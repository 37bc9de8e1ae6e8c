"""Readable text tables of experiments: comparisons, sweeps and optimisations."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from sim.experiments.experiment import (
    CompareResult,
    OptimizeResult,
    Result,
    SweepResult,
)
from sim.report.text import SECTIONS, format_value

# The kind of number each headline metric is, for formatting (from the run summary).
KINDS: dict[str, str] = {metric: kind for _, rows in SECTIONS for metric, _, kind in rows}
LABELS: dict[str, str] = {metric: label for _, rows in SECTIONS for metric, label, _ in rows}


def _label(metric: str) -> str:
    return LABELS.get(metric, metric.replace("_", " ").capitalize())


def _kind(metric: str) -> str:
    return KINDS.get(metric, "number")


def format_difference(value: float, kind: str) -> str:
    """A signed difference: ``+1.20 M``, ``-3.5 d``, ``+1.2 pp`` for rates."""
    if value is None or math.isnan(value):
        return "-"
    if value == 0:
        return "0"
    if kind == "percent":
        return f"{100 * value:+.1f} pp"
    if kind == "count":
        return f"{value:+,.0f}" if abs(value) >= 100 else f"{value:+,.1f}"
    text = format_value(abs(value), kind)
    return ("-" if value < 0 else "+" if value > 0 else "") + text


def _ci(low: float, high: float, kind: str, signed: bool = False) -> str:
    if math.isnan(low) or math.isnan(high):
        return "-"
    fmt = format_difference if signed else format_value
    return f"{fmt(low, kind)} .. {fmt(high, kind)}"


def _stopping_line(result: Result) -> str | None:
    stopping = result.spec.stopping
    if stopping.precision is None:
        return None
    state = ("met at every point" if result.precision_met
             else f"NOT met within --max-replications {stopping.max_replications}")
    return (f"Sequential stopping: {result.replications} replications per point; 95% CI "
            f"half-width of {stopping.objective} within {100 * stopping.precision:g}% of its "
            f"mean: {state}.")


def compare_table(result: CompareResult) -> str:
    """Each scenario against the reference: means, paired differences, verdicts."""
    spec = result.spec
    ref = spec.labels[0]
    n = result.replications
    first = spec.scenarios[0]
    lines = [
        f"Compare with '{ref}' (the reference): {first.horizon_days:g} days, {n} replication"
        f"{'s' * (n != 1)} each, seed {spec.seed}, common random numbers (every scenario "
        "sees the same leads with the same luck).",
    ]
    stop = _stopping_line(result)
    if stop:
        lines.append(stop)
    means = result.summary.set_index(["scenario", "metric"])["mean"]
    diffs = result.differences.set_index(["scenario", "metric"])
    for label in spec.labels[1:]:
        lines += ["", f"'{label}' minus '{ref}'", (
            f"{'':34}{ref[:12]:>12}  {label[:12]:>12}  {'difference':>12}   "
            f"{'95% CI':<27}verdict")]
        for title, rows in SECTIONS:
            lines.append(title)
            for metric, text, kind in rows:
                d = diffs.loc[(label, metric)]
                lines.append(
                    f"  {text[:32]:32}{format_value(means[(ref, metric)], kind):>12}  "
                    f"{format_value(means[(label, metric)], kind):>12}  "
                    f"{format_difference(d['mean'], kind):>12}   "
                    f"{_ci(d['ci_low'], d['ci_high'], kind, signed=True):<27}{d['verdict']}")
    lines += ["", "Verdicts: 'better' or 'worse' when the 95% CI of the paired difference "
              "excludes 0, for the second scenario against the reference; every metric is in "
              "differences.csv."]
    return "\n".join(lines)


def sweep_table(result: SweepResult) -> str:
    """One line per grid point: the objective and a few headline metrics with CIs."""
    spec = result.spec
    objective = spec.stopping.objective
    shown = [objective] + [m for m in ("revenue", "deals_won") if m != objective]
    n = result.replications
    lines = [
        f"Sweep of '{spec.base.name}' over {' x '.join(spec.keys)} ({len(result.points)} "
        f"points): {spec.base.horizon_days:g} days, {n} replication{'s' * (n != 1)} per "
        f"point, seed {spec.seed}, common random numbers across points.",
    ]
    stop = _stopping_line(result)
    if stop:
        lines.append(stop)
    summary = result.summary.set_index(["point", "metric"])
    widths = [max(len(k), 10) for k in spec.keys]
    head = "point  " + "  ".join(f"{k:>{w}}" for k, w in zip(spec.keys, widths, strict=True))
    for metric in shown:
        head += f"  {metric[:12]:>12}  {'95% CI':<25}"
    lines += ["", head]
    for row in result.points.to_dict("records"):
        point = row["point"]
        text = f"{point:>5}  " + "  ".join(
            f"{_cell(row[k]):>{w}}" for k, w in zip(spec.keys, widths, strict=True))
        for metric in shown:
            s = summary.loc[(point, metric)]
            kind = _kind(metric)
            text += (f"  {format_value(s['mean'], kind):>12}  "
                     f"{_ci(s['ci_low'], s['ci_high'], kind):<25}")
        if point == result.best:
            text += "  <- best"
        lines.append(text.rstrip())
    if result.best is not None:
        best = result.points.iloc[result.best]
        way = "highest" if spec.goal == "max" else "lowest"
        lines += ["", f"Best {objective} ({way} mean): point {result.best}, "
                  + ", ".join(f"{k}={_cell(best[k])}" for k in spec.keys) + "."]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    """A parameter value as people write it: 1,012,500 or 0.25, never 1.0125e+06."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{value:,.0f}"
        return f"{value:.6g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def optimize_table(result: OptimizeResult) -> str:
    """The best value, its uncertainty, the flat top, and every value evaluated."""
    spec, best = result.spec, result.optimum
    key, objective = spec.parameter, spec.objective
    kind = _kind(objective)
    way = "highest" if spec.goal == "max" else "lowest"
    n = result.replications
    width = max(len(key), 14)
    lines = [
        f"Optimise {key} in [{_cell(spec.low)}, {_cell(spec.high)}] for the {way} "
        f"{objective} of '{spec.base.name}': {spec.base.horizon_days:g} days, "
        f"{n} replication{'s' * (n != 1)} per value, seed {spec.seed}.",
        f"Method: a grid of {spec.points_per_round} values refined up to {spec.refinements} "
        f"times around the best, common random numbers at every value "
        f"({len(result.points)} values evaluated); a bootstrap over replications gives the "
        "CI of the best value.",
    ]
    stop = _stopping_line(result)
    if stop:
        lines.append(stop)
    obj = best.objective
    lines += [
        "",
        f"Best {key}: {_cell(best.value)}   (95% CI {_cell(best.value_ci[0])} .. "
        f"{_cell(best.value_ci[1])}; best in {100 * best.bootstrap_share:.0f}% of bootstrap "
        f"resamples; evaluated values {_cell(best.resolution)} apart around it)",
        f"{objective} there: {format_value(obj['mean'], kind)} "
        f"(95% CI {_ci(obj['ci_low'], obj['ci_high'], kind)})",
        _flatness(result),
        "",
        f"{key:>{width}}  round  {objective[:12]:>12}  {'95% CI':<25}"
        f"{'vs best':>12}  {'95% CI':<27}{'loss':>7}",
    ]
    for row in result.points.to_dict("records"):
        mark = "  <- best" if row["point"] == best.point else (
            "  ~ same" if row["near_optimal"] else "")
        loss = row["relative_loss"]
        lines.append(
            f"{_cell(row[key]):>{width}}  {row['round']:>5}  "
            f"{format_value(row['mean'], kind):>12}  "
            f"{_ci(row['ci_low'], row['ci_high'], kind):<25}"
            f"{format_difference(row['difference'], kind):>12}  "
            f"{_ci(row['difference_ci_low'], row['difference_ci_high'], kind, True):<27}"
            f"{'-' if math.isnan(loss) else f'{100 * loss + 0.0:.1f}%':>7}{mark}")
    return "\n".join(lines)


def _flatness(result: OptimizeResult) -> str:
    """How flat the optimum is: the near-optimal range and the loss just outside it."""
    best, key = result.optimum, result.spec.parameter
    table: pd.DataFrame = result.points
    below = table[table[key] < best.near_low]
    above = table[table[key] > best.near_high]
    text = (f"Flat top: {key} from {_cell(best.near_low)} to {_cell(best.near_high)} is within "
            "noise of the best (95% CI of the paired difference includes 0)")
    outside = []
    if len(below):
        row = below.iloc[-1]
        outside.append(f"{100 * row['relative_loss']:.1f}% worse at {_cell(row[key])}")
    if len(above):
        row = above.iloc[0]
        outside.append(f"{100 * row['relative_loss']:.1f}% worse at {_cell(row[key])}")
    return text + ("; " + " and ".join(outside) if outside else "") + "."


def experiment_table(result: Result) -> str:
    """The text summary of any experiment result."""
    if isinstance(result, CompareResult):
        return compare_table(result)
    if isinstance(result, SweepResult):
        return sweep_table(result)
    return optimize_table(result)
