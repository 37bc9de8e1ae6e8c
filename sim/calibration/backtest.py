"""Backtest: fit on the months before a cut, forecast the held-out months, score coverage.

The export is cut ``K`` calendar months before its end and seen as it was on
the cut day (later closes unknown). The scenario fitted to that view is
simulated over the whole period, once per parameter draw (each replication
its own random numbers and its own draw, so the spread carries both luck and
parameter uncertainty), and each held-out month's figures are compared with
what happened: the error of the predicted mean, and whether the observed value
lies inside the 80 % and 95 % predictive intervals (Student-t intervals for one
more value from the simulations, see :func:`predictive_interval`).

The forecast replays the company from the export's first day: it does not
start from the pipeline that was actually open at the cut (the simulator
cannot be started from a given pipeline), so it tests the fitted rates and
times rather than a pipeline roll-forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.errors import CrmError
from sim.calibration.estimation import Fit
from sim.calibration.marketing import history_scenario
from sim.calibration.scenario_file import scenario_for_draw
from sim.calibration.simulation import SimulationTask, simulate_all
from sim.calibration.tables import CrmTables, censor, month_windows
from sim.scenario.schema import Scenario

FIGURES = {
    "new_leads": "new leads",
    "mqls": "MQLs",
    "deals_won": "deals won",
    "bookings": "bookings",
}


@dataclass(frozen=True)
class Backtest:
    """The result of a backtest.

    Attributes:
        cut: the first held-out day (days from the export's origin) and its date.
        table: one row per (figure, month): ``figure``, ``month``, ``observed``,
            ``predicted`` (mean), ``p2_5``, ``p10``, ``p90``, ``p97_5``,
            ``error`` (predicted - observed), ``inside_80``, ``inside_95``.
        replications: simulations behind each prediction.
        fit: the fit on the months before the cut.
    """

    cut: float
    cut_date: pd.Timestamp
    table: pd.DataFrame
    replications: int
    fit: Fit

    def coverage(self) -> dict[str, float]:
        """Share of held-out (figure, month) values inside the 80 % and 95 % intervals."""
        return {"80%": float(self.table["inside_80"].mean()),
                "95%": float(self.table["inside_95"].mean())}


def monthly_figures(tables: CrmTables, windows: list[tuple[str, float, float]],
                    figures: list[str]) -> dict[tuple[str, str], float]:
    """Each figure in each window: new leads, MQLs, deals won, bookings (won amounts)."""
    leads = tables.leads
    opps = tables.opportunities
    use_opps = opps is not None and opps["amount"].notna().any() and (
        opps["status"] == "won").any()
    won = (opps[opps["status"] == "won"] if use_opps and opps is not None
           else leads[leads["status"] == "won"])
    out: dict[tuple[str, str], float] = {}
    for label, lo, hi in windows:
        for figure in figures:
            if figure == "new_leads":
                value = float(((leads["created"] >= lo) & (leads["created"] < hi)).sum())
            elif figure == "mqls":
                value = float(((leads["mql"] >= lo) & (leads["mql"] < hi)).sum())
            else:
                inside = (won["closed"] >= lo) & (won["closed"] < hi)
                value = float(inside.sum() if figure == "deals_won"
                              else won.loc[inside, "amount"].fillna(0.0).sum())
            out[(figure, label)] = value
    return out


def predictive_interval(values: np.ndarray) -> np.ndarray:
    """The 95 % and 80 % predictive interval of one more value: ``[p2.5, p10, p90, p97.5]``.

    With ``R`` simulated values of mean ``m`` and spread ``s``, a new value lies
    within ``m +- t(R-1) s sqrt(1 + 1/R)`` (Student's t): unlike the sample
    quantiles of a few simulations, this does not shrink the interval when
    ``R`` is small. Bounds are kept at zero or more (counts and bookings).
    """
    r = values.size
    if r < 2:
        return np.repeat(float(values.mean()), 4)
    m, s = float(values.mean()), float(values.std(ddof=1))
    scale = s * np.sqrt(1.0 + 1.0 / r)
    t95, t80 = stats.t.ppf(0.975, r - 1), stats.t.ppf(0.90, r - 1)
    return np.maximum([m - t95 * scale, m - t80 * scale, m + t80 * scale, m + t95 * scale],
                      0.0)


def run_backtest(
    tables: CrmTables,
    base: Scenario,
    holdout_months: int,
    fit_function: Callable[[CrmTables], Fit],
    *,
    replications: int = 20,
    seed: int | None = None,
    workers: int = 1,
) -> Backtest:
    """Fit on the months before the last ``holdout_months`` and forecast those months.

    Args:
        tables: the whole export.
        base: the base scenario.
        holdout_months: calendar months held out at the end (the last may be partial).
        fit_function: fits a base to an export (the same as the full calibration's).
        replications: simulations of the held-out months (one parameter draw each).
        seed: root seed (default: the base's).
        workers: processes for the simulations.

    Raises:
        CrmError: fewer than three months would be left to fit on.
    """
    windows = month_windows(tables)
    if holdout_months < 1 or holdout_months >= len(windows):
        raise CrmError("--holdout-months", None, None, f"expected 1 to {len(windows) - 1} "
                       f"(the export spans {len(windows)} months), got {holdout_months}")
    held = windows[-holdout_months:]
    cut = held[0][1]
    if cut < 90.0:
        raise CrmError("--holdout-months", None, None, f"{holdout_months} months leave only "
                       f"{cut:.0f} days to fit on; keep at least 90")
    seed = base.seed if seed is None else seed
    fitted = fit_function(censor(tables, cut))
    point = fitted.scenario(base)
    draws = fitted.draws or [{}]
    figures = ["new_leads", "deals_won", "bookings"]
    if tables.has("leads", "mql"):
        figures.insert(1, "mqls")
    tasks = []
    for r in range(replications):
        scenario = scenario_for_draw(point, draws[r % len(draws)])
        tasks.append(SimulationTask(history_scenario(scenario, fitted.schedule, tables.as_of),
                                    seed, r, tables.as_of, tables.origin, tables.date_only))
    simulated = simulate_all(tasks, partial(monthly_figures, windows=held, figures=figures),
                             workers)
    observed = monthly_figures(tables, held, figures)
    rows = []
    for figure in figures:
        for label, _, _ in held:
            values = np.array([s[(figure, label)] for s in simulated])
            q = predictive_interval(values)
            obs = observed[(figure, label)]
            rows.append({
                "figure": FIGURES[figure], "month": label, "observed": obs,
                "predicted": float(values.mean()), "p2_5": q[0], "p10": q[1], "p90": q[2],
                "p97_5": q[3], "error": float(values.mean() - obs),
                "inside_80": bool(q[1] <= obs <= q[2]), "inside_95": bool(q[0] <= obs <= q[3]),
            })
    return Backtest(cut, tables.date(cut), pd.DataFrame(rows), replications, fitted)
