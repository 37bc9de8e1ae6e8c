"""Experiment designs: --vary and --param options, grids validated point by point,
specs that round-trip through JSON, and one-line errors."""

from __future__ import annotations

import pytest
from experiment_fixtures import short_baseline

from sim.experiments.designs import (
    CompareSpec,
    ExperimentError,
    OptimizeSpec,
    Stopping,
    SweepSpec,
    build_grid,
    parse_param,
    parse_vary,
    spec_from_json,
    unique_labels,
)


@pytest.mark.parametrize(
    ("option", "key", "values"),
    [
        ("sales.reps=4,6,8", "sales.reps", (4, 6, 8)),
        ("sales.reps=2:10:4", "sales.reps", (2, 6, 10)),
        ("marketing.brand_share=0:1:0.25", "marketing.brand_share", (0.0, 0.25, 0.5, 0.75, 1.0)),
        ("marketing.brand_share=0:0.3:0.1", "marketing.brand_share", (0.0, 0.1, 0.2, 0.3)),
        ("marketing.brand_share=1:0:-0.5", "marketing.brand_share", (1.0, 0.5, 0.0)),
        ("marketing.brand_share=0:1:0.3", "marketing.brand_share", (0.0, 0.3, 0.6, 0.9)),
        ("incentives.sales_plan=revenue_commission,shared_revenue", "incentives.sales_plan",
         ("revenue_commission", "shared_revenue")),
        ("sales.reps=6", "sales.reps", (6,)),
        ("marketing.annual_budget=1e6,2e6", "marketing.annual_budget", (1e6, 2e6)),
    ],
)
def test_parse_vary_reads_lists_and_inclusive_ranges(option: str, key: str,
                                                      values: tuple[object, ...]) -> None:
    got_key, got = parse_vary(option)
    assert got_key == key
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("sales.reps", "expected KEY=VALUES"),
        ("sales.reps=", "expected KEY=VALUES"),
        ("=1,2", "expected KEY=VALUES"),
        ("sales.reps=1:5:0", "the step must not be 0"),
        ("sales.reps=5:1:1", "leads away from 1"),
        ("sales.reps=a:5:1", "expected a number, got 'a'"),
        ("sales.reps=1,,2", "an empty value"),
        ("sales.reps=1:100000:1", "gives 100000 values; expected at most 10000"),
    ],
)
def test_parse_vary_rejects_malformed_options(option: str, message: str) -> None:
    with pytest.raises(ExperimentError, match=r"^--vary ") as info:
        parse_vary(option)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_param() -> None:
    assert parse_param("marketing.brand_share=0:1") == ("marketing.brand_share", 0.0, 1.0)
    assert parse_param("marketing.annual_budget=5e5:3e6") == (
        "marketing.annual_budget", 5e5, 3e6)
    for bad, message in (("x=1:0", "LOW < HIGH"), ("x=0-1", "KEY=LOW:HIGH"),
                         ("x=a:1", "expected a number"), ("x", "KEY=LOW:HIGH")):
        with pytest.raises(ExperimentError, match=r"^--param ") as info:
            parse_param(bad)
        assert message in str(info.value)


def test_unique_labels() -> None:
    assert unique_labels(["a", "b"]) == ["a", "b"]
    assert unique_labels(["a", "a", "b", "a"]) == ["a", "a-2", "b", "a-3"]
    assert unique_labels(["a", "a-2", "a"]) == ["1-a", "2-a-2", "3-a"]


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ([("sales.reps", (4, 0))], "--vary sales.reps: expected a value greater than or equal "
                                   "to 1; got 0"),
        ([("sales.repz", (4,))], "--vary sales.repz: unknown key 'repz'; did you mean 'reps'?"),
        ([("sales.reps", (4,)), ("sales.reps", (5,))], "--vary sales.reps: given twice"),
        ([("seed", (1, 2))], "--vary seed: cannot be varied"),
        ([("sales.stages.7.advance_probability", (0.5,))], "sales.stages has 4 items, no index 7"),
        ([("marketing.brand_share", (0.5, 1.5))], "--vary marketing.brand_share: expected a "
                                                  "value less than or equal to 1; got 1.5"),
    ],
)
def test_every_grid_point_is_validated_with_a_one_line_error(
        axes: list[tuple[str, tuple[object, ...]]], message: str) -> None:
    with pytest.raises(ExperimentError) as info:
        build_grid(short_baseline(), axes)
    assert message in str(info.value), str(info.value)
    assert "\n" not in str(info.value)


def test_specs_round_trip_through_json() -> None:
    base = short_baseline()
    specs = [
        CompareSpec.build([base, base.with_overrides({"name": "b", "sales.reps": 6})],
                          ["a.yaml", "b.yaml"], stopping=Stopping(3, 0.05, 9, "revenue")),
        SweepSpec.build(base, [parse_vary("sales.reps=4,6"),
                               parse_vary("marketing.brand_share=0:1:0.5")]),
        OptimizeSpec.build(base, "sales.reps", 2, 12, "contribution", refinements=2),
    ]
    for spec in specs:
        assert spec_from_json(spec.to_json()) == spec


def test_compare_gives_every_scenario_the_reference_seed_and_replications() -> None:
    a = short_baseline(replications=3)
    b = a.with_overrides({"seed": 99, "replications": 7, "sales.reps": 6})
    spec = CompareSpec.build([a, b])
    assert spec.seed == a.seed
    assert [s.seed for s in spec.scenarios] == [a.seed, a.seed]
    assert [s.replications for s in spec.scenarios] == [3, 3]
    assert spec.labels == ("baseline", "baseline-2")
    with pytest.raises(ExperimentError, match="at least two"):
        CompareSpec.build([a])


def test_optimize_on_a_whole_number_parameter_uses_whole_numbers() -> None:
    spec = OptimizeSpec.build(short_baseline(), "sales.reps", 1, 20, "contribution")
    assert spec.integer
    assert spec.grid(1, 20) == [1, 6, 11, 15, 20]
    assert spec.grid(10, 11) == [10, 11]


@pytest.mark.parametrize(
    ("param", "objective", "goal", "message"),
    [
        ("alignment.stage", "revenue", None, "expected a numeric parameter"),
        ("leads.buying_window", "revenue", None, "expected a numeric parameter"),
        ("marketing.brand_share", "revenue", None, "less than or equal to 1"),
        ("sales.repz", "revenue", None, "did you mean 'reps'?"),
        ("marketing.brand_share", "revnue", None, "did you mean 'revenue'?"),
        ("marketing.brand_share", "rep_utilization", None, "--goal max or --goal min"),
        ("seed", "revenue", None, "cannot be varied"),
    ],
)
def test_optimize_spec_rejects_bad_definitions(param: str, objective: str, goal: str | None,
                                               message: str) -> None:
    high = 2.0 if param == "marketing.brand_share" else 1.0
    with pytest.raises(ExperimentError) as info:
        OptimizeSpec.build(short_baseline(), param, 0.0, high, objective, goal)  # type: ignore[arg-type]
    assert message in str(info.value), str(info.value)


def test_optimize_whole_number_parameter_needs_whole_bounds() -> None:
    with pytest.raises(ExperimentError, match="whole-number bounds"):
        OptimizeSpec.build(short_baseline(), "sales.reps", 1.5, 9.0, "revenue")
