"""A CRM export of a simulated company, and the ``run.py calibrate`` arguments that read it."""

from __future__ import annotations

from pathlib import Path

import sim
from sim.calibration import export_crm

BASELINE = Path("scenarios/baseline.yaml").resolve()


def write_export(folder: Path, *, horizon_days: float, warmup_days: float, seed: int,
                 as_of: float) -> Path:
    """The baseline company's CRM export on day ``as_of`` of a run of ``horizon_days``."""
    scenario = sim.load_scenario(BASELINE).with_overrides({"horizon_days": horizon_days,
                                                           "warmup_days": warmup_days})
    result = sim.simulate(scenario, seed=seed, record_leads=True)
    export_crm(result, folder, scenario=scenario, as_of=as_of)
    return folder


def calibrate_args(export: Path, out: Path, *more: str) -> list[str]:
    """``run.py calibrate`` on every table of ``export``, from the baseline, into ``out``."""
    return [str(export / "leads.csv"), "--opportunities", str(export / "opportunities.csv"),
            "--stage-history", str(export / "stage_history.csv"), "--spend",
            str(export / "spend.csv"), "--base", str(BASELINE), "--out", str(out), *more]
