"""Reading scenario files and --set overrides: every problem is one line people can act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.scenario.loading import ScenarioError, load_scenario, parse_set
from sim.scenario.schema import Scenario

REPO = Path(__file__).resolve().parents[2]
BASELINE = REPO / "scenarios" / "baseline.yaml"


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, overrides: list[str] | dict[str, Any] | None = None) -> str:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, overrides)
    message = str(exc.value)
    assert message.strip() == message
    assert "\n" not in message and "\r" not in message
    assert "Traceback" not in message
    return message


# --- valid input ---------------------------------------------------------------------------


def test_baseline_loads() -> None:
    scenario = load_scenario(BASELINE)
    assert isinstance(scenario, Scenario)
    assert scenario.name == "baseline"
    assert scenario.warmup_days == 365
    assert [s.name for s in scenario.leads.segments] == ["smb", "mid_market", "enterprise"]


def test_load_accepts_str_paths_and_an_empty_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "{}\n")
    assert load_scenario(str(path)) == Scenario()


def test_load_reads_the_file_values(tmp_path: Path) -> None:
    path = write(tmp_path, "name: small\nsales:\n  reps: 2\n  stages:\n    - name: only\n")
    scenario = load_scenario(path)
    assert (scenario.name, scenario.sales.reps) == ("small", 2)
    assert [s.name for s in scenario.sales.stages] == ["only"]


def test_set_options_override_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  reps: 2\n  stages:\n    - name: a\n    - name: b\n")
    scenario = load_scenario(path, [
        "sales.reps=5", "sales.stages.1.advance_probability=0.25",
        "incentives.sales_plan=shared_revenue", "leads.buying_window=false",
        "marketing.annual_budget=1e6",
    ])
    assert scenario.sales.reps == 5
    assert [s.advance_probability for s in scenario.sales.stages] == [0.6, 0.25]
    assert scenario.incentives.sales_plan == "shared_revenue"
    assert scenario.leads.buying_window is False
    assert scenario.marketing.annual_budget == 1_000_000.0


def test_set_an_index_of_a_default_list(tmp_path: Path) -> None:
    path = write(tmp_path, "name: minimal\n")
    scenario = load_scenario(path, ["sales.stages.0.advance_probability=0.25"])
    assert scenario.sales.stages[0].advance_probability == 0.25
    assert len(scenario.sales.stages) == len(Scenario().sales.stages)
    assert scenario.sales.stages[1] == Scenario().sales.stages[1]


def test_set_can_replace_a_whole_default_list(tmp_path: Path) -> None:
    path = write(tmp_path, "name: minimal\n")
    scenario = load_scenario(path, ["leads.segments=[{name: all, share: 1}]"])
    assert [s.name for s in scenario.leads.segments] == ["all"]


def test_overrides_may_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\n")
    scenario = load_scenario(path, {"sales.reps": 4, "name": "y"})
    assert (scenario.sales.reps, scenario.name) == (4, "y")


def test_the_last_of_repeated_set_options_wins() -> None:
    assert load_scenario(BASELINE, ["sales.reps=2", "sales.reps=6"]).sales.reps == 6


# --- parse_set ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("sales.reps=8", ("sales.reps", 8)),
        ("marketing.brand_share=0.3", ("marketing.brand_share", 0.3)),
        ("leads.buying_window=false", ("leads.buying_window", False)),
        ("record_leads=true", ("record_leads", True)),
        ("incentives.sales_plan=shared_revenue", ("incentives.sales_plan", "shared_revenue")),
        ("name='123'", ("name", "123")),
        ("x=[1, 2.5, three]", ("x", [1, 2.5, "three"])),
        ("x={a: 1}", ("x", {"a": 1})),
        ("x=null", ("x", None)),
        ("x=", ("x", "")),
        (" sales.reps = 3", ("sales.reps", 3)),
        ("description=a=b", ("description", "a=b")),
        ("x=[1,", ("x", "[1,")),
    ],
)
def test_parse_set_reads_yaml_values(option: str, expected: tuple[str, Any]) -> None:
    key, value = parse_set(option)
    assert (key, value) == expected
    assert type(value) is type(expected[1])


@pytest.mark.parametrize("option", ["sales.reps", "=3", " =3", ""])
def test_parse_set_needs_key_and_equals(option: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        parse_set(option)
    message = str(exc.value)
    assert message.startswith(f"--set {option}:")
    assert "KEY=VALUE" in message
    assert "\n" not in message


# --- files that cannot be read or parsed --------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    message = error_of(path)
    assert str(path) in message
    assert "no such file" in message


def test_a_directory(tmp_path: Path) -> None:
    message = error_of(tmp_path)
    assert str(tmp_path) in message
    assert "directory" in message
    assert "expected a YAML scenario file" in message


def test_yaml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nsales:\n  reps: 3\n    slots_per_rep: 4\n")
    message = error_of(path)
    assert message.startswith(str(path))
    assert "(line 4, column 18)" in message
    assert "YAML error" in message
    assert "mapping values are not allowed here" in message


def test_unclosed_bracket_is_a_yaml_error(tmp_path: Path) -> None:
    path = write(tmp_path, "name: x\nsales: {reps: [1, 2\n")
    message = error_of(path)
    assert str(path) in message
    assert "line 3" in message
    assert "YAML error" in message


@pytest.mark.parametrize(
    ("text", "given"),
    [
        ("- name: a\n- name: b\n", "a list of 2 items"),
        ("42\n", "42"),
        ("just words\n", "'just words'"),
        ("", "null"),
        ("# only a comment\n", "null"),
    ],
    ids=["list", "int", "string", "empty", "comment-only"],
)
def test_a_document_that_is_not_a_mapping(tmp_path: Path, text: str, given: str) -> None:
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:")
    assert "expected a mapping" in message
    assert f"got {given}" in message


def test_unsafe_tag_is_not_executed_and_is_reported(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "executed"
    path = write(tmp_path, f'name: !!python/object/apply:os.system ["echo hi > {marker}"]\n')
    message = error_of(path)
    assert not marker.exists()
    assert str(path) in message
    assert "line 1" in message
    assert "unsafe or unknown YAML tag" in message
    assert "python/object/apply:os.system" in message


def test_unsafe_tag_echo_prints_nothing(tmp_path: Path,
                                        capfd: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, '!!python/object/apply:os.system ["echo hi"]\n')
    message = error_of(path)
    out, err = capfd.readouterr()
    assert "hi" not in out
    assert "hi" not in err
    assert "unsafe or unknown YAML tag" in message


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ("name: a\nseed: 1\nname: b\n", "name", 3),
        ("sales:\n  reps: 1\n  reps: 2\n", "reps", 3),
        ("leads:\n  segments:\n    - name: a\n      share: 1\n      share: 1\n", "share", 5),
    ],
    ids=["top", "nested", "list-item"],
)
def test_duplicate_key(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = write(tmp_path, text)
    message = error_of(path)
    assert str(path) in message
    assert f"'{key}' is given twice" in message
    assert f"line {line}," in message


# --- schema problems ----------------------------------------------------------------------


def test_unknown_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  repz: 3\n")
    message = error_of(path)
    assert message == f"{path}: sales.repz: unknown key 'repz'; did you mean 'reps'?"


def test_unknown_top_level_key_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, "horizon_dayz: 3\n")
    message = error_of(path)
    assert str(path) in message
    assert "horizon_dayz" in message
    assert "did you mean 'horizon_days'?" in message


def test_unknown_key_with_nothing_close_lists_the_valid_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "finance:\n  zzzzzz: 3\n")
    message = error_of(path)
    assert str(path) in message
    assert "finance.zzzzzz" in message
    assert "valid keys here: gross_margin" in message


def test_misspelt_key_in_a_list_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sales:\n  stages:\n    - name: a\n      advance_probabilty: 0.5\n",
    )
    message = error_of(path)
    assert str(path) in message
    assert "sales.stages.0.advance_probabilty" in message
    assert "did you mean 'advance_probability'?" in message


@pytest.mark.parametrize(
    ("text", "key", "expected", "given"),
    [
        ("sales:\n  reps: many\n", "sales.reps", "integer", "'many'"),
        ("sales:\n  reps: 2.5\n", "sales.reps", "integer", "2.5"),
        ("horizon_days: [1, 2]\n", "horizon_days", "number", "a list of 2 items"),
        ("marketing: 5\n", "marketing", "dictionary", "5"),
        ("leads:\n  buying_window: maybe\n", "leads.buying_window", "boolean", "'maybe'"),
        ("incentives:\n  sales_plan: bonus\n", "incentives.sales_plan", "shared_revenue",
         "'bonus'"),
    ],
    ids=["text-for-int", "float-for-int", "list-for-number", "scalar-for-section",
         "text-for-bool", "unknown-plan"],
)
def test_wrong_type(tmp_path: Path, text: str, key: str, expected: str, given: str) -> None:
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}: {key}: expected ")
    assert expected in message
    assert message.endswith(f"got {given}")


@pytest.mark.parametrize(
    ("text", "key", "bound", "given"),
    [
        ("marketing:\n  annual_budget: -5\n", "marketing.annual_budget",
         "greater than or equal to 0", "-5"),
        ("leads:\n  segments:\n    - name: a\n      share: 1.5\n", "leads.segments.0.share",
         "less than or equal to 1", "1.5"),
        ("sales:\n  stages:\n    - name: a\n      advance_probability: -0.1\n",
         "sales.stages.0.advance_probability", "greater than or equal to 0", "-0.1"),
        ("sales:\n  reps: 0\n", "sales.reps", "greater than or equal to 1", "0"),
        ("horizon_days: 0\n", "horizon_days", "greater than 0", "0"),
    ],
    ids=["negative-budget", "share-1.5", "probability-negative", "reps-0", "horizon-0"],
)
def test_out_of_range(tmp_path: Path, text: str, key: str, bound: str, given: str) -> None:
    path = write(tmp_path, text)
    message = error_of(path)
    assert message == f"{path}: {key}: expected a value {bound}; got {given}"


@pytest.mark.parametrize(
    ("literal", "given"), [(".nan", "nan"), (".inf", "inf"), ("-.inf", "-inf")],
)
def test_nan_and_inf(tmp_path: Path, literal: str, given: str) -> None:
    path = write(tmp_path, f"marketing:\n  annual_budget: {literal}\n")
    message = error_of(path)
    assert message == f"{path}: marketing.annual_budget: expected a finite number; got {given}"


def test_segment_shares_not_summing_to_one(tmp_path: Path) -> None:
    path = write(tmp_path, "leads:\n  segments:\n    - {name: a, share: 0.5}\n")
    message = error_of(path)
    assert str(path) in message
    assert "leads.segments" in message
    assert "sum to 1" in message
    assert "0.5" in message


def test_discount_order(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  base_discount: 0.5\n  max_discount: 0.2\n")
    message = error_of(path)
    assert str(path) in message
    assert "sales" in message
    assert "max_discount (0.2) must be >= base_discount (0.5)" in message


def test_several_problems_are_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  reps: 0\n  slots_per_rep: 0\nseed: -1\n")
    message = error_of(path)
    assert "(+2 more problems)" in message


def test_structural_key_on_the_timeline(tmp_path: Path) -> None:
    path = write(tmp_path, "timeline:\n  - day: 10\n    set: {sales.slots_per_rep: 3}\n")
    message = error_of(path)
    assert str(path) in message
    assert "timeline.0.set.sales.slots_per_rep" in message
    assert "cannot change during a run" in message


def test_bad_value_on_the_timeline(tmp_path: Path) -> None:
    path = write(tmp_path, "timeline:\n  - day: 10\n    set: {marketing.annual_budget: -3}\n")
    message = error_of(path)
    assert str(path) in message
    assert "timeline.0.set" in message
    assert "marketing.annual_budget" in message
    assert "got -3" in message


# --- bad --set options --------------------------------------------------------------------


def test_set_without_equals() -> None:
    message = error_of(BASELINE, ["sales.reps"])
    assert message.startswith("--set sales.reps:")
    assert "expected KEY=VALUE" in message


def test_set_index_out_of_range() -> None:
    message = error_of(BASELINE, ["sales.stages.9.advance_probability=0.5"])
    assert message.startswith("--set sales.stages.9.advance_probability=0.5:")
    assert "sales.stages has 4 items, no index 9" in message


def test_set_unknown_key_suggests_the_closest() -> None:
    message = error_of(BASELINE, ["sales.repz=3"])
    assert message == "--set sales.repz: unknown key 'repz'; did you mean 'reps'?"


def test_set_misspelt_key_in_a_list_item() -> None:
    message = error_of(BASELINE, ["sales.stages.0.advance_probabilty=0.5"])
    assert message.startswith("--set sales.stages.0.advance_probabilty:")
    assert "did you mean 'advance_probability'?" in message


@pytest.mark.parametrize(
    ("option", "key", "expected", "given"),
    [
        ("sales.reps=many", "sales.reps", "integer", "'many'"),
        ("sales.reps=0", "sales.reps", "greater than or equal to 1", "0"),
        ("marketing.annual_budget=.nan", "marketing.annual_budget", "finite number", "nan"),
        ("leads.buying_window=[1]", "leads.buying_window", "boolean", "a list of 1 items"),
    ],
)
def test_set_wrong_value(option: str, key: str, expected: str, given: str) -> None:
    message = error_of(BASELINE, [option])
    assert message.startswith(f"--set {key}: expected ")
    assert expected in message
    assert message.endswith(f"got {given}")


@pytest.mark.parametrize(
    ("option", "problem"),
    [
        ("sales.reps.x=3", "sales.reps is a value, not a section"),
        ("sales..reps=3", "not a dotted key path"),
        ("sales.stages.first.name=x", "sales.stages is a list: expected an index, got 'first'"),
    ],
)
def test_set_bad_path(option: str, problem: str) -> None:
    message = error_of(BASELINE, [option])
    assert message.startswith(f"--set {option}:")
    assert problem in message


def test_set_error_names_the_set_option_not_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  reps: 2\n")
    message = error_of(path, ["marketing.brand_share=2"])
    assert message.startswith("--set marketing.brand_share:")
    assert "got 2" in message


def test_error_in_the_file_still_names_the_file_when_sets_are_given(tmp_path: Path) -> None:
    path = write(tmp_path, "sales:\n  reps: 0\n")
    message = error_of(path, ["marketing.brand_share=0.3"])
    assert message.startswith(f"{path}: sales.reps:")
