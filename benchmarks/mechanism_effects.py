"""Each mechanism of issue 12, measured in its scenario file against its neutral counterpart.

For every mechanism (the alignment diagnostic, customer data, hand-raisers,
sales content and the feedback loop, one leader vs two heads, sales capacity
over time) the scenario file is paired with its neutral counterpart: the
same file with the mechanism at its neutral setting (docs/MODEL.md), asked
the plain way a user asks it (``--set`` overrides through
``load_scenario(path, overrides)``, as ``benchmarks/headline_effects.py``
does), or the file it ``extends``. Both run the same seed and replication
indices (common random numbers); the table gives the paired difference of
three-year revenue (% and absolute), contribution and median lead-to-close
cycle, each with its 95 % confidence interval
(:func:`sim.experiments.statistics.paired_difference`), and the source or
range each was checked against.

A second table decomposes the ``shared_revenue`` sales plan against the
baseline's ``revenue_commission``: the plan with one of its changed fields
put back to the commission's value, and the baseline with only that field
changed, each paired with the baseline.

Usage::

    python benchmarks/mechanism_effects.py [--replications 10] [--workers 2]
        [--no-decomposition]

Run from the repository's top folder: it imports ``sim`` from there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Overrides = tuple[tuple[str, Any], ...]

# An example company for the diagnostic, answered as a team might: rules and an SLA
# in place, little feedback, joint planning or rotation (diagnosed "defined").
DEFINED_COMPANY: Mapping[str, int] = {
    "shared_definitions": 3, "sla": 4, "feedback": 2, "joint_planning": 2,
    "shared_metrics": 2, "rotation": 1, "content": 2, "data": 2,
}
# A second one further along: shared planning and content, some data (diagnosed "aligned").
ALIGNED_COMPANY: Mapping[str, int] = {
    "shared_definitions": 4, "sla": 4, "feedback": 3, "joint_planning": 4,
    "shared_metrics": 3, "rotation": 3, "content": 4, "data": 3,
}

# The metrics of the table; the decomposition also shows what moves them.
METRICS = ("revenue", "contribution", "cycle_days_median")
DRIVERS = ("follow_up_rate", "opportunities", "deals_won", "win_rate", "mean_deal_value",
           "rep_utilization", "rep_wait_days_mean")


@dataclass(frozen=True)
class Arm:
    """A scenario file with ``--set`` overrides, as a user asks for it."""

    path: Path
    overrides: Overrides = ()

    def label(self) -> str:
        """The file name and its overrides, as on a command line."""
        sets = " ".join(f"`{k}={_plain(v)}`" for k, v in self.overrides)
        return f"`{self.path.name}`" + (f" {sets}" if sets else "")


@dataclass(frozen=True)
class Row:
    """One mechanism's comparison: ``scenario - reference`` and what it is checked against."""

    mechanism: str
    scenario: Arm
    reference: Arm
    checked_against: str
    note: str = field(default="")


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple) and not value:
        return "[]"
    return str(value)


def _reference_text(figure: str) -> str:
    """A calibration row of ``sim.studies.published``: its accepted range and source."""
    from sim.studies.published import REFERENCES

    ref = next(r for r in REFERENCES if r.figure == figure)
    return f"{figure} {ref.low:+.0%} to {ref.high:+.0%} ({ref.source})"


def _diagnosed(answers: Mapping[str, int], baseline: Path, out: Path) -> tuple[Path, str]:
    """Write the scenario file the diagnostic writes for ``answers``; return it and its stage."""
    from sim.scenario.diagnostic import diagnose, scenario_text

    diagnosis = diagnose(answers)
    out.write_text(scenario_text(diagnosis, str(baseline.resolve()), out.stem), encoding="utf-8")
    return out, diagnosis.stage


def mechanism_rows(folder: Path, scratch: Path) -> list[Row]:
    """The comparisons of the table, one or more per mechanism."""
    f = folder.__truediv__
    base = Arm(f("baseline.yaml"))
    stage_up = _reference_text("three-year revenue, defined -> integrated")
    stage_first = _reference_text("three-year revenue, undefined -> defined")
    defined_file, defined_stage = _diagnosed(DEFINED_COMPANY, f("baseline.yaml"),
                                             scratch / "diagnosed-defined.yaml")
    aligned_file, aligned_stage = _diagnosed(ALIGNED_COMPANY, f("baseline.yaml"),
                                             scratch / "diagnosed-aligned.yaml")
    collateral = f("collateral.yaml")
    integrated = (("alignment.stage", "integrated"),)
    feedback = (("incentives.sales.feedback_rate", 0.6),)
    two_heads, one_leader = f("leadership-two-heads.yaml"), f("leadership-one-leader.yaml")
    no_leadership = (("alignment.leadership.mode", "none"),)
    attrition = (("sales.staffing.attrition_annual", 0.3),)
    all_along = (("start", "steady_state"),)
    return [
        Row("alignment diagnostic", Arm(defined_file), base,
            f"stage found: {defined_stage} (the baseline's); one stage step is "
            f"{stage_first}; {stage_up}: a firm at the baseline's stage moves less than a step",
            note=", ".join(f"{k} {v}" for k, v in DEFINED_COMPANY.items())),
        Row("alignment diagnostic", Arm(aligned_file), base,
            f"stage found: {aligned_stage}: between defined (0) and integrated ({stage_up}); "
            "`alignment-aligned.yaml` +17% (library table)",
            note=", ".join(f"{k} {v}" for k, v in ALIGNED_COMPANY.items())),
        Row("customer data collection", Arm(f("customer-data.yaml")),
            Arm(f("customer-data.yaml"), (("sales.data_capture.capture_rate", 0.0),)),
            "no published size: assumption ranges (capture_rate 0.3-0.8, days_per_record "
            "0.1-0.5, promotion_quality_gain 0.05-0.3, scoring_noise_reduction 0.1-0.5; "
            "docs/MODEL.md); direction: 90-day bookings not higher, three-year higher"),
        Row("hand-raisers", Arm(f("hand-raisers.yaml")),
            Arm(f("hand-raisers.yaml"), (("leads.hand_raisers.per_day", 0.0),)),
            "response decay of web inquiries: Oldroyd et al., HBR 2011 (~7x within 1 h vs "
            "1-2 h, >60x vs >= 24 h; calibration rows); rate 0.5-3 a day and quality mean "
            "0.55-0.8 are assumptions"),
        Row("collateral / content", Arm(collateral),
            Arm(collateral, (("marketing.content.budget_share", 0.0),)),
            "60-70% of content unused by sales (SiriusDecisions, commonly cited: "
            "base_relevance 0.35); win_odds_lift 0.1-0.5 and budget share 0.05-0.15 are "
            "assumptions"),
        Row("feedback loop (with content)", Arm(collateral, integrated + feedback),
            Arm(collateral, integrated),
            "a single lever: a fraction of a whole stage (" + stage_up + "); docs/MODEL.md "
            "measured +1.4% (+0.3% to +2.6%), 10 replications",
            note="feedback_rate 0.1 -> 0.6 at integrated"),
        Row("feedback loop (no content)", Arm(f("baseline.yaml"), integrated + feedback),
            Arm(f("baseline.yaml"), integrated),
            "issue 12 before the content mechanism: +1.6%, CI includes 0 (scoring noise "
            "only, learnt during the warm-up)",
            note="feedback_rate 0.1 -> 0.6 at integrated"),
        Row("feedback loop (lever only)", Arm(f("alignment-feedback-loop-only.yaml")),
            Arm(f("alignment-undefined.yaml")),
            "library table: +1.2% (-0.7% to +3.1%), 6 replications"),
        Row("two heads", Arm(two_heads), Arm(two_heads, no_leadership),
            "target 46% brand (Binet & Field, B2B reference split); lag 90-365 d, step "
            "0.25-0.75, friction 0.05-0.2 are assumptions"),
        Row("one leader vs two heads", Arm(one_leader), Arm(two_heads),
            "docs/MODEL.md: revenue +1.0% (-2.0% to +3.9%), contribution -2.9%, 6 "
            "replications; lag 14-60 d, role 200-500 k a year are assumptions"),
        Row("one leader", Arm(one_leader), Arm(one_leader, no_leadership),
            "as above: brand pays over years (Binet & Field), the role costs 300 k a year"),
        # no hire: an empty timeline (a tuple, so that the arm stays hashable)
        Row("sales capacity: hire 4 in Q3", Arm(f("sales-hire-q3.yaml")),
            Arm(f("sales-hire-q3.yaml"), (("timeline", ()),)),
            "sales cost ~10% of revenue (Chung, Steenburgh & Sudhir 2014); hiring lag "
            "30-120 d, ramp 90-270 d are assumptions; docs/MODEL.md: +6.2%, 20 replications"),
        Row("brand +400 k (the hires' money)", Arm(f("budget-brand-plus-400k.yaml")), base,
            "brand pays over years (Binet & Field); docs/MODEL.md: +4.7%, 20 replications"),
        Row("hire 4 vs brand +400 k", Arm(f("sales-hire-q3.yaml")),
            Arm(f("budget-brand-plus-400k.yaml")),
            "docs/MODEL.md: +1.5% (+0.16 M to +1.12 M of revenue), 20 replications"),
        Row("attrition 30%/yr from day 0", Arm(f("baseline.yaml"), attrition), base,
            "20-35% a year commonly reported for B2B reps (assumption); docs/MODEL.md "
            "(from the warm-up on, 10 replications): -4.9%"),
        Row("attrition 30%/yr all along", Arm(f("baseline.yaml"), all_along + attrition),
            Arm(f("baseline.yaml"), all_along),
            "docs/MODEL.md (from the warm-up on, 10 replications): -4.9% "
            "(-2.97 M to -1.21 M)"),
    ]


def decomposition_rows(folder: Path) -> list[Row]:
    """``shared_revenue`` vs the baseline, and each of its changed fields alone and left out.

    The fields are those where the ``shared_revenue`` preset differs from the
    baseline's plan (read from ``sim.scenario.presets.SALES_PLANS``).
    """
    from sim.scenario.presets import SALES_PLANS

    baseline = folder / "baseline.yaml"
    base = Arm(baseline)
    plan, ref = SALES_PLANS["shared_revenue"], SALES_PLANS["revenue_commission"]
    changed = [k for k in plan if plan[k] != ref[k]]
    shared = (("incentives.sales_plan", "shared_revenue"),)
    rows = [Row("shared_revenue (every field)", Arm(baseline, shared), base, "")]
    for key in changed:
        rows.append(Row(f"all but {key} ({plan[key]:g}; kept at {ref[key]:g})",
                        Arm(baseline, (*shared, (f"incentives.sales.{key}", ref[key]))),
                        base, ""))
        rows.append(Row(f"only {key} ({ref[key]:g} -> {plan[key]:g})",
                        Arm(baseline, ((f"incentives.sales.{key}", plan[key]),)), base, ""))
    return rows


# How far a shared goal cuts neglect and cherry-picking: the plausible range the
# alignment presets give for the shared-metrics lever at the integrated stage (reps keep
# judging lead quality themselves, Sabnis et al. 2013), used to size candidate values.
SHARED_GOAL_CUTS = (0.2, 0.6)


def plan_check_rows(folder: Path) -> list[Row]:
    """``shared_revenue`` against the stage ladder's ceiling, and candidate values for it.

    Candidates (asked with ``--set``; no preset changes): neglect and
    cherry-picking of the commission plan cut by a share (the integrated
    stage's shared-metrics value, and the ends of :data:`SHARED_GOAL_CUTS`),
    follow-up and discount pressure as the commission plan's, the other fields
    the preset's.
    """
    from sim.scenario.presets import ALIGNMENT_STAGES, SALES_PLANS

    baseline = folder / "baseline.yaml"
    base = Arm(baseline)
    ref = SALES_PLANS["revenue_commission"]
    shared = (("incentives.sales_plan", "shared_revenue"),)
    integrated = (("alignment.stage", "integrated"),)

    def candidate(cut: float) -> Overrides:
        return (*shared,
                ("incentives.sales.neglect_under_load", round(ref["neglect_under_load"]
                                                              * (1 - cut), 4)),
                ("incentives.sales.cherry_pick", round(ref["cherry_pick"] * (1 - cut), 4)),
                ("incentives.sales.follow_up_rate", ref["follow_up_rate"]),
                ("incentives.sales.discount_pressure", ref["discount_pressure"]))

    stage_cut = float(ALIGNMENT_STAGES["integrated"]["shared_metrics"])
    rows = [
        Row("integrated stage alone", Arm(baseline, integrated), base, ""),
        Row("integrated + shared_revenue", Arm(baseline, (*integrated, *shared)), base, ""),
        Row("shared_revenue at integrated (vs integrated)",
            Arm(baseline, (*integrated, *shared)), Arm(baseline, integrated), ""),
    ]
    for cut in (stage_cut, *SHARED_GOAL_CUTS):
        rows.append(Row(f"candidate: cut {cut:g} of neglect and cherry-picking",
                        Arm(baseline, candidate(cut)), base, ""))
    rows += [
        Row(f"integrated + candidate {stage_cut:g}",
            Arm(baseline, (*integrated, *candidate(stage_cut))), base, ""),
        Row(f"candidate {stage_cut:g} at integrated (vs integrated)",
            Arm(baseline, (*integrated, *candidate(stage_cut))), Arm(baseline, integrated), ""),
    ]
    return rows


def run_arms(arms: Sequence[Arm], replications: int, workers: int
             ) -> dict[Arm, dict[str, list[float]]]:
    """Every arm's metrics by replication (0 .. n-1), all tasks in one pool.

    Arms that load to the same scenario are run once.
    """
    from sim.experiments.executors import Execution, Task, open_executor
    from sim.scenario.loading import load_scenario

    scenarios = {arm: load_scenario(arm.path, dict(arm.overrides)) for arm in arms}
    keys: dict[Arm, str] = {}
    unique: dict[str, Any] = {}
    for arm, scenario in scenarios.items():
        # name and description do not move a number: same plan, same run
        key = scenario.model_dump_json(exclude={"name", "description"})
        keys[arm] = unique.setdefault(key, (f"s{len(unique)}", scenario))[0]
    tasks = [Task(point, scenario, scenario.seed, r)
             for point, scenario in unique.values() for r in range(replications)]
    done = 0

    def progress(_: object) -> None:
        nonlocal done
        done += 1
        print(f"\r{done}/{len(tasks)} replications", end="", file=sys.stderr, flush=True)

    with open_executor(Execution(workers=workers).capped(len(tasks))) as executor:
        results = executor.run(tasks, progress)
    print(file=sys.stderr)
    by_point: dict[str, dict[str, list[float]]] = {}
    for res in sorted(results, key=lambda x: (x.point, x.replication)):
        point = by_point.setdefault(res.point, {})
        for name, value in res.metrics.items():
            point.setdefault(name, []).append(value)
    return {arm: by_point[keys[arm]] for arm in arms}


def _ci(d: Any, kind: str) -> str:
    """``mean (low to high)`` of a paired difference, written as its kind is read."""
    from sim.report.format import fmt

    return (f"{fmt(d.mean, kind, signed=True)} ({fmt(d.ci_low, kind, signed=True)}"
            f" to {fmt(d.ci_high, kind, signed=True)})")


def _relative(d: Any) -> str:
    """A paired difference and its CI in per cent of the reference's mean."""
    from sim.report.format import fmt_relative

    ref = abs(d.reference_mean)
    return (f"{fmt_relative(d.mean / ref)} ({fmt_relative(d.ci_low / ref)} to "
            f"{fmt_relative(d.ci_high / ref)})")


def mechanism_table(rows: Sequence[Row], runs: Mapping[Arm, Mapping[str, list[float]]]) -> str:
    """The Markdown table of the mechanisms."""
    from sim.experiments.statistics import paired_difference

    lines = ["| mechanism | scenario (vs reference) | 3-y revenue (%) | 3-y revenue | "
             "3-y contribution | median lead-to-close | checked against |",
             "|---|---|---|---|---|---|---|"]
    for row in rows:
        a, b = runs[row.reference], runs[row.scenario]
        d = {m: paired_difference(b[m], a[m]) for m in METRICS}
        what = f"{row.scenario.label()} (vs {row.reference.label()})"
        if row.note:
            what += f"; {row.note}"
        lines.append(f"| {row.mechanism} | {what} | {_relative(d['revenue'])} | "
                     f"{_ci(d['revenue'], 'money')} | {_ci(d['contribution'], 'money')} | "
                     f"{_ci(d['cycle_days_median'], 'days')} | {row.checked_against} |")
    return "\n".join(lines)


def decomposition_table(rows: Sequence[Row], runs: Mapping[Arm, Mapping[str, list[float]]]
                        ) -> str:
    """The Markdown table of the ``shared_revenue`` decomposition."""
    from sim.experiments.statistics import paired_difference

    lines = ["| change (vs baseline unless said) | 3-y revenue (%) | 3-y contribution | "
             "MQLs followed up | opportunities | deals won | win rate | mean deal value | "
             "rep utilisation | rep wait for a slot |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        a, b = runs[row.reference], runs[row.scenario]
        d = {m: paired_difference(b[m], a[m]) for m in (*METRICS, *DRIVERS)}
        lines.append(
            f"| {row.mechanism} | {_relative(d['revenue'])} | {_ci(d['contribution'], 'money')}"
            f" | {_ci(d['follow_up_rate'], 'percent')}"
            f" | {_ci(d['opportunities'], 'count')}"
            f" | {_ci(d['deals_won'], 'count')} | {_ci(d['win_rate'], 'percent')}"
            f" | {_ci(d['mean_deal_value'], 'money')}"
            f" | {_ci(d['rep_utilization'], 'percent')}"
            f" | {_ci(d['rep_wait_days_mean'], 'days')} |")
    base = runs[rows[0].reference]
    means = {m: sum(base[m]) / len(base[m]) for m in ("revenue", *DRIVERS)}
    lines.append("")
    lines.append(f"Baseline means: revenue {means['revenue'] / 1e6:.2f} M, MQLs followed up "
                 f"{means['follow_up_rate']:.1%}, opportunities "
                 f"{means['opportunities']:.0f}, deals won {means['deals_won']:.0f}, "
                 f"win rate {means['win_rate']:.1%}, rep utilisation "
                 f"{means['rep_utilization']:.1%}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the tables (Markdown)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scenarios", type=Path, default=Path("scenarios"),
                        help="the scenario library (relative to the current folder)")
    parser.add_argument("--no-decomposition", action="store_true",
                        help="leave out the shared_revenue decomposition")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path.cwd()))
    with tempfile.TemporaryDirectory(prefix="mechanism-effects-") as scratch:
        rows = mechanism_rows(args.scenarios, Path(scratch))
        parts = [] if args.no_decomposition else decomposition_rows(args.scenarios)
        checks = [] if args.no_decomposition else plan_check_rows(args.scenarios)
        arms = list(dict.fromkeys(a for r in (*rows, *parts, *checks)
                                  for a in (r.scenario, r.reference)))
        runs = run_arms(arms, args.replications, args.workers)
    print(f"Three-year horizon, {args.replications} paired replications (common random "
          "numbers), 95% confidence intervals.\n")
    print(mechanism_table(rows, runs))
    if parts:
        print("\n## The shared_revenue sales plan, field by field\n")
        print(decomposition_table(parts, runs))
        print("\n## shared_revenue against the stage ladder, and candidate values\n")
        print(decomposition_table(checks, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
