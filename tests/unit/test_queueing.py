"""Closed forms of the M/M/c queue used to validate neutral mode."""

import pytest

from sim.model.queueing import erlang_c, mmc_mean_in_system, mmc_mean_wait, mmc_utilization


def test_mm1_closed_forms() -> None:
    # M/M/1, lambda 0.5, mu 1: P(wait) = rho = 0.5, Wq = rho / (mu - lambda) = 1.
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert mmc_mean_wait(0.5, 1.0, 1) == pytest.approx(1.0)
    assert mmc_mean_in_system(0.5, 1.0, 1) == pytest.approx(1.0)  # rho / (1 - rho)


def test_erlang_c_two_servers_by_hand() -> None:
    # c = 2, a = 1: C = (a^2/2! * 2/(2-1)) / (1 + a + 1) = 1 / 3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # Wq = C / (c mu - lambda) = (1/3) / (2 - 1).
    assert mmc_mean_wait(1.0, 1.0, 2) == pytest.approx(1 / 3)
    assert mmc_utilization(1.0, 1.0, 2) == pytest.approx(0.5)


def test_unstable_queue_is_refused() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(2, 2.0)
