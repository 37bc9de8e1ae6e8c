"""The decision an executive reads first, and verdicts in plain words.

An experiment ends in a choice: keep the reference or switch, set a
parameter to this value. This module turns paired differences (common random
numbers, :func:`sim.experiments.statistics.paired_difference`) into that
choice in one sentence, the size of the gain with its range, and how sure the
numbers let us be:

- :func:`compare_decision` for a comparison of scenarios;
- :func:`differences_to_best` and :func:`flatness` for a sweep or an
  optimisation: each point against the best one, replication by replication,
  and whether the top is flat, sharp, or not resolved by the replications run;
- :func:`shown_verdict`, the words a table prints for one difference.

The intervals here cover the luck of the draw over replications; where a
comparison also ran with uncertain assumptions, the caller passes the
probability that the choice is right and it is shown as given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sim.experiments.statistics import paired_difference
from sim.report.format import fmt, fmt_horizon, fmt_param, fmt_range, fmt_relative, in_sentence
from sim.results.catalog import describe

Verdict = Literal["better", "worse", "higher", "lower", "more", "fewer", "negligible",
                  "same", "no detectable difference", "undefined"]


def shown_verdict(metric: str, mean: float, ci_low: float, ci_high: float) -> Verdict:
    """The verdict a person reads for a paired difference of one metric.

    A difference whose 95% CI excludes 0 is "better" or "worse" by the
    metric's direction in the catalog, except where that would judge a
    description rather than a goal:

    - a metric with no preferred direction (direction 0) is "higher" or "lower";
    - a count of lost leads or deals (a count whose direction is -1) grows with
      the leads coming in, so a policy that brings more leads loses more of
      them: it is "more" or "fewer", not "worse";
    - a difference whose whole interval rounds to zero where it is printed is
      "negligible", however sure it is, and one that is exactly zero in every
      replication (the change does not touch the metric) is "same".
    """
    if any(math.isnan(float(x)) for x in (mean, ci_low, ci_high)):
        return "undefined"
    if mean == ci_low == ci_high == 0:
        return "same"  # common random numbers: the change did not touch this metric at all
    meta = describe(metric)
    zero = fmt(0.0, meta.kind, signed=True)
    if fmt(ci_low, meta.kind, signed=True) == zero and fmt(ci_high, meta.kind,
                                                            signed=True) == zero:
        return "negligible"
    if not (ci_low > 0 or ci_high < 0):
        return "no detectable difference"
    up = ci_low > 0
    if meta.direction == 0:
        return "higher" if up else "lower"
    if meta.kind == "count" and meta.direction < 0:
        return "more" if up else "fewer"
    return "better" if up == (meta.direction > 0) else "worse"


def is_judged(verdict: str) -> bool:
    """Whether a verdict says better or worse (rather than describing a change)."""
    return verdict in ("better", "worse")


@dataclass(frozen=True)
class Decision:
    """The one-pager's three lines.

    Attributes:
        choice: the decision in one sentence.
        gain: the size of the gain with its 95% range.
        certainty: how sure: the probability the choice is right when known,
            else what the range covers.
        winner: the scenario or value chosen.
        clear: whether the data back the choice (the range excludes no gain).
    """

    choice: str
    gain: str
    certainty: str
    winner: str
    clear: bool


def _over(horizon_days: float | None) -> str:
    return f" over {fmt_horizon(horizon_days)}" if horizon_days else ""


def _probability_text(probability: float | None, what: str) -> str | None:
    if probability is None or math.isnan(probability):
        return None
    return f"Probability that {what}: {fmt(probability, 'percent')}."


def compare_decision(differences: pd.DataFrame, reference: str, objective: str,
                     n_replications: int, horizon_days: float | None = None,
                     probability: Mapping[str, float] | None = None) -> Decision:
    """Which scenario to choose on ``objective``, by how much, and how sure.

    Args:
        differences: paired differences vs the reference, one row per
            (metric, scenario): ``metric``, ``scenario``, ``mean_diff``,
            ``ci_low``, ``ci_high`` and optionally ``relative`` (over the
            reference's mean).
        reference: the reference scenario.
        objective: the metric the choice rests on (its direction says which
            way is better).
        n_replications: paired replications behind each interval.
        horizon_days: the horizon, named in the sentences.
        probability: scenario -> probability that it beats the reference (from
            a comparison under uncertain assumptions), shown as given.
    """
    meta = describe(objective)
    label = in_sentence(meta.label)
    rows = differences[differences["metric"] == objective].reset_index(drop=True)
    if rows.empty:
        return Decision(f"No difference in {label} to decide on.", "", "", reference, False)
    way = meta.direction or 1
    scores = rows["mean_diff"].astype(float) * way
    best = rows.iloc[int(scores.to_numpy().argmax())]
    name = str(best["scenario"])
    diff, low, high = float(best["mean_diff"]), float(best["ci_low"]), float(best["ci_high"])
    better_clear = (low > 0) if way > 0 else (high < 0)
    others_worse = all(((r["ci_high"] < 0) if way > 0 else (r["ci_low"] > 0))
                       for _, r in rows.iterrows())
    over = _over(horizon_days)
    n_text = f"{n_replications} paired replication{'s' * (n_replications != 1)}"
    if better_clear:
        choice = f"Choose '{name}' over '{reference}': it brings the best {label}{over}."
        winner, clear = name, True
    elif others_worse:
        choice = (f"Keep '{reference}': every alternative gives clearly "
                  f"{'less' if way > 0 else 'more'} {label}{over}.")
        winner, clear = reference, True
    else:
        choice = (f"No clear choice on {label}{over}: the best alternative, '{name}', is "
                  f"within noise of '{reference}' with {n_text}; run more replications or "
                  "decide on other grounds.")
        winner, clear = reference, False
    relative = float(best["relative"]) if "relative" in best and pd.notna(
        best["relative"]) else math.nan
    rel = "" if math.isnan(relative) else f" ({fmt_relative(relative)})"
    gain = (f"'{name}' minus '{reference}': {fmt(diff, meta.kind, signed=True)} {label}"
            f"{rel}, 95% CI {fmt_range(low, high, meta.kind, signed=True)}.")
    if winner == reference and clear:
        gain = (f"The closest alternative, '{name}', gives {fmt(diff, meta.kind, signed=True)} "
                f"{label} (95% CI {fmt_range(low, high, meta.kind, signed=True)}).")
    certainty = _probability_text((probability or {}).get(name), f"'{name}' beats "
                                  f"'{reference}' on {label}")
    if certainty is None:
        certainty = (f"The range covers the luck of the draw over {n_text} with common random "
                     "numbers, not uncertain assumptions.")
    return Decision(choice, gain, certainty, winner, clear)


# --- sweeps and optimisations ---------------------------------------------------------


def differences_to_best(per_replication: pd.DataFrame, by: str, objective: str,
                        maximize: bool = True) -> pd.DataFrame:
    """Each point's objective minus the best point's, replication by replication.

    Every point ran the same replications of the same seed (common random
    numbers), so the difference is paired and its CI far narrower than the
    points' own CIs suggest.

    Args:
        per_replication: one row per point and replication: ``by`` (the
            point), ``replication`` and the ``objective`` column.
        by: the column naming the point.
        objective: the metric compared.
        maximize: whether more of it is better.

    Returns:
        One row per point (in order of appearance): ``by``, ``difference``,
        ``difference_ci_low``, ``difference_ci_high``, ``relative_loss`` (the
        loss as a share of the best's mean, >= 0 means worse) and
        ``near_optimal`` (the best point, or the 95% CI of the difference includes 0).
    """
    wide = per_replication.pivot_table(index="replication", columns=by, values=objective,
                                       sort=False, dropna=False)
    means = wide.mean(axis=0)
    best = means.idxmax() if maximize else means.idxmin()
    sign = 1.0 if maximize else -1.0
    best_mean = float(means.max() if maximize else means.min())  # the mean at ``best``
    rows = []
    for point in wide.columns:
        diff = paired_difference(wide[point].to_numpy(dtype=float),
                                 wide[best].to_numpy(dtype=float))
        near = point == best or not (diff.ci_low > 0 or diff.ci_high < 0)
        loss = -sign * diff.mean / abs(best_mean) if best_mean else math.nan
        rows.append({by: point, "difference": diff.mean, "difference_ci_low": diff.ci_low,
                     "difference_ci_high": diff.ci_high, "relative_loss": loss,
                     "near_optimal": bool(near)})
    return pd.DataFrame(rows)


Shape = Literal["sharp", "flat", "unresolved", "noise"]


@dataclass(frozen=True)
class Flatness:
    """How the top of a response looks, judged by paired differences to the best.

    Attributes:
        shape: ``sharp`` (only the best is within noise of itself), ``flat``
            (points within noise of the best lose at most ``tolerance`` of it,
            at 95%), ``unresolved`` (within noise, but the replications allow a
            larger loss), ``noise`` (no point is clearly worse than the best:
            the replications cannot rank the points at all).
        near: points within noise of the best (the best included).
        points: points evaluated.
        max_loss: the largest loss the 95% CIs allow at a point within noise,
            as a share of the best's mean.
        tolerance: the loss below which a top counts as flat.
    """

    shape: Shape
    near: int
    points: int
    max_loss: float
    tolerance: float


def flatness(points: pd.DataFrame, best_mean: float, maximize: bool = True,
             tolerance: float = 0.01) -> Flatness:
    """Judge the top of a sweep or an optimisation from paired differences to the best.

    Args:
        points: one row per point with ``difference_ci_low``,
            ``difference_ci_high`` and ``near_optimal`` (see :func:`differences_to_best`).
        best_mean: the best point's mean objective.
        maximize: whether more of the objective is better.
        tolerance: a loss (share of the best's mean) small enough not to matter:
            a top whose points within noise provably lose less is flat.
    """
    near = points[points["near_optimal"].astype(bool)]
    bound = near["difference_ci_low"] if maximize else -near["difference_ci_high"]
    worst = float(np.nanmax(-bound.to_numpy(dtype=float))) if len(near) else math.nan
    scale = abs(best_mean) if best_mean else math.nan
    max_loss = max(worst, 0.0) / scale if not math.isnan(worst) else math.nan
    shape: Shape
    if len(points) > 1 and len(near) == len(points):
        shape = "noise"
    elif len(near) <= 1:
        shape = "sharp"
    elif max_loss <= tolerance:
        shape = "flat"
    else:
        shape = "unresolved"
    return Flatness(shape, len(near), len(points), max_loss, tolerance)


def flatness_sentence(flat: Flatness, ranges: str, replications: int | None) -> str:
    """The sentence a report prints about the top.

    Args:
        flat: the judgement.
        ranges: the values within noise of the best, in words ("brand_share from
            0.3 to 0.5").
        replications: replications per point, named when more are needed.
    """
    reps = f" with {replications} replications per point" if replications else ""
    loss = fmt(flat.max_loss, "percent")
    if flat.shape == "noise":
        return (f"More replications needed: no point is clearly worse than the best{reps} "
                f"(paired 95% CIs allow losses up to {loss} of the best), so the data cannot "
                "yet tell a flat optimum from noise; rerun with more --replications or with "
                "--precision.")
    if flat.shape == "sharp":
        return ("Every other point is clearly worse than the best (paired 95% CIs): the "
                "optimum is sharp, so the exact value matters.")
    if flat.shape == "flat":
        return (f"Flat optimum: {flat.near} of {flat.points} points ({ranges}) are within "
                f"noise of the best and lose at most {loss} of it (paired 95% CI), so the "
                "choice within that range can rest on other grounds (the short term, risk, "
                "cost).")
    than = f" than the {replications} per point run here" if replications else ""
    return (f"{flat.near} of {flat.points} points ({ranges}) are within noise of the best, "
            f"but their paired 95% CIs still allow a loss of up to {loss}: more replications"
            f"{than} would tell a flat top from noise.")


@dataclass(frozen=True)
class Gain:
    """A paired difference of the objective: the best point minus another.

    Attributes:
        what: the point compared, in words ("brand_share = 0.46, today's value").
        mean, ci_low, ci_high: the paired difference and its 95% CI.
        relative: the difference as a share of the other point's mean (NaN if unknown).
    """

    what: str
    mean: float
    ci_low: float
    ci_high: float
    relative: float = math.nan


def optimum_decision(key_values: Mapping[str, float], objective: str, best_mean: float,
                     best_ci: tuple[float, float], flat: Flatness, maximize: bool,
                     is_current: bool = False, versus: Gain | None = None,
                     horizon_days: float | None = None,
                     probability: float | None = None) -> Decision:
    """The decision of a sweep or an optimisation: set the keys to the best values.

    Args:
        key_values: the best point's value of each varied key.
        objective: the metric optimised.
        best_mean: its mean at the best point.
        best_ci: its 95% CI there.
        flat: how flat the top is (see :func:`flatness`).
        maximize: whether more of the objective is better.
        is_current: whether the best values are today's (the base scenario's).
        versus: the gain over today's values (or the point evaluated nearest
            them); ``None`` when they are not known.
        horizon_days: the horizon, named in the sentences.
        probability: the share of bootstrap resamples of the replications in
            which the best value wins (an estimate of the probability that it is
            the best value evaluated), shown as given.
    """
    meta = describe(objective)
    label = in_sentence(meta.label)
    at = ", ".join(f"{k} = {fmt_param(v)}" for k, v in key_values.items())
    over = _over(horizon_days)
    way = "highest" if maximize else "lowest"
    if flat.shape == "noise":
        choice = (f"No clear choice yet: {at} gives the {way} mean {label}{over}, but no "
                  "value evaluated is clearly worse; more replications are needed.")
        clear = False
    elif is_current:
        choice = f"Keep {at} (today's value): it gives the {way} {label}{over}."
        clear = True
    else:
        choice = f"Set {at}: it gives the {way} {label}{over}."
        clear = True
    gain = (f"{meta.label} there: {fmt(best_mean, meta.kind)} (95% CI "
            f"{fmt_range(best_ci[0], best_ci[1], meta.kind)}).")
    if versus is not None and not is_current:
        rel = "" if math.isnan(versus.relative) else f", {fmt_relative(versus.relative)}"
        gain += (f" Gain over {versus.what}: {fmt(versus.mean, meta.kind, signed=True)}{rel} "
                 f"(paired 95% CI "
                 f"{fmt_range(versus.ci_low, versus.ci_high, meta.kind, signed=True)}).")
    ranges = "The ranges cover the luck of the draw, not uncertain assumptions."
    certainty = _probability_text(probability, f"{at} is the best value evaluated (the share "
                                  "of bootstrap resamples of the replications in which it wins)")
    return Decision(choice, gain, ranges if certainty is None else f"{certainty} {ranges}",
                    at, clear)


def nearest(values: Sequence[float] | np.ndarray, target: float) -> float:
    """The value in ``values`` nearest ``target`` (the first on ties)."""
    array = np.asarray(values, dtype=float)
    return float(array[int(np.argmin(np.abs(array - target)))])
