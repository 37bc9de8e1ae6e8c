"""A lead's row of luck: named columns in the order of the draws, and their transforms."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario
from sim.model.luck import Luck, transform_rows
from sim.model.records import Source

NAMED = {name: value for name, value in vars(Luck).items()
         if name.isupper() and isinstance(value, int) and name != "FIXED"}


def test_the_named_columns_are_the_fixed_columns_each_once() -> None:
    assert sorted(NAMED.values()) == list(range(Luck.FIXED))


def test_the_columns_keep_the_order_of_the_stored_results() -> None:
    # The order of the columns is the order of the draws: moving one changes
    # every stored result (tests/regression).
    assert [name for name, _ in sorted(NAMED.items(), key=lambda kv: kv[1])] == [
        "SEGMENT", "QUALITY", "BUYING_WINDOW", "SCORE_NOISE", "GOING_COLD", "FOLLOW_UP",
        "RESPONSE", "REJECT", "RECYCLE", "QUALIFY", "PUSH", "DEAL_SIZE", "QUALIFY_DAYS",
    ]


@pytest.mark.parametrize("stages", [1, 2, 5])
def test_each_stage_has_two_columns_after_the_fixed_ones(stages: int) -> None:
    pairs = [(Luck.stage_duration(j), Luck.stage_advance(j)) for j in range(stages)]
    columns = [c for pair in pairs for c in pair]
    assert columns == list(range(Luck.FIXED, Luck.width(stages)))
    assert pairs[0] == (13, 14)


def test_the_handoff_columns_are_named_columns() -> None:
    assert set(Luck.HANDOFF) <= set(NAMED.values())
    assert Luck.QUALITY not in Luck.HANDOFF and Luck.BUYING_WINDOW not in Luck.HANDOFF


def test_transform_rows_turns_each_column_into_its_variate() -> None:
    s = Scenario().resolve()
    stages = len(s.sales.stages)
    u = np.random.default_rng(9).random((5_000, Luck.width(stages)))
    original = u.copy()
    rows = transform_rows(u, Source.ORGANIC, s)
    assert rows is u  # in place
    segments = rows[:, Luck.SEGMENT]
    assert set(np.unique(segments)) <= set(range(len(s.leads.segments)))
    assert ((rows[:, Luck.QUALITY] > 0.0) & (rows[:, Luck.QUALITY] < 1.0)).all()
    assert (rows[:, Luck.BUYING_WINDOW] > 0.0).all()
    assert (rows[:, Luck.GOING_COLD] > 0.0).all() and (rows[:, Luck.QUALIFY_DAYS] > 0.0).all()
    assert (rows[:, Luck.SCORE_NOISE] < 0.0).any() and (rows[:, Luck.RESPONSE] < 0.0).any()
    assert abs(rows[:, Luck.DEAL_SIZE].mean() - 1.0) < 0.1  # mean 1
    for j in range(stages):
        assert (rows[:, Luck.stage_duration(j)] > 0.0).all()
    # The uniforms compared with a chance later stay uniforms.
    kept = [Luck.FOLLOW_UP, Luck.REJECT, Luck.RECYCLE, Luck.QUALIFY, Luck.PUSH,
            *(Luck.stage_advance(j) for j in range(stages))]
    np.testing.assert_array_equal(rows[:, kept], original[:, kept])


def test_transform_rows_without_buying_windows_never_closes_one() -> None:
    s = Scenario().with_overrides({"leads.buying_window": False}).resolve()
    u = np.random.default_rng(2).random((10, Luck.width(len(s.sales.stages))))
    assert np.isinf(transform_rows(u, Source.PROMOTION, s)[:, Luck.BUYING_WINDOW]).all()
