"""The command line of decisions under uncertainty: options, designs and writers.

- ``compare A.yaml B.yaml --uncertainty N [--assumptions FILE]``: the
  comparison over N assumption draws (:mod:`sim.experiments.uncertainty`);
- ``sensitivity FILE --metric M [--against OTHER.yaml] [--method sobol|morris]``:
  what would flip it (:mod:`sim.experiments.sensitivity`);
- ``optimize FILE --param KEY=LOW:HIGH --param ... [--budget TEXT] [--risk R]
  [--target METRIC>=X --probability P]``: the multi-lever optimiser
  (:mod:`sim.experiments.optimizer`); one ``--param`` with none of the new
  options keeps the one-parameter grid search.

:mod:`sim.apps.cli` owns the commands and calls the functions here. The
option definitions import the standard library only, so ``--help`` stays
fast; the rest imports its layers when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.experiments.arguments import whole_number

if TYPE_CHECKING:
    from sim.experiments.assumptions import AssumptionSet
    from sim.experiments.decisions import DecisionResult, DecisionSpec
    from sim.experiments.optimizer import LeverSpec
    from sim.experiments.sensitivity import SensitivitySpec
    from sim.experiments.uncertainty import UncertainCompareSpec
    from sim.scenario.schema import Scenario

# Options that define a decision design: with --resume they come from the stored folder.
SPEC_OPTIONS = (("uncertainty", "--uncertainty"), ("assumptions", "--assumptions"),
                ("level", "--level"), ("budget", "--budget"), ("risk", "--risk"),
                ("target", "--target"), ("probability", "--probability"),
                ("trials", "--trials"), ("batch", "--batch"), ("top", "--top"),
                ("final_replications", "--final-replications"), ("integer", "--integer"),
                ("metric", "--metric"), ("against", "--against"), ("method", "--method"),
                ("samples", "--samples"))


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}"
                                         ) from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value


def _add_uncertainty(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--uncertainty", type=whole_number(2), metavar="N",
                        help=f"{what} over N draws of the uncertain assumptions (each with "
                        "--replications replications; default 4 per draw); without "
                        "--assumptions, every schema field marked as an assumption varies over "
                        "its documented range")
    parser.add_argument("--assumptions", type=Path, metavar="FILE",
                        help="a YAML file of uncertain keys and their distributions (uniform, "
                        "triangular, normal, lognormal, beta) and optional calibration draws")


def add_compare_options(parser: argparse.ArgumentParser) -> None:
    """``--uncertainty``, ``--assumptions`` and ``--level`` of ``compare``."""
    _add_uncertainty(parser, "compare")
    parser.add_argument("--level", type=_share, metavar="L",
                        help="with --uncertainty: the share of plausible worlds the interval "
                        "over assumptions covers (default 0.9)")


def add_optimize_options(parser: argparse.ArgumentParser) -> None:
    """The multi-lever options of ``optimize``."""
    parser.add_argument("--integer", action="append", default=[], metavar="KEY",
                        help="search whole numbers only for this --param (repeatable; "
                        "whole-number fields such as sales.reps always are)")
    parser.add_argument("--budget", metavar="TEXT",
                        help="a linear constraint across the levers, e.g. "
                        "\"marketing.annual_budget + sales.reps*100000 <= 3000000\"")
    parser.add_argument("--risk", metavar="R",
                        help="how a plan's spread is scored: mean (default), quantile:0.1, "
                        "cvar:0.1 or prob:TARGET")
    parser.add_argument("--target", metavar="METRIC>=X",
                        help="reverse planner: the plan must reach this (e.g. revenue>=60M) "
                        "with --probability; use with --objective cost for the cheapest plan")
    parser.add_argument("--probability", type=_share, metavar="P",
                        help="with --target: the least chance of reaching it (e.g. 0.8)")
    parser.add_argument("--trials", type=whole_number(2), metavar="N",
                        help="plans the search tries (default 48)")
    parser.add_argument("--batch", type=whole_number(1), metavar="N",
                        help="plans tried at a time, in parallel (default 4; the plans do "
                        "not depend on --workers)")
    parser.add_argument("--top", type=whole_number(1), metavar="N",
                        help="best plans evaluated again with more replications (default 5)")
    parser.add_argument("--final-replications", type=whole_number(1), metavar="N",
                        help="replications of the best plans (default 4 x --replications, "
                        "which is 4 per plan here unless given)")
    _add_uncertainty(parser, "evaluate every plan")


def add_sensitivity_parser(sub: Any, add_common: Callable[[argparse.ArgumentParser, str], None]
                           ) -> argparse.ArgumentParser:
    """The ``sensitivity`` command's parser."""
    sen: argparse.ArgumentParser = sub.add_parser(
        "sensitivity", help="which assumptions move a result, and which would flip a decision",
        description="Global sensitivity (Sobol indices, or Morris screening when there are many "
        "assumptions), a tornado of one assumption at a time, and the values at which a "
        "difference between two scenarios flips sign. Every point runs the same replications "
        "(--replications, default 2 here).")
    sen.add_argument("file", nargs="?", type=Path, help="the scenario file")
    sen.add_argument("--metric", metavar="METRIC", help="the result, e.g. contribution")
    sen.add_argument("--against", type=Path, metavar="OTHER",
                     help="the result is FILE minus OTHER (OTHER is the reference)")
    sen.add_argument("--method", choices=("sobol", "morris"),
                     help="sobol (default up to 12 assumptions) or morris")
    sen.add_argument("--samples", type=whole_number(2), metavar="N",
                     help="Sobol base samples, a power of two (default 32), or Morris "
                     "trajectories (default 10)")
    sen.add_argument("--assumptions", type=Path, metavar="FILE",
                     help="a YAML file of uncertain keys and their distributions (default: "
                     "every schema field marked as an assumption, over its documented range)")
    add_common(sen, "point")
    return sen


def wants_levers(args: argparse.Namespace) -> bool:
    """Whether ``optimize`` asks for the multi-lever optimiser."""
    return (len(args.param) > 1 or any(getattr(args, name, None) for name in (
        "budget", "risk", "target", "probability", "trials", "batch", "top",
        "final_replications", "uncertainty", "assumptions", "integer")))


def _refuse(args: argparse.Namespace, command: str, names: Mapping[str, str]) -> None:
    from sim.experiments.designs import ExperimentError

    for attribute, option in names.items():
        if getattr(args, attribute, None) not in (None, [], False):
            raise ExperimentError(f"{command}: {option} does not apply here")


def _assumptions(args: argparse.Namespace, base: Scenario) -> AssumptionSet | None:
    from sim.experiments.assumptions import load_assumptions

    return None if args.assumptions is None else load_assumptions(args.assumptions, base)


def compare_spec(args: argparse.Namespace, scenarios: list[Scenario]) -> UncertainCompareSpec:
    """The comparison under uncertainty that ``compare --uncertainty`` asks for."""
    from sim.experiments.designs import ExperimentError
    from sim.experiments.uncertainty import UncertainCompareSpec

    _refuse(args, "compare --uncertainty", {"precision": "--precision",
                                            "max_replications": "--max-replications"})
    if args.uncertainty is None:
        raise ExperimentError("--assumptions: give the number of draws with --uncertainty N")
    return UncertainCompareSpec.build(
        scenarios, [str(f) for f in args.files], draws=args.uncertainty,
        assumptions=_assumptions(args, scenarios[0]), replications=args.replications,
        objective=args.objective or "contribution", level=args.level or 0.9)


def lever_spec(args: argparse.Namespace, base: Scenario) -> LeverSpec:
    """The multi-lever optimisation that ``optimize`` asks for."""
    from sim.experiments.budget import parse_budget
    from sim.experiments.designs import ExperimentError
    from sim.experiments.optimizer import LeverSpec, Risk, Target, parse_levers

    _refuse(args, "optimize with several levers", {
        "precision": "--precision", "max_replications": "--max-replications",
        "points": "--points", "refinements": "--refinements"})
    if (args.target is None) != (args.probability is None):
        raise ExperimentError("--target and --probability go together, e.g. --target "
                              "\"revenue>=60M\" --probability 0.8")
    if args.assumptions is not None and args.uncertainty is None:
        raise ExperimentError("--assumptions: give the number of draws with --uncertainty N")
    levers = parse_levers(base, args.param, args.integer)
    target = None if args.target is None else Target.parse(args.target, args.probability)
    return LeverSpec.build(
        base, levers, args.objective, goal=args.goal,
        risk=None if args.risk is None else Risk.parse(args.risk),
        budget=None if args.budget is None else parse_budget(args.budget), target=target,
        file=str(args.file), replications=args.replications,
        final_replications=args.final_replications, trials=args.trials, batch=args.batch,
        top=args.top, assumptions=_assumptions(args, base), draws=args.uncertainty or 0)


def sensitivity_spec(args: argparse.Namespace, base: Scenario, against: Scenario | None
                     ) -> SensitivitySpec:
    """The sensitivity analysis that ``sensitivity`` asks for."""
    from sim.experiments.sensitivity import SensitivitySpec
    from sim.experiments.uncertainty import shared_defaults

    _refuse(args, "sensitivity", {"precision": "--precision",
                                  "max_replications": "--max-replications"})
    files = [str(args.file)] + ([str(args.against)] if args.against is not None else [])
    assumptions = _assumptions(args, base)
    left_out: tuple[str, ...] = ()
    if assumptions is None:
        pair = [base] if against is None else [against, base]
        assumptions, left_out = shared_defaults(pair)
    return SensitivitySpec.build(
        base, args.metric, against=against, files=files, method=args.method,
        samples=args.samples, replications=args.replications, assumptions=assumptions,
        left_out=left_out)


def is_decision(spec: object) -> bool:
    """Whether a design is a decision under uncertainty (imports its layer on first use)."""
    from sim.experiments.decisions import is_decision as check

    return check(spec)


def spec_from_json(data: Mapping[str, Any]) -> DecisionSpec | None:
    """A decision design stored in ``experiment.json``; ``None`` for any other design."""
    from sim.experiments.decisions import decision_from_json, is_decision_json

    return decision_from_json(data) if is_decision_json(data) else None


Steps = tuple[Callable[..., "DecisionResult"], Callable[..., str], Callable[..., Path]]


def steps() -> Steps:
    """How a decision runs, reads as text and is drawn as HTML."""
    from sim.experiments.decisions import run_decision
    from sim.report.uncertainty_report import write_decision_report
    from sim.report.uncertainty_text import decision_text

    return run_decision, decision_text, write_decision_report
