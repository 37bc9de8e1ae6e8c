"""Readable text tables of experiments: comparisons, sweeps and optimisations."""

from __future__ import annotations

import pandas as pd

from sim.experiments.experiment import (
    CompareResult,
    OptimizeResult,
    Result,
    SweepResult,
)
from sim.report.format import fmt, fmt_param, fmt_range
from sim.results.catalog import describe, summary_sections

# Width of the label column of a comparison (the catalog's labels fit).
LABEL_WIDTH = 34


def _ci(low: object, high: object, kind: str, signed: bool = False) -> str:
    return fmt_range(low, high, kind, signed=signed, sep=" .. ")


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
        f"Compare with '{ref}' (the reference): {fmt_param(first.horizon_days)} days, "
        f"{n} replication{'s' * (n != 1)} each, seed {spec.seed}, common random numbers "
        "(every scenario sees the same leads with the same luck).",
    ]
    stop = _stopping_line(result)
    if stop:
        lines.append(stop)
    means = result.summary.set_index(["scenario", "metric"])["mean"]
    diffs = result.differences.set_index(["scenario", "metric"])
    for label in spec.labels[1:]:
        lines += ["", f"'{label}' minus '{ref}'", (
            f"{'':{LABEL_WIDTH + 2}}{ref[:12]:>12}  {label[:12]:>12}  {'difference':>12}   "
            f"{'95% CI':<27}verdict")]
        for title, metrics in summary_sections():
            lines.append(title)
            for m in metrics:
                d = diffs.loc[(label, m.name)]
                lines.append(
                    f"  {m.label:{LABEL_WIDTH}}"
                    f"{fmt(means[(ref, m.name)], m.kind):>12}  "
                    f"{fmt(means[(label, m.name)], m.kind):>12}  "
                    f"{fmt(d['mean'], m.kind, signed=True):>12}   "
                    f"{_ci(d['ci_low'], d['ci_high'], m.kind, signed=True):<27}{d['verdict']}")
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
        f"points): {fmt_param(spec.base.horizon_days)} days, {n} replication{'s' * (n != 1)} "
        f"per point, seed {spec.seed}, common random numbers across points.",
    ]
    stop = _stopping_line(result)
    if stop:
        lines.append(stop)
    summary = result.summary.set_index(["point", "metric"])
    widths = [max(len(k), 10) for k in spec.keys]
    head = "point  " + "  ".join(f"{k:>{w}}" for k, w in zip(spec.keys, widths, strict=True))
    # A column as wide as the metric's name: a sweep names its objective by name.
    metric_widths = [max(len(m), 12) for m in shown]
    for metric, w in zip(shown, metric_widths, strict=True):
        head += f"  {metric:>{w}}  {'95% CI':<25}"
    lines += ["", head]
    for row in result.points.to_dict("records"):
        point = row["point"]
        text = f"{point:>5}  " + "  ".join(
            f"{fmt_param(row[k]):>{w}}" for k, w in zip(spec.keys, widths, strict=True))
        for metric, w in zip(shown, metric_widths, strict=True):
            s = summary.loc[(point, metric)]
            kind = describe(metric).kind
            text += (f"  {fmt(s['mean'], kind):>{w}}  "
                     f"{_ci(s['ci_low'], s['ci_high'], kind):<25}")
        if point == result.best:
            text += "  <- best"
        lines.append(text.rstrip())
    if result.best is not None:
        best = result.points.iloc[result.best]
        way = "highest" if spec.goal == "max" else "lowest"
        lines += ["", f"Best {objective} ({way} mean): point {result.best}, "
                  + ", ".join(f"{k}={fmt_param(best[k])}" for k in spec.keys) + "."]
    return "\n".join(lines)


def optimize_table(result: OptimizeResult) -> str:
    """The best value, its uncertainty, the flat top, and every value evaluated."""
    spec, best = result.spec, result.optimum
    key, objective = spec.parameter, spec.objective
    kind = describe(objective).kind
    way = "highest" if spec.goal == "max" else "lowest"
    n = result.replications
    width, ow = max(len(key), 14), max(len(objective), 12)
    lines = [
        f"Optimise {key} in [{fmt_param(spec.low)}, {fmt_param(spec.high)}] for the {way} "
        f"{objective} of '{spec.base.name}': {fmt_param(spec.base.horizon_days)} days, "
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
        f"Best {key}: {fmt_param(best.value)}   (95% CI {fmt_param(best.value_ci[0])} .. "
        f"{fmt_param(best.value_ci[1])}; best in {fmt(best.bootstrap_share, 'percent')} of "
        f"bootstrap resamples; evaluated values {fmt_param(best.resolution)} apart around it)",
        f"{objective} there: {fmt(obj['mean'], kind)} "
        f"(95% CI {_ci(obj['ci_low'], obj['ci_high'], kind)})",
        _flatness(result),
        "",
        f"{key:>{width}}  round  {objective:>{ow}}  {'95% CI':<25}"
        f"{'vs best':>12}  {'95% CI':<27}{'loss':>7}",
    ]
    for row in result.points.to_dict("records"):
        mark = "  <- best" if row["point"] == best.point else (
            "  ~ same" if row["near_optimal"] else "")
        loss = row["relative_loss"]
        lines.append(
            f"{fmt_param(row[key]):>{width}}  {row['round']:>5}  "
            f"{fmt(row['mean'], kind):>{ow}}  "
            f"{_ci(row['ci_low'], row['ci_high'], kind):<25}"
            f"{fmt(row['difference'], kind, signed=True):>12}  "
            f"{_ci(row['difference_ci_low'], row['difference_ci_high'], kind, True):<27}"
            f"{fmt(loss, 'percent'):>7}{mark}")
    return "\n".join(lines)


def _flatness(result: OptimizeResult) -> str:
    """How flat the optimum is: the near-optimal range and the loss just outside it."""
    best, key = result.optimum, result.spec.parameter
    table: pd.DataFrame = result.points
    below = table[table[key] < best.near_low]
    above = table[table[key] > best.near_high]
    text = (f"Flat top: {key} from {fmt_param(best.near_low)} to {fmt_param(best.near_high)} "
            "is within noise of the best (95% CI of the paired difference includes 0)")
    outside = []
    if len(below):
        row = below.iloc[-1]
        outside.append(f"{fmt(row['relative_loss'], 'percent')} worse at {fmt_param(row[key])}")
    if len(above):
        row = above.iloc[0]
        outside.append(f"{fmt(row['relative_loss'], 'percent')} worse at {fmt_param(row[key])}")
    return text + ("; " + " and ".join(outside) if outside else "") + "."


def experiment_table(result: Result) -> str:
    """The text summary of any experiment result."""
    if isinstance(result, CompareResult):
        return compare_table(result)
    if isinstance(result, SweepResult):
        return sweep_table(result)
    return optimize_table(result)
