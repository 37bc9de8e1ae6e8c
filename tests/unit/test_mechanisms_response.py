"""First response and its decay (sim.model.mechanisms): functions against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.mechanisms import (
    first_response_hours,
    qualify_multiplier,
    response_decay,
    unmanaged_response_hours,
    unmanaged_response_share,
    within_band,
)

# The baseline's responses with no SLA (Oldroyd et al. 2011) and band shape.
NO_SLA = (0.48, 0.69, 129.0, 2.0)
# A fine grid of response luck: the delays of many leads.
U = (np.arange(200_000) + 0.5) / 200_000


def delays(sla_hours: float | None = None, compliance: float = 0.0,
           profile: tuple[float, float, float, float] = NO_SLA) -> np.ndarray:
    return np.array([first_response_hours(u, *profile, sla_hours, compliance) for u in U])


# --- the spread inside a band ----------------------------------------------------------


def test_within_band_by_hand() -> None:
    assert within_band(0.5, 2.0) == 0.25  # half the responses in the first quarter
    assert within_band(0.5, 1.0) == 0.5  # evenly spread
    assert within_band(0.5625, 0.5) == 0.75  # 44% of them in the last quarter


# --- responses with no SLA -------------------------------------------------------------


def test_unmanaged_response_hours_by_hand() -> None:
    # First hour: u = 0.24 is half-way through its 0.48 share: 0.5^2 = 0.25 h.
    assert unmanaged_response_hours(0.24, *NO_SLA) == pytest.approx(0.25)
    # 1-24 h: u = 0.585 is half-way through its 0.21 share: 1 + 23 x 0.25 = 6.75 h.
    assert unmanaged_response_hours(0.585, *NO_SLA) == pytest.approx(6.75)
    # After a day: 24 h plus an exponential of mean 129 - 24 = 105 h; at the quantile
    # 1 - e^-1 of the tail that is one mean: 129 h.
    u = 0.69 + 0.31 * (1.0 - math.exp(-1.0))
    assert unmanaged_response_hours(u, *NO_SLA) == pytest.approx(129.0)


def test_unmanaged_response_share_inverts_the_delay() -> None:
    assert unmanaged_response_share(0.25, *NO_SLA) == pytest.approx(0.24)  # 0.48 x 0.25^(1/2)
    assert unmanaged_response_share(1.0, *NO_SLA) == pytest.approx(0.48)
    assert unmanaged_response_share(24.0, *NO_SLA) == pytest.approx(0.69)
    assert unmanaged_response_share(0.0, *NO_SLA) == 0.0
    for u in (0.01, 0.3, 0.5, 0.6, 0.7, 0.95, 0.999):
        h = unmanaged_response_hours(u, *NO_SLA)
        assert unmanaged_response_share(h, *NO_SLA) == pytest.approx(u, abs=1e-12)


def test_no_sla_reproduces_oldroyd_bands_and_mean() -> None:
    # Oldroyd et al. 2011, of the firms that answered: 37/77 within an hour, 53/77
    # within a day, mean 42 h. By hand the mean is 0.48 x 1/3 (first hour, shape 2)
    # + 0.21 x (1 + 23/3) + 0.31 x 129 = 41.97 h.
    h = delays()
    assert np.mean(h < 1.0) == pytest.approx(0.48, abs=1e-4)
    assert np.mean(h < 24.0) == pytest.approx(0.69, abs=1e-4)
    assert h.mean() == pytest.approx(41.97, abs=0.05)


def test_band_shape_moves_responses_inside_bands_only() -> None:
    even, early = delays(profile=(0.48, 0.69, 129.0, 1.0)), delays()
    for cut in (1.0, 24.0):  # the observed band shares do not move
        assert np.mean(even < cut) == pytest.approx(np.mean(early < cut), abs=1e-4)
    # Within the first hour: evenly, a quarter of the hour holds a quarter of its
    # responses; with shape 2, half.
    assert np.mean(even < 0.25) == pytest.approx(0.48 * 0.25, abs=1e-4)
    assert np.mean(early < 0.25) == pytest.approx(0.48 * 0.5, abs=1e-4)


# --- responses under an SLA ------------------------------------------------------------


def test_sla_by_hand() -> None:
    # 4 h SLA kept 70% of the time. Without it 0.48 + 0.21 x (3/23)^(1/2) = 0.55584
    # already came within 4 h: those stay as they were.
    met = 0.48 + 0.21 * math.sqrt(3.0 / 23.0)
    assert first_response_hours(0.5, *NO_SLA, 4.0, 0.7) == pytest.approx(
        1.0 + 23.0 * ((0.5 - 0.48) / 0.21) ** 2)  # 1.2086 h, as with no SLA
    # Half-way through the share brought inside: 4 x 0.5^2 = 1 h.
    assert first_response_hours(met + (0.7 - met) / 2, *NO_SLA, 4.0, 0.7) == pytest.approx(1.0)
    # The tail: u = 0.85 is half-way through the 30% that miss; it takes the delay of
    # the lead half-way through those beyond 4 h without the SLA, u' = 0.77792:
    # 24 - 105 x ln(1 - (0.77792 - 0.69) / 0.31) = 59.02 h.
    assert first_response_hours(0.85, *NO_SLA, 4.0, 0.7) == pytest.approx(59.0219, abs=1e-3)


def test_sla_compliance_is_the_share_within_its_hours() -> None:
    for hours, compliance in ((4.0, 0.7), (2.0, 0.8), (1.0, 0.9), (0.5, 0.95)):
        assert np.mean(delays(hours, compliance) < hours) == pytest.approx(compliance, abs=1e-4)


def test_sla_leaves_responses_that_met_it_alone_and_the_misses_late() -> None:
    base, sla = delays(), delays(4.0, 0.7)
    met = base < 4.0
    np.testing.assert_array_equal(sla[met], base[met])
    # No lead is answered later than without the SLA; the 30% that miss keep delays of
    # the no-SLA profile beyond 4 h: their mean is that of the no-SLA delays beyond 4 h.
    assert np.all(sla <= base + 1e-9)
    misses = sla[sla >= 4.0]
    assert misses.size / sla.size == pytest.approx(0.3, abs=1e-4)
    assert misses.mean() == pytest.approx(base[~met].mean(), rel=1e-3)


def test_sla_below_what_is_met_anyway_changes_nothing() -> None:
    # Without an SLA 0.69 come within 24 h: a 24 h SLA kept 60% of the time is idle.
    np.testing.assert_array_equal(delays(24.0, 0.6), delays())


def test_delay_grows_with_the_response_luck() -> None:
    assert np.all(np.diff(delays()) >= 0.0)
    # Under an SLA it grows among the leads it brings inside its hours and among the
    # misses (the leads that met it anyway keep their no-SLA delays).
    base, sla = delays(), delays(4.0, 0.7)
    moved = (base >= 4.0) & (sla < 4.0)
    assert np.all(np.diff(sla[moved]) >= 0.0) and np.all(np.diff(sla[sla >= 4.0]) >= 0.0)


def test_sla_of_zero_hours_always_met_answers_at_once() -> None:
    # Neutral mode: every first response immediate.
    assert np.all(delays(0.0, 1.0) == 0.0)


# --- decay -----------------------------------------------------------------------------


def test_response_decay_by_hand() -> None:
    assert response_decay(0.0, 6.5, 65.0) == 1.0
    assert response_decay(0.99, 6.5, 65.0) == 1.0  # flat within the first hour
    assert response_decay(1.5, 6.5, 65.0) == pytest.approx(1 / 6.5)
    assert response_decay(2.0, 6.5, 65.0) == pytest.approx(1 / 6.5)  # continuous at 2 h
    # Half-way from 2 h to 24 h, log-linear: 1 / sqrt(6.5 x 65) = 0.048650.
    assert response_decay(13.0, 6.5, 65.0) == pytest.approx(0.0486504, rel=1e-6)
    assert response_decay(23.999999, 6.5, 65.0) == pytest.approx(1 / 65, rel=1e-6)
    assert response_decay(24.0, 6.5, 65.0) == pytest.approx(1 / 65)
    assert response_decay(500.0, 6.5, 65.0) == pytest.approx(1 / 65)


def test_response_decay_never_rises() -> None:
    h = np.linspace(0.0, 100.0, 2001)
    out = np.array([response_decay(x, 6.5, 65.0) for x in h])
    assert np.all(np.diff(out) <= 0.0)


def test_qualify_multiplier_by_hand() -> None:
    # Reach 0.5 after a day: 1 - 0.5 + 0.5 / 65 = 0.507692.
    assert qualify_multiplier(30.0, 0.5, 6.5, 65.0) == pytest.approx(0.5076923)
    # Reach 1 is the curve itself; reach 0 switches decay off.
    assert qualify_multiplier(1.5, 1.0, 6.5, 65.0) == pytest.approx(1 / 6.5)
    assert qualify_multiplier(300.0, 0.0, 6.5, 65.0) == 1.0
    assert qualify_multiplier(0.5, 0.3, 6.5, 65.0) == 1.0  # within the first hour
