"""Per-lead records: blocks folded into running totals give what one table of every lead gave."""

from __future__ import annotations

import numpy as np
import pytest

from sim import Scenario
from sim.model.funnel import FunnelModel
from sim.model.records import (
    COLUMNS,
    WON_COLUMNS,
    LeadBlock,
    LeadTotals,
    Outcome,
    Reason,
    RunningColumns,
    WonDeals,
    week_edges,
)
from sim.model.streams import make_streams


def test_running_columns_keep_block_order_whatever_order_blocks_finish() -> None:
    columns = RunningColumns({"x": (np.float64, ()), "pair": (np.int8, (2,))}, chunk_rows=3)
    rows = {k: {"x": np.arange(n, dtype=float) + 10 * k,
                "pair": np.full((n, 2), k, dtype=np.int8)} for k, n in enumerate((2, 0, 5, 4))}
    for k in (2, 0, 3, 1):  # block 1 (no rows) finishes last
        columns.add(k, rows[k])
        if k == 0:
            assert columns.n == 2  # block 1 missing: blocks 2 and 3 wait
    view = columns.view()
    np.testing.assert_array_equal(view["x"], [0, 1, 20, 21, 22, 23, 24, 30, 31, 32, 33])
    np.testing.assert_array_equal(view["pair"][:, 1], [0, 0, 2, 2, 2, 2, 2, 3, 3, 3, 3])
    assert columns.view()["x"] is view["x"]  # joined once


def test_running_columns_take_rows_after_a_view() -> None:
    columns = RunningColumns({"x": (np.float64, ())}, chunk_rows=2)
    columns.add(0, {"x": np.array([1.0, 2.0, 3.0])})
    np.testing.assert_array_equal(columns.view()["x"], [1, 2, 3])
    columns.add(1, {"x": np.array([])})
    columns.add(2, {"x": np.array([4.0, 5.0, 6.0])})
    np.testing.assert_array_equal(columns.view()["x"], [1, 2, 3, 4, 5, 6])


def test_running_columns_empty() -> None:
    view = RunningColumns({"x": (np.float64, ()), "d": (np.float64, (4,))}).view()
    assert view["x"].shape == (0,) and view["d"].shape == (0, 4)


def _block(number: int, first: int, created: list[float], outcome: list[int],
           outcome_time: list[float], value: list[float]) -> LeadBlock:
    block = LeadBlock(number, first, len(created), stages=2)
    block.created[:] = created
    block.outcome[:] = outcome
    block.outcome_time[:] = outcome_time
    block.value[:] = value
    block.stage_days[:] = 1.0
    return block


def test_totals_count_only_leads_created_from_day_0_and_bin_them_by_week() -> None:
    totals = LeadTotals(horizon=20.0, period_starts=[-10.0], stages=2, keep_blocks=False)
    won, cold, flight = int(Outcome.WON), int(Outcome.COLD), int(Outcome.IN_FLIGHT)
    # Folded out of order: the won deals still come out in lead order.
    totals.add(_block(1, 3, [8.0, 15.0], [won, flight], [12.0, np.nan], [5.0, 0.0]))
    totals.add(_block(0, 0, [-3.0, 1.0, 2.0], [won, cold, won], [4.0, 6.0, 9.0],
                      [7.0, 0.0, 2.0]))
    assert totals.leads == 4  # the warm-up lead (created -3) is not counted
    assert list(totals.outcomes[[won, cold, flight]]) == [2, 1, 1]
    # Bookings: the warm-up lead's deal closed on day 4 is booked, in lead order.
    won = totals.won()
    np.testing.assert_array_equal(won.value, [7.0, 2.0, 5.0])
    np.testing.assert_array_equal(won.outcome_time, [4.0, 9.0, 12.0])
    np.testing.assert_array_equal(won.created, [-3.0, 2.0, 8.0])
    assert won.stage_days.shape == (3, 2)
    np.testing.assert_array_equal(week_edges(20.0), [0.0, 7.0, 14.0, 21.0])  # last: to 20
    np.testing.assert_array_equal(totals.leads_by_week, [2, 1, 1])
    # In the system just before each week end (7, 14, 20): created by then, not yet out.
    np.testing.assert_array_equal(totals.open_at_week_ends(totals.wip_opened, totals.wip_closed),
                                  [1, 0, 1])
    assert totals.blocks is None


@pytest.mark.parametrize("keep", [False, True])
def test_every_block_is_folded_and_dropped_unless_records_are_kept(keep: bool) -> None:
    model = FunnelModel(Scenario().with_overrides({"horizon_days": 200}), make_streams(3),
                        keep_leads=keep)
    model.run()
    assert model.blocks_in_flight == {}
    assert model.blocks_made > 1
    if keep:
        assert model.totals.blocks is not None
        assert sorted(model.totals.blocks) == list(range(model.blocks_made))
        assert sum(b.n for b in model.totals.blocks.values()) == model.leads_created
    else:
        assert model.totals.blocks is None


def test_a_block_declares_every_column_with_its_dtype_and_unset_value() -> None:
    block = LeadBlock(number=4, first=100, n=3, stages=2)
    assert list(block.view()) == list(COLUMNS)
    declared = {name for name in LeadBlock.__annotations__} - {"number", "first", "n",
                                                                "unfinished", "stage_days"}
    assert declared == set(COLUMNS)
    for name, column in block.view().items():
        assert column.shape == (3,), name
    assert block.created.dtype == np.float64 and np.isnan(block.created).all()
    assert block.source.dtype == np.int8 and (block.source == -1).all()
    assert block.stage_reached.dtype == np.int16 and (block.stage_reached == -1).all()
    assert block.recycled.dtype == np.int16 and (block.recycled == 0).all()
    assert block.pushed.dtype == np.bool_ and not block.pushed.any()
    assert (block.value == 0.0).all()
    assert (block.outcome == Outcome.IN_FLIGHT).all() and (block.reason == Reason.NONE).all()
    assert block.stage_days.shape == (3, 2)
    assert (block.number, block.first, block.n, block.unfinished) == (4, 100, 3, 3)


def test_a_misspelt_column_is_an_error_not_a_new_attribute() -> None:
    block = LeadBlock(0, 0, 2, 1)
    with pytest.raises(AttributeError):
        block.mql_tme = np.zeros(2)  # type: ignore[attr-defined]


def test_rows_copy_the_selected_leads_of_every_column() -> None:
    block = _block(2, 10, [-1.0, 3.0, 4.0], [int(Outcome.WON)] * 3, [5.0, 6.0, 7.0],
                   [1.0, 2.0, 3.0])
    block.stage_days[:, 0] = [0.5, 1.5, 2.5]
    kept = block.rows(block.created >= 0.0)
    assert (kept.number, kept.first, kept.n, kept.unfinished) == (2, 10, 2, 2)
    np.testing.assert_array_equal(kept.value, [2.0, 3.0])
    np.testing.assert_array_equal(kept.stage_days[:, 0], [1.5, 2.5])
    kept.value[0] = 99.0
    assert block.value[1] == 2.0  # a copy


def test_won_deals_keep_the_block_columns_of_their_names() -> None:
    assert set(WON_COLUMNS) <= set(COLUMNS)
    assert tuple(f for f in WonDeals.__dataclass_fields__ if f != "stage_days") == WON_COLUMNS
    totals = LeadTotals(horizon=10.0, period_starts=[0.0], stages=3, keep_blocks=False)
    won = totals.won()  # none yet: empty, with each column's dtype
    block = LeadBlock(0, 0, 0, 3)
    for name in WON_COLUMNS:
        column = getattr(won, name)
        assert column.shape == (0,) and column.dtype == getattr(block, name).dtype, name
    assert won.stage_days.shape == (0, 3)


class _Watched(FunnelModel):
    """Records how many blocks are in flight whenever a new one is made."""

    def _new_block(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.most_in_flight = max(getattr(self, "most_in_flight", 0), len(self.blocks_in_flight))
        return super()._new_block(*args, **kwargs)


def test_blocks_in_flight_do_not_grow_with_the_horizon() -> None:
    most = {}
    for years in (2, 6):
        model = _Watched(Scenario().with_overrides({"horizon_days": 365 * years}),
                         make_streams(5))
        model.run()
        most[years] = model.most_in_flight
    assert most[6] <= most[2] + 2, most
