"""Direct estimates of first-response delays from an export's first-touch times."""

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calibration.response import (
    BAND_SHAPE,
    COMPLIANCE,
    TAIL_MEAN,
    WITHIN_1H,
    WITHIN_24H,
    response_fit,
)
from sim.calibration.tables import CrmTables
from sim.model.mechanisms import first_response_hours

BASELINE = "scenarios/baseline.yaml"
TRUE = {"within_1h": 0.3, "within_24h": 0.6, "tail_mean_hours": 80.0, "shape": 1.5}


def _export(n, sla_hours=None, sla_compliance=0.0, seed=3, date_only=frozenset()):
    """An export whose delays are drawn from the model's first-response distribution."""
    rng = np.random.default_rng(seed)
    hours = np.array([first_response_hours(u, TRUE["within_1h"], TRUE["within_24h"],
                                           TRUE["tail_mean_hours"], TRUE["shape"], sla_hours,
                                           sla_compliance) for u in rng.random(n)])
    mql = rng.uniform(0.0, 300.0, n)
    leads = pd.DataFrame({"created": mql - 1.0, "mql": mql, "touch": mql + hours / 24.0})
    leads.loc[leads["touch"] >= 400.0, "touch"] = np.nan  # not touched by the export day
    return CrmTables(pd.Timestamp("2025-01-01"), 400.0, leads, date_only=date_only)


def _base(sla, sla_hours=4.0):
    levers = {"alignment.levers.sla": sla, "alignment.levers.sla_hours": sla_hours,
              "alignment.levers.sla_compliance": 0.8}
    return sim.load_scenario(BASELINE).with_overrides(levers).resolve()


def test_no_sla_reads_the_bands_and_the_tail_inside_their_intervals():
    fit = response_fit(_export(4000), _base(False))
    by_path = {e.path: e for e in fit.estimates}
    assert set(by_path) == {WITHIN_1H, WITHIN_24H, TAIL_MEAN}
    for path, true in ((WITHIN_1H, 0.3), (WITHIN_24H, 0.6), (TAIL_MEAN, 80.0)):
        e = by_path[path]
        assert e.low <= true <= e.high, (path, e)
        assert e.high - e.low < (0.04 if path != TAIL_MEAN else 8.0)
    assert [f.path for f in fit.fallbacks] == [BAND_SHAPE]


@pytest.mark.parametrize(("sla_hours", "compliance"), [(4.0, 0.5), (4.0, 0.8), (48.0, 0.8)])
def test_an_sla_reads_its_compliance_and_the_unmanaged_tail(sla_hours, compliance):
    fit = response_fit(_export(6000, sla_hours, compliance), _base(True, sla_hours))
    by_path = {e.path: e for e in fit.estimates}
    assert set(by_path) == {COMPLIANCE, TAIL_MEAN}
    for path, true in ((COMPLIANCE, compliance), (TAIL_MEAN, 80.0)):
        assert by_path[path].low <= true <= by_path[path].high, (path, by_path[path])
    # The managed delays hide the unmanaged shares: they stay at the base.
    assert {f.path for f in fit.fallbacks} == {BAND_SHAPE, WITHIN_1H, WITHIN_24H}


def test_reading_an_sla_export_as_unmanaged_would_be_wrong():
    # The same export read with a base without an SLA: the share within 24 h
    # is the managed one, well above the unmanaged 0.6 (the SLA check matters).
    fit = response_fit(_export(6000, 4.0, 0.8), _base(False))
    within = {e.path: e for e in fit.estimates}[WITHIN_24H]
    assert within.low > 0.75


def test_draws_vary_around_the_estimates_and_keep_the_bands_ordered():
    fit = response_fit(_export(2000), _base(False))
    rng = np.random.default_rng(1)
    draws = [fit.draw(rng) for _ in range(400)]
    ones = np.array([d[WITHIN_1H] for d in draws])
    days = np.array([d[WITHIN_24H] for d in draws])
    tails = np.array([d[TAIL_MEAN] for d in draws])
    assert (ones <= days).all()
    assert ones.std() > 0 and tails.min() > 24.0
    by_path = {e.path: e for e in fit.estimates}
    assert ones.mean() == pytest.approx(by_path[WITHIN_1H].value, abs=0.005)
    assert tails.mean() == pytest.approx(by_path[TAIL_MEAN].value, rel=0.03)


def test_dates_without_times_leave_every_response_value_at_the_base():
    fit = response_fit(_export(500, date_only=frozenset({"leads.first_touch_at"})),
                       _base(False))
    assert fit.estimates == []
    assert {f.path for f in fit.fallbacks} == {BAND_SHAPE, WITHIN_1H, WITHIN_24H, TAIL_MEAN}
    assert fit.draw(np.random.default_rng(0)) == {}
