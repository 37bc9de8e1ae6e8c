"""Readable text tables of experiments: comparisons, sweeps and optimisations.

Every line fits in 100 columns, names are never cut, and a comparison opens
with the decision it supports (:mod:`sim.report.decision`) before the table
of every metric.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from sim.experiments.experiment import (
    CompareResult,
    OptimizeResult,
    Result,
    SweepResult,
)
from sim.report.decision import (
    compare_decision,
    differences_to_best,
    flatness,
    flatness_sentence,
    shown_verdict,
)
from sim.report.format import fmt, fmt_horizon, fmt_param, fmt_range
from sim.report.tables import HEADLINE_METRICS
from sim.report.windows import same_as_whole
from sim.results.catalog import Metric, describe, summary_sections

# The widest line the text tables print.
WIDTH = 100
# Width of the label column of a comparison: the longest label in the summary fits.
LABEL_WIDTH = max(len(m.label) for _, metrics in summary_sections() for m in metrics)
# Widths of a comparison's number columns and of its interval column: with the labels
# and the longest verdict ("negligible") a row is 100 columns at most.
NUMBER_WIDTH = 9
CI_WIDTH = 20
# Verdicts as the comparison table prints them (the CSV and JSON keep the full words).
SHORT_VERDICTS = {"no detectable difference": "not clear"}


def _ci(low: object, high: object, kind: str, signed: bool = False) -> str:
    return fmt_range(low, high, kind, signed=signed, sep=" .. ")


def _wrap(text: str, indent: str = "") -> list[str]:
    """A sentence wrapped to :data:`WIDTH` columns (long names break only at spaces)."""
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False) or [""]


def _stopping_line(result: Result) -> list[str]:
    stopping = result.spec.stopping
    if stopping.precision is None:
        return []
    state = ("met at every point" if result.precision_met
             else f"NOT met within --max-replications {stopping.max_replications}")
    return _wrap(f"Sequential stopping: {result.replications} replications per point; 95% CI "
                 f"half-width of {stopping.objective} within {100 * stopping.precision:g}% of "
                 f"its mean: {state}.")


def _shown(result_metrics: Iterable[Metric], horizon_days: float) -> list[Metric]:
    skip = same_as_whole(horizon_days)
    return [m for m in result_metrics if m.name not in skip]


def compare_table(result: CompareResult) -> str:
    """The decision, a few headline differences, then every metric against the reference."""
    spec = result.spec
    ref = spec.labels[0]
    n = result.replications
    horizon = float(spec.scenarios[0].horizon_days)
    lines = _wrap(
        f"Compare with '{ref}' (the reference): {fmt_horizon(horizon, with_days=True)}, "
        f"{n} replication{'s' * (n != 1)} each, seed {spec.seed}, common random numbers "
        "(every scenario sees the same leads with the same luck).")
    lines += _stopping_line(result)
    differences = result.differences.rename(columns={"mean": "mean_diff"})
    diffs: dict[tuple[Any, Any], Mapping[Any, Any]] = {
        (row["scenario"], row["metric"]): row for row in differences.to_dict("records")}
    means = result.summary.set_index(["scenario", "metric"])["mean"]
    objective = spec.stopping.objective

    decision = compare_decision(differences, ref, objective, n, horizon)
    lines += ["", "Summary"]
    for sentence in (decision.choice, decision.gain, decision.certainty):
        lines += _wrap(sentence, "  ")
    # The few metrics of the summary: the objective, then the run report's headline four.
    headline = [objective, *(m for m in HEADLINE_METRICS if m != objective)]
    for label in spec.labels[1:]:
        lines += _wrap(f"'{label}' minus '{ref}':", "  ")
        for name in headline:
            meta = describe(name)
            d = diffs[(label, name)]
            verdict = shown_verdict(name, d["mean_diff"], d["ci_low"], d["ci_high"])
            lines.append(
                f"    {meta.label + ':':{LABEL_WIDTH + 1}} "
                f"{fmt(d['mean_diff'], meta.kind, signed=True):>{NUMBER_WIDTH}}  "
                f"{'(95% CI ' + _ci(d['ci_low'], d['ci_high'], meta.kind, True) + ')':<29}  "
                f"{SHORT_VERDICTS.get(verdict, verdict)}".rstrip())

    metrics = [(title, _shown(group, horizon)) for title, group in summary_sections()]
    for label in spec.labels[1:]:
        fits = max(len(ref), len(label)) <= NUMBER_WIDTH
        first, second = (ref, label) if fits else ("reference", "scenario")
        lines += [""]
        lines += _wrap(f"'{label}' minus '{ref}' (the reference), mean of each over "
                       "replications and the paired difference:")
        lines.append(
            f"  {'':{LABEL_WIDTH}} {first:>{NUMBER_WIDTH}} {second:>{NUMBER_WIDTH}} "
            f"{'difference':>{NUMBER_WIDTH}}  {'95% CI':<{CI_WIDTH}}  verdict")
        for title, group in metrics:
            lines.append(title)
            for m in group:
                d = diffs[(label, m.name)]
                verdict = shown_verdict(m.name, d["mean_diff"], d["ci_low"], d["ci_high"])
                lines.append(
                    f"  {m.label:{LABEL_WIDTH}} "
                    f"{fmt(means[(ref, m.name)], m.kind):>{NUMBER_WIDTH}} "
                    f"{fmt(means[(label, m.name)], m.kind):>{NUMBER_WIDTH}} "
                    f"{fmt(d['mean_diff'], m.kind, signed=True):>{NUMBER_WIDTH}}  "
                    f"{_ci(d['ci_low'], d['ci_high'], m.kind, signed=True):<{CI_WIDTH}}  "
                    f"{SHORT_VERDICTS.get(verdict, verdict)}".rstrip())
    lines += [""]
    lines += _wrap(
        "Verdicts: 'better' or 'worse' when the 95% CI of the paired difference excludes 0, "
        "by the metric's direction; 'higher' or 'lower' for a metric with no better "
        "direction, 'more' or 'fewer' for counts of lost leads (they grow with the leads "
        "coming in), 'negligible' when the whole CI rounds to zero, 'same' when the metric "
        "did not change in any replication, 'not clear' when the CI includes 0. Every metric "
        "is in differences.csv.")
    return "\n".join(lines)


def _paired_to_best(result: SweepResult) -> pd.DataFrame | None:
    """Each sweep point against the best one, paired by replication (``None``: no goal)."""
    if result.best is None or result.spec.goal is None:
        return None
    return differences_to_best(result.per_replication, "point", result.spec.stopping.objective,
                               maximize=result.spec.goal == "max")


def _ranges(points: pd.DataFrame, keys: Iterable[str]) -> str:
    near = points[points["near_optimal"].astype(bool)]
    return "; ".join(f"{k} from {fmt_param(near[k].min())} to {fmt_param(near[k].max())}"
                     for k in keys)


def sweep_table(result: SweepResult) -> str:
    """One line per grid point: the objective, its paired difference to the best, revenue."""
    spec = result.spec
    objective = spec.stopping.objective
    kind = describe(objective).kind
    n = result.replications
    lines = _wrap(
        f"Sweep of '{spec.base.name}' over {' x '.join(spec.keys)} ({len(result.points)} "
        f"points): {fmt_horizon(spec.base.horizon_days, with_days=True)}, {n} "
        f"replication{'s' * (n != 1)} per point, seed {spec.seed}, common random numbers "
        "across points.")
    lines += _stopping_line(result)
    summary = result.summary.set_index(["point", "metric"])
    paired = _paired_to_best(result)
    by_point = paired.set_index("point") if paired is not None else None
    widths = [max(len(k), 10) for k in spec.keys]
    ow = max(len(objective), 10)
    head = "point  " + "  ".join(f"{k:>{w}}" for k, w in zip(spec.keys, widths, strict=True))
    head += f"  {objective:>{ow}}  {'95% CI':<20}"
    if by_point is not None:
        head += f"  {'vs best':>9}  {'paired 95% CI':<21}"
    lines += ["", head.rstrip()]
    for row in result.points.to_dict("records"):
        point = row["point"]
        s = summary.loc[(point, objective)]
        text = f"{point:>5}  " + "  ".join(
            f"{fmt_param(row[k]):>{w}}" for k, w in zip(spec.keys, widths, strict=True))
        text += f"  {fmt(s['mean'], kind):>{ow}}  {_ci(s['ci_low'], s['ci_high'], kind):<20}"
        if by_point is not None:
            p = by_point.loc[point]
            text += (f"  {fmt(p['difference'], kind, signed=True):>9}  "
                     f"{_ci(p['difference_ci_low'], p['difference_ci_high'], kind, True):<21}")
            if point == result.best:
                text += "  <- best"
            elif p["near_optimal"]:
                text += "  ~ same"
        elif point == result.best:
            text += "  <- best"
        lines.append(text.rstrip())
    if result.best is not None:
        best = result.points.iloc[result.best]
        way = "highest" if spec.goal == "max" else "lowest"
        lines += [""]
        lines += _wrap(f"Best {objective} ({way} mean): point {result.best}, "
                       + ", ".join(f"{k}={fmt_param(best[k])}" for k in spec.keys) + ".")
    if paired is not None and result.best is not None:
        table = result.points.merge(paired, on="point")
        best_mean = float(summary["mean"].loc[(result.best, objective)])
        flat = flatness(table, best_mean, maximize=spec.goal == "max")
        lines += _wrap(flatness_sentence(flat, _ranges(table, spec.keys), n))
    return "\n".join(lines)


def optimize_table(result: OptimizeResult) -> str:
    """The best value, its uncertainty, the flat top, and every value evaluated."""
    spec, best = result.spec, result.optimum
    key, objective = spec.parameter, spec.objective
    kind = describe(objective).kind
    way = "highest" if spec.goal == "max" else "lowest"
    n = result.replications
    width, ow = max(len(key), 14), max(len(objective), 12)
    lines = _wrap(
        f"Optimise {key} in [{fmt_param(spec.low)}, {fmt_param(spec.high)}] for the {way} "
        f"{objective} of '{spec.base.name}': "
        f"{fmt_horizon(spec.base.horizon_days, with_days=True)}, "
        f"{n} replication{'s' * (n != 1)} per value, seed {spec.seed}.")
    lines += _wrap(
        f"Method: a grid of {spec.points_per_round} values refined up to {spec.refinements} "
        f"times around the best, common random numbers at every value "
        f"({len(result.points)} values evaluated); a bootstrap over replications gives the "
        "CI of the best value.")
    lines += _stopping_line(result)
    obj = best.objective
    lines += [""]
    lines += _wrap(
        f"Best {key}: {fmt_param(best.value)}   (95% CI {fmt_param(best.value_ci[0])} .. "
        f"{fmt_param(best.value_ci[1])}; best in {fmt(best.bootstrap_share, 'percent')} of "
        f"bootstrap resamples; evaluated values {fmt_param(best.resolution)} apart around it)")
    lines += _wrap(f"{objective} there: {fmt(obj['mean'], kind)} "
                   f"(95% CI {_ci(obj['ci_low'], obj['ci_high'], kind)})")
    lines += _wrap(_flatness(result))
    lines += ["", f"{key:>{width}}  round  {objective:>{ow}}  {'95% CI':<25}"
              f"{'vs best':>12}  {'95% CI':<27}{'loss':>7}"]
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
    """How flat the optimum is, judged by paired differences; the loss just outside it."""
    best, key = result.optimum, result.spec.parameter
    table: pd.DataFrame = result.points
    flat = flatness(table, float(best.objective["mean"]), maximize=result.spec.goal == "max")
    ranges = f"{key} from {fmt_param(best.near_low)} to {fmt_param(best.near_high)}"
    text = (f"Flat top: {ranges} is within noise of the best (95% CI of the paired difference "
            f"includes 0). {flatness_sentence(flat, ranges, result.replications)}")
    below = table[table[key] < best.near_low]
    above = table[table[key] > best.near_high]
    outside = []
    if len(below):
        row = below.iloc[-1]
        outside.append(f"{fmt(row['relative_loss'], 'percent')} worse at {fmt_param(row[key])}")
    if len(above):
        row = above.iloc[0]
        outside.append(f"{fmt(row['relative_loss'], 'percent')} worse at {fmt_param(row[key])}")
    return text + (f" Just outside: {' and '.join(outside)}." if outside else "")


def experiment_table(result: Result) -> str:
    """The text summary of any experiment result."""
    if isinstance(result, CompareResult):
        return compare_table(result)
    if isinstance(result, SweepResult):
        return sweep_table(result)
    return optimize_table(result)
