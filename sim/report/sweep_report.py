"""The report of a sweep or an optimisation: the decision, the best value, how flat the top is.

The page opens with a one-pager: the value to set in one sentence, the gain
over today's value with its range, and how sure. Whether the top is flat is
judged from *paired* differences to the best point (every point ran the same
replications of the same seed) when the table has them
(:func:`sim.report.decision.differences_to_best`): a top where no point is
clearly worse is reported as needing more replications, not as flat.

It takes a plain per-point table, so any experiment runner can write it; it
never runs the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure

from sim.report import figures as fg
from sim.report import html as h
from sim.report.common import SEEDING, files_html, reproducibility_html, resolved
from sim.report.decision import Flatness, Gain, flatness, flatness_sentence, optimum_decision
from sim.report.files import REPORT, ReportFiles, atomic_folder
from sim.report.format import fmt, fmt_ci, fmt_param, fmt_range, in_sentence
from sim.results.catalog import CATALOG, Metric, describe
from sim.scenario.schema import Scenario

STAT_COLUMNS = ("mean", "ci_low", "ci_high", "n")
# The columns of a point's paired difference to the best (see decision.differences_to_best).
PAIRED_COLUMNS = ("difference", "difference_ci_low", "difference_ci_high", "near_optimal")


def write_sweep_report(
    points: pd.DataFrame,
    keys: Sequence[str],
    out_dir: Path,
    *,
    objective: str = "revenue",
    maximize: bool = True,
    kind: Literal["sweep", "optimize"] = "sweep",
    scenario: Scenario | None = None,
    evaluations: pd.DataFrame | None = None,
    replications: int | None = None,
    seed: int | None = None,
    title: str | None = None,
    manifest: dict[str, Any] | None = None,
    current: Mapping[str, float] | None = None,
    gain: Gain | None = None,
    probability: float | None = None,
    horizon_days: float | None = None,
    overrides: Sequence[str] = (),
    svg: bool = False,
) -> Path:
    """Write the report of a sweep (or optimisation) atomically; return ``report.html``.

    Args:
        points: one row per evaluated point: one column per varied key (named
            by its dotted path, e.g. ``marketing.brand_share``), the objective's
            ``mean``, ``ci_low``, ``ci_high`` (95% CI over replications) and
            optionally ``n``; the paired difference to the best point
            (``difference``, ``difference_ci_low``, ``difference_ci_high``,
            ``near_optimal``) where known; other metrics (names of the catalog)
            as ``<metric>`` or ``<metric>_mean`` columns, with
            ``<metric>_ci_low`` / ``<metric>_ci_high`` where known. Other
            columns (a point's index, its round) are kept in the CSV only.
        keys: the varied keys, in the order to draw them (the first across).
        out_dir: the report folder (created if missing; files already there are kept).
        objective: the metric optimised (a name of :data:`sim.results.catalog.CATALOG`
            or any label).
        maximize: whether more of the objective is better.
        kind: ``"sweep"`` (a grid) or ``"optimize"`` (a search; the title says so).
        scenario: the base scenario the keys were varied in, for the assumptions.
        evaluations: for an optimisation, the points in the order evaluated
            (``evaluation`` or the row order, and ``mean``), drawn as progress.
        replications: replications per point.
        seed: the root seed (the same at every point: common random numbers).
        title: the page title.
        manifest: versions and times, shown under assumptions.
        current: today's value of each key (the base scenario's), so the
            decision can say "keep" or "set".
        gain: the best point minus today's (or the point evaluated nearest
            it), paired, for the one-pager.
        probability: the share of bootstrap resamples of the replications in
            which the best point wins (an optimisation's), shown as given.
        horizon_days: the horizon, named in the decision.
        overrides: ``--set KEY=VALUE`` options applied to the base scenario,
            named in the subtitle and the assumptions.
        svg: also write every figure as SVG (PNG only by default).
    """
    keys = list(keys)
    missing = [c for c in [*keys, "mean", "ci_low", "ci_high"] if c not in points.columns]
    if missing:
        raise ValueError(f"points: expected columns {missing}; got {list(points.columns)}")
    if points.empty:
        raise ValueError("points: expected at least one evaluated point; got none")
    meta = describe(objective)
    best = best_point(points, maximize)
    flat = judge(points, best, maximize)
    with atomic_folder(out_dir) as tmp:
        files = ReportFiles(tmp, svg=svg)
        points_csv = files.table("points", points)
        sections: list[tuple[str, str, str]] = []
        decision = optimum_decision(
            {k: best[k] for k in keys}, objective, float(best["mean"]),
            (float(best["ci_low"]), float(best["ci_high"])), flat, maximize,
            is_current=current is not None and all(
                k in current and _same(current[k], best[k]) for k in keys),
            versus=gain, horizon_days=horizon_days, probability=probability)
        body = h.decision_html(decision.choice, decision.gain, decision.certainty,
                               decision.clear)
        body += h.cards_html(_cards(points, keys, best, meta, maximize))
        body += h.paragraphs(summary_sentences(points, keys, best, meta, maximize, kind,
                                               replications))
        sections.append(("summary", "Decision", h.section("summary", "Executive summary",
                                                          body)))

        body = _figures(files, points, keys, best, meta, maximize, points_csv)
        if evaluations is not None and not evaluations.empty:
            body += files.figure(
                "progress", _progress_figure(evaluations, meta, maximize),
                "The objective at each evaluated point in the order the search tried them, "
                "and the best so far.", csv=files.table("evaluations", evaluations),
            )
        body += h.table_html(_points_rows(points, keys, best, maximize), csv=points_csv,
                             caption="Every point (best first)",
                             formats={c: meta.kind for c in (
                                 "mean", "ci_low", "ci_high", "difference",
                                 "difference_ci_low", "difference_ci_high")},
                             headers={"ci_low": "95% CI low", "ci_high": "95% CI high",
                                      "difference": "vs best (paired)",
                                      "difference_ci_low": "paired 95% CI low",
                                      "difference_ci_high": "paired 95% CI high"},
                             row_class=lambda r: "changed" if r.get("best") == "best" else "")
        label = "Response" if kind == "sweep" else "Search"
        sections.append(("response", label, h.section(
            "response", f"{meta.label} across {_join(keys)}", body)))

        body = ""
        if scenario is not None:
            body += h.details("The base scenario (YAML)",
                              h.pre(yaml.safe_dump(resolved(scenario), sort_keys=False)))
        rows = [("Varied keys", ", ".join(keys)), ("Points", str(len(points))),
                ("Objective", f"{objective} ({'maximised' if maximize else 'minimised'})")]
        if current is not None:
            rows.append(("Today's values", ", ".join(f"{k} = {fmt_param(v)}"
                                                     for k, v in current.items())))
        if overrides:
            rows.append(("--set", ", ".join(overrides)))
        if replications is not None:
            rows.append(("Replications", f"{replications} per point ({SEEDING}); the same "
                         "seeds at every point (common random numbers)"))
        if seed is not None:
            rows.insert(0, ("Root seed", str(seed)))
        body += reproducibility_html(rows, manifest)
        body += files_html([(rel, "table") for rel in files.written if rel.endswith(".csv")]
                           + [("tables/tables.xlsx", "every table as one Excel workbook")])
        sections.append(("assumptions", "Assumptions", h.section(
            "assumptions", "Assumptions and how to reproduce this report", body)))

        what = "Sweep" if kind == "sweep" else "Optimisation"
        title = title or (f"Leadflow {what.lower()}: {in_sentence(meta.label)} over "
                          f"{_join(keys)}")
        base = f"base scenario '{scenario.name}', " if scenario is not None else ""
        subtitle = (f"{what} of {objective} over {_join(keys)}: {base}{len(points)} points"
                    f"{f', {replications} replications each' if replications else ''}."
                    + (f" Set with --set: {', '.join(overrides)}." if overrides else ""))
        files.write_workbook()
        files.write_html(h.page(title, subtitle, sections))
    return out_dir / REPORT


def best_point(points: pd.DataFrame, maximize: bool = True) -> pd.Series:
    """The row with the best objective mean."""
    means = points["mean"].astype(float)
    return points.iloc[int(means.argmax() if maximize else means.argmin())]


def near_best(points: pd.DataFrame, best: pd.Series, maximize: bool = True) -> pd.DataFrame:
    """Points whose mean lies within the best point's 95% CI: as good, as far as we can tell."""
    if math.isnan(best["ci_low"]) or math.isnan(best["ci_high"]):
        return points[points["mean"] == float(best["mean"])]
    bound = float(best["ci_low"] if maximize else best["ci_high"])
    return points[points["mean"] >= bound] if maximize else points[points["mean"] <= bound]


def _same(a: Any, b: Any) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return bool(a == b)


def paired(points: pd.DataFrame) -> bool:
    """Whether the table has each point's paired difference to the best."""
    return all(c in points.columns for c in PAIRED_COLUMNS)


def near_optimal(points: pd.DataFrame, best: pd.Series, maximize: bool = True
                 ) -> pd.DataFrame:
    """Points as good as the best as far as the replications tell.

    By the paired difference to the best where the table has it; otherwise,
    more loosely, the points whose mean lies within the best point's 95% CI.
    """
    if paired(points):
        return points[points["near_optimal"].astype(bool)]
    return near_best(points, best, maximize)


def judge(points: pd.DataFrame, best: pd.Series, maximize: bool = True,
          tolerance: float = 0.01) -> Flatness:
    """How flat the top is (see :func:`sim.report.decision.flatness`).

    Without paired differences the points within the best's CI stand for the
    points within noise, and the bound of the loss is the best's CI half-width.
    """
    if paired(points):
        return flatness(points, float(best["mean"]), maximize, tolerance)
    close = near_best(points, best, maximize)
    proxy = points.assign(
        near_optimal=points.index.isin(close.index),
        difference_ci_low=float(best["ci_low"]) - float(best["ci_high"]),
        difference_ci_high=float(best["ci_high"]) - float(best["ci_low"]))
    return flatness(proxy, float(best["mean"]), maximize, tolerance)


def summary_sentences(points: pd.DataFrame, keys: Sequence[str], best: pd.Series,
                      meta: Metric, maximize: bool,
                      kind: Literal["sweep", "optimize"] = "sweep",
                      replications: int | None = None) -> list[str]:
    """Plain sentences: the best value, and how flat the optimum is."""
    at = ", ".join(f"{k} = {fmt_param(best[k])}" for k in keys)
    verb = "The sweep" if kind == "sweep" else "The search"
    texts = [f"{verb} finds the {'highest' if maximize else 'lowest'} "
             f"{in_sentence(meta.label)} at {at}: "
             f"{fmt_ci(best['mean'], best['ci_low'], best['ci_high'], meta.kind)}."]
    close = near_optimal(points, best, maximize)
    if len(points) > 1:
        ranges = "; ".join(
            f"{k} from {fmt_param(close[k].min())} to {fmt_param(close[k].max())}" for k in keys)
        texts.append(flatness_sentence(judge(points, best, maximize), ranges, replications))
        if not paired(points):
            texts.append(f"{len(close)} of {len(points)} points have a mean within the best "
                         "point's 95% CI; without paired differences to the best (common "
                         "random numbers) this is a loose reading.")
        worst = points.iloc[int(points["mean"].argmin() if maximize else points["mean"].argmax())]
        if best["mean"]:
            loss = (worst["mean"] - best["mean"]) / abs(best["mean"])
            texts.append(
                f"The worst point ({', '.join(f'{k} = {fmt_param(worst[k])}' for k in keys)}) "
                f"gives {fmt(worst['mean'], meta.kind)}, {fmt(abs(loss), 'percent')} "
                f"{'less' if maximize else 'more'} than the best."
            )
    return texts


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _cards(points: pd.DataFrame, keys: Sequence[str], best: pd.Series, meta: Metric,
           maximize: bool) -> list[h.Card]:
    close = near_optimal(points, best, maximize)
    cards = [h.Card(f"Best {k}", fmt_param(best[k]),
                    f"within noise of the best: {fmt_param(close[k].min())} to "
                    f"{fmt_param(close[k].max())}") for k in keys]
    ci = fmt_range(best["ci_low"], best["ci_high"], meta.kind)
    ci = "" if ci == "-" else f"95% CI {ci}"
    cards.append(h.Card(f"{meta.label} at best", fmt(best["mean"], meta.kind), ci))
    return cards


def other_metrics(points: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """Metrics of the extra columns (``x`` or ``x_mean``), in column order.

    Only metrics of the catalog: a point's index, its search round or its
    paired difference are bookkeeping, not something to plot along the key.
    """
    out: list[str] = []
    for col in points.columns:
        if col in keys or col in STAT_COLUMNS or col.endswith(("_ci_low", "_ci_high")):
            continue
        name = col.removesuffix("_mean")
        if name in CATALOG and name not in out and pd.api.types.is_numeric_dtype(points[col]):
            out.append(name)
    return out


def _figures(files: ReportFiles, points: pd.DataFrame, keys: Sequence[str], best: pd.Series,
             meta: Metric, maximize: bool, points_csv: str) -> str:
    label = meta.label
    if len(keys) == 1:
        key = keys[0]
        body = files.figure(
            "response_curve",
            fg.response_curve_figure(points, key, label, best[key], meta.kind),
            f"{label} at each value of {key}: mean over replications with its 95% CI band; "
            "the star is the best point, the dotted line the best point's lower bound "
            "(points above it are as good as far as the replications can tell).",
            csv=points_csv,
        )
        others = other_metrics(points, keys)
        if others:
            shown = others[:9]
            names = ", ".join(in_sentence(describe(m).label) for m in shown)
            body += files.figure(
                "other_metrics", fg.sweep_metrics_figure(points, key, shown),
                f"Other metrics along {key} ({names}): what the best {in_sentence(label)} "
                "costs elsewhere (mean, 95% CI band).",
                csv=points_csv,
            )
        return body
    if len(keys) == 2:
        x_key, y_key = keys
        body = files.figure(
            "heatmap",
            fg.heatmap_figure(points, x_key, y_key, label, (best[x_key], best[y_key]),
                              meta.kind),
            f"{label} (mean over replications) at each combination of {x_key} and {y_key}; "
            "the best cell is outlined.", csv=points_csv,
        )
        if points[y_key].nunique() <= 8:
            body += files.figure(
                "response_curves", _slices_figure(points, x_key, y_key, meta, best),
                f"{label} against {x_key}, one line per value of {y_key}, with 95% CI bands.",
                csv=points_csv,
            )
        return body
    return files.figure(
        "profiles", fg.profile_figure(points, keys, label, meta.kind, maximize),
        f"For each key, the {'best' if maximize else 'lowest'} {in_sentence(label)} over "
        "the "
        "other keys at each of its values.", csv=points_csv,
    )


@fg.styled
def _slices_figure(points: pd.DataFrame, x_key: str, y_key: str, meta: Metric,
                   best: pd.Series) -> Figure:
    fig, axes = fg.new_figure(10, 4.6)
    ax = axes[0, 0]
    for i, (y, rows) in enumerate(points.sort_values(x_key).groupby(y_key, sort=True)):
        x = rows[x_key].to_numpy(dtype=float)
        ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=fg.color(i), alpha=0.18,
                        linewidth=0)
        ax.plot(x, rows["mean"], marker="o", color=fg.color(i), markersize=3,
                linestyle=fg.LINESTYLES[i % len(fg.LINESTYLES)], label=f"{y_key} = {fmt_param(y)}")
    ax.plot([best[x_key]], [best["mean"]], marker="*", markersize=16, color="black",
            linestyle="none", label="best")
    ax.set_xlabel(x_key)
    ax.set_ylabel(f"{meta.label} ({fg.unit(meta.kind)})")
    fg.axis_format(ax.yaxis, meta.kind)
    ax.legend(loc="best", fontsize=9)
    ax.set_title(f"{meta.label} against {x_key}")
    return fig


@fg.styled
def _progress_figure(evaluations: pd.DataFrame, meta: Metric, maximize: bool
                     ) -> Figure:
    fig, axes = fg.new_figure(10, 3.8)
    ax = axes[0, 0]
    order = (evaluations.sort_values("evaluation") if "evaluation" in evaluations
             else evaluations)
    x = np.arange(1, len(order) + 1)
    y = order["mean"].to_numpy(dtype=float)
    ax.plot(x, y, "o", color=fg.color(0), markersize=4, label="evaluated point")
    running = np.maximum.accumulate(y) if maximize else np.minimum.accumulate(y)
    ax.step(x, running, where="post", color=fg.color(3), label="best so far")
    ax.set_xlabel("evaluation")
    ax.set_ylabel(f"{meta.label} ({fg.unit(meta.kind)})")
    fg.axis_format(ax.yaxis, meta.kind)
    ax.legend(loc="lower right" if maximize else "upper right")
    ax.set_title("Search progress")
    return fig


def _points_rows(points: pd.DataFrame, keys: Sequence[str], best: pd.Series,
                 maximize: bool) -> pd.DataFrame:
    cols = [*keys, "mean", "ci_low", "ci_high"]
    if paired(points):
        cols += ["difference", "difference_ci_low", "difference_ci_high"]
    rows = points[cols].copy()
    rows["best"] = ["best" if i == best.name else "" for i in points.index]
    return rows.sort_values("mean", ascending=not maximize).reset_index(drop=True)
