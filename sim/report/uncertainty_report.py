"""The HTML reports of decisions under uncertainty.

- ``compare --uncertainty``: the comparison report (:mod:`sim.report.compare_report`)
  drawn from the draw means, with a "How sure are we?" section
  (:func:`how_sure_section`) that an executive reads in a minute: the
  decision, the chance it is right, the range over plausible worlds, the
  expected loss of choosing wrong and how much of the spread is luck;
- ``sensitivity``: what moves the result and what could flip the answer
  (tornado, global indices, the values at which it flips);
- ``optimize`` with several levers: the best plan with its CI, the plans as
  good, the short-term against long-term trade-off and today's plan beside it.

Reports take finished results; nothing is simulated here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.decisions import DecisionResult
from sim.experiments.optimizer import FIRST_YEAR, LeverResult, plan_key
from sim.experiments.sensitivity import SensitivityResult
from sim.experiments.uncertainty import UncertainCompareResult
from sim.report import figures as fg
from sim.report import html as h
from sim.report.common import files_html, reproducibility_html
from sim.report.compare_report import write_compare_report
from sim.report.files import REPORT, ReportFiles, atomic_folder
from sim.report.format import fmt, fmt_horizon, fmt_param, fmt_range, in_sentence
from sim.report.uncertainty_text import (
    flip_sentences,
    lever_sentences,
    plan_text,
)
from sim.results.catalog import describe


def _pct(p: object) -> str:
    return fmt(p, "percent")


# --- compare under uncertainty ------------------------------------------------------------


def how_sure_section(files: ReportFiles, data: Mapping[str, Any]) -> tuple[str, str, str]:
    """The "How sure are we?" section of a comparison under uncertain assumptions.

    Args:
        files: the report's files (the figure and tables are written through it).
        data: what :meth:`~sim.experiments.uncertainty.UncertainCompareResult.how_sure`
            returns: the reference, the design, the decisions (one per compared
            scenario, see :class:`~sim.experiments.uncertainty.Decision`), each
            draw's expected difference, the assumptions and the method.

    Returns:
        ``(anchor, navigation title, section HTML)`` for :func:`sim.report.html.page`.
    """
    reference = str(data["reference"])
    objective = str(data["objective"])
    meta = describe(objective)
    kind = meta.kind
    body = ""
    rows = []
    for dec in data["decisions"]:
        label = str(dec["scenario"])
        other_wins = dec["choose"] == "other"
        winner, loser = (label, reference) if other_wins else (reference, label)
        p_better = dec["probability_better"]
        p_win = p_better if other_wins or p_better is None else 1.0 - p_better
        choice = (f"'{winner}' is the better choice than '{loser}' on "
                  f"{in_sentence(meta.label)} in {_pct(p_win)} of plausible worlds.")
        gain = (f"'{label}' minus '{reference}': {fmt(dec['expected'], kind, signed=True)} "
                f"expected (95% CI {fmt_range(dec['ci_low'], dec['ci_high'], kind, signed=True)}); "
                f"from {fmt_range(dec['interval_low'], dec['interval_high'], kind, signed=True)}"
                f" in {_pct(dec['level'])} of worlds.")
        share = dec.get("share_assumptions")
        certainty = (f"Expected loss of choosing wrong: {fmt(dec['expected_loss'], kind)}. "
                     + (f"Of the spread, {_pct(share)} is what we do not know (the assumptions) "
                        f"and {_pct(1 - share)} is luck." if share is not None else
                        "With one replication per draw, luck and assumptions are not split."))
        clear = p_win is not None and (p_win >= 0.9 or p_win <= 0.1)
        body += h.decision_html(choice, gain, certainty, clear)
        body += h.cards_html([
            h.Card(f"Chance '{label}' is better", _pct(p_better),
                   f"± {_pct(dec['probability_se'])} (draws); one roll: "
                   f"{_pct(dec['probability_single'])}"),
            h.Card("Expected difference", fmt(dec["expected"], kind, signed=True),
                   f"95% CI {fmt_range(dec['ci_low'], dec['ci_high'], kind, signed=True)}"),
            h.Card(f"Over assumptions ({_pct(dec['level'])} of worlds)",
                   fmt_range(dec["interval_low"], dec["interval_high"], kind, signed=True),
                   "where the expected difference may lie"),
            h.Card("Expected loss if wrong", fmt(dec["expected_loss"], kind),
                   f"choosing '{label}': {fmt(dec['loss_other'], kind)}; keeping "
                   f"'{reference}': {fmt(dec['loss_reference'], kind)}"),
            h.Card("Spread from assumptions", _pct(share),
                   "the rest is luck (law of total variance)"),
        ])
        rows.append({"scenario": label, "expected": dec["expected"],
                     "ci_low": dec["ci_low"], "ci_high": dec["ci_high"],
                     "interval_low": dec["interval_low"],
                     "interval_high": dec["interval_high"], "probability_better": p_better,
                     "probability_single": dec["probability_single"],
                     "loss_other": dec["loss_other"], "loss_reference": dec["loss_reference"],
                     "share_assumptions": share})
    table = pd.DataFrame(rows)
    csv = files.table("how_sure", table)
    draws: dict[str, Sequence[float]] = {str(k): list(v) for k, v in
                                         data["draw_differences"].items()}
    body += files.figure(
        "how_sure", fg.uncertainty_figure(draws, reference, kind, data["goal"] == "max"),
        f"The expected difference in {in_sentence(meta.label)} in each of {data['draws']} "
        f"plausible worlds (assumption draws, {data['replications']} replications each, luck "
        "taken out): filled bars are worlds where the plan beats the reference.",
        csv=files.table("how_sure_draws", pd.DataFrame(
            [{"scenario": k, "draw": i, "expected_difference": v}
             for k, values in draws.items() for i, v in enumerate(values)])),
    )
    assumptions = pd.DataFrame(data["assumptions"])
    body += h.table_html(assumptions[["key", "distribution", "source"]],
                         caption=f"The {len(assumptions)} uncertain assumptions",
                         csv=files.table("assumption_ranges", assumptions),
                         headers={"key": "key (dotted path)"})
    if data.get("left_out"):
        body += h.paragraphs([
            "Left out, because the scenarios set them differently (what the plans choose, "
            "not facts of the world they share): " + ", ".join(data["left_out"]) + "."])
    body += h.details("How these numbers are made", h.paragraphs([str(data["method"])])
                      + h.table_html(table, caption="The decision's numbers", csv=csv))
    intro = ("The other sections show the expected value over plausible worlds. Here: how "
             "likely each plan is to be the better one given what we do not know, and what "
             "choosing wrong would cost.")
    return "how-sure", "How sure?", h.section("how-sure", "How sure are we?", body, intro)


def _uncertain_compare(result: UncertainCompareResult, folder: Path,
                       manifest: dict[str, Any] | None, svg: bool = False) -> Path:
    spec = result.spec
    # Draw means are independent across draws: intervals over them are the
    # intervals of the expected values (the replications within a draw are not).
    means = result.draw_means().rename(columns={"draw": "replication"})
    differences = result.differences.rename(columns={"mean": "mean_diff"})
    probability = {label: dec.probability_better for label, dec in result.decisions.items()}
    return write_compare_report(
        means, differences, None, folder, reference=spec.labels[0],
        scenarios=dict(zip(spec.labels, spec.scenarios, strict=True)), seed=spec.seed,
        manifest=manifest, objective=spec.objective, probability=probability,
        title=f"Leadflow comparison under uncertainty: {', '.join(spec.labels)}",
        detail_note=f"the means of {len(spec.draws)} assumption draws, "
        f"{spec.replications} replications each", uncertainty=result.how_sure(), svg=svg)


# --- sensitivity -------------------------------------------------------------------------------


def _sensitivity(result: SensitivityResult, folder: Path,
                 manifest: dict[str, Any] | None, svg: bool = False) -> Path:
    spec, a = result.spec, result.analysis
    meta = describe(spec.metric)
    what = (f"{in_sentence(meta.label)}, '{spec.labels[1]}' minus '{spec.labels[0]}'"
            if spec.difference else f"{in_sentence(meta.label)} of '{spec.labels[0]}'")
    with atomic_folder(folder) as tmp:
        files = ReportFiles(tmp, svg=svg)
        sections = []
        tornado = result.tornado_table()
        body = h.paragraphs(flip_sentences(result))
        body += h.cards_html([
            h.Card("With every assumption at its median",
                   fmt(a.center, meta.kind, signed=spec.difference)),
            h.Card("Most influential", a.ranking()[0] if a.ranking() else "-",
                   "Sobol total index" if a.method == "sobol" else "Morris mu*"),
            h.Card("Answer flips in", _pct(a.opposite_share),
                   "of the global design's points") if spec.difference else
            h.Card("Points evaluated", f"{len(a.results):,}",
                   f"x {spec.replications} replications"),
        ])
        sections.append(("summary", "Summary", h.section(
            "summary", "What would flip it", body)))
        body = files.figure(
            "tornado", fg.tornado_figure(tornado, a.center, meta.kind, what),
            "Each assumption alone at its 5th and 95th percentile (value at the bar's end), "
            "the others at their medians.", csv=files.table("tornado", tornado))
        if a.flips:
            flips = result.flips_table()
            body += h.table_html(flips, caption="Where the answer flips (bisection on the "
                                 "one-at-a-time line)", csv=files.table("flips", flips),
                                 formats={"value": lambda v: fmt_param(float(v)),
                                          "percentile": "percent"})
        sections.append(("tornado", "One at a time", h.section(
            "tornado", "One assumption at a time", body)))
        indices_csv = files.table("indices", a.indices)
        body = files.figure(
            "indices", fg.indices_figure(a.indices, a.method, meta.kind),
            "Sobol indices: the share of the result's variance due to each assumption alone "
            "(first order) and with its interactions (total), with 95% bootstrap CIs."
            if a.method == "sobol" else
            "Morris screening: the mean absolute change of the result over a step across "
            "each assumption's range (mu*), with its 95% CI.", csv=indices_csv)
        sections.append(("indices", "Global", h.section(
            "indices", "All assumptions at once (global sensitivity)", body)))
        files.table("points", result.points_table())
        assumptions = pd.DataFrame(spec.assumptions.table())
        body = h.table_html(assumptions[["key", "distribution", "source"]],
                            caption="The uncertain assumptions",
                            csv=files.table("assumption_ranges", assumptions))
        body += reproducibility_html(
            [("Root seed", str(spec.seed)), ("Method", f"{a.method}, {spec.samples} "
              f"{'base samples' if a.method == 'sobol' else 'trajectories'}"),
             ("Replications", f"{spec.replications} per point, the same at every point "
              "(common random numbers)")], manifest)
        body += files_html([(rel, "table") for rel in files.written if rel.endswith(".csv")])
        sections.append(("assumptions", "Assumptions", h.section(
            "assumptions", "Assumptions and how to reproduce this report", body)))
        subtitle = (f"{what}: {spec.assumptions.dimension} assumptions, "
                    f"{fmt_horizon(spec.scenarios[0].horizon_days)}, seed {spec.seed}.")
        files.write_workbook()
        files.write_html(h.page(f"Leadflow sensitivity: {what}", subtitle, sections))
    return folder / REPORT


# --- the multi-lever optimiser --------------------------------------------------------------


def _levers(result: LeverResult, folder: Path, manifest: dict[str, Any] | None,
            svg: bool = False) -> Path:
    spec, out, p = result.spec, result.outcome, result.spec.problem
    meta = describe(p.objective)
    best = out.best_plan
    with atomic_folder(folder) as tmp:
        files = ReportFiles(tmp, svg=svg)
        sections = []
        finalists = result.finalists_table()
        trials = result.trials_table()
        body = h.paragraphs(lever_sentences(result))
        if best is not None:
            value = (_pct(best.value) if p.risk.kind == "prob" else fmt(best.value, meta.kind))
            cards = [h.Card("Best plan", plan_text(best.plan)),
                     h.Card(p.risk.describe(p.objective, p.goal)[:60], value,
                            "95% CI " + fmt_range(best.ci_low, best.ci_high, "percent"
                                                  if p.risk.kind == "prob" else meta.kind))]
            if p.target is not None:
                span = fmt_range(best.reached_low, best.reached_high, "percent")
                cards.append(h.Card("Chance of reaching the target", _pct(best.reached),
                                    f"95% CI {span}"))
            if out.vs_reference is not None:
                v = out.vs_reference
                cards.append(h.Card("Against today's plan",
                                    fmt(v.expected, meta.kind, signed=True),
                                    f"better in {_pct(v.probability_better)} of worlds"
                                    if any(spec.draws) else "95% CI " + fmt_range(
                                        v.ci_low, v.ci_high, meta.kind, signed=True)))
            body += h.cards_html(cards)
        formats: dict[str, Any] = {lever.key: (lambda v: fmt_param(float(v)))
                                   for lever in p.levers}
        for column in ("value", "ci_low", "ci_high", "difference", "difference_ci_low",
                       "difference_ci_high"):
            formats[column] = "percent" if p.risk.kind == "prob" else meta.kind
        formats.update({f"{p.objective}_mean": p.objective, f"{FIRST_YEAR}_mean": FIRST_YEAR,
                        "budget_total": "money"})
        if p.target is not None:
            formats.update({k: "percent" for k in ("target_reached", "target_ci_low",
                                                   "target_ci_high")})
        body += h.table_html(finalists, formats=formats, csv=files.table("finalists", finalists),
                             caption="Finalists, evaluated again with "
                             f"{spec.final_replications} replications (best first; "
                             "not_worse: not detectably worse than the best, paired)")
        sections.append(("summary", "Best plan", h.section("summary", "The best plan", body)))
        simulated = trials[trials["simulated"]]
        # The best plan where the search saw it (the same replications as every dot).
        best_xy = None
        if best is not None:
            tried = [c for c in out.candidates if c.samples is not None
                     and plan_key(c.plan) == plan_key(best.plan)]
            if tried:
                best_xy = (tried[0].metric_mean(FIRST_YEAR),
                           tried[0].metric_mean(p.objective))
        body = files.figure(
            "pareto", fg.pareto_figure(simulated, FIRST_YEAR, p.objective, "money", meta.kind,
                                       best_xy, p.goal == "max"),
            f"Every plan the search simulated: first-year bookings against "
            f"{in_sentence(meta.label)} over the whole horizon; the line joins the plans no "
            "other plan beats on both.", csv=files.table("trials", trials))
        sections.append(("pareto", "Trade-off", h.section(
            "pareto", "First year against the whole horizon", body)))
        body = ""
        if any(spec.draws):
            assumptions = pd.DataFrame(spec.assumptions.table())
            body += h.table_html(assumptions[["key", "distribution", "source"]],
                                 caption=f"{len(spec.draws)} draws of the uncertain "
                                 "assumptions, the same for every plan",
                                 csv=files.table("assumption_ranges", assumptions))
        levers = pd.DataFrame([lever.to_json() for lever in p.levers])
        body += h.table_html(levers, caption="Levers and their ranges")
        rows = [("Root seed", str(p.seed)),
                ("Search", f"Optuna TPE, {p.trials} trials, batches of {p.batch}, "
                 f"{spec.replications} replications each"),
                ("Budget", p.budget.describe() if p.budget is not None else "none"),
                ("Risk", p.risk.describe(p.objective, p.goal))]
        if p.target is not None:
            rows.append(("Target", p.target.describe()))
        body += reproducibility_html(rows, manifest)
        body += files_html([(rel, "table") for rel in files.written if rel.endswith(".csv")])
        sections.append(("assumptions", "Assumptions", h.section(
            "assumptions", "Assumptions and how to reproduce this report", body)))
        subtitle = (f"{len(p.levers)} levers of '{spec.base.name}', "
                    f"{fmt_horizon(spec.base.horizon_days)}, seed {p.seed}.")
        files.write_workbook()
        files.write_html(h.page(f"Leadflow plan: {p.risk.describe(p.objective, p.goal)}",
                                subtitle, sections))
    return folder / REPORT


def write_decision_report(result: DecisionResult, folder: Path,
                          manifest: dict[str, Any] | None = None, details: object = None,
                          *, svg: bool = False) -> Path:
    """Write ``report.html`` (with ``figures/`` and ``tables/``) into ``folder``; return it.

    ``details`` is accepted for the command line's one call for every
    experiment and not used: these reports are drawn from their own tables.
    ``svg`` also writes every figure as SVG (PNG only by default).
    """
    if isinstance(result, UncertainCompareResult):
        return _uncertain_compare(result, folder, manifest, svg)
    if isinstance(result, SensitivityResult):
        return _sensitivity(result, folder, manifest, svg)
    return _levers(result, folder, manifest, svg)
