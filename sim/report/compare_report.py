"""The report of a comparison: the decision first, then what supports it.

The page opens with a one-pager an executive reads in a minute: the decision
in one sentence, the size of the gain with its range and how sure it is
(:mod:`sim.report.decision`), and the few headline differences. Then the
supporting views: paired differences per metric, when the change pays off
(cumulative contribution against the reference, the quarterly P&L), the
weekly series per scenario, short term vs long term, results by segment and
by lead source, the funnel, cycle times, every metric and the assumptions.

It takes plain DataFrames, so any experiment runner (serial, parallel,
distributed) can write it; it never runs the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.report import breakdown as bd
from sim.report import figures as fg
from sim.report import html as h
from sim.report import pnl
from sim.report import tables as tb
from sim.report.common import SEEDING, files_html, reproducibility_html, resolved
from sim.report.decision import compare_decision, shown_verdict
from sim.report.files import REPORT, ReportFiles, atomic_folder
from sim.report.format import fmt, fmt_ci, fmt_horizon, fmt_range
from sim.report.windows import same_as_whole
from sim.results.catalog import CATALOG, describe
from sim.scenario.schema import Scenario

# The metrics the differences figure and table speak about, in reading order.
KEY_METRICS: tuple[str, ...] = (
    "revenue", "revenue_90d", "revenue_1y", "contribution", "roi", "deals_won", "win_rate",
    "mean_discount", "cycle_days_median", "first_response_hours_median",
    "lost_never_contacted", "total_cost",
)


def write_compare_report(
    per_replication: pd.DataFrame,
    differences: pd.DataFrame,
    timeseries: pd.DataFrame | None,
    out_dir: Path,
    *,
    reference: str | None = None,
    horizon_days: float | None = None,
    scenarios: Mapping[str, Scenario] | None = None,
    won_deals: pd.DataFrame | None = None,
    first_responses: pd.DataFrame | None = None,
    leads: pd.DataFrame | None = None,
    seed: int | None = None,
    title: str | None = None,
    manifest: dict[str, Any] | None = None,
    objective: str = "contribution",
    overrides: Sequence[str] = (),
    probability: Mapping[str, float] | None = None,
    detail_note: str | None = None,
    uncertainty: Mapping[str, Any] | None = None,
    svg: bool = False,
) -> Path:
    """Write the report of a comparison into ``out_dir`` atomically; return ``report.html``.

    Args:
        per_replication: one row per (scenario, replication): columns ``scenario``,
            ``replication`` and one column per metric (the names of
            :data:`sim.results.catalog.CATALOG`; missing ones are skipped).
        differences: paired differences vs the reference scenario, one row per
            (metric, scenario): ``metric``, ``scenario``, ``mean_diff`` (scenario
            minus reference), ``ci_low``, ``ci_high`` (95% CI of the paired
            difference), optionally ``relative`` and ``verdict`` (the verdicts
            shown are recomputed for people, see
            :func:`sim.report.decision.shown_verdict`).
        timeseries: weekly rows of (scenario, replication): ``scenario``,
            ``replication``, ``week``, ``day`` and the series of
            :func:`sim.results.metrics.weekly_timeseries`; ``None`` leaves out the
            over-time section. It may cover the first few replications only (see
            ``detail_note``): the views drawn from it use those.
        out_dir: the report folder (created if missing; files already there are kept).
        reference: the scenario the differences are taken against; default the
            scenario of ``per_replication`` that ``differences`` does not list
            (else the first).
        horizon_days: the common horizon; default from ``scenarios`` or ``timeseries``.
        scenarios: name -> scenario as run, for the assumptions, the timeline
            marks and the money by period (quarterly P&L, payback).
        won_deals: optional deals booked with a ``scenario`` column (see
            :func:`sim.results.metrics.won_deals`), for the horizons, cycle
            times, segments and the money by period; the same replications as
            ``timeseries``.
        first_responses: optional ``scenario``, ``replication``, ``hours`` rows.
        leads: optional per-lead records with a ``scenario`` column, for the win
            rate by segment and source.
        seed: the root seed shared by the scenarios (common random numbers).
        title: the page title; default names the scenarios and the common ``overrides``.
        manifest: versions and times, shown under assumptions.
        objective: the metric the decision rests on.
        overrides: ``--set KEY=VALUE`` options applied to every scenario, named
            in the title and the assumptions (they differ between no two
            scenarios, so no difference table would show them).
        probability: scenario -> probability that it beats the reference (a
            comparison under uncertain assumptions), shown in the one-pager.
        detail_note: where the detailed views' data come from (e.g. "replications
            0-9, replayed"), shown under them.
        uncertainty: a comparison under uncertain assumptions: what
            :func:`sim.report.uncertainty_report.how_sure_section` shows in its
            "How sure are we?" section, after the summary.
        svg: also write every figure as SVG (PNG only by default).
    """
    names = [str(s) for s in pd.unique(per_replication["scenario"])]
    reference = reference or _reference(names, differences)
    horizon = _horizon(horizon_days, scenarios, reference, timeseries)
    n_reps = int(per_replication.groupby("scenario").size().min())
    with atomic_folder(out_dir) as tmp:
        files = ReportFiles(tmp, svg=svg)
        inputs = _Inputs(names, reference, horizon, per_replication, differences, timeseries,
                         scenarios, won_deals, first_responses, leads, seed, manifest,
                         objective, list(overrides), probability, detail_note)
        sections = _sections(files, inputs)
        if uncertainty is not None:  # compare --uncertainty: how sure the decision is
            from sim.report.uncertainty_report import how_sure_section

            sections.insert(1, how_sure_section(files, uncertainty))
        common = f" (all with {', '.join(overrides)})" if overrides else ""
        title = title or f"Leadflow comparison: {', '.join(names)}{common}"
        horizon_text = f"{fmt_horizon(horizon)}, " if math.isfinite(horizon) else ""
        subtitle = (f"{len(names)} scenarios, {horizon_text}{n_reps} paired replications each"
                    f"{f', seed {seed}' if seed is not None else ''}; differences are taken "
                    f"against '{reference}' with common random numbers."
                    + (f" Set in every scenario with --set: {', '.join(overrides)}."
                       if overrides else ""))
        files.write_workbook()
        files.write_html(h.page(title, subtitle, sections))
    return out_dir / REPORT


@dataclass(frozen=True)
class _Inputs:
    """What a comparison report is drawn from, gathered once (see :func:`write_compare_report`)."""

    names: list[str]
    reference: str
    horizon: float
    per_rep: pd.DataFrame
    differences: pd.DataFrame
    timeseries: pd.DataFrame | None
    scenarios: Mapping[str, Scenario] | None
    won_deals: pd.DataFrame | None
    first_responses: pd.DataFrame | None
    leads: pd.DataFrame | None
    seed: int | None
    manifest: dict[str, Any] | None
    objective: str
    overrides: list[str]
    probability: Mapping[str, float] | None
    detail_note: str | None

    @property
    def n_reps(self) -> int:
        return int(self.per_rep.groupby("scenario").size().min())

    def detail_per_rep(self) -> pd.DataFrame:
        """The per-replication rows of the replications the detailed tables cover."""
        for table in (self.won_deals, self.timeseries):
            if table is not None and not table.empty:
                reps = set(table["replication"].unique())
                return self.per_rep[self.per_rep["replication"].isin(reps)]
        return self.per_rep

    def note(self) -> str:
        return (f'<p class="note">Drawn from {self.detail_note}.</p>' if self.detail_note
                else "")


def _reference(names: Sequence[str], differences: pd.DataFrame) -> str:
    compared = set(differences["scenario"].astype(str)) if not differences.empty else set()
    rest = [n for n in names if n not in compared]
    return rest[0] if rest else names[0]


def _horizon(horizon_days: float | None, scenarios: Mapping[str, Scenario] | None,
             reference: str, timeseries: pd.DataFrame | None) -> float:
    if horizon_days is not None:
        return float(horizon_days)
    if scenarios and reference in scenarios:
        return float(scenarios[reference].horizon_days)
    if timeseries is not None and not timeseries.empty:
        return float(timeseries["day"].max()) + 7.0
    return math.inf


def _sections(files: ReportFiles, x: _Inputs) -> list[tuple[str, str, str]]:
    metrics = [m for m in CATALOG if m in x.per_rep.columns]
    summary = _summary(x.per_rep, metrics)
    summary_csv = files.table("summary", summary)
    diffs_csv = files.table("differences", x.differences)
    files.table("replications", x.per_rep)
    means = summary.set_index(["scenario", "metric"])["mean"]
    skip = same_as_whole(x.horizon) if math.isfinite(x.horizon) else frozenset()
    key = [m for m in KEY_METRICS if m in metrics and m not in skip]
    winners = winners_table(summary, x.differences, x.reference, key)
    winners_csv = files.table("winners", winners)

    out: list[tuple[str, str, str]] = [("summary", "Decision", h.section(
        "summary", "Executive summary", _one_pager(files, x)))]

    shown = [m for m in key if m in set(x.differences["metric"])]
    diffs = x.differences[x.differences["metric"].isin(shown)].sort_values(
        "metric", key=lambda column: column.map(shown.index), kind="stable")
    ref_means = {m: float(means.get((x.reference, m), math.nan)) for m in shown}
    body = files.figure(
        "differences", fg.differences_figure(diffs, ref_means, x.reference),
        f"Paired difference of each scenario minus '{x.reference}', one panel per metric on "
        "its own scale, with its 95% CI (filled dot: the CI excludes 0, a real difference, "
        "not luck).", csv=diffs_csv,
    )
    body += h.table_html(_differences_rows(x.differences), caption="Paired differences",
                         csv=diffs_csv)
    body += h.table_html(
        winners[["label", "best", "best_mean", "clear"]], caption="Who wins on what",
        formats={"best_mean": lambda v: str(v)}, csv=winners_csv,
        headers={"label": "", "best": "best scenario", "best_mean": "its mean",
                 "clear": "clear (95% CI of the difference excludes 0)"},
    )
    out.append(("differences", "Differences", h.section(
        "differences", f"Differences vs '{x.reference}'", body)))

    time_body = _over_time(files, x)
    if time_body:
        out.append(("time", "Over time", h.section(
            "time", "Over time: when the change pays off", time_body,
            "Cumulative contribution against the reference, the money quarter by quarter and "
            "the weekly series of each scenario.")))

    if math.isfinite(x.horizon):
        detail = x.detail_per_rep() if x.won_deals is not None else x.per_rep
        horizons = tb.horizon_table(detail, x.won_deals, x.horizon)
        body = files.figure(
            "horizon", fg.horizon_figure(horizons),
            "Each scenario over " + _windows_text(x.horizon) + " (mean, 95% CI).",
            csv=files.table("horizon", horizons),
        )
        out.append(("horizon", "Horizons", h.section(
            "horizon", "Short term vs long term", body + (x.note() if x.won_deals is not None
                                                          else ""),
            "A plan that wins this quarter can lose over three years, and the other way round.",
        )))

    segments = _segments(files, x)
    if segments:
        out.append(("segments", "Segments", h.section(
            "segments", "By segment and by lead source", segments,
            "Who brings the bookings in each scenario, and how fast they close.")))

    funnel = tb.funnel_table(x.per_rep)
    funnel_csv = files.table("funnel", funnel)
    body = files.figure(
        "funnel", fg.funnel_figure(funnel),
        "Share of leads passing each step of the funnel (left) and each leak as a share of "
        "all leads created (right), per scenario (mean over replications).", csv=funnel_csv,
    )
    wide = funnel.pivot_table(index="label", columns="scenario", values="mean", sort=False)
    body += h.table_html(wide.reset_index()[["label", *x.names]],
                         {n: "count" for n in x.names},
                         caption="Leads per replication (mean)", csv=funnel_csv,
                         headers={"label": ""})
    out.append(("funnel", "Funnel", h.section("funnel", "The funnel and its leaks", body)))

    body = ""
    if x.won_deals is not None and not x.won_deals.empty:
        body += files.figure(
            "cycle_times", fg.cycle_time_figure(x.won_deals),
            "Share of deals booked that closed within x days, per scenario (replications "
            "pooled).", csv=files.table("cycle_times", tb.cycle_time_table(x.won_deals)),
        )
    if x.first_responses is not None and not x.first_responses.empty:
        hist = tb.response_histogram(x.first_responses)
        shares = tb.response_shares(x.first_responses)
        files.table("first_response_shares", shares)
        body += files.figure(
            "first_response", fg.response_figure(hist, shares),
            "First response after the hand-off per scenario, leads per replication by delay.",
            csv=files.table("first_response", hist),
        )
    if body:
        out.append(("cycle", "Cycle times", h.section(
            "cycle", "Cycle times and first response", body + x.note())))

    table = _all_metrics(summary, x.names)
    out.append(("metrics", "All metrics", h.section(
        "metrics", "Every metric", h.table_html(
            table, caption="Mean (95% CI) over replications", csv=summary_csv,
            formats={n: str for n in x.names}, headers={"label": ""}),
    )))
    out.append(("assumptions", "Assumptions", h.section(
        "assumptions", "Assumptions and how to reproduce this report", _assumptions(files, x),
    )))
    return out


def _windows_text(horizon: float) -> str:
    windows = [w.split(" (")[0].lower() for w, _ in tb.horizon_windows(horizon)]
    return ", ".join(windows[:-1]) + " and the " + windows[-1] if len(windows) > 1 else (
        "the " + windows[0])


# --- the one-pager ---------------------------------------------------------------------


def _one_pager(files: ReportFiles, x: _Inputs) -> str:
    """The decision, the gain and its range, how sure; then the headline differences."""
    objective = x.objective if x.objective in set(x.differences["metric"]) else "contribution"
    decision = compare_decision(x.differences, x.reference, objective, x.n_reps,
                                x.horizon if math.isfinite(x.horizon) else None, x.probability)
    body = h.decision_html(decision.choice, decision.gain, decision.certainty, decision.clear)
    # The few metrics of the one-pager: the objective, then the run report's headline four.
    headline = [objective, *(m for m in tb.HEADLINE_METRICS if m != objective)]
    rows = []
    for _, r in x.differences[x.differences["metric"].isin(headline)].iterrows():
        meta = describe(str(r["metric"]))
        rows.append({
            "scenario": r["scenario"], "metric": meta.label,
            "difference": fmt(r["mean_diff"], meta.kind, signed=True),
            "95% CI": fmt_range(r["ci_low"], r["ci_high"], meta.kind, signed=True),
            "verdict": shown_verdict(str(r["metric"]), r["mean_diff"], r["ci_low"],
                                     r["ci_high"]),
            "_order": headline.index(str(r["metric"])),
        })
    if rows:
        table = pd.DataFrame(rows).sort_values(["scenario", "_order"], kind="stable")
        table = table.drop(columns="_order")
        body += h.table_html(table, caption=f"The headline differences vs '{x.reference}' "
                             "(paired, 95% CI); every metric is under Differences",
                             csv=files.table("headline", table))
    return body


# --- over time -------------------------------------------------------------------------


def _markers(scenarios: Mapping[str, Scenario] | None, horizon: float
             ) -> list[tuple[float, str]]:
    """The timeline changes of any scenario, as (day, label) marks."""
    marks: dict[float, str] = {}
    for scenario in (scenarios or {}).values():
        for change in scenario.timeline:
            if 0 < change.day < horizon:
                marks.setdefault(float(change.day), change.note or ", ".join(change.set))
    return sorted(marks.items())


def _over_time(files: ReportFiles, x: _Inputs) -> str:
    if x.timeseries is None or x.timeseries.empty or not math.isfinite(x.horizon):
        return ""
    markers = _markers(x.scenarios, x.horizon)
    body = ""
    money = _money_by_period(files, x, markers)
    body += money
    bands = tb.weekly_bands(x.timeseries, x.horizon)
    body += files.figure(
        "weekly", fg.weekly_figure(bands, markers),
        "Weekly series per scenario: line, mean over replications; band, 10th to 90th "
        "percentile of replications." + (" Dashed lines: timeline changes." if markers else ""),
        csv=files.table("weekly", bands),
    )
    cumulative = tb.cumulative_bookings(x.timeseries, x.horizon)
    windows = [(d, w.split(" (")[0]) for w, d in tb.horizon_windows(x.horizon)[:-1]]
    body += files.figure(
        "cumulative_revenue", fg.cumulative_figure(cumulative, windows),
        "Bookings from day 0 per scenario, with the 95% CI of the mean.",
        csv=files.table("cumulative_revenue", cumulative),
    )
    return body + x.note()


def _details(x: _Inputs) -> list[tuple[str, Scenario, pd.DataFrame, pd.DataFrame,
                                       pd.DataFrame | None]]:
    """Per scenario: (name, scenario, deals booked, per-replication rows, weekly series)."""
    if x.scenarios is None or x.won_deals is None or x.timeseries is None:
        return []
    per_rep = x.detail_per_rep()
    out: list[tuple[str, Scenario, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]] = []
    for name in x.names:
        if name not in x.scenarios:
            return []
        out.append((name, x.scenarios[name], x.won_deals[x.won_deals["scenario"] == name],
                    per_rep[per_rep["scenario"] == name],
                    x.timeseries[x.timeseries["scenario"] == name]))
    return out


def _money_by_period(files: ReportFiles, x: _Inputs, markers: list[tuple[float, str]]) -> str:
    details = _details(x)
    if not details:
        return ""
    body = ""
    payback = pnl.payback_table(details, x.reference)
    if not payback.empty:
        even = pnl.break_even(payback)
        body += files.figure(
            "payback", fg.payback_figure(payback, x.reference, markers, even),
            f"Cumulative contribution from day 0 of each scenario minus that of "
            f"'{x.reference}', week by week (paired by replication, 95% CI band): the change "
            "has paid off where the curve stays above 0." + (" Dashed lines: timeline changes."
                                                 if markers else ""),
            csv=files.table("payback", payback),
        )
        body += h.paragraphs(_payback_sentences(even, x.reference, x.horizon))
    frames = []
    for name, scenario, deals, per_rep, series in details:
        frames.append(pnl.quarterly_pnl(scenario, deals, per_rep, series).assign(
            scenario=name))
    quarterly = pd.concat(frames, ignore_index=True)
    quarterly = quarterly[["scenario", *[c for c in quarterly.columns if c != "scenario"]]]
    csv = files.table("quarterly_pnl", quarterly)
    body += files.figure(
        "quarterly_pnl", fg.pnl_figure(quarterly),
        "Contribution in each quarter per scenario (mean over replications, 95% CI).", csv=csv)
    for name in x.names:
        wide = pnl.pnl_wide(quarterly[quarterly["scenario"] == name])
        body += h.table_html(wide, {c: "money" for c in pnl.ITEM_NAMES},
                             caption=f"Quarterly P&L of '{name}' (mean over replications)",
                             csv=csv, headers={"quarter": "", **dict(
                                 (item, label) for item, label, _ in pnl.ITEMS)})
    return body


def _payback_sentences(even: Mapping[str, Mapping[str, float]], reference: str,
                       horizon: float) -> list[str]:
    texts = []
    for name, days in even.items():
        clear, mean = days.get("clear", math.nan), days.get("mean", math.nan)
        if not math.isnan(clear):
            when = "from the first week" if clear == 0 else f"for good from day {clear:.0f}"
            texts.append(f"'{name}' is ahead of '{reference}' in cumulative contribution "
                         f"{when} (95% CI above 0 to the end of the {fmt_horizon(horizon)}).")
        elif not math.isnan(mean):
            texts.append(f"'{name}' ends ahead of '{reference}' in cumulative contribution on "
                         f"average (from day {mean:.0f}), but not clearly: the 95% CI at the "
                         "end still includes 0.")
        else:
            texts.append(f"'{name}' has not paid off against '{reference}' by the end of the "
                         f"{fmt_horizon(horizon)}: its cumulative contribution is behind.")
    return texts


# --- segments --------------------------------------------------------------------------


def _segments(files: ReportFiles, x: _Inputs) -> str:
    if x.won_deals is None or x.won_deals.empty or "segment" not in x.won_deals.columns:
        return ""
    reps = sorted(x.detail_per_rep()["replication"].unique())
    table = bd.breakdown_table(x.won_deals, reps, x.leads)
    csv = files.table("segments", table)
    body = files.figure(
        "segments", fg.breakdown_figure(table),
        "Bookings, median lead-to-close days and win rate (or mean deal value without "
        "per-lead records) by customer segment and by lead source, per scenario (mean over "
        "replications, 95% CI).", csv=csv)
    formats = {m: kind for m, _, kind in bd.MEASURES}
    headers = {"group": "", **{m: label for m, label, _ in bd.MEASURES}}
    for dimension, what in bd.DIMENSIONS:
        for name in x.names:
            wide = bd.breakdown_wide(table, dimension, name)
            if wide.empty:
                continue
            body += h.table_html(wide, formats, caption=f"{what}: '{name}' (mean over "
                                 "replications)", csv=csv, headers=headers)
    if x.leads is None:
        body += ('<p class="note">The win rate needs the deals lost, which only per-lead '
                 "records keep (<code>--set record_leads=true</code>).</p>")
    return body + x.note()


# --- tables ----------------------------------------------------------------------------


def _summary(per_rep: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    rows = []
    for scenario, df in per_rep.groupby("scenario", sort=False):
        for m in metrics:
            rows.append({"scenario": str(scenario), "metric": m, **tb.ci_row(df[m])})
    return pd.DataFrame(rows)


def _clear(row: pd.Series | Mapping[Hashable, Any]) -> bool:
    """Whether a paired difference's 95% CI excludes zero."""
    lo, hi = row["ci_low"], row["ci_high"]
    return bool(not (math.isnan(lo) or math.isnan(hi)) and (lo > 0 or hi < 0))


def winners_table(summary: pd.DataFrame, differences: pd.DataFrame, reference: str,
                  metrics: Sequence[str]) -> pd.DataFrame:
    """For each metric, the scenario with the best mean and whether the lead is clear.

    "Best" follows each metric's direction in the catalog (more revenue,
    shorter cycles...). The lead is clear when the best scenario's paired difference vs
    the reference excludes zero or, if the reference is best, when every other
    scenario is clearly worse.

    Returns:
        Columns ``metric``, ``label``, ``best``, ``best_mean`` (formatted),
        ``clear`` (``yes``/``no``), ``better`` (+1/-1/0).
    """
    rows = []
    # Each scenario's paired difference to the reference, by (metric, scenario).
    diffs = {(row["metric"], row["scenario"]): row for row in differences.to_dict("records")}
    for metric in metrics:
        meta = describe(metric)
        block = summary[summary["metric"] == metric].dropna(subset=["mean"])
        if block.empty or meta.direction == 0:
            continue
        best = block.iloc[int((block["mean"] * meta.direction).argmax())]
        name = str(best["scenario"])
        others = [s for s in block["scenario"] if s != reference]
        clear = False
        if name != reference:
            clear = (metric, name) in diffs and _clear(diffs[(metric, name)])
        elif others:
            clear = all((metric, s) in diffs and _clear(diffs[(metric, s)]) for s in others)
        rows.append({"metric": metric, "label": meta.label, "best": name,
                     "best_mean": fmt(best["mean"], meta.kind),
                     "clear": "yes" if clear else "no", "better": meta.direction})
    return pd.DataFrame(rows, columns=["metric", "label", "best", "best_mean", "clear",
                                       "better"])


def _differences_rows(differences: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in differences.iterrows():
        meta = describe(str(r["metric"]))
        rows.append({
            "metric": meta.label, "scenario": r["scenario"],
            "difference": fmt(r["mean_diff"], meta.kind, signed=True),
            "95% CI": fmt_range(r["ci_low"], r["ci_high"], meta.kind, signed=True),
            "verdict": shown_verdict(str(r["metric"]), r["mean_diff"], r["ci_low"],
                                     r["ci_high"]),
        })
    return pd.DataFrame(rows, columns=["metric", "scenario", "difference", "95% CI", "verdict"])


def _all_metrics(summary: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    rows = []
    for metric, block in summary.groupby("metric", sort=False):
        meta = describe(str(metric))
        row: dict[str, str] = {"label": meta.label}
        for _, r in block.iterrows():
            row[str(r["scenario"])] = fmt_ci(r["mean"], r["ci_low"], r["ci_high"], meta.kind)
        rows.append(row)
    return pd.DataFrame(rows, columns=["label", *names])


def _assumptions(files: ReportFiles, x: _Inputs) -> str:
    body = ""
    if x.overrides:
        body += ("<h3>Set in every scenario</h3><p>With <code>--set</code>: "
                 + ", ".join(f"<code>{h.esc(o)}</code>" for o in x.overrides)
                 + ". These values are the same in every scenario, so the table below "
                 "does not list them.</p>")
    if x.scenarios:
        data = {n: resolved(s) for n, s in x.scenarios.items()}
        flat = {n: tb.flatten(d) for n, d in data.items()}
        ref = flat.get(x.reference) or next(iter(flat.values()))
        keys = sorted({k for d in flat.values() for k in set(d) | set(ref)
                       if k not in ("name", "description")
                       and d.get(k, tb.ABSENT) != ref.get(k, tb.ABSENT)}, key=tb.path_order)
        rows = [{"key": k, **{n: tb.show_value(flat[n].get(k, tb.ABSENT)) for n in flat}}
                for k in keys]
        changes = pd.DataFrame(rows, columns=["key", *flat])
        body += "<h3>What differs between the scenarios</h3>" + h.table_html(
            changes, caption=f"{len(changes)} keys differ from '{x.reference}' (expanded)",
            csv=files.table("scenario_differences", changes),
            headers={"key": "key (dotted path, as --set)"})
        for n, d in data.items():
            body += h.details(f"Scenario '{n}' as run (YAML)",
                              h.pre(yaml.safe_dump(d, sort_keys=False)))
    else:
        body += '<p class="note">The scenarios were not given to the report.</p>'
    settings = [("Scenarios", ", ".join(x.names)), ("Reference", x.reference),
                ("Replications", f"{x.n_reps} per scenario ({SEEDING}); the same seeds in "
                 "every scenario, so differences are paired (common random numbers)")]
    if x.detail_note:
        settings.append(("Over time, segments, cycle times", x.detail_note))
    if x.overrides:
        settings.append(("--set (every scenario)", ", ".join(x.overrides)))
    if x.seed is not None:
        settings.insert(0, ("Root seed", str(x.seed)))
    body += reproducibility_html(settings, x.manifest)
    links = [(rel, "table") for rel in files.written if rel.endswith(".csv")]
    links.append(("tables/tables.xlsx", "every table above as one Excel workbook"))
    return body + files_html(links)
