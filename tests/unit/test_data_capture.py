"""Customer data captured by sales: learning, targeted quality, rep time, policy."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.funnel import FunnelModel
from sim.model.mechanisms import learned_share, targeted_quality
from sim.model.policy import Policy
from sim.model.streams import make_streams
from sim.results.metrics import lead_records
from sim.scenario.schema import Scenario

CAPTURE = {"sales.data_capture.capture_rate": 0.5}


def test_learning_and_targeted_quality_by_hand() -> None:
    assert learned_share(3000.0, 3000.0) == 0.5
    assert learned_share(0.0, 3000.0) == 0.0
    # 1 - (1 - 0.2) x (1 - 0.15 x 0.5) = 1 - 0.8 x 0.925 = 0.26
    np.testing.assert_allclose(targeted_quality([0.2, 1.0], 0.15, 0.5), [0.26, 1.0])
    np.testing.assert_allclose(targeted_quality([0.3], 0.15, 0.0), [0.3])


def test_policy_charges_the_expected_rep_time_and_learns() -> None:
    p = Policy.from_scenario(Scenario().with_overrides(CAPTURE).resolve())
    assert p.capture_days == pytest.approx(0.5 * 0.25)
    assert p.data_learned(3000.0) == pytest.approx(0.5)
    off = Policy.from_scenario(Scenario().resolve())
    assert off.capture_rate == 0.0 and off.capture_days == 0.0


def _leads(overrides: dict[str, object]) -> tuple[FunnelModel, object]:
    scenario = Scenario().with_overrides({"horizon_days": 150.0, "warmup_days": 200.0,
                                          **overrides})
    model = FunnelModel(scenario, make_streams(3, 0), keep_leads=True)
    model.run()
    return model, lead_records(model)


def test_captured_data_lifts_promotion_quality_and_only_theirs() -> None:
    off_model, off = _leads({})
    on_model, on = _leads(CAPTURE)
    assert off_model.customer_data.items == 0.0
    records = on_model.customer_data.at(on_model.env.now)
    assert records > 0.0
    off, on = off.sort_values("created"), on.sort_values("created")
    promo_off = off[off["source"] == "promotion"]["quality"].to_numpy()
    promo_on = on[on["source"] == "promotion"]["quality"].to_numpy()
    assert promo_off.size == promo_on.size  # the same leads (common random numbers)
    assert (promo_on >= promo_off).all() and (promo_on > promo_off).mean() > 0.99
    # Full learning would close 15% of each gap; part learning closes less.
    assert ((promo_on - promo_off) < (1.0 - promo_off) * 0.15).all()
    np.testing.assert_array_equal(off[off["source"] == "organic"]["quality"].to_numpy(),
                                  on[on["source"] == "organic"]["quality"].to_numpy())


def test_recording_takes_rep_time_before_qualification() -> None:
    # Every lead recorded (rate 1), half a day each: SQL at least 0.5 days after the response.
    _, off = _leads({})
    _, on = _leads({"sales.data_capture.capture_rate": 1.0,
                    "sales.data_capture.days_per_record": 0.5})

    def gaps(frame: object) -> np.ndarray:
        sql = frame[frame["sql_time"].notna()]  # type: ignore[index]
        return (sql["sql_time"] - sql["mql_time"]
                - sql["first_response_hours"] / 24.0).to_numpy()

    assert gaps(on).min() >= 0.5 - 1e-9
    assert gaps(off).min() < 0.1
