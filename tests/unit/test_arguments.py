"""The command lines' shared argument type: whole numbers with a floor, one-line refusals."""

import argparse

import pytest

from sim.experiments.arguments import whole_number

pytestmark = pytest.mark.unit


def test_whole_number_accepts_the_floor_and_above() -> None:
    parse = whole_number(2)
    assert parse("2") == 2
    assert parse("40") == 40


@pytest.mark.parametrize(("text", "message"), [
    ("1", "expected a seed >= 2, got 1"),
    ("2.5", "expected a whole number, got '2.5'"),
    ("two", "expected a whole number, got 'two'"),
])
def test_whole_number_refuses_in_one_line(text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as caught:
        whole_number(2, "a seed")(text)
    assert str(caught.value) == message
