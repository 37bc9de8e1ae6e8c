"""Reports a person reads: a self-contained HTML page, its figures and the tables behind them.

``write_run_report`` writes the report of one run. ``write_compare_report`` and
``write_sweep_report`` take plain DataFrames, so any experiment runner can
produce them. None of them runs the simulation.
"""

from sim.report.compare_report import write_compare_report
from sim.report.run_report import write_run_report
from sim.report.sweep_report import write_sweep_report

__all__ = ["write_compare_report", "write_run_report", "write_sweep_report"]
