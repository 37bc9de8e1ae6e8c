"""The report of a comparison: which scenario wins on what, and by how much.

It takes plain DataFrames, so any experiment runner (serial, parallel,
distributed) can write it; it never runs the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.report import figures as fg
from sim.report import html as h
from sim.report import tables as tb
from sim.report.common import SEEDING, files_html, reproducibility_html, resolved
from sim.report.files import REPORT, ReportFiles, atomic_folder
from sim.report.format import fmt, fmt_ci, fmt_range, in_sentence
from sim.results.catalog import CATALOG, describe
from sim.scenario.schema import Scenario

# The metrics the verdicts and the differences figure speak about, in reading order.
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
    seed: int | None = None,
    title: str | None = None,
    manifest: dict[str, Any] | None = None,
) -> Path:
    """Write the report of a comparison into ``out_dir`` atomically; return ``report.html``.

    Args:
        per_replication: one row per (scenario, replication): columns ``scenario``,
            ``replication`` and one column per metric (the names of
            :data:`sim.results.catalog.CATALOG`; missing ones are skipped).
        differences: paired differences vs the reference scenario, one row per
            (metric, scenario): ``metric``, ``scenario``, ``mean_diff`` (scenario
            minus reference), ``ci_low``, ``ci_high`` (95% CI of the paired
            difference) and ``verdict`` (free text shown as given, e.g. "better").
        timeseries: weekly rows of every (scenario, replication): ``scenario``,
            ``replication``, ``week``, ``day`` and the series of
            :func:`sim.results.metrics.weekly_timeseries`; ``None`` leaves out the
            over-time section.
        out_dir: the report folder (created if missing; files already there are kept).
        reference: the scenario the differences are taken against; default the
            scenario of ``per_replication`` that ``differences`` does not list
            (else the first).
        horizon_days: the common horizon; default from ``scenarios`` or ``timeseries``.
        scenarios: name -> scenario as run, for the assumptions section.
        won_deals: optional won-deal rows with a ``scenario`` column (see
            :func:`sim.results.metrics.won_deals`), for cycle-time distributions.
        first_responses: optional ``scenario``, ``replication``, ``hours`` rows.
        seed: the root seed shared by the scenarios (common random numbers).
        title: the page title; default names the scenarios.
        manifest: versions and times, shown under assumptions.
    """
    names = [str(s) for s in pd.unique(per_replication["scenario"])]
    reference = reference or _reference(names, differences)
    horizon = _horizon(horizon_days, scenarios, reference, timeseries)
    with atomic_folder(out_dir) as tmp:
        files = ReportFiles(tmp)
        sections = _sections(files, names, reference, horizon, per_replication, differences,
                             timeseries, scenarios, won_deals, first_responses, seed, manifest)
        title = title or f"Leadflow comparison: {', '.join(names)}"
        n_reps = per_replication.groupby("scenario").size().min()
        subtitle = (f"{len(names)} scenarios, {n_reps} paired replications each"
                    f"{f', seed {seed}' if seed is not None else ''}; differences are taken "
                    f"against '{reference}' with common random numbers.")
        files.write_html(h.page(title, subtitle, sections))
    return out_dir / REPORT


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


def _sections(files: ReportFiles, names: list[str], reference: str, horizon: float,
              per_rep: pd.DataFrame, differences: pd.DataFrame,
              timeseries: pd.DataFrame | None, scenarios: Mapping[str, Scenario] | None,
              won_deals: pd.DataFrame | None, first_responses: pd.DataFrame | None,
              seed: int | None, manifest: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    metrics = [m for m in CATALOG if m in per_rep.columns]
    summary = _summary(per_rep, metrics)
    summary_csv = files.table("summary", summary)
    diffs_csv = files.table("differences", differences)
    files.table("replications", per_rep)
    means = summary.set_index(["scenario", "metric"])["mean"]
    winners = winners_table(summary, differences, reference,
                            [m for m in KEY_METRICS if m in metrics])
    winners_csv = files.table("winners", winners)

    out: list[tuple[str, str, str]] = []
    body = h.cards_html(_cards(winners)) + h.paragraphs(
        verdict_sentences(winners, differences, reference))
    body += h.table_html(
        winners[["label", "best", "best_mean", "clear"]], caption="Who wins on what",
        formats={"best_mean": lambda v: str(v)}, csv=winners_csv,
        headers={"label": "", "best": "best scenario", "best_mean": "its mean",
                 "clear": "clear (95% CI of the difference excludes 0)"},
    )
    out.append(("summary", "Summary", h.section("summary", "Executive summary", body)))

    key = [m for m in KEY_METRICS if m in set(differences["metric"])]
    diffs = differences[differences["metric"].isin(key)]
    ref_means = {m: float(means.get((reference, m), math.nan)) for m in key}
    body = files.figure(
        "differences", fg.differences_figure(diffs, ref_means, reference),
        f"Paired difference of each scenario minus '{reference}', as a share of "
        f"'{reference}''s mean, with its 95% CI; an interval clear of 0 is a real "
        "difference, not luck.", csv=diffs_csv,
    )
    body += h.table_html(_differences_rows(differences), caption="Paired differences",
                         csv=diffs_csv)
    out.append(("differences", "Differences", h.section(
        "differences", f"Differences vs '{reference}'", body)))

    horizons = tb.horizon_table(per_rep, won_deals, horizon) if math.isfinite(horizon) else None
    if horizons is not None:
        body = files.figure(
            "horizon", fg.horizon_figure(horizons),
            "Each scenario over the first 90 days, the first year and the whole horizon "
            "(mean, 95% CI).", csv=files.table("horizon", horizons),
        )
        out.append(("horizon", "Horizons", h.section(
            "horizon", "Short term vs long term", body,
            "A plan that wins this quarter can lose over three years, and the other way round.",
        )))

    funnel = tb.funnel_table(per_rep)
    funnel_csv = files.table("funnel", funnel)
    body = files.figure(
        "funnel", fg.funnel_figure(funnel),
        "Leads per replication at each stage (log scale) and the leaks by reason, per "
        "scenario (mean, 95% CI).", csv=funnel_csv,
    )
    wide = funnel.pivot_table(index="label", columns="scenario", values="mean", sort=False)
    body += h.table_html(wide.reset_index()[["label", *names]],
                         {n: "count" for n in names}, caption="Leads per replication (mean)",
                         csv=funnel_csv, headers={"label": ""})
    out.append(("funnel", "Funnel", h.section("funnel", "The funnel and its leaks", body)))

    if timeseries is not None and not timeseries.empty and math.isfinite(horizon):
        bands = tb.weekly_bands(timeseries, horizon)
        body = files.figure(
            "weekly", fg.weekly_figure(bands),
            "Weekly series per scenario: line, mean over replications; band, 10th to 90th "
            "percentile of replications.", csv=files.table("weekly", bands),
        )
        cumulative = tb.cumulative_bookings(timeseries, horizon)
        windows = [(d, w.split(" (")[0]) for w, d in tb.horizon_windows(horizon)[:-1]]
        body += files.figure(
            "cumulative_revenue", fg.cumulative_figure(cumulative, windows),
            "Revenue booked from day 0 per scenario, with the 95% CI of the mean.",
            csv=files.table("cumulative_revenue", cumulative),
        )
        out.append(("time", "Over time", h.section("time", "Over time", body)))

    body = ""
    if won_deals is not None and not won_deals.empty:
        body += files.figure(
            "cycle_times", fg.cycle_time_figure(won_deals),
            "Share of won deals closed within x days, per scenario (replications pooled).",
            csv=files.table("cycle_times", tb.cycle_time_table(won_deals)),
        )
    if first_responses is not None and not first_responses.empty:
        hist = tb.response_histogram(first_responses)
        shares = tb.response_shares(first_responses)
        files.table("first_response_shares", shares)
        body += files.figure(
            "first_response", fg.response_figure(hist, shares),
            "First response after the hand-off per scenario, leads per replication by delay.",
            csv=files.table("first_response", hist),
        )
    if body:
        out.append(("cycle", "Cycle times", h.section(
            "cycle", "Cycle times and first response", body)))

    table = _all_metrics(summary, names)
    out.append(("metrics", "All metrics", h.section(
        "metrics", "Every metric", h.table_html(
            table, caption="Mean (95% CI) over replications", csv=summary_csv,
            formats={n: str for n in names}, headers={"label": ""}),
    )))
    out.append(("assumptions", "Assumptions", h.section(
        "assumptions", "Assumptions and how to reproduce this report",
        _assumptions(files, names, reference, scenarios, per_rep, seed, manifest),
    )))
    return out


def _summary(per_rep: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    rows = []
    for scenario, df in per_rep.groupby("scenario", sort=False):
        for m in metrics:
            rows.append({"scenario": str(scenario), "metric": m, **tb.ci_row(df[m])})
    return pd.DataFrame(rows)


def _clear(row: pd.Series) -> bool:
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
    diffs = differences.set_index(["metric", "scenario"]) if not differences.empty else None
    for metric in metrics:
        meta = describe(metric)
        block = summary[summary["metric"] == metric].dropna(subset=["mean"])
        if block.empty or meta.direction == 0:
            continue
        best = block.loc[(block["mean"] * meta.direction).idxmax()]
        name = str(best["scenario"])
        clear = False
        if diffs is not None:
            others = [s for s in block["scenario"] if s != reference]
            if name != reference and (metric, name) in diffs.index:
                clear = _clear(diffs.loc[(metric, name)])
            elif name == reference and others:
                clear = all((metric, s) in diffs.index and _clear(diffs.loc[(metric, s)])
                            for s in others)
        rows.append({"metric": metric, "label": meta.label, "best": name,
                     "best_mean": fmt(best["mean"], meta.kind),
                     "clear": "yes" if clear else "no", "better": meta.direction})
    return pd.DataFrame(rows, columns=["metric", "label", "best", "best_mean", "clear",
                                       "better"])


def verdict_sentences(winners: pd.DataFrame, differences: pd.DataFrame,
                      reference: str) -> list[str]:
    """Plain sentences: each scenario's clear gains and losses vs the reference."""
    texts = []
    by_scenario = differences.groupby("scenario", sort=False) if not differences.empty else []
    for scenario, block in by_scenario:
        gains, losses, ties = [], [], []
        for _, row in block.iterrows():
            metric = str(row["metric"])
            if metric not in KEY_METRICS:
                continue
            meta = describe(metric)
            diff = fmt_ci(row["mean_diff"], row["ci_low"], row["ci_high"], meta.kind, signed=True)
            text = f"{in_sentence(meta.label)} {diff}"
            if not _clear(row) or meta.direction == 0:
                ties.append(in_sentence(meta.label))
            elif row["mean_diff"] * meta.direction > 0:
                gains.append(text)
            else:
                losses.append(text)
        parts = [f"Against '{reference}', '{scenario}'"]
        parts.append(f"is better on {_join(gains)}" if gains else "is better on nothing clear")
        if losses:
            parts.append(f"and worse on {_join(losses)}")
        sentence = " ".join(parts) + "."
        if ties:
            sentence += f" No clear difference in {_join(ties)}."
        texts.append(sentence)
    clear = winners[winners["clear"] == "yes"] if not winners.empty else winners
    if not clear.empty:
        wins = clear.groupby("best", sort=False)["label"].apply(
            lambda s: _join([in_sentence(x) for x in s]))
        texts.append("Clear winners: " + "; ".join(
            f"'{name}' on {what}" for name, what in wins.items()) + ".")
    return texts


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _cards(winners: pd.DataFrame) -> list[h.Card]:
    cards = []
    for metric in tb.HEADLINE_METRICS:
        row = winners[winners["metric"] == metric]
        if row.empty:
            continue
        r = row.iloc[0]
        detail = "clear lead (95% CI)" if r["clear"] == "yes" else "no clear winner"
        cards.append(h.Card(f"Best {in_sentence(r['label'])}", str(r["best"]),
                            f"{r['best_mean']} · {detail}"))
    return cards


def _differences_rows(differences: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in differences.iterrows():
        meta = describe(str(r["metric"]))
        rows.append({
            "metric": meta.label, "scenario": r["scenario"],
            "difference": fmt(r["mean_diff"], meta.kind, signed=True),
            "95% CI": fmt_range(r["ci_low"], r["ci_high"], meta.kind, signed=True),
            "verdict": r.get("verdict", ""),
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


def _assumptions(files: ReportFiles, names: Sequence[str], reference: str,
                 scenarios: Mapping[str, Scenario] | None, per_rep: pd.DataFrame,
                 seed: int | None, manifest: dict[str, Any] | None) -> str:
    body = ""
    if scenarios:
        data = {n: resolved(s) for n, s in scenarios.items()}
        flat = {n: tb.flatten(d) for n, d in data.items()}
        ref = flat.get(reference) or next(iter(flat.values()))
        keys = sorted({k for d in flat.values() for k in set(d) | set(ref)
                       if k not in ("name", "description")
                       and d.get(k, tb.ABSENT) != ref.get(k, tb.ABSENT)}, key=tb.path_order)
        rows = [{"key": k, **{n: tb.show_value(flat[n].get(k, tb.ABSENT)) for n in flat}}
                for k in keys]
        changes = pd.DataFrame(rows, columns=["key", *flat])
        body += "<h3>What differs between the scenarios</h3>" + h.table_html(
            changes, caption=f"{len(changes)} keys differ from '{reference}' (expanded)",
            csv=files.table("scenario_differences", changes),
            headers={"key": "key (dotted path, as --set)"})
        for n, d in data.items():
            body += h.details(f"Scenario '{n}' as run (YAML)",
                              h.pre(yaml.safe_dump(d, sort_keys=False)))
    else:
        body += '<p class="note">The scenarios were not given to the report.</p>'
    n_reps = int(per_rep.groupby("scenario").size().min())
    rows = [("Scenarios", ", ".join(names)), ("Reference", reference),
            ("Replications", f"{n_reps} per scenario ({SEEDING}); the same seeds in every "
             "scenario, so differences are paired (common random numbers)")]
    if seed is not None:
        rows.insert(0, ("Root seed", str(seed)))
    body += reproducibility_html(rows, manifest)
    links = [(rel, "table") for rel in files.written if rel.endswith(".csv")]
    return body + files_html(links)
