"""The report of one run: an executive summary, then figures and tables to dig into.

Built from a :class:`sim.experiments.runner.RunResult` only; the simulation is never run
again. The report folder gets ``report.html`` (self-contained), the figures
as PNG (and SVG on request) under ``figures/`` and the tables behind them under
``tables/``. Each figure is passed to :class:`sim.report.files.ReportFiles` as the
function that builds it, so building it is part of drawing it, on idle cores.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.experiments.runner import RunResult
from sim.report import breakdown as bd
from sim.report import html as h
from sim.report import pnl
from sim.report import tables as tb
from sim.report.common import SEEDING, files_html, reproducibility_html, resolved
from sim.report.drawer import Drawer
from sim.report.drawing import figure_call
from sim.report.files import REPORT, ReportFiles, atomic_folder
from sim.report.format import (
    fmt,
    fmt_ci,
    fmt_horizon,
    fmt_hours_in_words,
    fmt_range,
    in_sentence,
)
from sim.results.catalog import describe
from sim.scenario.schema import Scenario

# The run's own tables, written by :func:`sim.apps.run_folder.write_run`; linked when present.
RUN_TABLES: tuple[tuple[str, str], ...] = (
    ("summary.csv", "every metric: mean, 95% CI, replications"),
    ("replications.csv", "one row per replication, one column per metric"),
    ("timeseries.csv", "weekly series of every replication"),
    ("leads.csv", "one row per lead (record_leads: true)"),
    ("scenario.yaml", "the scenario as run: preset names and the fields it overrides"),
    ("result.json", "every metric's mean and CI, machine-readable"),
    ("manifest.json", "seed, replications, versions, git revision, times"),
)


def write_run_report(run: RunResult, out_dir: Path, baseline: Scenario | None = None,
                     manifest: dict[str, Any] | None = None, *, svg: bool = False,
                     workers: int | None = None) -> Path:
    """Write the report of a run into ``out_dir`` atomically; return ``report.html``.

    Files already in ``out_dir`` (the run's CSV tables) are kept and linked.

    Args:
        run: the replications of one scenario.
        out_dir: the report folder (created if missing).
        baseline: the scenario to list changes against; without one the report
            says it has nothing to list changes against. A report reads no file:
            the caller chooses the baseline (the CLI passes the packaged
            ``baseline`` scenario).
        manifest: seeds, versions and times (:func:`sim.apps.run_folder.manifest`), shown
            under Assumptions; without it the report gives the versions it sees.
        svg: also write every figure as SVG (PNG only by default).
        workers: processes drawing the figures; by default as many as pay on
            the idle cores (:func:`sim.report.forks.fork_workers`).
    """
    with atomic_folder(out_dir) as tmp:
        render_run_report(run, tmp, baseline, manifest, existing=out_dir, svg=svg,
                          workers=workers)
    return out_dir / REPORT


def render_run_report(run: RunResult, folder: Path,
                      baseline: Scenario | Callable[[], Scenario | None] | None = None,
                      manifest: dict[str, Any] | Callable[[], dict[str, Any]] | None = None,
                      existing: Path | None = None, *, svg: bool = False,
                      workers: int | None = None, drawer: Drawer | None = None,
                      meanwhile: Callable[[], object] | None = None) -> Path:
    """Write the report's files into ``folder`` as they are (no atomic rename).

    :func:`sim.apps.run_folder.write_run` calls this on its own temporary folder.

    Args:
        run: the replications of one scenario.
        folder: where to write.
        baseline: as in :func:`write_run_report`, or a function giving it,
            called once every figure is added (and sent to ``drawer``).
        manifest: as in :func:`write_run_report`, or a function giving it,
            called then too.
        existing: another folder whose files count as present when linking the
            run's tables (the final folder while writing into a temporary one).
        svg: as in :func:`write_run_report`.
        workers: as in :func:`write_run_report`.
        drawer: a drawing process started before the run (:mod:`sim.report.drawer`),
            which draws the figures as they are added.
        meanwhile: called once every figure is added (and sent to ``drawer``),
            before the page links the run's own tables (``summary.csv``): the
            caller's work while the figures are drawn.
    """
    files = ReportFiles(folder, svg=svg, workers=workers, drawer=drawer)
    s = run.scenario
    horizon = float(s.horizon_days)
    per_rep = run.per_replication
    stats = run.summary.set_index("metric")
    n_reps = len(per_rep)

    funnel = tb.funnel_table(per_rep)
    horizons = tb.horizon_table(per_rep, run.won_deals, horizon)
    money = tb.money_table(per_rep)
    bands = tb.weekly_bands(run.timeseries, horizon)
    cumulative = tb.cumulative_bookings(run.timeseries, horizon)
    windows = [(d, w.split(" (")[0]) for w, d in tb.horizon_windows(horizon)[:-1]]

    sections: list[tuple[str, str, str]] = []
    sections.append(("summary", "Summary", h.section(
        "summary", "Executive summary",
        h.cards_html(_cards(stats)) + h.paragraphs(_summary_text(run, stats, funnel, horizons)),
    )))

    horizon_csv = files.table("horizon", horizons)
    body = ""
    if len(windows) > 0:  # a run of 90 days or less has one window: its table says it all
        body += files.figure(
            "horizon", figure_call("horizon_figure", horizons),
            f"The same run read over {len(windows) + 1} windows from day 0: revenue, daily "
            "run rate, deals won and the median cycle of the deals closed in each window "
            "(mean over replications, 95% CI).",
            csv=horizon_csv,
        )
    body += files.figure(
        "cumulative_revenue", figure_call("cumulative_figure", cumulative, windows),
        "Revenue booked from day 0, with the 95% CI of the mean"
        + ("; dashed lines mark the windows above." if windows else "."),
        csv=files.table("cumulative_revenue", cumulative),
    )
    body += _horizon_table(horizons, horizon_csv)
    sections.append(("horizon", "Horizons", h.section(
        "horizon", "Short term vs long term", body,
        "Sales live in this quarter, marketing in years: the first 90 days, the first year "
        "and the whole horizon side by side"
        + ("." if windows else f"; this run of {fmt_horizon(horizon)} has only the whole "
           "horizon."),
    )))

    funnel_csv = files.table("funnel", funnel)
    body = files.figure(
        "funnel", figure_call("funnel_figure", funnel),
        "Left: leads per replication at each stage (bar width), with each stage's share of "
        "all leads created and its conversion from the previous stage. Right: where the "
        "other leads went, in leads per replication (95% CI) and as a share of all leads "
        "created.", csv=funnel_csv,
    )
    body += h.table_html(
        funnel[["label", "mean", "ci_low", "ci_high", "share_of_leads", "conversion"]],
        {"mean": "count", "ci_low": "count", "ci_high": "count", "share_of_leads": "percent",
         "conversion": "percent"},
        caption="Funnel and leaks (leads per replication)", csv=funnel_csv,
        headers={"label": "", "ci_low": "95% CI low", "ci_high": "95% CI high",
                 "share_of_leads": "share of leads", "conversion": "from previous stage"},
    )
    sections.append(("funnel", "Funnel", h.section(
        "funnel", "The funnel and its leaks", body,
        "Never contacted: not followed up, or the buying window closed waiting for a rep. "
        "Went cold: in nurture, or not qualified at first response.",
    )))

    money_csv = files.table("money", money)
    body = files.figure(
        "money", figure_call("money_figure", money),
        "Revenue, the gross margin on it, each cost over the whole horizon, and what is "
        "left: the contribution.", csv=money_csv,
    )
    body += h.table_html(money[["label", "mean", "ci_low", "ci_high"]],
                         {"mean": "money", "ci_low": "money", "ci_high": "money"},
                         caption="Money over the whole horizon", csv=money_csv,
                         headers={"label": "", "ci_low": "95% CI low",
                                  "ci_high": "95% CI high"})
    sections.append(("money", "Money", h.section("money", "Revenue, cost and contribution",
                                                 body)))

    period_ends = _period_ends(s)
    body = files.figure(
        "weekly", figure_call("weekly_figure", bands, _timeline_markers(s), period_ends),
        "Weekly leads, MQLs, bookings, open pipeline value (at each week's end) and brand "
        "equity (0-1). Line: mean over replications; band: 10th to 90th percentile of "
        "replications." + (" Dotted lines mark sales-period ends: a quota plan's period-end "
                           "push shows as spikes in bookings there." if period_ends else ""),
        csv=files.table("weekly", bands),
    )
    body += _quarterly(run, files)
    sections.append(("time", "Over time", h.section("time", "Over time", body)))

    segments = _segments(run, files)
    if segments:
        sections.append(("segments", "Segments", h.section(
            "segments", "By segment and by lead source", segments,
            "Which customers and which lead sources bring the bookings, and how fast they "
            "close.")))

    sections.append(("cycle", "Cycle times", h.section(
        "cycle", "Cycle times and first response", _cycle_section(run, files),
    )))
    if meanwhile is not None:  # every figure is added (and sent, with a drawer)
        meanwhile()
    if callable(baseline):
        baseline = baseline()
    if callable(manifest):
        manifest = manifest()

    summary = run.summary.assign(label=[describe(m).label for m in run.summary["metric"]])
    all_rows = summary[["label", "metric", "mean", "ci_low", "ci_high", "n"]].copy()
    for col in ("mean", "ci_low", "ci_high"):
        all_rows[col] = [fmt(v, metric=m) for v, m in
                         zip(summary[col], summary["metric"], strict=True)]
    sections.append(("metrics", "All metrics", h.section(
        "metrics", "Every metric",
        h.table_html(all_rows, caption="Mean and 95% CI over replications; n: replications "
                     "where the metric is defined",
                     headers={"label": "", "ci_low": "95% CI low", "ci_high": "95% CI high"},
                     csv=_present("summary.csv", folder, existing)),
    )))

    sections.append(("assumptions", "Assumptions", h.section(
        "assumptions", "Assumptions and how to reproduce this report",
        _assumptions(run, baseline, manifest, files, folder, existing),
    )))

    files.sheet("summary", run.summary.assign(
        label=[describe(m).label for m in run.summary["metric"]]))
    files.write_workbook()
    title = f"Leadflow report: {s.name}"
    description = " ".join(s.description.split())
    if description and not description.endswith((".", "!", "?")):
        description += "."
    subtitle = (f"{description} {fmt_horizon(horizon, with_days=True)}, "
                f"{n_reps} replication{'s' * (n_reps != 1)}, seed {run.seed}.").strip()
    return files.write_html(h.page(title, subtitle, sections))


# --- money by quarter and results by segment ---------------------------------------


def _quarterly(run: RunResult, files: ReportFiles) -> str:
    """The quarterly P&L: bookings, spend, sales cost and contribution per quarter."""
    if run.won_deals is None:
        return ""
    quarterly = pnl.quarterly_pnl(run.scenario, run.won_deals, run.per_replication,
                                  run.timeseries)
    csv = files.table("quarterly_pnl", quarterly)
    body = files.figure(
        "quarterly_pnl", figure_call("pnl_figure", quarterly),
        "Bookings, total cost and contribution in each quarter from day 0 (mean over "
        "replications); the quarters add up to the whole-horizon metrics.", csv=csv)
    body += h.table_html(
        pnl.pnl_wide(quarterly), {c: "money" for c in pnl.ITEM_NAMES},
        caption="Quarterly P&L (mean over replications; 95% CIs in the CSV)", csv=csv,
        headers={"quarter": "", **{item: label for item, label, _ in pnl.ITEMS}})
    return body + ('<p class="note">Bookings, their margin, base commission, marketing spend, '
                   "salaries and alignment overhead fall in the quarter they happen; "
                   "accelerators above quota and marketing bonuses per MQL and on pipeline, "
                   "kept only as run totals, are allocated by each quarter's bookings and "
                   "MQLs.</p>")


def _segments(run: RunResult, files: ReportFiles) -> str:
    """Bookings, deals, deal value, cycle and win rate by segment and by lead source."""
    if run.won_deals is None or "segment" not in run.won_deals.columns:
        return ""
    table = bd.breakdown_table(run.won_deals, list(run.per_replication["replication"]),
                               run.leads)
    csv = files.table("segments", table)
    body = files.figure(
        "segments", figure_call("breakdown_figure", table),
        "Bookings, median lead-to-close days and win rate (or mean deal value without "
        "per-lead records) by customer segment (top) and by lead source (bottom); mean over "
        "replications with its 95% CI.", csv=csv)
    formats = {m: kind for m, _, kind in bd.MEASURES}
    headers = {"group": "", **{m: label for m, label, _ in bd.MEASURES}}
    for dimension, what in bd.DIMENSIONS:
        body += h.table_html(bd.breakdown_wide(table, dimension), formats,
                             caption=f"{what} (mean over replications)", csv=csv,
                             headers=headers)
    if run.leads is None:
        body += ('<p class="note">The win rate needs the deals lost, which only per-lead '
                 "records keep: run with <code>--set record_leads=true</code> to see it.</p>")
    return body


# --- summary -----------------------------------------------------------------------


def _cards(stats: pd.DataFrame) -> list[h.Card]:
    cards = []
    for metric in tb.HEADLINE_METRICS:
        meta = describe(metric)
        row = stats.loc[metric]
        ci = fmt_range(row["ci_low"], row["ci_high"], meta.kind)
        detail = "" if ci == "-" else "95% CI " + ci
        cards.append(h.Card(meta.label, fmt(row["mean"], meta.kind), detail))
    return cards


def _ci(stats: pd.DataFrame, metric: str) -> str:
    row = stats.loc[metric]
    return fmt_ci(row["mean"], row["ci_low"], row["ci_high"], metric=metric)


def _summary_text(run: RunResult, stats: pd.DataFrame, funnel: pd.DataFrame,
                  horizons: pd.DataFrame) -> list[str]:
    s = run.scenario
    horizon = float(s.horizon_days)
    mean = stats["mean"]
    texts = [
        f"Over {fmt_horizon(horizon, with_days=True)}, '{s.name}' books revenue of "
        f"{_ci(stats, 'revenue')} from {fmt(mean['deals_won'], 'count')} deals won. After costs of "
        f"{fmt(mean['total_cost'], 'money')} (marketing "
        f"{fmt(mean['marketing_spend'], 'money')}, sales "
        f"{fmt(mean['sales_cost'], 'money')}), the contribution is "
        f"{_ci(stats, 'contribution')}, a return on cost of {_ci(stats, 'roi')}.",
        f"A won deal takes a median {_ci(stats, 'cycle_days_median')} from lead to close and "
        f"{fmt(mean['mql_to_won_days_median'], 'days')} from the hand-off to sales; "
        f"half of the leads that reach a rep get a first response within "
        f"{fmt_hours_in_words(mean['first_response_hours_median'])}.",
    ]
    rate = horizons[horizons["measure"] == "revenue_per_day"].set_index("window")["mean"]
    if len(rate) > 1 and rate.iloc[-1] > 0:
        first_window = str(rate.index[0])
        texts.append(
            f"Short term vs long term: the {first_window.lower()} bring "
            f"{fmt(mean['revenue_90d'] if horizon > 90 else mean['revenue'], 'money')}; "
            f"revenue per day there runs at {fmt(rate.iloc[0] / rate.iloc[-1], 'percent')} of the "
            f"whole-horizon rate ({fmt(rate.iloc[0], 'money')} vs "
            f"{fmt(rate.iloc[-1], 'money')} a day) while the pipeline fills. "
            f"The first year brings {fmt(mean['revenue_1y'], 'money')}."
            if horizon > 365 else
            f"Short term: the {first_window.lower()} bring revenue at "
            f"{fmt(rate.iloc[0] / rate.iloc[-1], 'percent')} of the whole run's daily rate."
        )
    leaks = funnel[funnel["part"] == "leak"]
    leaks = leaks[leaks["metric"] != "in_flight_end"]
    if not leaks.empty and mean["leads_created"] > 0:
        worst = leaks.iloc[int(leaks["mean"].argmax())]
        mql_share = fmt(mean["mqls"] / mean["leads_created"], "percent")
        texts.append(
            f"Of {fmt(mean['leads_created'], 'count')} leads, "
            f"{fmt(mean['mqls'], 'count')} ({mql_share}) reach sales as MQLs and "
            f"{fmt(mean['deals_won'], 'count')} "
            f"({fmt(mean['lead_to_customer'], 'percent')}) become customers. The largest "
            f"leak is '{in_sentence(worst['label'])}': {fmt(worst['mean'], 'count')} "
            "leads "
            f"({fmt(worst['share_of_leads'], 'percent')}); "
            f"{fmt(mean['lost_never_contacted'], 'count')} MQLs are never contacted."
        )
    return texts


def _horizon_table(horizons: pd.DataFrame, csv: str) -> str:
    rows = []
    for measure in pd.unique(horizons["measure"]):
        block = horizons[horizons["measure"] == measure]
        row: dict[str, str] = {"": str(block["label"].iloc[0])}
        for _, r in block.iterrows():
            row[str(r["window"])] = fmt_ci(r["mean"], r["ci_low"], r["ci_high"], r["kind"])
        rows.append(row)
    return h.table_html(pd.DataFrame(rows), caption="Mean (95% CI) in each window",
                        formats={c: str for c in rows[0] if c} if rows else None, csv=csv)


# --- over time ---------------------------------------------------------------------


def _period_ends(scenario: Scenario) -> list[float]:
    """Sales-period ends, if any plan in force pushes deals into them."""
    pushes = any(
        (p.incentives.sales.pull_forward_probability or 0) > 0
        or (p.incentives.sales.push_window_days or 0) > 0
        for _, p in scenario.periods()
    )
    if not pushes:
        return []
    period = scenario.sales.period_days
    return [float(d) for d in np.arange(period, scenario.horizon_days, period)]


def _timeline_markers(scenario: Scenario) -> list[tuple[float, str]]:
    return [(c.day, c.note or ", ".join(c.set)) for c in scenario.timeline
            if 0 < c.day < scenario.horizon_days]


# --- cycle times -------------------------------------------------------------------


def _cycle_section(run: RunResult, files: ReportFiles) -> str:
    body = ""
    if run.won_deals is not None:
        cycles = tb.cycle_time_table(run.won_deals)
        cycles_csv = files.table("cycle_times", cycles)
        body += files.figure(
            "cycle_times", figure_call("cycle_time_figure", run.won_deals),
            "Share of won deals closed within x days (all replications pooled): from lead "
            "creation and from the hand-off (left), and in each pipeline stage (right). "
            "The dotted line is the median.", csv=cycles_csv,
        )
        body += h.table_html(
            cycles.drop(columns=["measure"]),
            {c: "days" for c in ("mean", "p10", "p25", "median", "p75", "p90")}
            | {"deals": "count"},
            caption="Days, won deals of all replications", csv=cycles_csv,
            headers={"label": "", "deals": "won deals", "p10": "10th pct", "p25": "25th pct",
                     "p75": "75th pct", "p90": "90th pct"},
        )
        deals_csv = files.table("won_deals", run.won_deals)
        body += (f'<p class="note">Every won deal: <a href="{deals_csv}">{deals_csv}</a> '
                 "(created, hand-off and close days, value, discount, pulled forward, "
                 "segment, source, days in each stage).</p>")
    else:
        body += '<p class="note">No per-deal data in this run: cycle-time distributions ' \
                "are not drawn.</p>"
    if run.first_responses is not None and not run.first_responses.empty:
        hist = tb.response_histogram(run.first_responses)
        shares = tb.response_shares(run.first_responses,
                                    list(run.per_replication["replication"]))
        body += files.figure(
            "first_response", figure_call("response_figure", hist, shares),
            "First response after the hand-off, leads per replication by delay (log scale). "
            "Oldroyd et al. (HBR 2011): a response within the hour qualifies ~7x as often as "
            "one an hour later, and ~60x as often as one after a day.",
            csv=files.table("first_response", hist),
        )
        body += h.table_html(shares[["band", "mean", "ci_low", "ci_high"]],
                             {"mean": "percent", "ci_low": "percent", "ci_high": "percent"},
                             caption="Share of first responses (95% CI)",
                             csv=files.table("first_response_shares", shares),
                             headers={"band": "", "ci_low": "95% CI low",
                                      "ci_high": "95% CI high"})
    return body


# --- assumptions -------------------------------------------------------------------


def _present(name: str, folder: Path, existing: Path | None) -> str | None:
    """``name`` if the file is in the report folder (or the final one), else ``None``."""
    if (folder / name).exists() or (existing is not None and (existing / name).exists()):
        return name
    return None


def _assumptions(run: RunResult, baseline: Scenario | None, manifest: dict[str, Any] | None,
                 files: ReportFiles, folder: Path, existing: Path | None) -> str:
    s = run.scenario
    data = resolved(s)
    body = "<h3>What changed vs the baseline</h3>"
    changed: list[str] = []
    if baseline is None:
        body += ('<p class="note">No baseline to list changes against '
                 "(<code>scenarios/baseline.yaml</code> is missing or not valid).</p>")
    else:
        changes = tb.scenario_changes(data, resolved(baseline))
        changed = list(changes["key"])
        csv = files.table("scenario_changes", changes)
        if changes.empty:
            body += ('<p>No parameter differs from <code>scenarios/baseline.yaml</code> '
                     '(apart from the description).</p>')
        else:
            body += h.table_html(changes, caption=f"{len(changes)} keys differ from "
                                 "scenarios/baseline.yaml (expanded)", csv=csv,
                                 headers={"key": "key (dotted path, as --set)",
                                          "value": "this run", "baseline": "baseline"})
    params = tb.parameter_table(data, changed)
    params_csv = files.table("parameters", params)
    body += h.details(
        f"Every parameter ({len(params)} keys; changed ones highlighted)",
        h.table_html(params.drop(columns=["changed"]), csv=params_csv,
                     row_class=lambda r: "changed" if r["key"] in set(changed) else ""),
    )
    body += h.details("The scenario as run (YAML)",
                      h.pre(yaml.safe_dump(data, sort_keys=False)))

    n = len(run.per_replication)
    body += reproducibility_html([
        ("Root seed", str(run.seed)),
        ("Replications", f"{n} ({SEEDING})"),
        ("Horizon", f"{fmt_horizon(s.horizon_days)} after a warm-up of "
                    f"{fmt_horizon(s.warmup_days)}"),
        ("Reproduce", f"python run.py run scenario.yaml --seed {run.seed} --replications {n}"),
    ], manifest)
    links = [(name, text) for name, text in RUN_TABLES if _present(name, folder, existing)]
    links += [(rel, "table behind a figure") for rel in files.written if rel.endswith(".csv")]
    links.append(("tables/tables.xlsx", "every table of the report as one Excel workbook"))
    return body + files_html(links)
