"""Reading values of a CRM export: dates, amounts, fractions, names."""

import numpy as np
import pandas as pd
import pytest

from sim.calibration.parsing import (
    UnreadableValueError,
    date_order_votes,
    first_ambiguous,
    parse_amounts,
    parse_dates,
    parse_fractions,
    snake,
)

pytestmark = pytest.mark.unit


def test_iso_dates_with_and_without_time():
    stamps, timed = parse_dates(pd.Series(["2024-01-31", "2024-02-01 14:05:09", ""]), None)
    assert stamps.iloc[0] == pd.Timestamp("2024-01-31")
    assert stamps.iloc[1] == pd.Timestamp("2024-02-01 14:05:09")
    assert pd.isna(stamps.iloc[2])
    assert timed


def test_date_only_values_report_no_time():
    _, timed = parse_dates(pd.Series(["2024-01-31", "2024-02-01"]), None)
    assert not timed


@pytest.mark.parametrize(("order", "expected"), [("day_first", "2024-04-03"),
                                                 ("month_first", "2024-03-04")])
def test_slashed_dates_follow_the_order(order, expected):
    stamps, _ = parse_dates(pd.Series(["03/04/2024"]), order)
    assert stamps.iloc[0] == pd.Timestamp(expected)


def test_twelve_hour_clock_and_two_digit_years():
    stamps, timed = parse_dates(pd.Series(["1/5/24 2:15 PM", "1/5/24 12:00 AM"]), "month_first")
    assert stamps.iloc[0] == pd.Timestamp("2024-01-05 14:15")
    assert stamps.iloc[1] == pd.Timestamp("2024-01-05 00:00")
    assert timed


def test_month_names_and_time_zones():
    stamps, _ = parse_dates(pd.Series(["Jan 5, 2024", "2024-02-03T10:00:00Z"]), None)
    assert stamps.iloc[0] == pd.Timestamp("2024-01-05")
    assert stamps.iloc[1] == pd.Timestamp("2024-02-03 10:00")


def test_a_slashed_date_needs_an_order():
    with pytest.raises(UnreadableValueError) as info:
        parse_dates(pd.Series(["2024-01-01", "03/04/2024"]), None)
    assert info.value.position == 1


@pytest.mark.parametrize("bad", ["not a date", "31/31/2024", "2024-13-01"])
def test_unreadable_dates_name_their_position(bad):
    with pytest.raises(UnreadableValueError) as info:
        parse_dates(pd.Series(["01/02/2024", bad]), "day_first")
    assert info.value.position == 1


def test_order_votes_and_ambiguity():
    assert date_order_votes(pd.Series(["03/04/2024", "31/01/2024"])) == (1, None)
    assert date_order_votes(pd.Series(["01/31/2024"])) == (None, 0)
    assert first_ambiguous(pd.Series(["2024-01-01", "03/04/2024"])) == 1
    assert first_ambiguous(pd.Series(["05/05/2024"])) is None  # same either way


@pytest.mark.parametrize(("text", "value"), [
    ("$1,234.50", 1234.5), ("1.234,50 €", 1234.5), ("EUR 1 234", 1234.0),
    ("(120)", -120.0), ("12,5", 12.5), ("1,234", 1234.0), ("-5", -5.0),
    ("1.234.567", 1234567.0), ("£ 99", 99.0), ("1'000.25", 1000.25), ("USD -3", -3.0),
])
def test_amounts(text, value):
    assert parse_amounts(pd.Series([text]))[0] == pytest.approx(value)


def test_decimal_comma_option():
    assert parse_amounts(pd.Series(["1,234"]), decimal=",")[0] == pytest.approx(1.234)


def test_empty_amount_is_missing_and_text_is_refused():
    assert np.isnan(parse_amounts(pd.Series([""]))[0])
    with pytest.raises(UnreadableValueError) as info:
        parse_amounts(pd.Series(["10", "n/a"]))
    assert info.value.position == 1


def test_fractions():
    out = parse_fractions(pd.Series(["0.15", "15%", "15", ""]))
    assert out[:3] == pytest.approx([0.15, 0.15, 0.15])
    assert np.isnan(out[3])
    with pytest.raises(UnreadableValueError):
        parse_fractions(pd.Series(["150%"]))


def test_snake():
    assert snake("Mid-Market") == "mid_market"
    assert snake("  Closed Won ") == "closed_won"
