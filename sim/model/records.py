"""Per-lead records: blocks of leads in flight, folded into running totals once finished.

Leads are created in blocks (the leads of a few days, :class:`LeadBlock`),
one NumPy column per attribute. When every lead of a block has finished, the
block is folded into :class:`LeadTotals` (counts, sums, weekly bins; a few
finished blocks together, :meth:`LeadTotals.defer`) and, unless per-lead records
were asked for, dropped. Memory therefore grows with the leads in flight, not
with the horizon; only won deals and first-response times (a few
per cent of leads, and what medians and quantiles need) are kept for the whole
run, compactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np
from numpy.typing import DTypeLike, NDArray


class Outcome(IntEnum):
    """Where a lead ended (``IN_FLIGHT`` while still in the system)."""

    IN_FLIGHT = 0
    WON = 1
    NEVER_CONTACTED = 2
    REJECTED = 3
    COLD = 4
    LOST_IN_SALES = 5


class Reason(IntEnum):
    """The detailed reason behind an outcome."""

    NONE = 0
    NOT_FOLLOWED_UP = 1
    EXPIRED_WAITING = 2
    REJECTED = 3
    WENT_COLD = 4
    BOUGHT_ELSEWHERE = 5
    AGED_OUT = 6
    UNQUALIFIED = 7
    LOST_AT_STAGE = 8
    WON = 9
    REP_LEFT = 10  # lost when the rep holding it left (capacity over time)


class Source(IntEnum):
    """Where a lead came from."""

    ORGANIC = 0
    PROMOTION = 1
    HAND_RAISER = 2  # a customer-initiated request (demo, contact form): no nurture


FloatColumn = NDArray[np.float64]
CodeColumn = NDArray[np.int8]  # codes of an IntEnum, or a segment index (-1 until set)
CountColumn = NDArray[np.int16]
FlagColumn = NDArray[np.bool_]

# The per-lead columns of :class:`LeadBlock`, in the order of the per-lead records.
COLUMNS: tuple[str, ...] = (
    "created", "source", "segment", "quality", "mql_time", "assigned_time", "wait_days",
    "first_response_hours", "sql_time", "deal_size", "discount", "value", "pushed", "recycled",
    "stage_reached", "outcome", "reason", "outcome_time", "rep",
)
# The float columns of :class:`LeadBlock`, laid out one after the other in one array.
_FLOAT_COLUMNS: tuple[str, ...] = (
    "created", "quality", "mql_time", "assigned_time", "wait_days", "first_response_hours",
    "sql_time", "deal_size", "discount", "value", "outcome_time",
)


class LeadBlock:
    """The per-lead columns of the leads created over a few days.

    Row ``i`` of every column is lead ``first + i``. A value not known yet is
    NaN for times and amounts, -1 for codes, 0 for counts; ``COLUMNS`` lists
    the per-lead columns in record order.

    Attributes:
        number: the block's position in creation order.
        first: identifier of its first lead (leads are numbered in creation order).
        n: how many leads it holds.
        unfinished: leads without an outcome yet; the block is folded at zero.
        created: day the lead was created (before day 0: a warm-up lead, not counted).
        source: where it came from (a :class:`Source`).
        segment: index of its segment in the scenario's ``leads.segments``.
        quality: its quality, in [0, 1].
        mql_time: day it first became an MQL.
        assigned_time: day a rep first took it.
        wait_days: days from becoming an MQL to that rep.
        first_response_hours: hours from becoming an MQL to the rep's first
            response (set when the response comes by the horizon).
        sql_time: day it qualified, if by the horizon.
        deal_size: list value of its deal, set with ``sql_time``.
        discount: discount of a won deal.
        value: revenue of a won deal (0 otherwise).
        pushed: a won deal pulled forward into a period end.
        recycled: times it was rejected and sent back to nurture.
        stage_reached: stage it was lost at, or the number of stages if won
            (-1 until its pipeline closes).
        outcome: where it ended (an :class:`Outcome`).
        reason: why (a :class:`Reason`).
        outcome_time: day of the outcome.
        rep: index of the rep who held it last: after a handover, the one who
            took it over (a lead still held at the horizon keeps the rep who
            took it on); -1 if no rep ever took it.
        stage_days: days spent in each pipeline stage, one row per lead (NaN
            for stages not entered).
    """

    __slots__ = ("first", "n", "number", "stage_days", "unfinished", *COLUMNS)

    number: int
    first: int
    n: int
    unfinished: int
    created: FloatColumn
    source: CodeColumn
    segment: CodeColumn
    quality: FloatColumn
    mql_time: FloatColumn
    assigned_time: FloatColumn
    wait_days: FloatColumn
    first_response_hours: FloatColumn
    sql_time: FloatColumn
    deal_size: FloatColumn
    discount: FloatColumn
    value: FloatColumn
    pushed: FlagColumn
    recycled: CountColumn
    stage_reached: CountColumn
    outcome: CodeColumn
    reason: CodeColumn
    outcome_time: FloatColumn
    rep: CountColumn
    stage_days: FloatColumn

    def __init__(self, number: int, first: int, n: int, stages: int) -> None:
        self.number = number
        self.first = first
        self.n = n
        self.unfinished = n
        # Columns of one dtype are rows of one array, filled at once: a small
        # company's blocks hold a few dozen leads, where twenty allocations and
        # fills cost more than the values.
        floats = np.full(n * (len(_FLOAT_COLUMNS) + stages), np.nan)
        for k, name in enumerate(_FLOAT_COLUMNS):
            setattr(self, name, floats[k * n: (k + 1) * n])
        self.value[:] = 0.0
        self.stage_days = floats[len(_FLOAT_COLUMNS) * n:].reshape(n, stages)
        codes = np.full((4, n), -1, dtype=np.int8)
        self.source, self.segment, self.outcome, self.reason = codes
        codes[2] = Outcome.IN_FLIGHT
        codes[3] = Reason.NONE
        counts = np.full((3, n), -1, dtype=np.int16)
        self.recycled, self.stage_reached, self.rep = counts
        counts[0] = 0
        self.pushed = np.zeros(n, dtype=np.bool_)

    def view(self) -> dict[str, np.ndarray]:
        """Every per-lead column by name, in ``COLUMNS`` order (not ``stage_days``)."""
        return {name: getattr(self, name) for name in COLUMNS}

    def rows(self, keep: np.ndarray) -> LeadBlock:
        """A new block of the rows ``keep`` selects (a boolean mask), every column copied.

        It keeps the block's ``number`` and ``first``; ``n`` and
        ``unfinished`` count the rows kept.
        """
        out = LeadBlock(self.number, self.first, 0, self.stage_days.shape[1])
        for name in (*COLUMNS, "stage_days"):
            setattr(out, name, getattr(self, name)[keep])
        out.n = out.unfinished = len(out.created)
        return out


@dataclass(frozen=True)
class WonDeals:
    """The deals won during a run (bookings), one value per deal, in lead order.

    Every deal closed won in ``[0, horizon)`` whatever its lead's creation:
    a warm-up lead's deal (``created`` < 0) closing on day 10 is booked. Each
    field is the :class:`LeadBlock` column of the same name, restricted to
    those deals; they are kept for the whole run (medians, quantiles and the
    reports' cycle-time distributions need them one by one).
    """

    created: FloatColumn
    mql_time: FloatColumn
    outcome_time: FloatColumn
    first_response_hours: FloatColumn
    value: FloatColumn
    discount: FloatColumn
    pushed: FlagColumn
    segment: CodeColumn
    source: CodeColumn
    stage_days: FloatColumn


# The per-lead columns a won deal keeps (``WonDeals`` but ``stage_days``).
WON_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in fields(WonDeals) if f.name != "stage_days")


def week_edges(horizon: float) -> np.ndarray:
    """Edges of the weekly series: every 7 days from day 0, the last week ending at the horizon."""
    edges = np.arange(0.0, horizon + 7.0, 7.0)
    edges[-1] = max(edges[-1], horizon)
    edges = edges[edges <= horizon + 7.0]
    if edges[-1] < horizon:
        edges = np.append(edges, horizon)
    return edges


class RunningColumns:
    """Columns of rows kept for the whole run, appended block by block in block order.

    Blocks finish in any order; a block's rows wait until every earlier block
    has been appended, so rows stay in lead order. Rows go into chunks of a
    fixed size, so appending never copies what is stored and little storage
    sits idle; :meth:`view` joins the chunks into one (once, if nothing is
    added after it).

    Args:
        dtypes: each column's dtype, and its row shape (``()`` for one value).
        chunk_rows: rows per chunk.
    """

    def __init__(self, dtypes: dict[str, tuple[DTypeLike, tuple[int, ...]]],
                 chunk_rows: int = 1024) -> None:
        self._dtypes = dtypes
        self._chunk_rows = chunk_rows
        self._chunks: list[dict[str, np.ndarray]] = []
        self._free = 0  # empty rows left in the last chunk
        self.n = 0
        self._next = 0  # the block whose rows come next
        self._waiting: dict[int, dict[str, np.ndarray]] = {}

    def add(self, number: int, rows: dict[str, np.ndarray]) -> None:
        """The rows of block ``number`` (every block number once, possibly with no rows)."""
        self._waiting[number] = rows
        while self._next in self._waiting:
            self._append(self._waiting.pop(self._next))
            self._next += 1

    def _append(self, rows: dict[str, np.ndarray]) -> None:
        count = len(next(iter(rows.values())))
        done = 0
        while done < count:
            if self._free == 0:
                self._chunks.append({name: np.empty((self._chunk_rows, *shape), dtype=dtype)
                                     for name, (dtype, shape) in self._dtypes.items()})
                self._free = self._chunk_rows
            last = self._chunks[-1]
            at = len(next(iter(last.values()))) - self._free
            take = min(self._free, count - done)
            for name, values in rows.items():
                last[name][at: at + take] = values[done: done + take]
            self._free -= take
            done += take
        self.n += count

    def view(self) -> dict[str, np.ndarray]:
        """Every column, rows in block order; joins the chunks into one the first time."""
        if len(self._chunks) != 1 or self._free:
            joined = {name: np.concatenate([chunk[name] for chunk in self._chunks]
                                           or [np.empty((0, *shape), dtype=dtype)])[: self.n]
                      for name, (dtype, shape) in self._dtypes.items()}
            self._chunks, self._free = [joined], 0
        return self._chunks[0]


class LeadTotals:
    """What the metrics need of every lead, folded in block by block.

    Two views of a run are kept. The *cohort* is the leads created in
    ``[0, horizon)``: the funnel counts, the outcomes and the weekly leads and
    work in progress follow them from creation to the horizon. The *window*
    ``[0, horizon)`` is what happened during the run whatever the lead's
    creation, warm-up leads included: deals closed (bookings, :meth:`won`),
    hand-offs and qualified pipeline (what marketing bonuses pay for), and the
    open pipeline at each week end. A warm-up lead (created before day 0) is
    thus not counted in the cohort, but its deal closing on day 10 is booked.

    Counts, sums and weekly bins add up block by block. Won deals and
    first-response times are kept per block and joined in lead order
    (:meth:`won`, :meth:`response_hours`), so medians, quantiles and sums over
    them are the same as over one table of all leads.

    Args:
        horizon: the end of the run (days).
        period_starts: start day of each timeline period (sums by period).
        stages: pipeline stages.
        keep_blocks: keep every folded block, for per-lead records.
        batch_leads: :meth:`defer` folds the blocks waiting once they hold this many leads.
    """

    def __init__(self, horizon: float, period_starts: list[float], stages: int,
                 keep_blocks: bool, batch_leads: int = 4096) -> None:
        self.period_starts = list(period_starts)
        self.batch_leads = batch_leads
        self._deferred: list[LeadBlock] = []
        self._deferred_leads = 0
        self.stages = stages
        self.edges = week_edges(horizon)
        # Pipeline value and leads in the system are read just before each week ends.
        self.week_ends = np.minimum(self.edges[1:], horizon) - 1e-9
        weeks, periods = self.edges.size - 1, len(self.period_starts)
        self.leads = 0
        self.mqls = 0
        self.sqls = 0
        self.opportunities = 0  # reached the second stage (``stage_reached >= 1``)
        self.recycled = 0
        self.outcomes = np.zeros(len(Outcome), dtype=np.int64)
        self.reasons = np.zeros(len(Reason), dtype=np.int64)
        self.wait_days_sum = 0.0
        self.assigned = 0
        # The window: every lead, by the time of the event.
        self.closed_lost_in_sales = 0  # deals closed lost in the pipeline in [0, horizon)
        self.mqls_by_period = np.zeros(periods, dtype=np.int64)  # first hand-offs in the window
        self.sql_value_by_period = np.zeros(periods)  # list value of SQLs by period of sql_time
        self.leads_by_week = np.zeros(weeks)
        self.mqls_by_week = np.zeros(weeks)  # first hand-offs in the window, by week
        # Opened or closed in time for week end ``j`` (from ``week_ends[j]`` on; ``weeks``: never).
        self.pipeline_opened = np.zeros(weeks + 1)
        self.pipeline_closed = np.zeros(weeks + 1)
        self.wip_opened = np.zeros(weeks + 1)
        self.wip_closed = np.zeros(weeks + 1)
        template = LeadBlock(0, 0, 0, stages)  # no rows: each column's dtype
        self._won = RunningColumns({
            **{name: (getattr(template, name).dtype, ()) for name in WON_COLUMNS},
            "stage_days": (template.stage_days.dtype, (stages,)),
        })
        self._responses = RunningColumns({"hours": (np.float64, ())})
        # What a block without won deals adds (blocks are added in order, even empty).
        self._no_won = {name: getattr(template, name) for name in (*WON_COLUMNS, "stage_days")}
        self.blocks: dict[int, LeadBlock] | None = {} if keep_blocks else None

    def _period(self, times: np.ndarray) -> np.ndarray:
        return np.maximum(np.searchsorted(self.period_starts, times, side="right") - 1, 0)

    def _from_week(self, times: np.ndarray) -> np.ndarray:
        """Index of the first week end at or after each time (``weeks`` if none)."""
        return np.searchsorted(self.week_ends, times, side="left")

    def _week_counts(self, times: np.ndarray) -> np.ndarray:
        """Times in each week: ``np.histogram(times, bins=self.edges)[0]`` without its overhead.

        Weeks are ``[edge, next edge)``, the last one closed (``np.histogram``'s
        bins); times outside the edges, or NaN, are in none.
        """
        weeks = self.edges.size - 1
        week = np.searchsorted(self.edges, times, side="right")  # week + 1; NaN: weeks + 1
        week[times == self.edges[-1]] = weeks  # the last week holds its end
        counts: np.ndarray = np.bincount(week, minlength=weeks + 2)[1: weeks + 1]
        return counts

    def add(self, block: LeadBlock) -> None:
        """Fold in a block whose leads have all finished (or the run has ended)."""
        self.add_many([block])

    def defer(self, block: LeadBlock) -> None:
        """Fold in ``block`` later, with others: once ``batch_leads`` leads wait, or at flush.

        The totals are the same as :meth:`add` would give (blocks are folded in
        the order they were deferred); read them only after :meth:`flush`.
        """
        self._deferred.append(block)
        self._deferred_leads += block.n
        if self._deferred_leads >= self.batch_leads:
            self.flush()

    def flush(self) -> None:
        """Fold in every deferred block."""
        if self._deferred:
            blocks, self._deferred, self._deferred_leads = self._deferred, [], 0
            self.add_many(blocks)

    def add_many(self, blocks: list[LeadBlock]) -> None:
        """Fold in several blocks at once: the totals of :meth:`add` of each, in this order.

        A small company's blocks hold a few dozen leads, where the fold's fifty
        array operations cost more than the leads; together they cost those
        once. Counts add up in any order; every float sum keeps its order: a
        block's own sums are taken block by block (per-block bins of one
        ``bincount``, the block's slice of the waits), then added to the totals
        one block after the other (``cumsum`` down the blocks).
        """
        weeks = self.edges.size - 1
        periods = len(self.period_starts)

        def joined(name: str) -> np.ndarray:
            if len(blocks) == 1:
                values: np.ndarray = getattr(blocks[0], name)
                return values
            return np.concatenate([getattr(b, name) for b in blocks])

        starts = np.cumsum([0, *(b.n for b in blocks)])  # each block's first row, and the end
        block_of = np.repeat(np.arange(len(blocks)), np.diff(starts))  # each row's block

        def cut(keep: np.ndarray) -> list[int]:
            """Where each block's rows start among the rows ``keep`` selects, and the end."""
            offsets: list[int] = np.concatenate(
                [[0], np.cumsum(keep, dtype=np.int64)])[starts].tolist()
            return offsets

        created = joined("created")
        counted = created >= 0.0
        cohort = int(np.count_nonzero(counted))
        mask = None if cohort == created.size else counted

        def column(name: str) -> np.ndarray:
            values = joined(name)
            return values if mask is None else values[mask]

        # The cohort: leads created from day 0, followed from creation to the horizon.
        if cohort:
            self.leads += cohort
            self.mqls += cohort - int(np.count_nonzero(np.isnan(column("mql_time"))))
            self.sqls += cohort - int(np.count_nonzero(np.isnan(column("sql_time"))))
            self.opportunities += int(np.count_nonzero(column("stage_reached") >= 1))
            self.recycled += int(np.count_nonzero(column("recycled") > 0))
            self.outcomes += np.bincount(column("outcome"), minlength=len(Outcome))
            self.reasons += np.bincount(column("reason"), minlength=len(Reason))
            created_c = created if mask is None else created[mask]
            self.leads_by_week += self._week_counts(created_c)
            # A lead still in flight (outcome time NaN) is searched past every week end.
            self.wip_opened += np.bincount(self._from_week(created_c), minlength=weeks + 1)
            self.wip_closed += np.bincount(self._from_week(column("outcome_time")),
                                           minlength=weeks + 1)
            wait_days = column("wait_days")
            answered = ~np.isnan(wait_days)
            assigned = wait_days[answered]
            self.assigned += assigned.size
            hours = column("first_response_hours")
            responded = ~np.isnan(hours)
            hours = hours[responded]
            by_block = counted if mask is not None else np.ones(created.size, dtype=np.bool_)
            cohort_at = cut(by_block)  # each block's first cohort row
            wait_at = np.concatenate([[0], np.cumsum(answered, dtype=np.int64)])[
                cohort_at].tolist()
            hours_at = np.concatenate([[0], np.cumsum(responded, dtype=np.int64)])[
                cohort_at].tolist()
            for k in range(len(blocks)):  # a block's own sum (pairwise, as NumPy sums it)
                if wait_at[k + 1] > wait_at[k]:
                    self.wait_days_sum += float(assigned[wait_at[k]: wait_at[k + 1]].sum())
        else:
            hours = created[:0]
            hours_at = [0] * (len(blocks) + 1)
        # The window [0, horizon): every lead, warm-up included, by the time of the
        # event (NaN, not happened by the horizon, compares false). A cohort lead's
        # events all fall in the window; a warm-up lead's from day 0 on.
        all_mql = joined("mql_time")
        mql_time = all_mql[all_mql >= 0.0]
        if mql_time.size:
            if periods == 1:
                self.mqls_by_period[0] += mql_time.size
            else:
                self.mqls_by_period += np.bincount(self._period(mql_time), minlength=periods)
            self.mqls_by_week += self._week_counts(mql_time)
        sql_time = joined("sql_time")
        outcome_time = joined("outcome_time")
        opened = ~np.isnan(sql_time)
        if opened.any():
            deal_size = joined("deal_size")
            sql = sql_time >= 0.0
            self._add_by_block(self.sql_value_by_period, block_of[sql], self._period(sql_time[sql]),
                               deal_size[sql], periods, len(blocks))
            # Open pipeline at each week end: every SQL, warm-up ones open on day 0
            # included (one opened and closed before day 0 adds to both sides of week 0
            # alike); a deal still open (outcome time NaN) never closes.
            size = deal_size[opened]
            self._add_by_block(self.pipeline_opened, block_of[opened],
                               self._from_week(sql_time[opened]), size, weeks + 1, len(blocks))
            self._add_by_block(self.pipeline_closed, block_of[opened],
                               self._from_week(outcome_time[opened]), size, weeks + 1,
                               len(blocks))
        # Deals closed in the window (bookings); outcomes are recorded only before the horizon.
        outcome = joined("outcome")
        in_window = outcome_time >= 0.0
        self.closed_lost_in_sales += int(np.count_nonzero(
            in_window & (outcome == Outcome.LOST_IN_SALES)))
        won = in_window & (outcome == Outcome.WON)
        won_at = cut(won)
        won_rows = ({name: joined(name)[won] for name in (*WON_COLUMNS, "stage_days")}
                    if won_at[-1] else self._no_won)
        for k, block in enumerate(blocks):
            lo, hi = won_at[k], won_at[k + 1]
            self._won.add(block.number, {name: values[lo:hi] for name, values in won_rows.items()}
                          if hi > lo else self._no_won)
            self._responses.add(block.number, {"hours": hours[hours_at[k]: hours_at[k + 1]]})
            if self.blocks is not None:
                self.blocks[block.number] = block

    @staticmethod
    def _add_by_block(total: np.ndarray, block: np.ndarray, bins: np.ndarray,
                      weights: np.ndarray, width: int, blocks: int) -> None:
        """Add ``weights`` into ``total`` by bin: each block's sums, added block after block."""
        sums = np.bincount(block * width + bins, weights=weights,
                           minlength=blocks * width).reshape(blocks, width)
        if blocks == 1:
            total += sums[0]
        else:  # a running sum is added one row after the other (no pairwise sum)
            total[:] = np.cumsum(np.concatenate([total[None], sums]), axis=0)[-1]

    def open_at_week_ends(self, opened: np.ndarray, closed: np.ndarray) -> np.ndarray:
        """Open amount at each week end from what opened and closed by then."""
        weeks = self.edges.size - 1
        open_now: np.ndarray = np.cumsum(opened)[:weeks] - np.cumsum(closed)[:weeks]
        return open_now

    def won(self) -> WonDeals:
        """The deals won in the window ``[0, horizon)`` (bookings), warm-up leads' included.

        In lead order; a deal whose lead was created before day 0 has a negative ``created``.
        """
        return WonDeals(**self._won.view())

    def response_hours(self) -> np.ndarray:
        """First-response delay (hours) of every counted lead a rep responded to, in lead order."""
        return self._responses.view()["hours"]
