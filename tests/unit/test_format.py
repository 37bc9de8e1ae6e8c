"""The one formatter: the same text for a number in the CLI, the reports and the workshop."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.report.format import (
    fmt,
    fmt_ci,
    fmt_horizon,
    fmt_hours_in_words,
    fmt_param,
    fmt_range,
    fmt_relative,
    fmt_tick,
    in_sentence,
    kind_of,
)

NAN = math.nan


@pytest.mark.parametrize(("value", "expected"), [
    (812_345.0, "812 k"),
    (1_234_567.0, "1.23 M"),
    (1_500_000.0, "1.5 M"),
    (2_000_000.0, "2 M"),
    (15_760_000.0, "15.8 M"),
    (999.4, "999"),
    (999.5, "1 k"),  # rounded to three digits first: never "1000" of the smaller unit
    (999_500.0, "1 M"),
    (2_500.0, "2.5 k"),
    (3_210_000_000.0, "3.21 bn"),
    (1_234_000_000_000.0, "1,230 bn"),
    (512.0, "512"),
    (12.34, "12.3"),
    (0.0, "0"),
    (0.001, "0"),  # below half a cent
    (-1_522_465.0, "-1.52 M"),
    (-286_957.9, "-287 k"),
    (NAN, "-"),
    (None, "-"),
])
def test_money(value: float | None, expected: str) -> None:
    assert fmt(value, "money") == expected


@pytest.mark.parametrize(("value", "expected"), [
    (12_345.0, "12,345"),
    (7.0, "7"),  # a whole count has no decimals
    (12.34, "12"),  # a mean of counts is whole from 10 up ("Deals won 16", not "16.0")
    (15.96, "16"),
    (2.45, "2.5"),  # below 10 a decimal still says something
    (0.96, "1"),  # ... unless it rounds to a whole number
    (99.96, "100"),
    (1_234.5, "1,234"),
    (0.0, "0"),
    (-3.25, "-3.2"),
    (NAN, "-"),
])
def test_count(value: float, expected: str) -> None:
    assert fmt(value, "count") == expected


@pytest.mark.parametrize(("value", "kind", "expected"), [
    (0.256, "percent", "25.6%"),
    (1.0, "percent", "100.0%"),
    (-0.00001, "percent", "0.0%"),  # never "-0.0%"
    (12.5, "days", "12.5 d"),
    (0.0, "days", "0.0 d"),
    (0.354, "hours", "0.35 h"),
    (0.4567, "number", "0.4567"),
    (8.0, "number", "8"),
    (12_345.6, "number", "12,346"),  # not 1.235e+04
    (0.0000123, "number", "0.0000123"),
    (NAN, "days", "-"),
])
def test_other_kinds(value: float, kind: str, expected: str) -> None:
    assert fmt(value, kind) == expected


@pytest.mark.parametrize(("value", "kind", "expected"), [
    (1_200_000.0, "money", "+1.2 M"),
    (-2_500.0, "money", "-2.5 k"),
    (0.0, "money", "±0"),
    (0.001, "money", "±0"),  # too small to show: no direction either
    (0.02, "percent", "+2.0 pp"),  # a difference of shares is in percentage points
    (-0.02, "percent", "-2.0 pp"),
    (0.0, "percent", "±0.0 pp"),
    (-3.46, "days", "-3.5 d"),
    (150.0, "count", "+150"),
    (-12.6, "count", "-13"),
    (-2.5, "count", "-2.5"),
    (NAN, "money", "-"),
])
def test_signed_differences(value: float, kind: str, expected: str) -> None:
    assert fmt(value, kind, signed=True) == expected


def test_a_metric_brings_its_kind() -> None:
    assert fmt(812_345.0, metric="cost_per_deal") == "812 k"
    assert fmt(812_345.0, "cost_per_deal") == "812 k"  # a metric's name where a kind goes
    assert fmt(0.256, metric="win_rate") == "25.6%"
    assert fmt(12_345.6, metric="brand_equity") == "12,346"  # not a metric: a plain number
    assert kind_of(metric="cycle_days_median") == "days"


def test_a_kind_must_be_known_and_given_once() -> None:
    with pytest.raises(ValueError, match="unknown kind of number 'euros'"):
        fmt(1.0, "euros")
    with pytest.raises(ValueError, match="not both"):
        fmt(1.0, "money", metric="revenue")
    with pytest.raises(ValueError, match="neither"):
        fmt(1.0)


def test_numpy_numbers_format_like_floats() -> None:
    assert fmt(np.float64(1_234_567.0), "money") == "1.23 M"
    assert fmt(np.int64(12_345), "count") == "12,345"
    assert fmt_param(np.int64(1_000)) == "1,000"


def test_ranges_and_intervals() -> None:
    assert fmt_range(1.2e6, 1.8e6, "money") == "1.2 M to 1.8 M"
    assert fmt_range(-0.01, 0.02, "percent", signed=True, sep=" .. ") == "-1.0 pp .. +2.0 pp"
    assert fmt_range(NAN, 1.0, "money") == "-"
    assert fmt_ci(1.5e6, 1.2e6, 1.8e6, "money") == "1.5 M (95% CI 1.2 M to 1.8 M)"
    assert fmt_ci(0.3, NAN, NAN, "percent") == "30.0%"


def test_relative_changes_are_in_per_cent() -> None:
    assert fmt_relative(0.125) == "+12.5%"
    assert fmt_relative(-0.03) == "-3.0%"
    assert fmt_relative(0.0) == "±0.0%"
    assert fmt_relative(NAN) == "-"


@pytest.mark.parametrize(("value", "kind", "expected"), [
    (1_500_000.0, "money", "1.5 M"),
    (999_600.0, "money", "1 M"),
    (0.0, "money", "0"),
    (0.4, "percent", "40%"),
    (0.256, "percent", "25.6%"),
    (-0.1, "percent", "-10%"),
    (12_345.0, "count", "12,345"),
    (2.5, "count", "2.5"),
    (12.0, "days", "12 d"),
    (1_234.0, "days", "1,234 d"),  # no exponent on a long axis
    (0.0, "number", "0"),
    (NAN, "money", ""),
])
def test_ticks_are_compact(value: float, kind: str, expected: str) -> None:
    assert fmt_tick(value, kind) == expected


def test_words() -> None:
    assert fmt_hours_in_words(0.31) == "19 minutes"
    assert fmt_hours_in_words(5.25) == "5.2 hours"
    assert fmt_hours_in_words(72.0) == "3.0 days"
    assert fmt_hours_in_words(NAN) == "-"
    assert fmt_horizon(730.0) == "2 years"
    assert fmt_horizon(365.0, with_days=True) == "1 year (365 days)"
    assert fmt_horizon(1_500.0) == "1,500 days"
    assert in_sentence("Revenue, whole horizon") == "revenue, whole horizon"
    assert in_sentence("ROI (contribution / cost)") == "ROI (contribution / cost)"


@pytest.mark.parametrize(("value", "expected"), [
    (1.0125e6, "1,012,500"),
    (0.25, "0.25"),
    (8, "8"),
    (1_000, "1,000"),
    (123_456.7, "123,457"),
    (True, "true"),
    ("integrated", "integrated"),
    (NAN, "-"),
])
def test_parameter_values(value: object, expected: str) -> None:
    assert fmt_param(value) == expected


def test_text_is_not_a_number() -> None:
    with pytest.raises(TypeError, match="expected a number to format; got str"):
        fmt("12", "count")
