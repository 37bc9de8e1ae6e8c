"""Short horizons draw their report; the terminal never gets raw control characters (4, 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from reliability_helpers import assert_one_line, run_cli, tiny

from sim.apps.terminal import plain
from sim.report.figures import weekly_figure

# --- finding 9: any horizon under a week ----------------------------------------------------


def test_the_weekly_figure_of_no_complete_week_says_so() -> None:
    empty = pd.DataFrame(columns=["series", "week", "day", "mean", "low", "high"])
    fig = weekly_figure(empty)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert any("shorter than 7 days" in t for t in texts)


@pytest.mark.parametrize("days", ["3", "0.5"])
def test_a_run_shorter_than_a_week_writes_its_report(tmp_path: Path, days: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--horizon-days", days, "--out",
                            str(out), "-q"], capsys)
    assert code == 0, err
    assert (out / "report.html").is_file()
    assert json.loads((out / "result.json").read_text())["horizon_days"] == float(days)


def test_a_comparison_shorter_than_a_week_writes_its_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(tiny(tmp_path))
    out = tmp_path / "out"
    code, _, err = run_cli(["compare", path, path, "--horizon-days", "3", "--out", str(out),
                            "-q", "--workers", "1"], capsys)
    assert code == 0, err
    assert (out / "report.html").is_file()


# --- finding 4: control characters in names and keys -------------------------------------------


@pytest.mark.parametrize(("text", "shown"), [
    ("\x1b[2Jname", "\\x1b[2Jname"), ("a\rb", "a\\x0db"), ("\u202eevil", "\\u202eevil"),
    ("tab\there", "tab\\x09here"), ("bell\x07", "bell\\x07"), ("ok é 名前", "ok é 名前"),
])
def test_plain_escapes_control_and_format_characters(text: str, shown: str) -> None:
    assert plain(text) == shown


def test_plain_keeps_the_lines_of_a_table_unless_asked() -> None:
    assert plain("a\nb") == "a\nb" and plain("a\nb", one_line=True) == "a\\x0ab"


@pytest.mark.parametrize("text", [
    'sales:\n  "\\e[31mreps\\r": 3\n',           # an unknown key
    'name: x\nsales:\n  reps: "\\e[2Jmany"\n',    # a value in the message
    '"\\e]0;title\\a": 1\n',                      # a terminal title sequence
    'description: "\\u2028"\nsales: {reps: "\\n\\nsecond line"}\n',
])
def test_an_error_about_a_hostile_key_or_value_is_one_escaped_line(
        tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    code, _, err = run_cli(["validate", str(path)], capsys)
    line = assert_one_line(err, code)
    assert not any(ch in line for ch in "\x1b\x07\r\u2028")


def test_an_extends_of_a_file_that_is_not_a_scenario_never_echoes_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("the secret first line of a file that is no scenario\n")
    path = tmp_path / "s.yaml"
    path.write_text("extends: secret.yaml\n")
    code, _, err = run_cli(["validate", str(path)], capsys)
    line = assert_one_line(err, code)
    assert "secret first line" not in line and "got text" in line
    path.write_text("extends: /etc/passwd\n")
    code, _, err = run_cli(["validate", str(path)], capsys)
    line = assert_one_line(err, code)
    assert "ending in .yaml or .yml" in line and "root:" not in line
