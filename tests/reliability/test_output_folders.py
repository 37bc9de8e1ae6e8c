"""Nothing outside the results folder, nothing of the user's lost (issue 17, findings 1, 2, 9, 12).

A hostile scenario name cannot write outside the folder; ``--out`` refuses a
folder that is not the tool's, replaces a results folder whole, and reports an
unwritable, read-only, impossible destination or a full disk in one line.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from reliability_helpers import assert_one_line, no_leftovers, run_cli, tiny

from sim.apps import run_folder
from sim.experiments import folders
from sim.experiments.folders import FolderError, check_out, is_results_folder, sweep_leftovers
from sim.experiments.safe_output import UnsafePathError, inside, safe_name, safe_names
from sim.experiments.store import ExperimentStore, StoreError

pytestmark = pytest.mark.usefixtures("instant_runs")


# --- finding 1: names that are paths ---------------------------------------------------------


@pytest.mark.parametrize("label", [
    "../../../scenarios/baseline", "/etc/passwd", "..", ".", "a/b\\c", "con", "NUL.txt",
    "\x1b[31mred\x07", "", "   ", "-rf", ".hidden", "é" * 300, "x" * 90, "a" * 1000 + "/..",
])
def test_a_safe_name_is_one_harmless_file_name(label: str, tmp_path: Path) -> None:
    name = safe_name(label)
    assert name and len(name) <= 80
    assert "/" not in name and "\\" not in name and ".." not in name
    assert not name.startswith((".", "-"))
    assert all(ch.isalnum() or ch in "._-" for ch in name) and name.isascii()
    assert inside(tmp_path, f"{name}.yaml").parent == tmp_path
    assert safe_name(label) == name  # the same label, the same name


def test_long_labels_that_share_their_start_stay_apart() -> None:
    long = ["x" * 90 + "a", "x" * 90 + "b", "x" * 90 + "c"]
    assert len(set(safe_names(long))) == 3
    assert len(set(safe_names(["a/b", "a_b", "A_B"]))) == 3  # apart even ignoring case


@pytest.mark.parametrize("relative", ["../x", "/abs", "a/../../b", "", "a/\x00"])
def test_inside_refuses_a_path_leaving_the_folder(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafePathError):
        inside(tmp_path, relative)


def test_inside_refuses_a_link_leading_out(tmp_path: Path) -> None:
    (tmp_path / "link").symlink_to("/etc")
    with pytest.raises(UnsafePathError, match="leads outside"):
        inside(tmp_path, "link/passwd")


def test_a_store_never_writes_outside_its_folder(tmp_path: Path) -> None:
    store = ExperimentStore(tmp_path / "exp", {}, {}, {})
    (tmp_path / "exp").mkdir()
    for name in ("../escaped.yaml", "scenarios/../../escaped.yaml", "/tmp/escaped.yaml"):
        with pytest.raises(UnsafePathError):
            store.write_text(name, "x")
    assert not (tmp_path / "escaped.yaml").exists()


def test_hostile_scenario_names_write_inside_the_folder_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """compare: a traversal name, three 90-character names, a formula, control characters."""
    monkeypatch.chdir(tmp_path)
    names = ["../../../scenarios/baseline", "=HYPERLINK(\"http://x\")" + "y" * 70,
             "\x1b[2J" + "z" * 88, "+" + "w" * 89]
    files = []
    for i, name in enumerate(names):
        files.append(str(tiny(tmp_path, f"s{i}.yaml", extra=f"name: {json.dumps(name)}\n")
                         ).replace("name: tiny\n", ""))
        path = Path(files[-1])
        path.write_text(path.read_text().replace("name: tiny\n", ""))
    out = tmp_path / "deep" / "er" / "out"
    # Where the unsanitised name would have written: a file the user owns.
    victim = (out / "scenarios" / f"{names[0]}.yaml").resolve()
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("the user's own baseline\n")
    code, stdout, err = run_cli(["compare", *files, "--out", str(out), "-n", "2"], capsys)
    assert code == 0, err
    assert victim.read_text() == "the user's own baseline\n"
    written = sorted(p.name for p in (out / "scenarios").iterdir())
    assert len(written) == 4 and all(len(n) <= 85 for n in written)
    assert all(p.resolve().is_relative_to(out.resolve()) for p in out.rglob("*"))
    assert "\x1b" not in stdout + err and "\\x1b[2J" in stdout
    # The default folder name is a safe name too (no --out: three long labels).
    code, _, err = run_cli(["compare", *files[1:], "-n", "2", "-q"], capsys)
    assert code == 0, err
    (made,) = (tmp_path / "reports").iterdir()
    assert len(made.name) < 255 and made.name.startswith("compare-")


def test_validate_shows_a_hostile_name_escaped(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tiny(tmp_path, extra='name: "../../x\\u001b[31m\\r"\n')
    path.write_text(path.read_text().replace("name: tiny\n", ""))
    code, out, _ = run_cli(["validate", str(path)], capsys)
    assert code == 0 and "\x1b" not in out and "\r" not in out
    assert "../../x\\x1b[31m\\x0d" in out


# --- finding 2: --out is replaced whole, never merged into, and never a user's folder ----------


def test_out_refuses_a_folder_of_the_users(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    for sub in ("figures", "tables"):
        (home / sub).mkdir(parents=True)
        (home / sub / "mine.txt").write_text("keep")
    (home / "thesis.tex").write_text("keep")
    before = sorted(str(p) for p in home.rglob("*"))
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", str(home)], capsys)
    assert "neither empty nor a results folder" in assert_one_line(err, code)
    assert sorted(str(p) for p in home.rglob("*")) == before
    assert no_leftovers(tmp_path) == []


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_experiment_out_refuses_a_folder_of_the_users(tmp_path: Path, command: str,
                                                      capsys) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("keep")
    scenario = str(tiny(tmp_path))
    args = ([scenario, scenario] if command == "compare"
            else [scenario, "--vary", "sales.reps=4,6"])
    code, _, err = run_cli([command, *args, "--out", str(home)], capsys)
    assert "neither empty nor a results folder" in assert_one_line(err, code)
    assert [p.name for p in home.iterdir()] == ["notes.txt"]


def test_a_second_run_into_a_runs_folder_leaves_no_stale_file(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--set", "record_leads=true",
                            "--out", str(out), "-q"], capsys)
    assert code == 0, err
    assert (out / "leads.csv").is_file()
    (out / "figures" / "stale.png").write_bytes(b"old")
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", str(out), "-q"], capsys)
    assert code == 0, err
    assert not (out / "leads.csv").exists() and not (out / "figures" / "stale.png").exists()
    assert (out / "summary.csv").is_file() and (out / "report.html").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["tiny.yaml", "out"] or sorted(
        p.name for p in tmp_path.iterdir()) == ["out", "tiny.yaml"]


def test_an_experiment_into_a_runs_folder_replaces_it_whole(tmp_path: Path, tiny_run) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out"
    run_folder.write_run(tiny_run, out, *(2 * [__import__("datetime").datetime.now()]),
                         report=False)
    assert (out / "leads.csv").is_file() and is_results_folder(out)
    with ExperimentStore.create(out, {"command": "sweep"}, {}):
        pass
    assert sorted(p.name for p in out.iterdir()) == [
        "experiment.json", "manifest.json", "replications.jsonl"]


def test_an_unfinished_experiment_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    ExperimentStore.create(out, {"command": "sweep"}, {}).close()
    with pytest.raises(FolderError, match="unfinished experiment"):
        check_out(out)
    with pytest.raises(StoreError, match="holds an experiment already"):
        ExperimentStore.create(out, {"command": "sweep"}, {})


@pytest.mark.parametrize("make", ["file", "link", "user"])
def test_check_out_refusals(tmp_path: Path, make: str) -> None:
    target = tmp_path / "t"
    if make == "file":
        target.write_text("x")
    elif make == "link":
        (tmp_path / "real").mkdir()
        target.symlink_to(tmp_path / "real")
    else:
        target.mkdir()
        (target / "a.txt").write_text("x")
    with pytest.raises(FolderError):
        check_out(target)


def test_a_folder_holding_only_a_report_is_the_tools(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    (folder / "figures").mkdir(parents=True)
    (folder / "report.html").write_text("<html>")
    (folder / "figures" / "a.png").write_bytes(b"")
    assert is_results_folder(folder)
    (folder / "figures" / "thesis.tex").write_text("mine")
    assert not is_results_folder(folder)


# --- finding 9: unwritable, read-only, impossible destinations and a full disk --------------


@pytest.mark.parametrize(("out", "words"), [
    ("/etc/passwd/out", "is not a folder"),
    ("/proc/nope/out", "cannot be written"),
    ("/etc/passwd", "exists and is not a folder"),
])
def test_an_impossible_out_is_one_line_before_running(out: str, words: str, capsys,  # type: ignore[no-untyped-def]
                                                      tmp_path: Path) -> None:
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", out], capsys)
    assert words in assert_one_line(err, code)


def test_a_read_only_file_system_is_one_line(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = Path("/sys/leadflow-out")  # sysfs: read-only for every user, root too
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", str(out)], capsys)
    line = assert_one_line(err, code)
    assert line.startswith(f"error: --out {out}: cannot be written (")


def test_an_unwritable_out_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys) -> None:  # type: ignore[no-untyped-def]
    # Tests may run as root, who may write anywhere: the refusal is simulated.
    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    monkeypatch.setattr(folders.tempfile, "mkdtemp", refuse)
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", str(tmp_path / "out")],
                           capsys)
    assert "cannot be written (Permission denied)" in assert_one_line(err, code)


def test_a_full_disk_is_one_line_and_leaves_nothing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys) -> None:  # type: ignore[no-untyped-def]
    calls = []

    def full(table: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(run_folder, "write_csv", full)
    out = tmp_path / "out"
    code, _, err = run_cli(["run", str(tiny(tmp_path)), "--out", str(out)], capsys)
    line = assert_one_line(err, code, expected=1)
    assert line.startswith("error: No space left on device: ")
    assert not out.exists() and no_leftovers(tmp_path) == []


# --- finding 12: what a killed process left behind is removed -----------------------------


def test_leftovers_of_a_dead_process_are_swept_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = tmp_path / ".out.tmp-999999999-abc_1234"
    old = tmp_path / ".out.old-999999999-abc_1234"
    live = tmp_path / f".out.tmp-{os.getpid()}-abc_1234"
    users = tmp_path / ".notes.tmp-999999999-mine"  # not the tool's shape: kept
    for folder in (dead, old, live, users):
        folder.mkdir()
        (folder / "half.csv").write_text("x")
    (tmp_path / ".manifest.json.tmp-999999999-x1y2z3w4").write_text("{")
    assert sorted(p.name for p in sweep_leftovers(tmp_path)) == sorted(
        [dead.name, old.name, ".manifest.json.tmp-999999999-x1y2z3w4"])
    assert live.is_dir() and users.is_dir() and not dead.exists()
