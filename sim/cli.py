"""Command-line interface: ``run``, ``validate`` and ``schema``.

Bad input (a missing file, bad YAML, an unknown key, a value out of range, a
bad option) prints one line on stderr and exits with code 2; nothing is
written. ``run.py`` at the repository root only calls :func:`main`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from sim.loading import ScenarioError, load_scenario
from sim.output import default_report_dir, result_json, write_run
from sim.runner import run_replications
from sim.scenario import Scenario
from sim.summary import summary_table

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIO = ROOT / "scenarios" / "baseline.yaml"
DEFAULT_REPORTS = ROOT / "reports"
EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes as one line instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0, got {value}")
    return value


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of days > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run.py``."""
    parser = _Parser(
        prog="run.py",
        description="Simulate B2B leads from marketing spend to won or lost deals. "
        "With no command, runs scenarios/baseline.yaml.",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write its report")
    run.add_argument("file", nargs="?", type=Path, default=DEFAULT_SCENARIO,
                     help="scenario YAML file (default: scenarios/baseline.yaml)")
    run.add_argument("--replications", "-n", type=_positive_int,
                     help="number of replications (default: the file's)")
    run.add_argument("--seed", type=_seed, help="root seed (default: the file's)")
    run.add_argument("--horizon-days", type=_days, help="simulated days (default: the file's)")
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                     help="override a key by dotted path, e.g. sales.reps=8 or "
                     "sales.stages.0.advance_probability=0.7 (repeatable)")
    run.add_argument("--out", type=Path, help="folder for the results "
                     "(default: reports/<name>-<timestamp>)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object with every metric's mean and 95%% CI")
    run.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")

    val = sub.add_parser("validate", help="check a scenario file (exit 0 if valid, 2 if not)")
    val.add_argument("file", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")

    sub.add_parser("schema", help="print the JSON Schema of scenario files")
    return parser


def _load(args: argparse.Namespace) -> Scenario:
    overrides: list[str] = list(args.sets)
    scenario = load_scenario(args.file, overrides)
    extra: dict[str, Any] = {}
    for option, key in (("replications", "replications"), ("seed", "seed"),
                        ("horizon_days", "horizon_days")):
        value = getattr(args, option, None)
        if value is not None:
            extra[key] = value
    try:
        return scenario.with_overrides(extra) if extra else scenario
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        option = "--" + str(err["loc"][0]).replace("_", "-")
        raise UsageError(
            f"{option}: expected: {err['msg'].lower()}; got {err['input']!r}"
        ) from None


def _progress(enabled: bool) -> Callable[[int, int], None] | None:
    if not enabled:
        return None
    start = time.perf_counter()

    def show(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        eta = elapsed / done * (total - done)
        width = 30
        bar = "#" * (width * done // total) + "-" * (width - width * done // total)
        end = "\n" if done == total else ""
        sys.stderr.write(f"\r[{bar}] {done}/{total} replications, "
                         f"{elapsed:.1f}s elapsed, ETA {eta:.1f}s{end}")
        sys.stderr.flush()

    return show


def cmd_run(args: argparse.Namespace) -> int:
    """Run replications, print a summary (or JSON) and write the results."""
    scenario = _load(args)
    out_dir = args.out if args.out is not None else default_report_dir(
        DEFAULT_REPORTS, scenario.name)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    started = datetime.now().astimezone()
    show = _progress(not args.quiet and sys.stderr.isatty())
    run = run_replications(scenario, progress=show)
    written = write_run(run, out_dir, started, datetime.now().astimezone())
    if args.json:
        print(json.dumps(result_json(run)))
    elif not args.quiet:
        print(summary_table(run))
    if not args.quiet:
        print(f"Results written to {written}", file=sys.stderr if args.json else sys.stdout)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a scenario; print what it is."""
    scenario = _load(args)
    print(f"{args.file}: valid scenario '{scenario.name}' ({scenario.horizon_days:g} days, "
          f"{scenario.replications} replications, {len(scenario.timeline)} timeline changes)")
    return 0


def cmd_schema(_: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files."""
    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        argv = ["run"]
    commands = {"run": cmd_run, "validate": cmd_validate, "schema": cmd_schema}
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            raise UsageError("run.py: expected a command: run, validate or schema (see --help)")
        return commands[args.command](args)
    except (ScenarioError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
