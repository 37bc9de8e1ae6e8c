"""Text tables for a terminal: 100 columns at most, full names, a short summary first."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from report_fixtures import TYPICAL, tiny_run

from sim import Scenario
from sim.experiments.designs import CompareSpec, Stopping
from sim.experiments.experiment import CompareResult
from sim.experiments.statistics import paired_difference, summarise
from sim.report.experiment_text import WIDTH, compare_table
from sim.report.text import summary_table
from sim.results.catalog import describe, names, summary_sections
from sim.results.directions import verdict

REFERENCE = "alignment-defined-revenue-commission"
OTHER = "alignment-aligned-shared-revenue-target"


def synthetic_compare(horizon_days: float, replications: int = 6) -> CompareResult:
    """A comparison whose tables have the shapes run_compare gives, without running it.

    The other scenario books 6% more with the same replication noise (common
    random numbers) and has 5% more of every leak; rep utilisation rises.
    """
    scenarios = [Scenario().with_overrides({"name": name, "horizon_days": horizon_days})
                 for name in (REFERENCE, OTHER)]
    spec = CompareSpec.build(scenarios, stopping=Stopping(replications))
    rng = np.random.default_rng(4)
    noise = rng.normal(0.0, 0.03, size=(replications, len(names())))
    rows = []
    for label, factor in zip(spec.labels, (1.0, 1.06), strict=True):
        for r in range(replications):
            row: dict[str, object] = {"scenario": label, "replication": r}
            for j, metric in enumerate(names()):
                scale = factor if describe(metric).direction > 0 or metric.startswith(
                    ("lost_", "rep_utilization")) else 1.0
                row[metric] = TYPICAL.get(metric, 1.0) * scale * (1 + noise[r, j])
            rows.append(row)
    per_rep = pd.DataFrame(rows)
    frames = []
    for label in spec.labels:
        block = summarise(per_rep[per_rep["scenario"] == label], list(names()))
        block.insert(0, "scenario", label)
        frames.append(block)
    diffs = []
    ref = per_rep[per_rep["scenario"] == spec.labels[0]]
    other = per_rep[per_rep["scenario"] == spec.labels[1]]
    for metric in names():
        d = paired_difference(other[metric].to_numpy(), ref[metric].to_numpy())
        diffs.append({"scenario": spec.labels[1], "reference": spec.labels[0], "metric": metric,
                      **d.as_dict(), "verdict": verdict(metric, d.ci_low, d.ci_high)})
    return CompareResult(spec, replications, None, per_rep, pd.concat(frames, ignore_index=True),
                         pd.DataFrame(diffs))


@pytest.fixture(scope="module")
def three_years() -> str:
    return compare_table(synthetic_compare(1095.0))


def test_compare_text_fits_100_columns_with_full_names(three_years: str) -> None:
    lines = three_years.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    assert f"'{OTHER}' minus '{REFERENCE}'" in three_years  # never cut to 12 characters
    for _, metrics in summary_sections():
        for m in metrics:  # every label in full, e.g. "Sales cost (salaries + commission)"
            assert re.search(rf"^  {re.escape(m.label)}  ", three_years, re.MULTILINE), m.label


def test_compare_text_opens_with_a_short_summary(three_years: str) -> None:
    summary = three_years.split("\n\n")[1]
    assert summary.startswith("Summary\n  Choose '" + OTHER)
    metric_lines = [line for line in summary.splitlines()
                    if re.match(r"^    [A-Z][^:]*: +[+-±]", line)]
    assert len(metric_lines) == 4  # the objective and three headline metrics, not twelve
    assert "95% CI" in summary


def test_compare_text_judges_goals_only(three_years: str) -> None:
    rows = {line[2:36].strip(): line for line in three_years.splitlines()
            if line.startswith("  ") and not line.startswith("   ")}
    assert rows["Rep utilisation"].rstrip().endswith(("higher", "not clear"))
    assert rows["Cohort: never contacted"].rstrip().endswith(("more", "not clear"))
    for label, line in rows.items():
        meta = next((m for _, ms in summary_sections() for m in ms if m.label == label), None)
        if meta is not None and (meta.direction == 0 or meta.section == "Leaks"):
            assert not line.rstrip().endswith(("better", "worse")), line


def test_counts_are_whole_and_short_horizons_name_no_longer_window() -> None:
    text = compare_table(synthetic_compare(60.0))
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert "Bookings, first 90 days" not in text and "Bookings, first year" not in text
    assert "Bookings, whole horizon" in text
    won = next(line for line in text.splitlines() if line.startswith("  Cohort: deals won"))
    means = won[36:56].split()
    assert all(re.fullmatch(r"\d[\d,]*", m) for m in means), won  # "280", never "280.0"


def test_three_years_keep_every_window(three_years: str) -> None:
    assert "Bookings, first 90 days" in three_years and "Bookings, first year" in three_years


def test_run_summary_fits_and_leaves_out_windows_longer_than_the_run() -> None:
    run = tiny_run(horizon_days=60.0)
    text = summary_table(run)
    assert max(len(line) for line in text.splitlines()) <= WIDTH
    assert "first 90 days" not in text and "first year" not in text
    assert "Cohort: still in flight at the end" in text  # the longest label, in full
