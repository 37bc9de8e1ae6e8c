"""Calibration to a company: read a CRM export, fit the funnel, backtest it.

A study built on the layers below (scenario, model, results, experiments):

* :func:`export_crm` writes a simulated company as a CRM export (leads,
  opportunities, stage history, spend), data with a known truth;
* :func:`read_crm` reads a company's export, with a column mapping file,
  day-first or month-first dates, currency symbols and thousands separators;
  bad input raises :class:`CrmError`, one line naming file, row and column;
* :func:`calibrate` estimates the scenario's parameters (directly where the
  export measures them, by simulation where it does not), with intervals,
  writes a scenario that ``extends`` the base and states every value's
  source, draws parameter sets for uncertainty-aware forecasts, and
  backtests the fit on held-out months;
* :meth:`CalibrationResult.write_fit_report` writes the fit report: the
  export beside the calibrated scenario simulated over the same period
  (:class:`FitCheck`: conversion by source, time to win, monthly bookings,
  open pipeline, period-end share);
* :func:`main_calibrate` is the ``calibrate`` command.

See ``docs/CALIBRATION.md`` for the column dictionary, mapping files and the
method's limits.
"""

from sim.calibration.api import CalibrationResult, calibrate
from sim.calibration.backtest import Backtest
from sim.calibration.cli import main_calibrate
from sim.calibration.errors import CrmError
from sim.calibration.estimates import Estimate, Fallback
from sim.calibration.export import export_crm
from sim.calibration.fit_check import FitCheck
from sim.calibration.reading import read_crm
from sim.calibration.scenario_file import read_draws, scenario_for_draw, write_calibrated_scenario
from sim.calibration.tables import CrmTables

__all__ = [
    "Backtest",
    "CalibrationResult",
    "CrmError",
    "CrmTables",
    "Estimate",
    "Fallback",
    "FitCheck",
    "calibrate",
    "export_crm",
    "main_calibrate",
    "read_crm",
    "read_draws",
    "scenario_for_draw",
    "write_calibrated_scenario",
]
