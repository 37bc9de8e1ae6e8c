"""Fitting a base scenario to a small export; writing the scenario and its draws."""

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.calibration import CrmError, calibrate, read_draws, scenario_for_draw
from sim.calibration.knobs import Knobs, attenuation, expit, logit
from sim.calibration.records import tables_from_records
from sim.calibration.scenario_file import number
from sim.calibration.statistics import dispersion

pytestmark = pytest.mark.unit

BASELINE = Path("scenarios/baseline.yaml")


@pytest.fixture(scope="module")
def small_export():
    truth = sim.load_scenario(BASELINE).with_overrides({"horizon_days": 300, "warmup_days": 60})
    result = sim.simulate(truth, seed=5, record_leads=True)
    from sim.calibration.marketing import weekly_spend

    return tables_from_records(result.leads, [s.name for s in truth.sales.stages], 240.0,
                               pd.Timestamp("2024-01-01"), spend=weekly_spend(truth, 240.0))


@pytest.fixture(scope="module")
def result(small_export):
    return calibrate(small_export, base=BASELINE, iterations=2, draws=20, seed=3)


def test_number_never_uses_an_exponent():
    assert number(2_000_000.0) == "2000000"
    assert number(0.000123456789) == "0.000123457"
    assert number(8) == "8"
    assert number(0.5) == "0.5"


def test_logit_and_attenuation():
    assert expit(logit(0.3)) == pytest.approx(0.3)
    assert attenuation(0.85, 0.57) == pytest.approx(0.15 / 0.43)
    assert attenuation(0.5, None) == 1.0


def test_dispersion_sees_records_that_move_together():
    import numpy as np

    rng = np.random.default_rng(0)
    times = np.repeat(np.arange(24) * 30.0, 200) + 1.0
    independent = rng.random(times.size) < 0.4
    level = np.repeat(rng.uniform(0.2, 0.6, 24), 200)
    together = rng.random(times.size) < level
    assert dispersion(independent, times) < 2.0
    assert dispersion(together, times) > 5.0


def test_knobs_at_their_start_give_the_base_values():
    base = sim.load_scenario(BASELINE)
    knobs = Knobs(base, ["discovery", "solution", "proposal", "negotiation"],
                  ["smb", "mid_market", "enterprise"], "mid_market",
                  {"advance:proposal", "duration:solution", "amount:smb", "amount:smb:spread",
                   "cycle:enterprise", "contact_share"})
    out = knobs.overrides(knobs.start())
    assert out["sales.stages.2.advance_probability"] == pytest.approx(0.55)
    assert out["sales.stages.1.duration.mean_days"] == pytest.approx(14.0)
    assert out["leads.segments.0.deal_size_mean"] == pytest.approx(10_000.0)
    assert out["leads.segments.0.deal_size_cv"] == pytest.approx(0.5)
    assert out["leads.segments.2.cycle_multiplier"] == pytest.approx(2.5)
    assert out["incentives.sales.follow_up_rate"] == pytest.approx(0.85)
    # First-response delays are read directly off the export, not fitted by simulation.
    assert not any("response" in path or "sla" in path for path in out)


def test_fit_estimates_with_intervals_and_sources(result):
    by_path = {e.path: e for e in result.estimates}
    organic = by_path["marketing.organic_leads_per_day"]
    assert organic.low < organic.value < organic.high
    assert organic.records > 100
    for path in ("leads.segments.0.share", "sales.stages.0.advance_probability",
                 "leads.segments.1.deal_size_mean", "sales.qualify_probability"):
        e = by_path[path]
        assert e.low <= e.value <= e.high
        assert e.records > 0 and e.method
    shares = [by_path[f"leads.segments.{i}.share"].value for i in range(3)]
    assert sum(shares) == pytest.approx(1.0, abs=1e-9)
    # The export names each lead's rep: the reps are counted from the owners.
    assert not any(f.path == "sales.reps" for f in result.fallbacks)
    reps = by_path["sales.reps"]
    assert reps.value == 8 and reps.low <= 8 <= reps.high
    assert len(result.fit.draws) == 20
    assert result.fit_table()["observed"].notna().all()


def test_written_scenario_loads_and_states_sources(tmp_path, result):
    written = result.write(tmp_path / "co.yaml")
    text = written["scenario"].read_text()
    assert text.startswith("# Calibrated scenario")
    assert "extends:" in text and "baseline.yaml" in text
    assert "fall back to the base" in text and "owners active in the last 90 days" in text
    assert "95%" in text and "records" in text
    loaded = sim.load_scenario(written["scenario"])
    assert loaded.marketing.organic_leads_per_day == pytest.approx(
        result.scenario.marketing.organic_leads_per_day, rel=1e-5)
    assert loaded.nurture.scoring_noise == sim.load_scenario(BASELINE).nurture.scoring_noise
    draws = read_draws(written["draws"])
    assert len(draws) == 20
    varied = scenario_for_draw(loaded, draws[3])
    assert sum(s.share for s in varied.leads.segments) == pytest.approx(1.0)
    assert "Estimates (95% interval)" in written["report"].read_text()


def test_write_never_replaces_without_force(tmp_path, result):
    (tmp_path / "co.yaml").write_text("keep me\n")
    with pytest.raises(CrmError, match="exists"):
        result.write(tmp_path / "co.yaml")
    assert (tmp_path / "co.yaml").read_text() == "keep me\n"
    assert not (tmp_path / "co.draws.csv").exists()
    result.write(tmp_path / "co.yaml", force=True)
    assert sim.load_scenario(tmp_path / "co.yaml").name == result.scenario.name
