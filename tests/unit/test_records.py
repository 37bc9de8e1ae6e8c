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


def test_block_columns_of_one_dtype_share_an_array_but_not_their_values() -> None:
    block = LeadBlock(0, 0, 4, stages=3)
    names = [name for name in (*COLUMNS, "stage_days") if name != "pushed"]  # pushed: a bool
    for k, name in enumerate(names):
        getattr(block, name)[...] = k + 1  # every column its own value
    for k, name in enumerate(names):
        assert (getattr(block, name) == k + 1).all(), name
    assert not block.pushed.any()


def _plain_add(totals: LeadTotals, block: LeadBlock) -> None:
    """The fold as it was before batching (np.histogram, block by block): the plain way."""
    counted = block.created >= 0.0
    c = block.rows(counted) if not counted.all() else block
    weeks = totals.edges.size - 1
    periods = len(totals.period_starts)
    totals.leads += c.n
    totals.mqls += int(np.count_nonzero(~np.isnan(c.mql_time)))
    totals.sqls += int(np.count_nonzero(~np.isnan(c.sql_time)))
    totals.opportunities += int(np.sum(c.stage_reached >= 1))
    totals.recycled += int(np.sum(c.recycled > 0))
    totals.outcomes += np.bincount(c.outcome, minlength=len(Outcome))
    totals.reasons += np.bincount(c.reason, minlength=len(Reason))
    assigned = c.wait_days[~np.isnan(c.wait_days)]
    totals.wait_days_sum += float(assigned.sum())
    totals.assigned += assigned.size
    totals.leads_by_week += np.histogram(c.created, bins=totals.edges)[0]
    end = np.where(np.isnan(c.outcome_time), np.inf, c.outcome_time)
    totals.wip_opened += np.bincount(totals._from_week(c.created), minlength=weeks + 1)
    totals.wip_closed += np.bincount(totals._from_week(end), minlength=weeks + 1)
    mql_time = block.mql_time[block.mql_time >= 0.0]
    totals.mqls_by_period += np.bincount(totals._period(mql_time), minlength=periods)
    totals.mqls_by_week += np.histogram(mql_time, bins=totals.edges)[0]
    sql = block.sql_time >= 0.0
    totals.sql_value_by_period += np.bincount(
        totals._period(block.sql_time[sql]), weights=block.deal_size[sql], minlength=periods)
    opened = ~np.isnan(block.sql_time)
    closes = np.where(np.isnan(block.outcome_time), np.inf, block.outcome_time)
    totals.pipeline_opened += np.bincount(totals._from_week(block.sql_time[opened]),
                                          weights=block.deal_size[opened], minlength=weeks + 1)
    totals.pipeline_closed += np.bincount(totals._from_week(closes[opened]),
                                          weights=block.deal_size[opened], minlength=weeks + 1)
    in_window = block.outcome_time >= 0.0
    totals.closed_lost_in_sales += int(np.count_nonzero(
        in_window & (block.outcome == Outcome.LOST_IN_SALES)))
    won = in_window & (block.outcome == Outcome.WON)
    totals._won.add(block.number, {name: getattr(block, name)[won]
                                   for name in (*WON_COLUMNS, "stage_days")})
    hours = c.first_response_hours
    totals._responses.add(block.number, {"hours": hours[~np.isnan(hours)]})


_TOTALS = ("leads", "mqls", "sqls", "opportunities", "recycled", "outcomes", "reasons",
           "wait_days_sum", "assigned", "closed_lost_in_sales", "mqls_by_period",
           "sql_value_by_period", "leads_by_week", "mqls_by_week", "pipeline_opened",
           "pipeline_closed", "wip_opened", "wip_closed")


def _same_totals(a: LeadTotals, b: LeadTotals) -> None:
    """Every total equal to the last bit."""
    for name in _TOTALS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name, column in vars(a.won()).items():
        np.testing.assert_array_equal(column, getattr(b.won(), name), err_msg=name)
    np.testing.assert_array_equal(a.response_hours(), b.response_hours())


@pytest.mark.parametrize(("file", "periods"), [
    ("small-company.yaml", [-365.0]),  # warm-up blocks, and the block across day 0
    ("budget-cut-brand-downturn.yaml", [-365.0, 60.0, 200.0]),  # sums by period
])
def test_folding_blocks_together_gives_what_the_plain_fold_gave_block_by_block(
        file: str, periods: list[float]) -> None:  # one rep: MQLs wait for it
    """Batched, deferred or one by one, in any order: the plain fold's totals to the last bit."""
    from pathlib import Path

    from sim import load_scenario

    root = Path(__file__).resolve().parents[2]
    scenario = load_scenario(root / "scenarios" / file).with_overrides(
        {"horizon_days": 300.0, "sales.reps": 1})
    model = FunnelModel(scenario, make_streams(2), keep_leads=True)
    model.run()
    assert model.totals.blocks is not None
    blocks = list(model.totals.blocks.values())
    blocks.append(LeadBlock(len(blocks), model.leads_created, 0, model.stages))  # empty
    order = np.random.default_rng(3).permutation(len(blocks))  # blocks finish in any order
    blocks = [blocks[k] for k in order]
    assert any((b.created < 0).all() for b in blocks if b.n)  # warm-up only
    assert any((b.created < 0).any() and (b.created >= 0).any() for b in blocks)  # across day 0

    def totals(batch_leads: int = 4096) -> LeadTotals:
        return LeadTotals(scenario.horizon_days, periods, model.stages, keep_blocks=False,
                          batch_leads=batch_leads)

    plain = totals()
    for block in blocks:
        _plain_add(plain, block)
    one_by_one = totals()
    for block in blocks:
        one_by_one.add(block)
    together = totals()
    together.add_many(blocks)
    for batch in (1, 300, 10**9):  # every block alone, a few at a time, all at the flush
        deferred = totals(batch)
        for block in blocks:
            deferred.defer(block)
        deferred.flush()
        _same_totals(plain, deferred)
    _same_totals(plain, one_by_one)
    _same_totals(plain, together)
    assert plain.wait_days_sum > 0 and plain.pipeline_opened.sum() > 0 and len(plain.won().value)


def test_week_counts_are_the_histogram_of_the_week_edges() -> None:
    totals = LeadTotals(horizon=20.0, period_starts=[0.0], stages=1, keep_blocks=False)
    edges = totals.edges
    times = np.concatenate([edges, np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf),
                            [-5.0, 30.0, np.nan, np.inf, -np.inf],
                            np.random.default_rng(1).uniform(-2.0, 23.0, 500)])
    np.testing.assert_array_equal(totals._week_counts(times),
                                  np.histogram(times, bins=edges)[0])


def test_folding_blocks_together_keeps_the_order_of_every_float_sum() -> None:
    """Many blocks' sums in the same bins: a sum in another order would differ in the last bits."""
    rng = np.random.default_rng(8)
    blocks = []
    for number in rng.permutation(60):
        n = int(rng.integers(0, 30))
        block = LeadBlock(int(number), 0, n, stages=2)
        block.created[:] = rng.uniform(-5.0, 20.0, n)
        block.sql_time[:] = np.where(rng.random(n) < 0.7, rng.uniform(-3.0, 20.0, n), np.nan)
        block.deal_size[:] = np.where(np.isnan(block.sql_time), np.nan,
                                      rng.lognormal(10.0, 1.0, n) / 3.0)
        block.outcome_time[:] = np.where(rng.random(n) < 0.6, rng.uniform(-1.0, 20.0, n), np.nan)
        block.outcome[:] = np.where(np.isnan(block.outcome_time), Outcome.IN_FLIGHT,
                                    rng.choice([Outcome.WON, Outcome.LOST_IN_SALES], n))
        block.wait_days[:] = np.where(rng.random(n) < 0.8, rng.exponential(1.3, n), np.nan)
        block.first_response_hours[:] = np.where(rng.random(n) < 0.5, rng.random(n), np.nan)
        block.mql_time[:] = np.where(rng.random(n) < 0.5, rng.uniform(-2.0, 20.0, n), np.nan)
        blocks.append(block)
    plain = LeadTotals(horizon=20.0, period_starts=[-5.0, 10.0], stages=2, keep_blocks=False)
    for block in blocks:
        _plain_add(plain, block)
    together = LeadTotals(horizon=20.0, period_starts=[-5.0, 10.0], stages=2, keep_blocks=False,
                          batch_leads=200)
    for block in blocks:
        together.defer(block)
    together.flush()
    _same_totals(plain, together)
    # The sums are order-sensitive: added in one go they differ.
    assert (sum(b.deal_size[b.sql_time >= 0.0].sum() for b in blocks)
            != np.concatenate([b.deal_size[b.sql_time >= 0.0] for b in blocks]).sum())
