"""Dotted overrides: one implementation, one list of keys that may not change, one-line errors."""

from __future__ import annotations

from typing import Any

import pytest

from sim.scenario.errors import ScenarioError
from sim.scenario.overrides import (
    FIXED_KEYS,
    WHY_FIXED,
    Source,
    apply_overrides,
    fixed_key_of,
    fixed_keys,
    get_path,
    overridden,
    set_path,
    show,
)
from sim.scenario.schema import Scenario


def message_of(overrides: dict[str, Any] | list[tuple[str, Any]], source: Source,
               **kwargs: Any) -> str:
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(Scenario, Scenario(), overrides, source, **kwargs)
    message = str(exc.value)
    assert "\n" not in message and message == message.strip()
    return message


# --- set_path, get_path, overridden -----------------------------------------------------


def test_set_path_nested_dicts_and_list_indexes() -> None:
    data: dict[str, Any] = {"a": {"b": {"c": 1}}, "items": [{"x": 1}, {"x": 2}], "top": 0}
    set_path(data, "a.b.c", 5)
    set_path(data, "items.1.x", 9)
    set_path(data, "items.0", {"x": 7})
    set_path(data, "top", "t")
    set_path(data, "new.section.key", True)
    assert data == {
        "a": {"b": {"c": 5}}, "items": [{"x": 7}, {"x": 9}], "top": "t",
        "new": {"section": {"key": True}},
    }


def test_set_path_through_a_null_creates_a_section() -> None:
    data: dict[str, Any] = {"a": None}
    set_path(data, "a.b", 1)
    assert data == {"a": {"b": 1}}


def test_set_path_copies_the_value() -> None:
    value = {"inner": [1, 2]}
    data: dict[str, Any] = {}
    set_path(data, "k", value)
    value["inner"].append(3)
    assert data == {"k": {"inner": [1, 2]}}


def test_set_path_index_out_of_range() -> None:
    data: dict[str, Any] = {"items": [{"x": 1}]}
    with pytest.raises(IndexError, match="no index 1"):
        set_path(data, "items.1.x", 2)
    with pytest.raises(IndexError):
        set_path(data, "items.5", 2)
    assert data == {"items": [{"x": 1}]}


@pytest.mark.parametrize(
    "path", ["a.b.c", "a.b.0", "items.0.x.y", "items.0.x.0"],
)
def test_set_path_into_a_scalar_raises_key_error(path: str) -> None:
    data: dict[str, Any] = {"a": {"b": 3}, "items": [{"x": "text"}]}
    with pytest.raises(KeyError, match="not a section"):
        set_path(data, path, 1)


@pytest.mark.parametrize("path", ["items.first", "items.-1", "items.x.y"])
def test_set_path_non_index_into_a_list_raises_key_error(path: str) -> None:
    data: dict[str, Any] = {"items": [1, 2]}
    with pytest.raises(KeyError, match="expected an index"):
        set_path(data, path, 0)
    assert data == {"items": [1, 2]}


@pytest.mark.parametrize("path", ["", ".", "a..b", ".a", "a."])
def test_set_path_empty_parts_raise_key_error(path: str) -> None:
    data: dict[str, Any] = {"a": {"b": 1}}
    with pytest.raises(KeyError, match="dotted key path"):
        set_path(data, path, 2)
    assert data == {"a": {"b": 1}}


def test_get_path_reads_mappings_and_lists() -> None:
    data = {"a": {"b": [{"c": 4}, {"c": 5}]}}
    assert get_path(data, "a.b.1.c") == 5
    assert get_path(data, "a.b") == [{"c": 4}, {"c": 5}]
    with pytest.raises(KeyError):
        get_path(data, "a.x")
    with pytest.raises(IndexError):
        get_path(data, "a.b.7")


def test_overridden_copies_and_the_last_repeat_wins() -> None:
    data = {"a": {"b": 1}}
    out = overridden(data, [("a.b", 2), ("a.b", 3), ("a.c", 4)])
    assert out == {"a": {"b": 3, "c": 4}}
    assert data == {"a": {"b": 1}}


# --- apply_overrides ---------------------------------------------------------------------


def test_apply_overrides_returns_a_validated_model() -> None:
    changed = apply_overrides(Scenario, Scenario(), {"sales.reps": 3, "horizon_days": 10},
                              Source("--set"))
    assert (changed.sales.reps, changed.horizon_days) == (3, 10.0)
    assert isinstance(changed.horizon_days, float)
    assert apply_overrides(Scenario, Scenario().model_dump(), [("sales.reps", 5)],
                           Source("--set")).sales.reps == 5


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (Source("--set"), "--set sales.repz: unknown key 'repz'; did you mean 'reps'?"),
        (Source("--vary"), "--vary sales.repz: unknown key 'repz'; did you mean 'reps'?"),
        (Source("timeline.2.set", in_file=True),
         "timeline.2.set.sales.repz: unknown key 'repz'; did you mean 'reps'?"),
    ],
)
def test_a_misspelt_key_is_named_with_its_source_and_the_closest_key(
        source: Source, expected: str) -> None:
    assert message_of({"sales.repz": 3}, source) == expected


def test_a_bad_value_says_what_was_expected_and_given() -> None:
    assert message_of({"marketing.brand_share": 1.5}, Source("--set")) == (
        "--set marketing.brand_share: expected a value less than or equal to 1; got 1.5")
    assert message_of({"sales.reps": "many"}, Source("--vary")).startswith(
        "--vary sales.reps: expected a valid integer")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (Source("--set"), "--set sales.stages.9.name=x: sales.stages has 4 items, no index 9"),
        (Source("timeline.0.set", in_file=True),
         "timeline.0.set.sales.stages.9.name: sales.stages has 4 items, no index 9"),
    ],
)
def test_a_path_that_cannot_be_set(source: Source, expected: str) -> None:
    assert message_of({"sales.stages.9.name": "x"}, source) == expected


def test_a_problem_of_the_section_of_an_override_names_both() -> None:
    message = message_of({"sales.base_discount": 0.9}, Source("--set"))
    assert message == ("--set sales.base_discount: sales: max_discount (0.4) must be >= "
                       "base_discount (0.9)")
    message = message_of({"sales.stages": [{"name": "a", "advance_probabilty": 1}]},
                         Source("--set"))
    assert message.startswith("--set sales.stages: sales.stages.0.advance_probabilty: unknown")


def test_a_problem_no_single_override_explains_names_them_all() -> None:
    base = Scenario().model_dump()
    base["leads"]["segments"][0]["share"] = 0.9  # not an override: the base is the culprit
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(Scenario, base, {"sales.reps": 3, "seed": 4},
                        Source("--set", context="base.yaml"))
    assert str(exc.value).startswith("base.yaml with --set sales.reps, seed: leads.segments: ")
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(Scenario, base, {"sales.reps": 3}, Source("--vary"))
    assert str(exc.value).startswith("--vary sales.reps=3: leads.segments: ")


def test_show_writes_values_as_people_type_them() -> None:
    assert [show(v) for v in ("text", 3, 0.5, True, None, [1, 2])] == [
        "text", "3", "0.5", "true", "null", "[1, 2]"]


# --- the keys that may not change --------------------------------------------------------


def test_one_list_names_each_fixed_key_once_with_where_it_is_fixed() -> None:
    assert set(fixed_keys("experiment")) == {"name", "description", "seed", "replications",
                                             "record_leads"}
    assert set(fixed_keys("experiment")) < set(fixed_keys("timeline")) == set(FIXED_KEYS)
    assert {"sales.slots_per_rep", "leads.segments", "horizon_days"} <= set(fixed_keys("timeline"))
    assert "sales.reps" not in fixed_keys("timeline")  # hires are planned on the timeline
    assert set(WHY_FIXED) == {"timeline", "experiment"}
    for key in FIXED_KEYS:  # every fixed key is a key of the schema
        get_path(Scenario().model_dump(), key)


@pytest.mark.parametrize(
    ("path", "scope", "fixed"),
    [("seed", "experiment", "seed"), ("sales.reps", "experiment", None),
     ("sales.reps", "timeline", None),
     ("sales.slots_per_rep", "timeline", "sales.slots_per_rep"),
     ("leads.segments.0.share", "timeline",
                                                 "leads.segments"),
     ("sales.reps_extra", "timeline", None), ("marketing.brand_share", "timeline", None)],
)
def test_fixed_key_of(path: str, scope: Any, fixed: str | None) -> None:
    assert fixed_key_of(path, scope) == fixed


def test_a_fixed_key_is_refused_with_the_reason_of_its_scope() -> None:
    assert message_of({"seed": 3}, Source("--vary"), scope="experiment") == (
        f"--vary seed: {WHY_FIXED['experiment']}")
    assert message_of({"sales.slots_per_rep": 3}, Source("timeline.1.set", in_file=True),
                      scope="timeline") == (
        f"timeline.1.set.sales.slots_per_rep: {WHY_FIXED['timeline']}")
    # outside a scope the same keys may change
    assert apply_overrides(Scenario, Scenario(), {"seed": 3}, Source("--set")).seed == 3
