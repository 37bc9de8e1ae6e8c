"""Readable text of decisions under uncertainty: compare, sensitivity, multi-lever optimise.

Every number goes through the one formatter (:mod:`sim.report.format`); the
words say what an executive needs first: the answer, how sure it is, and
what could change it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim.experiments.decisions import DecisionResult
from sim.experiments.optimizer import FIRST_YEAR, Finalist, LeverResult
from sim.experiments.sensitivity import SensitivityResult
from sim.experiments.uncertainty import Decision, UncertainCompareResult
from sim.report.format import fmt, fmt_horizon, fmt_param, fmt_range, in_sentence
from sim.results.catalog import describe, summary_sections

LABEL_WIDTH = 34
# Half-width of a Sobol index's 95% CI above which the text warns that it is imprecise.
IMPRECISE = 0.2


def _pct(p: float) -> str:
    return fmt(p, "percent")


def _ci(low: object, high: object, kind: str, signed: bool = False) -> str:
    return fmt_range(low, high, kind, signed=signed, sep=" to ")


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' * (n != 1)}"


# --- compare under uncertainty -------------------------------------------------------------


def decision_sentences(decision: Decision, label: str, reference: str) -> list[str]:
    """The decision in a few sentences: what to choose, how sure, what is at stake."""
    meta = describe(decision.metric)
    kind = meta.kind
    better = "higher" if decision.direction > 0 else "lower"
    winner, loser = (label, reference) if decision.choose_other else (reference, label)
    p_win = decision.probability_better if decision.choose_other else \
        1.0 - decision.probability_better
    p_once = decision.probability_single if decision.choose_other else \
        1.0 - decision.probability_single
    lines = [
        f"Choose '{winner}' over '{loser}' on {in_sentence(meta.label)} ({better} is better): "
        f"'{label}' minus '{reference}' is {fmt(decision.expected, kind, signed=True)} expected "
        f"(95% CI {_ci(decision.ci_low, decision.ci_high, kind, True)}).",
        f"Over the uncertain assumptions it lies from "
        f"{_ci(decision.interval_low, decision.interval_high, kind, True)} in "
        f"{_pct(decision.level)} of plausible worlds; '{winner}' is the better plan in "
        f"{_pct(p_win)} of them (in one single roll of the dice: {_pct(p_once)}).",
        f"Expected loss of choosing wrong: {fmt(decision.expected_loss, kind)} (choosing "
        f"'{label}' risks {fmt(decision.loss_other, kind)}; keeping '{reference}' risks "
        f"{fmt(decision.loss_reference, kind)}).",
    ]
    share = decision.share_assumptions
    if not math.isnan(share):
        lines.append(f"Of the spread of the difference, {_pct(share)} comes from the "
                     f"assumptions and {_pct(1 - share)} from luck.")
    else:
        lines.append("With one replication per draw, luck and assumptions cannot be told "
                     "apart (use --replications 2 or more).")
    return lines


def uncertain_compare_text(result: UncertainCompareResult) -> str:
    """The text summary of ``compare --uncertainty``."""
    spec = result.spec
    ref = spec.labels[0]
    first = spec.scenarios[0]
    n = len(spec.draws)
    lines = [
        f"Compare with '{ref}' (the reference) under uncertainty: "
        f"{fmt_horizon(first.horizon_days, with_days=True)}, {_plural(n, 'assumption draw')} "
        f"x {_plural(spec.replications, 'replication')}, seed {spec.seed}; every scenario "
        "sees the same worlds and the same luck within a draw.",
        f"Uncertain: {_plural(spec.assumptions.dimension, 'assumption')} "
        f"({spec.assumptions.source}).",
    ]
    if spec.left_out:
        lines.append(f"Left out, because the scenarios set them differently (plan choices, "
                     f"not shared facts): {', '.join(spec.left_out)}.")
    for label in spec.labels[1:]:
        lines += ["", f"How sure are we? '{label}' against '{ref}'"]
        lines += [f"  {s}" for s in decision_sentences(result.decisions[label], label, ref)]
        lines += ["", f"'{label}' minus '{ref}', every metric (expected; 95% CI; middle "
                  f"{_pct(spec.level)} of worlds; chance '{label}' is better)"]
        diffs = result.differences[result.differences["scenario"] == label].set_index(
            "metric")
        for title, metrics in summary_sections():
            lines.append(title)
            for m in metrics:
                if m.name not in diffs.index:
                    continue
                d = diffs.loc[m.name].to_dict()
                chance = _pct(float(d["probability_better"])) if m.direction else "-"
                lines.append(
                    f"  {m.label:{LABEL_WIDTH}}{fmt(d['mean'], m.kind, signed=True):>11}  "
                    f"{_ci(d['ci_low'], d['ci_high'], m.kind, True):<26}"
                    f"{_ci(d['interval_low'], d['interval_high'], m.kind, True):<26}"
                    f"{chance:>7}")
    lines += ["", "The CI covers the expected difference; the middle range covers where it "
              "may lie given what we do not know. Every number is in differences.csv and "
              "summary.csv; each draw's values in draws.csv."]
    return "\n".join(lines)


# --- sensitivity -------------------------------------------------------------------------------


def _result_name(result: SensitivityResult) -> str:
    spec = result.spec
    label = in_sentence(describe(spec.metric).label)
    if spec.difference:
        return f"{label}, '{spec.labels[1]}' minus '{spec.labels[0]}'"
    return f"{label} of '{spec.labels[0]}'"


def flip_sentences(result: SensitivityResult) -> list[str]:
    """The assumptions that matter and the values at which the answer flips."""
    spec, a = result.spec, result.analysis
    kind = describe(spec.metric).kind
    ranking = a.ranking()
    medians = {row["key"]: row["median"] for row in spec.assumptions.table()}
    top = ranking[:3]
    lines = []
    if spec.method == "sobol":
        st = a.indices.set_index("factor")["ST"]
        # A share of the variance lies in [0, 1]; estimates outside it are noise.
        lines.append("The assumptions that move it most: " + ", ".join(
            f"{f} ({_pct(min(max(float(st[f]), 0.0), 1.0))} of the variance with its "
            "interactions)" for f in top) + ".")
        widest = float(a.indices[["S1_conf", "ST_conf"]].max().max())
        if widest > IMPRECISE:
            lines.append(f"These indices are imprecise (95% CIs up to +/- {_pct(widest)}): "
                         "the luck left in each point is large against the assumptions' "
                         "effects; more --samples or --replications sharpen them.")
    else:
        lines.append("The assumptions that move it most (Morris screening): "
                     + ", ".join(top) + ".")
    if not spec.difference:
        return lines
    sign = "positive" if a.center > 0 else "negative"
    if a.flips:
        parts = []
        for f in sorted(a.flips, key=lambda f: ranking.index(f.factor)
                        if f.factor in ranking else 0):
            where = "below" if f.side == "low" else "above"
            parts.append(f"{f.factor} is {where} {fmt_param(_round(f.value))} (its median "
                         f"{fmt_param(_round(medians.get(f.factor, math.nan)))}, its "
                         f"{_pct(f.percentile)} percentile)")
        lines.append(f"The answer ({sign}: {fmt(a.center, kind, signed=True)} with every "
                     f"assumption at its median) flips if " + "; or if ".join(parts) + ".")
    else:
        lines.append(f"No single assumption flips the answer ({sign}: "
                     f"{fmt(a.center, kind, signed=True)}) anywhere between its 5th and 95th "
                     "percentile.")
    if not math.isnan(a.opposite_share):
        lines.append(f"With every assumption uncertain at once, the answer has the other sign "
                     f"in {_pct(a.opposite_share)} of the {len(a.results):,} points of the "
                     "global design.")
    return lines


def _round(x: float) -> float:
    if math.isnan(x) or x == 0:
        return x
    digits = 2 - math.floor(math.log10(abs(x)))
    return round(x, max(digits, 0)) if digits > 0 else float(round(x, digits))


def sensitivity_text(result: SensitivityResult) -> str:
    """The text summary of ``sensitivity``."""
    spec, a = result.spec, result.analysis
    kind = describe(spec.metric).kind
    d = spec.assumptions.dimension
    how = (f"Sobol indices (Saltelli's design, {spec.samples} base samples)"
           if a.method == "sobol" else f"Morris screening ({spec.samples} trajectories)")
    lines = [
        f"Sensitivity of {_result_name(result)} to {_plural(d, 'assumption')} "
        f"({spec.assumptions.source}): {how}, {len(a.results):,} points x "
        f"{_plural(spec.replications, 'replication')} (the same at every point; "
        f"{spec.lines} on the one-at-a-time lines), "
        f"{fmt_horizon(spec.scenarios[0].horizon_days, with_days=True)}, seed {spec.seed}.",
        f"With every assumption at its median: {fmt(a.center, kind, signed=spec.difference)}.",
        "",
    ]
    lines += flip_sentences(result)
    lines += ["", "Global indices (95% CI)"]
    idx = a.indices.set_index("factor")
    for f in a.ranking()[:15]:
        r = idx.loc[f].to_dict()
        if a.method == "sobol":
            lines.append(f"  {f[:56]:56}  total {_share_ci(float(r['ST']), float(r['ST_conf']))}"
                         f"  alone {_share_ci(float(r['S1']), float(r['S1_conf']))}")
        else:
            lines.append(f"  {f[:56]:56}  mu* {fmt(r['mu_star'], kind):>10} "
                         f"(+/- {fmt(r['mu_star_conf'], kind)})  sigma "
                         f"{fmt(r['sigma'], kind)}")
    lines += ["", "One at a time (each alone at its 5th and 95th percentile; the others at "
              "their medians)"]
    for t in a.tornado[:15]:
        lines.append(f"  {t.factor[:56]:56}  {fmt_param(_round(t.low_value)):>9} -> "
                     f"{fmt(t.low_result, kind, signed=spec.difference):>9}   "
                     f"{fmt_param(_round(t.high_value)):>9} -> "
                     f"{fmt(t.high_result, kind, signed=spec.difference):>9}")
    if spec.left_out:
        lines += ["", "Left out, because the scenarios set them differently: "
                  + ", ".join(spec.left_out) + "."]
    return "\n".join(lines)


def _share_ci(value: float, half: float) -> str:
    return f"{_pct(value):>6} (+/- {_pct(half)})"


# --- the multi-lever optimiser --------------------------------------------------------------


def plan_text(plan: Mapping[str, Any]) -> str:
    """``marketing.annual_budget=2,100,000, sales.reps=10``."""
    return ", ".join(f"{k}={fmt_param(_round(float(v)) if isinstance(v, float) else v)}"
                     for k, v in plan.items())


def _value_text(result: LeverResult, f: Finalist) -> str:
    p = result.spec.problem
    if p.risk.kind == "prob":
        return f"{_pct(f.value)} (95% CI {_ci(f.ci_low, f.ci_high, 'percent')})"
    kind = describe(p.objective).kind
    return f"{fmt(f.value, kind)} (95% CI {_ci(f.ci_low, f.ci_high, kind)})"


def lever_sentences(result: LeverResult) -> list[str]:
    """The best plan, how sure, what else is as good, and its uncertainty."""
    out, p = result.outcome, result.spec.problem
    kind = describe(p.objective).kind
    best = out.best_plan
    if best is None:
        if p.target is not None and out.finalists:
            top = max(out.finalists, key=lambda f: f.reached)
            span = _ci(top.reached_low, top.reached_high, "percent")
            return [f"No plan tried reaches {p.target.describe()}; the closest, "
                    f"{plan_text(top.plan)}, reaches it with probability "
                    f"{_pct(top.reached)} (95% CI {span})."]
        return ["No plan within the budget could be evaluated."]
    lines = []
    if p.target is not None:
        lines.append(f"Cheapest plan found that reaches {p.target.describe()}: "
                     f"{plan_text(best.plan)}.")
        lines.append(f"It reaches the target with probability {_pct(best.reached)} (95% CI "
                     f"{_ci(best.reached_low, best.reached_high, 'percent')}); "
                     f"{p.risk.describe(p.objective, p.goal)}: {_value_text(result, best)}.")
    else:
        lines.append(f"Best plan: {plan_text(best.plan)}.")
        lines.append(f"{p.risk.describe(p.objective, p.goal)[:1].upper()}"
                     f"{p.risk.describe(p.objective, p.goal)[1:]}: {_value_text(result, best)}.")
    if p.budget is not None:
        lines.append(f"Budget: {fmt(p.budget.total(best.plan), 'money')} of "
                     f"{fmt(p.budget.bound, 'money')} ({p.budget.describe()}).")
    region = [f for f in out.finalists if f.not_worse and not f.is_reference]
    others = [f for f in region if f is not best]
    if others:
        spans = []
        for lever in p.levers:
            values = [f.plan[lever.key] for f in region]
            if max(values) != min(values):
                spans.append(f"{lever.key} {fmt_param(_round(min(values)))} to "
                             f"{fmt_param(_round(max(values)))}")
        lines.append(f"{_plural(len(others), 'other plan')} of the finalists "
                     f"{'is' if len(others) == 1 else 'are'} not detectably worse (paired, "
                     "95%)" + (f": {'; '.join(spans)} all do about as well." if spans else "."))
    else:
        lines.append("Every other finalist is detectably worse (paired, 95%).")
    today = [f for f in out.finalists if f.is_reference]
    if today and out.vs_reference is not None:
        v = out.vs_reference
        lines.append(f"Against today's plan ({plan_text(today[0].plan)}): "
                     f"{fmt(v.expected, kind, signed=True)} expected {p.objective} (95% CI "
                     f"{_ci(v.ci_low, v.ci_high, kind, True)}).")
        if result.spec.assumptions and any(result.spec.draws):
            lines.append(f"Over {len(result.spec.draws)} plausible worlds it beats today's plan "
                         f"in {_pct(v.probability_better)} of them; the gain lies between "
                         f"{_ci(v.interval_low, v.interval_high, kind, True)} in "
                         f"{_pct(v.level)} of them; {_pct(v.share_assumptions)} of its spread "
                         "is the assumptions, the rest luck.")
    elif today and today[0] is best:
        lines.append("Today's plan is the best plan found.")
    return lines


def lever_text(result: LeverResult) -> str:
    """The text summary of ``optimize`` with several levers, a budget or a risk."""
    spec, out, p = result.spec, result.outcome, result.spec.problem
    kind = describe(p.objective).kind
    draws = len(spec.draws) if any(spec.draws) else 0
    sample = (f"{_plural(draws, 'assumption draw')} x {_plural(spec.replications, 'replication')}"
              if draws else _plural(spec.replications, "replication"))
    simulated = sum(c.samples is not None for c in out.candidates)
    over = sum(not c.feasible_budget for c in out.candidates)
    lines = [
        f"Optimise {_plural(len(p.levers), 'lever')} of '{spec.base.name}' for the "
        f"{p.risk.describe(p.objective, p.goal)}: "
        f"{fmt_horizon(spec.base.horizon_days, with_days=True)}, seed {p.seed}.",
        "Levers: " + "; ".join(f"{lv.key} {fmt_param(lv.low)} to {fmt_param(lv.high)}"
                                f"{' (whole)' if lv.integer else ''}" for lv in p.levers) + ".",
        f"Search: Optuna TPE, {p.trials} trials in batches of {p.batch} ({simulated} simulated"
        f"{f', {over} over the budget and not simulated' if over else ''}), {sample} each, "
        f"common random numbers; the {p.top} best and today's plan again with "
        f"{_plural(spec.final_replications, 'replication')}{' per draw' if draws else ''}.",
        "",
    ]
    lines += lever_sentences(result)
    lines += ["", "Finalists (best first)"]
    metric_w = 14
    for i, f in enumerate(out.finalists):
        mark = "  <- best" if i == out.best else ("  ~ not detectably worse" if f.not_worse
                                                 else "")
        mark += "  (today)" if f.is_reference else ""
        if p.budget is not None and not p.budget.met(f.plan):
            mark += " over the budget"
        extra = f"  target {_pct(f.reached)}" if p.target is not None else ""
        value = _pct(f.value) if p.risk.kind == "prob" else fmt(f.value, kind)
        lines.append(f"  {plan_text(f.plan)}")
        lines.append(f"      {value:>{metric_w}}  95% CI "
                     f"{_ci(f.ci_low, f.ci_high, 'percent' if p.risk.kind == 'prob' else kind):<28}"
                     f"{extra}{mark}")
    front = out.pareto()
    if front:
        lines += ["", f"Trade-off (Pareto front of the plans tried; means of the search's "
                  f"{_plural(spec.replications, 'replication')}): first-year bookings against "
                  f"{p.objective} over the whole horizon"]
        for i in front[:8]:
            c = out.candidates[i]
            lines.append(f"  {fmt(c.metric_mean(FIRST_YEAR), 'money'):>10}  "
                         f"{fmt(c.metric_mean(p.objective), kind):>10}   {plan_text(c.plan)}")
    return "\n".join(lines)


def decision_text(result: DecisionResult) -> str:
    """The text summary of any decision result."""
    if isinstance(result, UncertainCompareResult):
        return uncertain_compare_text(result)
    if isinstance(result, SensitivityResult):
        return sensitivity_text(result)
    return lever_text(result)


__all__: Sequence[str] = ("decision_sentences", "decision_text", "flip_sentences",
                          "lever_sentences", "lever_text", "plan_text", "sensitivity_text",
                          "uncertain_compare_text")
