"""Assumptions as distributions: inverse CDFs, the schema's default ranges, the file, errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import Scenario
from sim.experiments.assumptions import (
    AssumptionError,
    AssumptionSet,
    assumption_stream,
    default_assumptions,
    load_assumptions,
    make_distribution,
)
from sim.model.streams import make_streams

pytestmark = pytest.mark.unit

U = np.array([0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99])


def test_uniform_and_triangular_match_their_closed_forms() -> None:
    uniform = make_distribution({"distribution": "uniform", "low": 2, "high": 6}, "x")
    assert np.allclose(uniform.ppf(U), 2 + 4 * U)
    tri = make_distribution({"distribution": "triangular", "low": 0, "mode": 1, "high": 4}, "x")
    assert np.allclose(tri.ppf(U), stats.triang(c=0.25, loc=0, scale=4).ppf(U))


def test_normal_lognormal_and_beta_match_scipy_with_truncation() -> None:
    normal = make_distribution({"distribution": "normal", "mean": 0.7, "sd": 0.1,
                                "low": 0.6, "high": 0.9}, "x")
    a, b = (0.6 - 0.7) / 0.1, (0.9 - 0.7) / 0.1
    assert np.allclose(normal.ppf(U), stats.truncnorm(a, b, loc=0.7, scale=0.1).ppf(U))
    logn = make_distribution({"distribution": "lognormal", "mean": 2.0, "cv": 0.5}, "x")
    sigma = math.sqrt(math.log1p(0.25))
    reference = stats.lognorm(s=sigma, scale=2.0 / math.sqrt(1.25))
    assert np.allclose(logn.ppf(U), reference.ppf(U))
    assert reference.mean() == pytest.approx(2.0)
    beta = make_distribution({"distribution": "beta", "a": 2, "b": 5, "low": 10, "high": 20},
                             "x")
    assert np.allclose(beta.ppf(U), 10 + 10 * stats.beta(2, 5).ppf(U))


@pytest.mark.parametrize(("spec", "message"), [
    ({"distribution": "gamma", "a": 1}, "distribution: expected one of uniform"),
    ({"distribution": "uniform", "low": 1, "high": 1}, "empty range"),
    ({"distribution": "uniform", "low": 0.2}, "uniform needs high"),
    ({"distribution": "triangular", "low": 0, "mode": 3, "high": 2}, "mode 3 is outside"),
    ({"distribution": "normal", "mean": 0, "sd": 1, "width": 2}, "no parameter 'width'"),
    ({"distribution": "normal", "mean": 0, "sd": -1}, "sd: expected a number > 0"),
    ({"distribution": "normal", "mean": 0, "sd": 1, "low": 50, "high": 60},
     "holds no probability"),
    ({"distribution": "lognormal", "mean": 1, "cv": "x"}, "expected a finite number"),
])
def test_bad_distributions_are_one_line_errors(spec: dict[str, object], message: str) -> None:
    with pytest.raises(AssumptionError, match=message) as info:
        make_distribution(spec, "file.yaml: key")
    assert "\n" not in str(info.value) and str(info.value).startswith("file.yaml: key")


def test_default_ranges_follow_the_schema() -> None:
    table = {a.key: a.distribution for a in default_assumptions(Scenario()).assumptions}
    # A stated "plausible range 0.25-0.75" that holds today's value is used as it is.
    organic = table["sales.response_decay.reach_organic"]
    assert (organic.low, organic.high) == (0.25, 0.75)
    # No range stated: today's value +/- 50%.
    leads = table["marketing.organic_leads_per_day"]
    assert (leads.low, leads.high) == pytest.approx((4.0, 12.0))
    # +/- 50% clipped to the field's bounds (a margin of 0.75 cannot exceed 1).
    margin = table["finance.gross_margin"]
    assert (margin.low, margin.high) == pytest.approx((0.375, 1.0))
    # A stated range that does not hold today's value (it is the enterprise's) is not used.
    smb = table["leads.segments.0.response_reach"]
    assert (smb.low, smb.high) == pytest.approx((0.5, 1.0))
    assert (table["leads.segments.2.response_reach"].low,
            table["leads.segments.2.response_reach"].high) == (0.25, 0.75)
    # A preset's field takes the preset's value; a section marked "(assumptions)" counts.
    assert "incentives.sales.quota_effort_odds" in table
    assert "alignment.effects.tactical_support_win_odds_lift" in table
    # Decisions are not assumptions.
    for key in ("sales.reps", "marketing.annual_budget", "marketing.brand_share", "seed"):
        assert key not in table


def test_draws_come_from_their_own_stream_and_repeat_with_the_seed() -> None:
    assumptions = default_assumptions(Scenario())
    first = assumptions.draw(5, seed=7)
    assert first == assumptions.draw(5, seed=7)
    assert first != assumptions.draw(5, seed=8)
    own = assumption_stream(7).random(4)
    for r in range(3):  # no replication stream gives the same numbers
        for name in ("arrival_counts", "arrival_times", "organic_leads"):
            assert not np.allclose(getattr(make_streams(7, r), name).random(4), own)


def write(tmp_path: Path, text: str, name: str = "assumptions.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_assumptions_file_with_draws_and_defaults(tmp_path: Path) -> None:
    (tmp_path / "company.draws.csv").write_text(
        "draw,marketing.organic_gain,sales.qualification_days\n0,0.8,1.5\n1,1.2,2.5\n",
        encoding="utf-8")
    path = write(tmp_path, """
assumptions:
  finance.gross_margin: {distribution: normal, mean: 0.7, sd: 0.05, low: 0.6, high: 0.8}
  alignment.effects.tactical_support_win_odds_lift:
    {distribution: triangular, low: 0.2, mode: 0.5, high: 0.8}
draws: company.draws.csv
""")
    found = load_assumptions(path, Scenario())
    assert found.factors == ["finance.gross_margin",
                             "alignment.effects.tactical_support_win_odds_lift",
                             "draws:company.draws.csv"]
    low, high = found.values(np.array([[0.0, 0.0, 0.1], [1.0, 1.0, 0.9]]))
    assert low["marketing.organic_gain"] == 0.8 and high["marketing.organic_gain"] == 1.2
    assert 0.6 <= low["finance.gross_margin"] < high["finance.gross_margin"] <= 0.8
    again = AssumptionSet.from_json(found.to_json())  # a resumed run needs no file
    assert again.values(np.full((1, 3), 0.3)) == found.values(np.full((1, 3), 0.3))
    with_defaults = load_assumptions(write(tmp_path, "defaults: true\nassumptions:\n"
                                           "  finance.gross_margin: {distribution: uniform, "
                                           "low: 0.6, high: 0.8}\n", "d.yaml"), Scenario())
    keys = [a.key for a in with_defaults.assumptions]
    assert keys.count("finance.gross_margin") == 1 and len(keys) > 20


@pytest.mark.parametrize(("text", "message"), [
    ("assumptions:\n  finance.gross_margn: {distribution: uniform, low: 0.5, high: 0.8}\n",
     "did you mean 'gross_margin'"),
    ("assumptions:\n  finance.gross_margin: {distribution: uniform, low: 0.5, high: 1.2}\n",
     r"the range 0.5 to 1.2 goes outside the field's valid values \(0 to 1\)"),
    ("assumptions:\n  finance.gross_margin: {distribution: normal, mean: 0.7, sd: 0.1}\n",
     "is unbounded but the field takes 0 to 1"),
    ("assumptions:\n  finance.gross_margin: {distribution: uniform, low: 0.8, high: 0.5}\n",
     "empty range"),
    ("assumptions:\n  name: {distribution: uniform, low: 0, high: 1}\n", "cannot be varied"),
    ("assumptions:\n  incentives.sales_plan: {distribution: uniform, low: 0, high: 1}\n",
     "expected a numeric parameter"),
    ("assumption:\n  finance.gross_margin: {distribution: uniform, low: 0.5, high: 0.8}\n",
     "unknown key 'assumption'"),
    ("assumptions: {}\n", "declares no assumption"),
    ("draws: missing.csv\n", "cannot be read"),
    ("assumptions:\n  sales.response_within_1h: {distribution: uniform, low: 0.5, high: 0.9}\n",
     "invalid scenario with every assumption at its median: .*response_within_24h"),
    ("assumptions:\n  sales.response_within_1h: {distribution: uniform, low: 0.5, high: 0.8}\n",
     "invalid scenario with sales.response_within_1h at its highest: .*response_within_24h"),
])
def test_bad_assumption_files_are_one_line_errors(tmp_path: Path, text: str,
                                                  message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(AssumptionError, match=message) as info:
        load_assumptions(path, Scenario())
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_a_draws_column_outside_the_field_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text("draw,finance.gross_margin\n0,0.5\n1,1.5\n",
                                    encoding="utf-8")
    with pytest.raises(AssumptionError, match=r"values 0.5 to 1.5 go outside"):
        load_assumptions(write(tmp_path, "draws: d.csv\n"), Scenario())
