"""Regression: stored results of a few fixed replications must not change.

Speed work (batching, folding finished leads into running aggregates) must not
change a single number for a given seed. ``tests/regression/data/regression_metrics.json``
holds every metric, the weekly time series, and summaries of the won deals,
the first-response times and (with records on) the per-lead table, written
before any of that work. Regenerate it only for a deliberate change of the
model, and say why in the commit::

    .venv/bin/python tests/regression/test_regression.py --write

Sums taken in another order (lead blocks folded one by one, weekly pipeline
value from running bins) may differ in the last bits, hence the 1e-9 relative
tolerance; counts, medians and quantiles are exact. The tests after the stored
cases check that each fast path draws and decides exactly what the slower one
it replaced did.
"""

from __future__ import annotations

import gc
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import simpy

from sim import load_scenario, simulate
from sim.model.arrivals import times_within_day, times_within_days
from sim.model.funnel import _cyclic_gc_paused
from sim.model.reps import RepPool

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data" / "regression_metrics.json"
REL = 1e-9

# name -> (scenario file, horizon in days, record_leads)
CASES: dict[str, tuple[str, float, bool]] = {
    "baseline": ("scenarios/baseline.yaml", 365.0, False),
    # quota accelerator: pulled-forward deals, push discounts, accelerator commission
    "quota_accelerator": ("scenarios/sales-quota-accelerator.yaml", 365.0, False),
    # a timeline: costs, bonuses and margins that change by period
    "timeline": ("scenarios/budget-cut-brand-downturn.yaml", 730.0, False),
    # per-lead records kept
    "records": ("scenarios/baseline.yaml", 120.0, True),
}
SEED, REPLICATION = 1, 0


def _summary(values: np.ndarray) -> dict[str, float]:
    """Count, sum and sum of squares of the defined values (order-free)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    return {"n": float(x.size), "sum": float(x.sum()), "sum_sq": float(np.sum(x * x))}


def _frame_summary(df: pd.DataFrame) -> dict[str, object]:
    out: dict[str, object] = {"rows": float(len(df))}
    for name in df.columns:
        col = df[name]
        if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            out[name] = _summary(col.to_numpy(dtype=float))
        else:
            out[name] = {str(k): float(v) for k, v in col.astype(str).value_counts().items()}
    return out


def observe(case: str) -> dict[str, object]:
    """Everything stored for one case, as plain JSON values."""
    path, horizon, records = CASES[case]
    scenario = load_scenario(ROOT / path).with_overrides({"horizon_days": horizon})
    result = simulate(scenario, seed=SEED, replication=REPLICATION, record_leads=records)
    out: dict[str, object] = {
        "metrics": dict(result.metrics),
        "timeseries": {k: [float(v) for v in result.timeseries[k]]
                       for k in result.timeseries.columns},
        "won_deals": _frame_summary(result.won_deals),
        "first_response_hours": _summary(result.first_response_hours),
    }
    if records:
        out["leads"] = _frame_summary(result.leads)
    return out


def _assert_same(expected: object, actual: object, where: str) -> None:
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: keys differ"
        for key in expected:
            _assert_same(expected[key], actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: length"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _assert_same(e, a, f"{where}[{i}]")
    elif expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert actual is None or (isinstance(actual, float) and math.isnan(actual)), where
    else:
        assert actual == pytest.approx(expected, rel=REL, abs=1e-12), where


def _stored() -> dict[str, object]:
    return json.loads(DATA.read_text())


@pytest.mark.parametrize("case", list(CASES))
def test_results_equal_the_stored_ones(case: str) -> None:
    expected = _stored()[case]
    _assert_same(expected, json.loads(json.dumps(observe(case))), case)


def test_a_block_of_days_draws_the_arrival_times_of_day_by_day_draws() -> None:
    days, counts = np.array([-2, -1, 0, 1, 2, 3]), np.array([3, 0, 1, 7, 0, 2])
    one = np.random.default_rng(8)
    expected = np.concatenate([times_within_day(int(d), int(c), one)
                               for d, c in zip(days, counts, strict=True)])
    np.testing.assert_array_equal(times_within_days(days, counts, np.random.default_rng(8)),
                                  expected)
    # ... and leaves the stream where the day-by-day draws left it.
    other = np.random.default_rng(8)
    times_within_days(days, counts, other)
    assert other.random() == one.random()


def test_a_block_of_rows_draws_the_numbers_of_day_by_day_draws() -> None:
    # The model draws a block's rows of luck in one call per source.
    rng = np.random.default_rng(3)
    day_by_day = np.concatenate([rng.random((n, 5)) for n in (2, 0, 4)])
    np.testing.assert_array_equal(np.random.default_rng(3).random((6, 5)), day_by_day)


def test_a_free_slot_goes_to_the_rep_a_request_would_get() -> None:
    env = simpy.Environment()
    by_request = RepPool(env, 4, 3, lambda lead, t: None)
    at_once = RepPool(env, 4, 3, lambda lead, t: None)
    for step in range(14):  # 12 slots, 2 freed on the way
        if step in (5, 9):  # free a slot of a busy rep now and then
            by_request.release(1)
            at_once.release(1)
        assert at_once.take_free_slot() == by_request.request(step, math.inf).value
        assert at_once.active == by_request.active
    assert at_once.take_free_slot() is None  # all 12 slots busy: a lead must queue
    assert not by_request.request(99, math.inf).triggered


def test_a_run_pauses_the_cyclic_collector_and_restores_it() -> None:
    assert gc.isenabled()
    with _cyclic_gc_paused():
        assert not gc.isenabled()
        with _cyclic_gc_paused():  # another run of this process, e.g. in a thread
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _cyclic_gc_paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def _write() -> None:
    DATA.parent.mkdir(parents=True, exist_ok=True)
    data = {case: observe(case) for case in CASES}
    DATA.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print(f"wrote {DATA}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_regression.py --write")
    _write()
