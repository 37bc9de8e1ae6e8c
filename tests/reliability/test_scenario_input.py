"""Scenario files and --set/--vary values an adversary or a typo could give: read right or one line.

Findings 5, 8, 9 and 11 of issue 17: base-60 numbers, merge keys, --set extends,
a timeline change past the horizon, unhashable keys, deep nesting, huge
numbers, alias bombs (also split across extends), /dev/zero and oversized files.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from reliability_helpers import TINY, assert_one_line, run_cli, tiny

from sim.experiments.designs import ExperimentError, parse_vary
from sim.scenario.loading import MAX_FILE_BYTES, ScenarioError, load_scenario, parse_set


def error(path: Path, sets: list[str] | None = None) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, sets)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# --- finding 5: YAML 1.1 base-60 numbers are not read as numbers ------------------------


@pytest.mark.parametrize("text", ["sales:\n  reps: 1:30\n",
                                  "sales:\n  response_tail_mean_hours: 1:30\n",
                                  "sales:\n  reps: 1:30:00\n"])
def test_a_base_60_number_in_a_file_is_refused(tmp_path: Path, text: str) -> None:
    message = error(tiny(tmp_path, extra=text))
    assert "'1:30" in message and "expected a valid" in message


def test_a_base_60_number_in_set_is_refused(tmp_path: Path) -> None:
    assert parse_set("sales.reps=1:30") == ("sales.reps", "1:30")
    message = error(tiny(tmp_path), ["sales.reps=1:30"])
    assert message.startswith("--set sales.reps:") and "'1:30'" in message


def test_a_base_60_range_in_vary_is_refused_not_read_as_250() -> None:
    with pytest.raises(ExperimentError, match="expected start:stop:step"):
        parse_vary("sales.reps=4:10")
    # A list item is text too: the grid point is refused when it is validated.
    assert parse_vary("sales.reps=4:10,6") == ("sales.reps", ("4:10", 6))


def test_a_leading_zero_is_decimal_not_octal(tmp_path: Path) -> None:
    assert load_scenario(tiny(tmp_path, extra="sales:\n  reps: 010\n")).sales.reps == 10
    assert parse_set("sales.reps=010") == ("sales.reps", 10)


def test_vary_base_60_through_the_command_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["sweep", str(tiny(tmp_path)), "--vary", "sales.reps=4:10",
                            "--out", str(tmp_path / "out")], capsys)
    assert "start:stop:step" in assert_one_line(err, code)
    assert not (tmp_path / "out").exists()


# --- finding 8: merge keys, --set extends, a timeline past the horizon --------------------


def test_standard_merge_keys_work_and_the_keys_beside_them_win(tmp_path: Path) -> None:
    text = ("defaults: &defaults {reps: 3, slots_per_rep: 4}\n"
            "sales:\n  <<: {reps: 3, slots_per_rep: 4}\n  reps: 5\n"
            "marketing:\n  <<: [{annual_budget: 1000}, {brand_share: 0.3}]\n")
    scenario = load_scenario(tiny(tmp_path, extra=text.split("\n", 1)[1]))
    assert (scenario.sales.reps, scenario.sales.slots_per_rep) == (5, 4)
    assert (scenario.marketing.annual_budget, scenario.marketing.brand_share) == (1000, 0.3)


def test_a_merge_key_does_not_hide_a_duplicate_key(tmp_path: Path) -> None:
    message = error(tiny(tmp_path, extra="sales:\n  <<: {reps: 3}\n  reps: 5\n  reps: 6\n"))
    assert "'reps' is given twice" in message


@pytest.mark.parametrize("option", ["extends=other.yaml", "extends.x=1"])
def test_set_extends_is_refused_not_ignored(tmp_path: Path, option: str) -> None:
    message = error(tiny(tmp_path), [option])
    assert message.startswith("--set extends") and "only a scenario file" in message


def test_vary_extends_is_refused_not_ignored(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "other.yaml").write_text(TINY)
    code, _, err = run_cli(["sweep", str(tiny(tmp_path)), "--vary",
                            "extends=other.yaml,tiny.yaml"], capsys)
    assert "only a scenario file can extend another" in assert_one_line(err, code)


def test_a_timeline_change_past_the_horizon_is_refused(tmp_path: Path) -> None:
    path = tiny(tmp_path, extra="timeline:\n  - day: 20\n    set: {sales.reps: 3}\n")
    message = error(path)
    assert "timeline.0.day: 20 is not before the horizon (14 days)" in message


def test_a_horizon_option_before_a_change_is_said(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tiny(tmp_path, extra="horizon_days: 40\ntimeline:\n"
                "  - day: 20\n    set: {marketing.annual_budget: 1000}\n")
    path.write_text(path.read_text().replace("horizon_days: 14\n", ""))
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert code == 0 and err == ""
    code, _, err = run_cli(["run", str(path), "--horizon-days", "10", "-n", "1",
                            "--out", str(tmp_path / "out"), "--json"], capsys)
    assert code == 0
    assert "note: timeline.0 (day 20) is not before --horizon-days 10" in err


# --- finding 9: keys, nesting and numbers that used to give tracebacks ---------------------


@pytest.mark.parametrize("text", ["? [a, b]\n: 3\n", "? {a: 1}\n: 3\n",
                                  "sales:\n  ? [reps]\n  : 3\n"])
def test_an_unhashable_key_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert "a key must be a name" in error(path)


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "a:\n" + "".join(
    f"{'  ' * i}b:\n" for i in range(1, 400)) + "  " * 400 + "c: 1\n", "{a: " * 3000 + "1"
    + "}" * 3000])
def test_very_deep_nesting_is_one_line(tmp_path: Path, text: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    started = time.perf_counter()
    assert "nested more than" in error(path)
    assert time.perf_counter() - started < 10


def test_a_number_with_thousands_of_digits_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tiny(tmp_path, extra="sales:\n  reps: " + "9" * 5000 + "\n")
    code, _, err = run_cli(["validate", str(path)], capsys)
    assert "a value cannot be read" in assert_one_line(err, code)


# --- finding 11: what a file may make the tool read or build ------------------------------

BOMB = ("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
        "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n")


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + "timeline:\n  - day: 1\n    set: {description: *f}\n")
    started = time.perf_counter()
    assert "expands to more than" in error(path)
    assert time.perf_counter() - started < 5


def _branch(key: str, anchor: str, times: int) -> str:
    """``key`` holding a 400-value list repeated ``times`` times by an alias."""
    return (f"{key}:\n  - &{anchor} [" + ", ".join(["1"] * 400) + "]\n"
            + "".join(f"  - *{anchor}\n" for _ in range(times)))


def test_an_alias_bomb_split_between_a_base_and_its_extension_is_refused(
        tmp_path: Path) -> None:
    # Each file stays under the cap on its own; what they make together does not.
    (tmp_path / "base.yaml").write_text(TINY + _branch("zz_base", "x", 300))
    extending = tmp_path / "ext.yaml"
    extending.write_text("extends: base.yaml\n" + _branch("zz_ext", "y", 300))
    for alone in ("base.yaml", "ext.yaml"):
        copy = tmp_path / f"alone-{alone}"
        copy.write_text((tmp_path / alone).read_text().replace("extends: base.yaml\n", ""))
        assert "unknown key 'zz_" in error(copy)  # under the cap: validation speaks
    started = time.perf_counter()
    message = error(extending)
    assert time.perf_counter() - started < 10
    assert message.startswith(f"{extending}: expands to more than")


def test_a_value_that_contains_itself_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("description: &a [1, *a]\n")
    assert "contains itself" in error(path)


def test_dev_zero_is_refused_at_once(capsys) -> None:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    code, _, err = run_cli(["validate", "/dev/zero"], capsys)
    assert "is not a regular file" in assert_one_line(err, code)
    assert time.perf_counter() - started < 5


def test_a_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    started = time.perf_counter()
    assert "is not a regular file" in error(fifo)
    assert time.perf_counter() - started < 5


def test_a_file_larger_than_the_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(TINY + "description: '" + "x" * MAX_FILE_BYTES + "'\n")
    assert f"larger than {MAX_FILE_BYTES:,} bytes" in error(path)


def test_binary_garbage_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bin.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    assert "is not UTF-8 text" in error(path)
