"""The fit report's figures of one export, hand-computed; the calibration's CSV files
neutralise formula cells and keep numbers numbers."""

import math

import numpy as np
import pandas as pd
import pytest

from sim.calibration.export import write_tables
from sim.calibration.fit_check import ALL_SOURCES, PeriodEnd, summarise
from sim.calibration.scenario_file import read_draws, write_draws
from sim.calibration.tables import CrmTables

pytestmark = pytest.mark.unit

NAN = math.nan


def small_export() -> CrmTables:
    """Six leads, three opportunities (one won, one lost, one open in ``proposal``)."""
    leads = pd.DataFrame({
        "lead_id": ["L1", "L2", "L3", "L4", "L5", "L6"],
        "created": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
        "source": ["organic", "organic", "organic", "promotion", "promotion", "promotion"],
        "segment": "smb",
        "mql": [1.0, 2.0, NAN, 4.0, NAN, NAN],
        "touch": [1.5, 2.5, NAN, 4.5, NAN, NAN],
        "owner": None,
        "status": ["won", "lost", "lost", "open", "lost", "open"],
        "closed": [19.0, 12.0, 3.0, NAN, 6.0, NAN],
        "amount": [1000.0, NAN, NAN, NAN, NAN, NAN],
        "lost_reason": [None, "=HYPERLINK(\"x\")", "+cmd", None, "went cold", None],
        "row": [2, 3, 4, 5, 6, 7],
    })
    opps = pd.DataFrame({
        "opportunity_id": ["O1", "O2", "O4"],
        "lead_id": ["L1", "L2", "L4"],
        "created": [2.0, 3.0, 6.0],
        "stage": [None, None, "proposal"],
        "status": ["won", "lost", "open"],
        "closed": [19.0, 12.0, NAN],
        "amount": [1000.0, 400.0, 700.0],
        "discount": [0.1, NAN, NAN],
        "owner": None,
        "segment": "smb",
        "row": [2, 3, 4],
    })
    return CrmTables(origin=pd.Timestamp("2024-01-01"), as_of=25.0, leads=leads,
                     opportunities=opps)


def test_summary_of_a_small_export():
    s = summarise(small_export(), [("2024-01", 0.0, 25.0)], PeriodEnd(10.0, 2.0))
    assert s.counts["organic"] == {"leads": 3, "mqls": 2, "opportunities": 2, "won": 1}
    assert s.counts["promotion"] == {"leads": 3, "mqls": 1, "opportunities": 1, "won": 0}
    assert s.counts[ALL_SOURCES]["leads"] == 6
    # One win, created on day 0 and won on day 19: every quantile is 19 days.
    assert s.time_to_win == {"p25": 19.0, "p50": 19.0, "p75": 19.0, "p90": 19.0}
    assert s.wins_timed == 1
    assert s.monthly[("bookings", "2024-01")] == 1000.0
    assert s.monthly[("deals_won", "2024-01")] == 1.0
    assert s.open_pipeline == {("all", "deals"): 1.0, ("all", "value"): 700.0,
                               ("proposal", "deals"): 1.0, ("proposal", "value"): 700.0}
    # Day 19 is 1 day before the period end on day 20 (periods of 10 days): inside 2 days;
    # 2024-01-20 is 72 days before the end of the quarter: outside.
    assert s.period_end == {"model": 1.0, "quarter": 0.0}


def test_summary_without_mql_dates_leaves_those_shares_unknown():
    t = small_export()
    leads = t.leads.assign(mql=NAN)
    s = summarise(CrmTables(t.origin, t.as_of, leads, t.opportunities),
                  [("2024-01", 0.0, 25.0)], PeriodEnd(10.0, 2.0))
    assert math.isnan(s.counts["organic"]["mqls"])
    assert s.counts["organic"]["won"] == 1


def test_export_csv_cells_that_read_as_formulas_are_neutralised(tmp_path):
    written = write_tables(small_export(), tmp_path)
    text = written["leads"].read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and "'+cmd" in text
    assert ",=HYPERLINK" not in text and ",+cmd" not in text
    leads = pd.read_csv(written["leads"])
    assert leads["amount"].iloc[0] == 1000.0  # numbers are untouched


def test_draws_keep_negative_numbers_as_numbers(tmp_path):
    draws = [{"marketing.organic_gain": -0.25, "sales.reps": 7,
              "leads.segments.0.share": np.float64(0.1234567890123)}]
    path = write_draws(draws, tmp_path / "d.csv")
    text = path.read_text(encoding="utf-8")
    assert "'" not in text and "np.float64" not in text
    back = read_draws(path)
    assert back == [{"marketing.organic_gain": -0.25, "sales.reps": 7,
                     "leads.segments.0.share": 0.1234567890123}]
