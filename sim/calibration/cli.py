"""The ``calibrate`` command: a CRM export in, a calibrated scenario file out.

``run.py calibrate LEADS.csv [--opportunities OPPS.csv] [--stage-history H.csv]
[--spend SPEND.csv] [--columns MAPPING.yaml] [--base BASE.yaml] [--holdout-months K]
[--no-report] --out my-company.yaml``

Bad input prints one line on stderr (file, row, column) and exits with code 2;
nothing is written. An existing output file is never replaced without ``--force``,
and a ``my-company.fit`` folder that is not a fit report of this tool never.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from sim.calibration.api import DEFAULT_BASE, calibrate, check_report_folder, output_paths
from sim.calibration.errors import CrmError
from sim.experiments.arguments import whole_number
from sim.experiments.folders import FolderError
from sim.scenario.loading import ScenarioError

EXIT_BAD_INPUT = 2


class _UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``run.py calibrate``."""
    p = _Parser(prog="run.py calibrate", description="Fit a scenario to a CRM export: read "
                "leads (and opportunities, stage history, spend), estimate the funnel's "
                "parameters with intervals, write a scenario that extends the base.")
    p.add_argument("leads", type=Path, help="leads CSV, one row per lead")
    p.add_argument("--opportunities", type=Path, help="opportunities CSV")
    p.add_argument("--stage-history", type=Path, help="stage history CSV (one row per stage "
                   "entered)")
    p.add_argument("--spend", type=Path, help="marketing spend CSV by week (brand, promotion)")
    p.add_argument("--columns", type=Path, metavar="MAPPING.yaml",
                   help="column mapping file (see scenarios/crm/ and docs/CALIBRATION.md)")
    p.add_argument("--base", type=Path, default=DEFAULT_BASE,
                   help="base scenario (default: scenarios/baseline.yaml)")
    p.add_argument("--holdout-months", type=whole_number(0), default=0, metavar="K",
                   help="backtest: fit without the last K months, forecast them")
    p.add_argument("--dates", choices=("auto", "day-first", "month-first"), default=None,
                   help="how to read dates such as 03/04/2024 (default: detect)")
    p.add_argument("--as-of", help="date the export was taken (default: after its last event)")
    p.add_argument("--out", type=Path, required=True, help="scenario file to write")
    p.add_argument("--name", help="scenario name (default: the file name)")
    p.add_argument("--draws", type=whole_number(0), default=200, help="parameter sets to draw "
                   "(default 200)")
    p.add_argument("--replications", type=whole_number(0), default=20,
                   help="simulated histories behind the fit report and the backtest "
                   "(default 20)")
    p.add_argument("--iterations", type=whole_number(0), default=5,
                   help="simulation-fit iterations at most (default 5)")
    p.add_argument("--seed", type=whole_number(0), help="root seed (default: the base's)")
    p.add_argument("--workers", type=whole_number(0), default=1,
                   help="processes for the backtest and the fit report's simulations")
    p.add_argument("--no-report", action="store_true",
                   help="do not write the fit report (my-company.fit/report.html: the export "
                   "beside the calibrated scenario simulated over the same period)")
    p.add_argument("--force", action="store_true", help="replace existing output files")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing but errors")
    return p


def main_calibrate(argv: Sequence[str] | None = None) -> int:
    """Run ``calibrate``; returns the exit code (2 on bad input, with one line on stderr)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
        paths = output_paths(args.out, report=not args.no_report)
        for key, path in paths.items():
            if key == "fit_report":
                check_report_folder(path, args.force)
            elif path.exists() and not args.force:
                raise CrmError(str(path), None, None, "exists; pass --force to replace it")
        if not args.out.parent.is_dir():
            raise CrmError(str(args.out), None, None, f"no such folder {args.out.parent}")
        say = None if args.quiet else (lambda line: print(line, file=sys.stderr))
        result = calibrate(
            args.leads, args.opportunities, args.spend, base=args.base, mapping=args.columns,
            holdout_months=args.holdout_months, stage_history=args.stage_history,
            dates=args.dates.replace("-", "_") if args.dates else None, as_of=args.as_of,
            name=args.name or args.out.stem, seed=args.seed, iterations=max(args.iterations, 1),
            draws=args.draws, backtest_replications=max(args.replications, 1),
            workers=max(args.workers, 1), progress=say)
        check = None
        if not args.no_report:
            if say:
                say(f"fit report: simulating {max(args.replications, 1)} histories")
            check = result.check_fit(max(args.replications, 1), max(args.workers, 1))
        written = result.write(args.out, force=args.force)
        if check is not None:
            written["fit_report"] = result.write_fit_report(paths["fit_report"], check=check,
                                                            force=True)
    except (CrmError, ScenarioError, FolderError, _UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    if not args.quiet:
        print(result.report())
        print(f"\nScenario written to {written['scenario']}")
        print(f"Parameter draws: {written['draws']}; report: {written['report']}")
        if "fit_report" in written:
            print(f"Fit report: {written['fit_report']}")
    return 0
