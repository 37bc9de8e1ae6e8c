"""Command-line interface: run, compare, sweep, optimize, calibrate, validate, schema, workshop.

Bad input (a missing file, bad YAML, an unknown key, a value out of range, a
bad option, an ``--out`` that is not the tool's) prints one line on stderr and
exits with code 2; nothing is written. A failing disk or file system is one
line too (exit 1); Ctrl-C and SIGTERM are one line (exit 130, 143). Names and
keys people typed reach the terminal with their control characters escaped
(:mod:`sim.apps.terminal`). ``run.py`` at the repository root and the
``leadflow`` console script only call :func:`main`.

Start-up is kept short: this module and the argument parser import the
standard library only (and two small modules that do the same: signals and
terminal text). Each command imports the layers it needs (NumPy,
SimPy, pandas, Matplotlib, Dask...) when it runs, so ``--help`` and
``validate`` answer in a fraction of a second.
"""

from __future__ import annotations

import argparse
import functools
import gc
import importlib.util
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

# Standard library only, like this module: how a stop and the terminal are handled
# must be in place before anything can be interrupted.
from sim.apps.signals import exit_code, terminate_as_interrupt
from sim.apps.terminal import plain
from sim.experiments.arguments import whole_number

if TYPE_CHECKING:
    from tqdm import tqdm

    from sim.experiments.decisions import DecisionSpec
    from sim.experiments.designs import Spec, Stopping
    from sim.experiments.executors import Execution
    from sim.experiments.store import ExperimentStore
    from sim.report.drawer import Drawer
    from sim.scenario.schema import Scenario

EXIT_BAD_INPUT = 2
EXIT_SYSTEM_ERROR = 1  # a full disk, a file system that refuses a write: one line too
# Error classes whose message is a complete one-line answer to bad input, by module:
# checked only once something failed, and only in modules already imported (an error
# class whose module was never imported cannot have been raised).
_BAD_INPUT_ERRORS = (
    ("sim.scenario.errors", "ScenarioError"),
    ("sim.experiments.designs", "ExperimentError"),
    ("sim.experiments.store", "StoreError"),
    ("sim.experiments.executors", "ExecutorError"),
    ("sim.experiments.folders", "FolderError"),
    ("sim.experiments.safe_output", "UnsafePathError"),
    ("sim.apps.workshop.launch", "LaunchError"),
    ("sim.apps.limits", "WorkersError"),
)


def program() -> str:
    """The command's name in messages: ``leadflow`` (the console script) or ``run.py``."""
    return "leadflow" if Path(sys.argv[0]).name == "leadflow" else "run.py"


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _DeferredDefaults(argparse.HelpFormatter):
    """Fills ``{name}`` fields of option help from :func:`_help_defaults` when help is shown.

    The defaults live in the experiment modules, whose imports are heavy: they are
    read only when someone asks for a command's options, not on every start.
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        return text.format_map(_help_defaults()) if text and "{" in text else text


@functools.cache
def _help_defaults() -> dict[str, object]:
    from sim.experiments.designs import OptimizeSpec, Stopping
    from sim.experiments.executors import available_cores

    return {"cores": available_cores(), "objective": Stopping.objective,
            "max_replications": Stopping.max_replications,
            "points": OptimizeSpec.points_per_round, "refinements": OptimizeSpec.refinements}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage mistakes as one line instead of exiting."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _DeferredDefaults)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


_positive_int = whole_number(1)
_seed = whole_number(0, "a seed")


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of days, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of days > 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``run.py`` and ``leadflow``."""
    parser = _Parser(
        prog=program(),
        description="Simulate B2B leads from marketing spend to won or lost deals. "
        "With no command, runs the baseline scenario (scenarios/baseline.yaml, "
        "shipped with the package).",
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    run = sub.add_parser("run", help="run a scenario and write its report")
    run.add_argument("file", nargs="?", type=Path,
                     help="scenario YAML file (default: the shipped "
                     "scenarios/baseline.yaml)")
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
    run.add_argument("--export-crm", type=Path, metavar="DIR",
                     help="also write replication 0 as a CRM export (leads, opportunities, "
                     "stage history, spend CSV files) into DIR, a new or empty folder; "
                     "turns on per-lead records (record_leads)")
    run.add_argument("--svg", action="store_true",
                     help="also write the report's figures as SVG (PNG only by default)")
    run.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    _add_execution_options(run)
    _add_experiment_parsers(sub)

    # Listed here for --help only: main() hands everything after the word to
    # sim.calibration's own parser, which owns the command's options and its --help.
    sub.add_parser("calibrate", add_help=False,
                   help="fit a scenario to a company's CRM export")

    val = sub.add_parser("validate", help="check a scenario file (exit 0 if valid, 2 if not)")
    val.add_argument("file", type=Path)
    val.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")

    sub.add_parser("schema", help="print the JSON Schema of scenario files")

    dia = sub.add_parser("diagnose", help="answer the alignment questionnaire and write a "
                         "scenario file of your company (asks in the terminal without a file)")
    dia.add_argument("answers", type=Path, nargs="?", default=None,
                     help="YAML file of answers, statement: score 1-5 (default: ask)")
    dia.add_argument("--out", type=Path, default=Path("my-company.yaml"),
                     help="scenario file to write (default my-company.yaml)")

    wks = sub.add_parser("workshop", help="start the workshop app for trainers (a web page)")
    wks.add_argument("--host", default="127.0.0.1",
                     help="address to listen on (default 127.0.0.1: this machine only; "
                     "0.0.0.0 shares it on the room's network)")
    wks.add_argument("--port", type=_port, default=8501, help="port (default 8501)")
    return parser


def _load(args: argparse.Namespace, file: Path | None = None) -> Scenario:
    from pydantic import ValidationError

    from sim.scenario.loading import load_scenario

    overrides: list[str] = list(args.sets)
    path = args.file if file is None else file
    scenario = _described(load_scenario(path, overrides), path, overrides)
    extra: dict[str, Any] = {}
    for option, key in (("replications", "replications"), ("seed", "seed"),
                        ("horizon_days", "horizon_days")):
        value = getattr(args, option, None)
        if value is not None:
            extra[key] = value
    try:
        scenario = scenario.with_overrides(extra) if extra else scenario
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        option = "--" + str(err["loc"][0]).replace("_", "-")
        raise UsageError(
            f"{option}: expected: {err['msg'].lower()}; got {err['input']!r}"
        ) from None
    if extra:
        from sim.apps.limits import check_options

        check_options(scenario, path, quiet=getattr(args, "quiet", False))
    return scenario


def _described(scenario: Scenario, path: Path, overrides: Sequence[str]) -> Scenario:
    """The scenario with a description that says what ``--set`` changed.

    The file's description speaks of the file ("8 reps, ..."); a run with
    ``--set sales.reps=6`` is another scenario, and its reports and written
    ``scenario.yaml`` must not call it by the file's words alone.
    """
    if not overrides:
        return scenario
    before = " ".join(scenario.description.split()).rstrip(".")
    text = f"{Path(path).name} with --set {', '.join(overrides)}"
    if before:
        text += f" (the file, before these changes: {before})"
    return scenario.model_copy(update={"description": text + "."})


class _ProgressBar:
    """A tqdm bar with an ETA on stderr, fed with (done, total) replications.

    It shows only once a run has lasted two seconds, starts from the
    replications already done (a resumed experiment), follows a total that
    grows (sequential stopping), and clears itself when the work is done.
    """

    def __init__(self, delay_seconds: float = 2.0) -> None:
        self.delay_seconds = delay_seconds
        self._bar: tqdm[Any] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if done < total:
                from tqdm import tqdm

                class Bar(tqdm):  # type: ignore[type-arg]
                    # No monitor thread (which outlives the bar): a process running one
                    # thread may fork, as drawing the report on idle cores does.
                    monitor_interval = 0

                self._bar = Bar(total=total, initial=done, unit="replication",
                                delay=self.delay_seconds, file=sys.stderr,
                                dynamic_ncols=True, leave=False)
            return
        self._bar.total = total
        self._bar.update(done - self._bar.n)
        if done >= total:
            self.close()

    def close(self) -> None:
        """Remove the bar (it is created again if more work is reported)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _progress(enabled: bool) -> _ProgressBar | None:
    return _ProgressBar() if enabled else None


def _close_progress(show: _ProgressBar | None) -> None:
    if show is not None:
        show.close()


def default_reports() -> Path:
    """Where results go when ``--out`` is not given: ``reports/`` in the current folder."""
    return Path("reports")


def cmd_run(args: argparse.Namespace) -> int:
    """Run replications, print a summary (or JSON) and write the results."""
    # Forked before the heavy imports: it loads matplotlib and draws the report's
    # figures on another core while this process loads the model and runs.
    from sim.report.drawer import early_drawer

    with early_drawer() as drawer:
        return _run_and_write(args, drawer)


def _run_and_write(args: argparse.Namespace, drawer: Drawer | None) -> int:
    """The ``run`` command, its report's figures sent to ``drawer`` if there is one."""
    # The libraries loaded here live as long as the command: the garbage collector
    # need not look at them, while they load or after (the run, the report and the
    # exit are faster). Only when the command is the process: a program calling
    # main() keeps its own objects collectable.
    collecting = gc.isenabled()
    if args.whole_process:
        gc.disable()
    try:
        from sim.apps.run_folder import default_report_dir, result_json, write_run
        from sim.experiments.runner import run_replications
        from sim.experiments.safe_output import dumps
        from sim.report.files import REPORT
        from sim.report.text import summary_table
    finally:
        if args.whole_process:
            gc.freeze()
            if collecting:
                gc.enable()

    if args.file is None:  # the baseline shipped with the package, wherever this runs
        from sim.scenario.library import DEFAULT_SCENARIO, packaged_path

        with packaged_path(DEFAULT_SCENARIO) as default:
            scenario = _load(args, default)
    else:
        scenario = _load(args)
    out_dir = args.out if args.out is not None else default_report_dir(
        default_reports(), scenario.name)
    _prepare_out(out_dir)
    if args.export_crm is not None:
        _check_export_folder(args.export_crm, out_dir)
        # The export is drawn from per-lead records; keeping them changes no number.
        scenario = scenario.with_overrides({"record_leads": True})
    execution = _execution(args).capped(scenario.replications)
    started = datetime.now().astimezone()
    show = _progress(not args.quiet and sys.stdout.isatty() and sys.stderr.isatty())
    try:
        run = run_replications(scenario, progress=show, execution=execution)
    finally:
        _close_progress(show)
    written = write_run(run, out_dir, started, datetime.now().astimezone(), svg=args.svg,
                        drawer=drawer)
    if args.export_crm is not None:
        from sim.calibration import export_crm

        export_crm(run, args.export_crm, replication=0)
    if args.json:
        print(dumps(result_json(run)))
    elif not args.quiet:
        print(plain(summary_table(run)))
    if not args.quiet:
        stream = sys.stderr if args.json else sys.stdout
        print(plain(f"Results written to {written}"), file=stream)
        print(plain(f"Report: {written / REPORT}"), file=stream)
        if args.export_crm is not None:
            print(f"CRM export of replication 0 written to {args.export_crm}", file=stream)
    return 0


def _check_export_folder(folder: Path, out_dir: Path) -> None:
    """Refuse an ``--export-crm`` folder that holds anything, before any work is done."""
    if folder.exists() and not (folder.is_dir() and not any(folder.iterdir())):
        raise UsageError(f"--export-crm {folder}: exists and is not an empty folder; "
                         "choose a new folder")
    if folder.resolve() == out_dir.resolve():
        raise UsageError(f"--export-crm {folder}: the same folder as --out; choose another")


def cmd_calibrate(argv: Sequence[str]) -> int:
    """Fit a scenario to a CRM export: ``sim.calibration``'s command, with its own options."""
    from sim.calibration import main_calibrate  # pandas, SciPy and the model: only for this

    return main_calibrate(argv)


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a scenario; print what it is."""
    scenario = _load(args)
    print(plain(f"{args.file}: valid scenario '{scenario.name}' ({scenario.horizon_days:g} "
                f"days, {scenario.replications} replications, {len(scenario.timeline)} "
                "timeline changes)", one_line=True))
    return 0


def cmd_diagnose(args: argparse.Namespace) -> int:
    """The alignment diagnostic (:mod:`sim.apps.diagnose_cli`)."""
    from sim.apps.diagnose_cli import cmd_diagnose as diagnose

    return diagnose(args)


def cmd_schema(_: argparse.Namespace) -> int:
    """Print the JSON Schema of scenario files."""
    from sim.scenario.schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2))
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {value}")
    return value


def cmd_workshop(args: argparse.Namespace) -> int:
    """Serve the workshop app (Streamlit) until Ctrl-C; see sim/apps/workshop."""
    if importlib.util.find_spec("streamlit") is None:
        raise UsageError("workshop: Streamlit is not installed; install the extra: "
                         "pip install 'leadflow-sim[workshop]'")
    from sim.apps.workshop.launch import run  # the app's dependencies load only for this command

    return run(args.host, args.port)


# --- experiments: compare, sweep, optimize ----------------------------------------------

# Options that define an experiment: with --resume they come from the stored folder.
_SPEC_OPTIONS = (("files", "scenario files"), ("file", "a scenario file"), ("sets", "--set"),
                 ("vary", "--vary"), ("param", "--param"), ("objective", "--objective"),
                 ("goal", "--goal"), ("points", "--points"), ("refinements", "--refinements"),
                 ("replications", "--replications"), ("seed", "--seed"),
                 ("horizon_days", "--horizon-days"), ("precision", "--precision"),
                 ("max_replications", "--max-replications"), ("out", "--out"))


def _precision(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a relative precision such as 0.02, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a relative precision > 0, got {text}")
    return value


def _add_execution_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", "-j", type=_positive_int, metavar="N",
                        help="worker processes (default: the idle ones of the {cores} cores "
                        "here, and one while the replications are too short to repay a "
                        "pool); the numbers do not depend on it")
    parser.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local processes (default) or a Dask distributed cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="address of a running Dask scheduler, e.g. tcp://host:8786 "
                        "(with --executor dask; without it a local cluster is started)")


def _add_experiment_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--replications", "-n", type=_positive_int, metavar="N",
                        help=f"replications per {what} (default: the first file's)")
    parser.add_argument("--seed", type=_seed, metavar="S",
                        help=f"root seed, common to every {what} (default: the first file's)")
    parser.add_argument("--horizon-days", type=_days, metavar="D",
                        help="simulated days (default: the file's)")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="override a key by dotted path in every scenario (repeatable)")
    parser.add_argument("--precision", type=_precision, metavar="REL",
                        help="sequential stopping: add replications until the 95%% CI "
                        "half-width of the objective is within REL of its mean (0.02 is 2%%) "
                        f"at every {what}")
    parser.add_argument("--max-replications", type=_positive_int, metavar="N",
                        help="most replications --precision may reach "
                        "(default: {max_replications})")
    parser.add_argument("--out", type=Path, metavar="DIR", help="folder for the results "
                        "(default: reports/<command>-<name>-<timestamp>)")
    parser.add_argument("--resume", type=Path, metavar="DIR",
                        help="finish an interrupted experiment in DIR, reusing its finished "
                        "replications (its settings come from DIR)")
    parser.add_argument("--allow-version-change", action="store_true",
                        help="with --resume: add to a folder written by another version or "
                        "git revision of the tool (refused without it)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object with the same numbers as the tables")
    parser.add_argument("--svg", action="store_true",
                        help="also write the report's figures as SVG (PNG only by default)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    _add_execution_options(parser)


def _add_experiment_parsers(sub: Any) -> None:
    cmp = sub.add_parser(
        "compare", help="compare scenarios with common random numbers and paired differences",
        description="Run every scenario with the same seed and replications (common random "
        "numbers) and report paired differences to the first (the reference) with 95%% CIs "
        "and a verdict per metric.")
    cmp.add_argument("files", nargs="*", type=Path, metavar="FILE",
                     help="two or more scenario files; the first is the reference")
    cmp.add_argument("--objective", metavar="METRIC",
                     help="metric checked by --precision (default: {objective})")
    _add_experiment_options(cmp, "scenario")

    swp = sub.add_parser(
        "sweep", help="run a grid over one or more parameters",
        description="Run every point of a grid over dotted keys (like --set), all with the "
        "same seed and replications, and report every metric per point with 95%% CIs.")
    swp.add_argument("file", nargs="?", type=Path, help="the base scenario file")
    swp.add_argument("--vary", action="append", default=[], metavar="KEY=VALUES",
                     help="a swept key: a,b,c or start:stop:step (stop included), e.g. "
                     "marketing.brand_share=0:1:0.25 (repeatable: a grid)")
    swp.add_argument("--objective", metavar="METRIC",
                     help="metric for the best point and --precision "
                     "(default: {objective})")
    swp.add_argument("--goal", choices=("max", "min"),
                     help="best is the highest or lowest objective (default: from the metric)")
    _add_experiment_options(swp, "point")

    opt = sub.add_parser(
        "optimize", help="find the best value of a parameter under uncertainty",
        description="Search [LOW, HIGH] for the value of KEY with the best mean objective: a "
        "grid refined around the best point, common random numbers at every value, a "
        "bootstrap CI for the best value and the range that is within noise of it.")
    opt.add_argument("file", nargs="?", type=Path, help="the base scenario file")
    opt.add_argument("--param", action="append", default=[], metavar="KEY=LOW:HIGH",
                     help="the parameter and its search interval, e.g. "
                     "marketing.brand_share=0:1 (repeatable: several levers)")
    opt.add_argument("--objective", metavar="METRIC", help="the metric to optimise, e.g. "
                     "contribution")
    opt.add_argument("--goal", choices=("max", "min"),
                     help="maximise or minimise (default: from the metric)")
    opt.add_argument("--points", type=_positive_int, metavar="K",
                     help="values per round (default: {points})")
    opt.add_argument("--refinements", type=int, metavar="R",
                     help="rounds around the best after the first "
                     "(default: {refinements})")
    _add_experiment_options(opt, "value")

    # Decisions under uncertainty (standard library only: start-up stays fast).
    from sim.apps import decisions_cli

    decisions_cli.add_compare_options(cmp)
    decisions_cli.add_optimize_options(opt)
    decisions_cli.add_sensitivity_parser(sub, _add_experiment_options)


def _execution(args: argparse.Namespace) -> Execution:
    from sim.experiments.executors import Execution

    if args.scheduler is not None and args.executor != "dask":
        raise UsageError(f"--scheduler {args.scheduler}: only with --executor dask")
    if args.executor == "dask" and importlib.util.find_spec("distributed") is None:
        raise UsageError("--executor dask: Dask is not installed; install the extra: "
                         "pip install 'leadflow-sim[dask]'")
    from sim.apps.limits import check_workers

    check_workers(args.workers)
    return Execution(kind=args.executor, workers=args.workers, scheduler=args.scheduler)


def _prepare_out(out_dir: Path) -> None:
    """Refuse an ``--out`` that is not new, empty or a results folder, or cannot be written."""
    from sim.experiments.folders import prepare_out

    prepare_out(out_dir)


def _stopping(args: argparse.Namespace, base: Scenario, objective: str | None) -> Stopping:
    from sim.experiments.designs import Stopping, check_metric

    objective = check_metric(objective or Stopping.objective)
    cap = args.max_replications or max(Stopping.max_replications, base.replications)
    if cap < base.replications:
        raise UsageError(f"--max-replications: expected at least the replications "
                         f"({base.replications}), got {cap}")
    return Stopping(base.replications, args.precision, cap, objective)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare scenarios with common random numbers; print paired differences."""
    from sim.experiments.designs import CompareSpec

    if args.resume is not None:
        return _resume(args)
    if len(args.files) < 2:
        raise UsageError("compare: expected two or more scenario files; the first is the "
                         "reference")
    scenarios = [_load(args, file) for file in args.files]
    if args.uncertainty is not None or args.assumptions is not None:
        from sim.apps.decisions_cli import compare_spec

        uncertain = compare_spec(args, scenarios)
        return _start(args, uncertain, "compare-" + "-".join(uncertain.labels[:3]))
    spec = CompareSpec.build(scenarios, [str(f) for f in args.files],
                             stopping=_stopping(args, scenarios[0], args.objective))
    return _start(args, spec, "compare-" + "-".join(spec.labels[:3]))


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a grid of scenarios with common random numbers; print results per point."""
    from sim.experiments.designs import SweepSpec, parse_vary

    if args.resume is not None:
        return _resume(args)
    if args.file is None:
        raise UsageError("sweep: expected a scenario file (or --resume DIR)")
    if not args.vary:
        raise UsageError("sweep: expected at least one --vary KEY=VALUES")
    base = _load(args, args.file)
    axes = [parse_vary(option) for option in args.vary]
    spec = SweepSpec.build(base, axes, str(args.file),
                           stopping=_stopping(args, base, args.objective), goal=args.goal)
    return _start(args, spec, f"sweep-{base.name}")


def cmd_optimize(args: argparse.Namespace) -> int:
    """Find the best value of a parameter; print it with its CI and the flat top."""
    from sim.experiments.designs import OptimizeSpec, check_metric, parse_param

    if args.resume is not None:
        return _resume(args)
    if args.file is None:
        raise UsageError("optimize: expected a scenario file (or --resume DIR)")
    if not args.param or args.objective is None:
        raise UsageError("optimize: expected --param KEY=LOW:HIGH and --objective METRIC")
    base = _load(args, args.file)
    from sim.apps.decisions_cli import lever_spec, wants_levers

    if wants_levers(args):  # several levers, a budget, a risk or a target
        return _start(args, lever_spec(args, base), f"optimize-{base.name}")
    key, low, high = parse_param(args.param[0])
    spec = OptimizeSpec.build(
        base, key, low, high, check_metric(args.objective), args.goal, str(args.file),
        stopping=_stopping(args, base, args.objective),
        points_per_round=args.points or OptimizeSpec.points_per_round,
        refinements=OptimizeSpec.refinements if args.refinements is None else args.refinements)
    return _start(args, spec, f"optimize-{base.name}")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """What would flip it: which assumptions move a result (see sim.apps.decisions_cli)."""
    from sim.apps.decisions_cli import sensitivity_spec

    if args.resume is not None:
        return _resume(args)
    if args.file is None or args.metric is None:
        raise UsageError("sensitivity: expected a scenario file and --metric METRIC (or "
                         "--resume DIR)")
    base = _load(args, args.file)
    against = None if args.against is None else _load(args, args.against)
    return _start(args, sensitivity_spec(args, base, against), f"sensitivity-{base.name}")


def _start(args: argparse.Namespace, spec: Spec | DecisionSpec, name: str) -> int:
    """Run a new, fully validated experiment into a new results folder."""
    from sim.apps.run_folder import PACKAGES, default_report_dir, environment
    from sim.experiments.designs import CompareSpec, OptimizeSpec, SweepSpec, first_round_tasks
    from sim.experiments.store import ExperimentStore
    from sim.scenario.dump import scenario_data

    out_dir = args.out if args.out is not None else default_report_dir(default_reports(), name)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: exists and is not a folder")
    if (out_dir / ExperimentStore.SPEC).exists():
        raise UsageError(f"--out {out_dir}: holds an experiment already; finish it with "
                         f"--resume {out_dir}, or choose another folder")
    _prepare_out(out_dir)
    several = isinstance(spec, CompareSpec) or hasattr(spec, "scenarios")
    scenarios = spec.scenarios if several else (spec.base,)  # type: ignore[union-attr]
    labels = spec.labels if several else (spec.base.name,)  # type: ignore[union-attr]
    files = spec.files if several else (spec.file,)  # type: ignore[union-attr]
    manifest = {
        "command": spec.command, "scenarios": list(labels), "files": list(files),
        "seed": spec.seed,
        "replication_seeds": "numpy SeedSequence(seed, spawn_key=(replication,)), the same "
        "for every scenario and point (common random numbers)",
        "resolved_scenarios": {label: scenario_data(s)
                               for label, s in zip(labels, scenarios, strict=True)},
        **environment((*PACKAGES, "tqdm", "dask", "distributed")),
        "overrides": list(getattr(args, "sets", [])),
        "started": _now(), "finished": None, "sessions": [],
    }
    execution = _execution(args)
    if isinstance(spec, CompareSpec | SweepSpec | OptimizeSpec):
        execution = execution.capped(first_round_tasks(spec))
    return _execute(args, spec, execution,
                    lambda: ExperimentStore.create(out_dir, spec.to_json(), manifest))


def _resume(args: argparse.Namespace) -> int:
    """Finish an interrupted experiment from its folder."""
    from pydantic import ValidationError

    from sim.apps.decisions_cli import SPEC_OPTIONS
    from sim.apps.decisions_cli import spec_from_json as decision_from_json
    from sim.experiments.designs import ExperimentError, spec_from_json
    from sim.experiments.store import ExperimentStore

    for option, name in (*_SPEC_OPTIONS, *SPEC_OPTIONS):
        if getattr(args, option, None) not in (None, [], False):
            raise UsageError(f"--resume: {name} cannot be given with it; the experiment's "
                             f"settings are stored in {args.resume / ExperimentStore.SPEC}")
    execution = _execution(args)
    store = ExperimentStore.open(args.resume)
    _check_versions(args, store)
    command = store.spec.get("command")
    if command != args.command:
        raise UsageError(f"--resume {args.resume}: holds a {command}, not a {args.command}; "
                         f"use: {program()} {command} --resume {args.resume}")
    try:
        spec: Spec | DecisionSpec = decision_from_json(store.spec) or spec_from_json(store.spec)
    except (KeyError, TypeError, ValueError, AttributeError, RecursionError, ValidationError,
            ExperimentError) as exc:
        raise UsageError(f"--resume {args.resume}: {ExperimentStore.SPEC} cannot be used "
                         f"({' '.join(str(exc).split())[:200]})") from None
    return _execute(args, spec, execution, lambda: store)


def _check_versions(args: argparse.Namespace, store: ExperimentStore) -> None:
    """Refuse to add replications of another version of the model, unless told to."""
    from sim.apps.run_folder import versions

    change = store.version_change(versions())
    if change is not None and not args.allow_version_change:
        raise UsageError(f"--resume {args.resume}: written by another version of the tool "
                         f"({change}); its replications would mix with this version's. Start "
                         "a new experiment, or add --allow-version-change to mix them (each "
                         "session's version is recorded in manifest.json)")


def _now() -> str:
    return datetime.now().astimezone(UTC).isoformat(timespec="seconds")


def _experiment_steps(spec: Spec | DecisionSpec
                      ) -> tuple[Callable[..., Any], Callable[..., str], Callable[..., Path]]:
    """How an experiment runs, reads as text and is drawn (decisions have their own)."""
    from sim.apps import decisions_cli

    if decisions_cli.is_decision(spec):
        return decisions_cli.steps()
    from sim.experiments.experiment import run_experiment
    from sim.report.experiment_report import write_experiment_report
    from sim.report.experiment_text import experiment_table

    return run_experiment, experiment_table, write_experiment_report


def _execute(args: argparse.Namespace, spec: Spec | DecisionSpec, execution: Execution,
             open_store: Callable[[], ExperimentStore]) -> int:
    """Start the executor, then the results folder; run, write the tables, print."""
    from sim.apps.run_folder import versions
    from sim.experiments.details import replay_details
    from sim.experiments.executors import open_executor
    from sim.experiments.experiment import CompareResult, write_results
    from sim.experiments.safe_output import dumps

    run_experiment, experiment_table, write_experiment_report = _experiment_steps(spec)

    show = _progress(not args.quiet and sys.stdout.isatty() and sys.stderr.isatty())
    # The executor starts first: a cluster that cannot be reached writes nothing.
    with open_executor(execution) as executor:
        store = open_store()
        with store:
            session = {"started": _now(), "finished": None, "status": "running",
                       **execution.describe(), **versions(),
                       "resumed_replications": len(store.results)}
            sessions = [*store.manifest.get("sessions", []), session]
            store.update_manifest(status="running", sessions=sessions)
            try:
                result = run_experiment(spec, executor, store, show)
            except KeyboardInterrupt as stop:
                _close_progress(show)
                session.update(finished=_now(), status="interrupted")
                store.update_manifest(status="interrupted", sessions=sessions)
                print(plain(f"interrupted: {len(store.results)} finished replications are "
                            f"kept in {store.folder}; finish with: {program()} {spec.command} "
                            f"--resume {store.folder}", one_line=True), file=sys.stderr)
                return exit_code(stop)
            _close_progress(show)
            text = experiment_table(result)
            write_results(store, result, text)
            session.update(finished=_now(), status="complete")
            store.update_manifest(status="complete", finished=session["finished"],
                                  replications=result.replications, sessions=sessions)
        # The store keeps metrics only: a comparison's over-time views come from its
        # first replications replayed with the same seeds (sim.experiments.details).
        details = None
        halted: BaseException | None = None
        try:
            if isinstance(result, CompareResult):
                details = replay_details(result, executor, progress=show)
                _close_progress(show)
            # Drawn from the finished tables (and the replayed replications).
            report = write_experiment_report(result, store.folder, store.manifest, details,
                                             svg=bool(getattr(args, "svg", False)))
        except KeyboardInterrupt as interrupted:
            _close_progress(show)
            halted = interrupted
    if halted is not None:
        print(plain(f"interrupted while writing the report: every table is complete in "
                    f"{store.folder}; the report was not written (write it with: {program()} "
                    f"{spec.command} --resume {store.folder})", one_line=True), file=sys.stderr)
        return exit_code(halted)
    if args.json:
        print(dumps(result.to_json()))
    elif not args.quiet:
        print(plain(text))
    if not args.quiet:
        stream = sys.stderr if args.json else sys.stdout
        print(plain(f"Results written to {store.folder}"), file=stream)
        print(plain(f"Report: {report}"), file=stream)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    whole_process = argv is None  # the command line itself, not a call from Python
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["run", *argv]  # `run.py --quiet` runs the baseline quietly, like `run.py`
    if argv[0] == "calibrate":
        return cmd_calibrate(argv[1:])
    commands = {"run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep,
                "optimize": cmd_optimize, "sensitivity": cmd_sensitivity,
                "validate": cmd_validate, "schema": cmd_schema,
                "workshop": cmd_workshop, "diagnose": cmd_diagnose}
    try:
        with terminate_as_interrupt():  # SIGTERM is handled like Ctrl-C
            args = build_parser().parse_args(argv)
            args.whole_process = whole_process
            if args.command is None:
                raise UsageError(f"{program()}: expected a command: run, compare, sweep, "
                                 "optimize, sensitivity, calibrate, validate, schema or "
                                 "workshop (see --help)")
            return commands[args.command](args)
    except OSError as exc:
        # The disk or the file system (full, read-only, gone): what failed, in one
        # line. Folders are written whole or not at all, so none is left half-written.
        where = f": {exc.filename}" if exc.filename else ""
        print(plain(f"error: {exc.strerror or exc}{where}", one_line=True), file=sys.stderr)
        return EXIT_SYSTEM_ERROR
    except Exception as exc:
        stop = _interrupt_behind(exc)
        if stop is not None:  # Ctrl-C inside an import, wrapped by Python's class machinery
            print("interrupted: nothing was written", file=sys.stderr)
            return exit_code(stop)
        if not _is_bad_input(exc):
            raise
        print(plain(f"error: {exc}", one_line=True), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as stop:
        print("interrupted: nothing was written", file=sys.stderr)
        return exit_code(stop)


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or SIGTERM) an exception was raised from or during, if any.

    A Ctrl-C that lands while a module defines a class can come back as a
    ``RuntimeError`` ("Error calling __set_name__ ...") caused by it.
    """
    seen: set[int] = set()
    cause = exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _is_bad_input(exc: Exception) -> bool:
    """Whether ``exc`` is a bad-input error whose message is the whole answer."""
    if isinstance(exc, UsageError):
        return True
    for module_name, class_name in _BAD_INPUT_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False
