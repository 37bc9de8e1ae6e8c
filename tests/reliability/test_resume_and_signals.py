"""--resume and stopping: versions, a lock, tampered files, SIGTERM, Ctrl-C (findings 7, 9, 12)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from reliability_helpers import (
    PYTHON,
    assert_one_line,
    no_leftovers,
    run_cli,
    start,
    start_ready,
    subprocess_env,
    tiny,
)

from sim.apps import run_folder
from sim.apps.cli import main
from sim.experiments.store import ExperimentStore, StoreError
from sim.scenario import loading


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished two-point sweep of the tiny scenario (run once)."""
    folder = tmp_path_factory.mktemp("sweep")
    code = main(["sweep", str(tiny(folder)), "--vary", "sales.reps=4,6", "--out",
                 str(folder / "exp"), "-q", "--workers", "1"])
    assert code == 0
    return folder / "exp"


@pytest.fixture
def sweep(finished_sweep: Path, tmp_path: Path) -> Path:
    """A copy of the finished sweep to resume, tamper with, or lock."""
    return Path(shutil.copytree(finished_sweep, tmp_path / "exp"))


def manifest(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "manifest.json").read_text())


def resume(folder: Path, capsys, *extra: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    return run_cli(["sweep", "--resume", str(folder), "-q", "--workers", "1", *extra], capsys)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- finding 7: a resume never mixes two versions of the model without being told -----------


@pytest.mark.parametrize("field", ["git_revision", "version"])
def test_resume_refuses_another_version(sweep: Path, capsys, field: str) -> None:  # type: ignore[no-untyped-def]
    data = manifest(sweep)
    if field == "version":
        data["packages"]["leadflow-sim"] = "0.0.1-other"
    else:
        data["git_revision"] = "0" * 40
    (sweep / "manifest.json").write_text(json.dumps(data))
    before = snapshot(sweep)
    code, _, err = resume(sweep, capsys)
    line = assert_one_line(err, code)
    assert "written by another version of the tool" in line and "--allow-version-change" in line
    assert snapshot(sweep) == before


def test_resume_with_allow_version_change_records_both(sweep: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    data = manifest(sweep)
    data["git_revision"] = "0" * 40
    (sweep / "manifest.json").write_text(json.dumps(data))
    code, _, err = resume(sweep, capsys, "--allow-version-change")
    assert code == 0, err
    sessions = manifest(sweep)["sessions"]
    assert sessions[-1]["git_revision"] == run_folder.versions()["git_revision"]
    assert sessions[-1]["version"] == run_folder.versions()["version"]
    assert manifest(sweep)["git_revision"] == "0" * 40  # the first revision is kept
    # Once mixed, a later resume is refused again unless told.
    code, _, err = resume(sweep, capsys)
    assert "another version" in assert_one_line(err, code)


def test_every_session_records_its_version(sweep: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code, _, err = resume(sweep, capsys)
    assert code == 0, err
    sessions = manifest(sweep)["sessions"]
    assert len(sessions) == 2
    assert all({"version", "git_revision"} <= set(s) for s in sessions)


# --- finding 12: one process at a time in a folder --------------------------------------------


def test_a_second_resume_of_a_locked_folder_is_refused(sweep: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    holder = subprocess.Popen(
        [PYTHON, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from sim.experiments.store import ExperimentStore
            store = ExperimentStore.open(Path({str(sweep)!r}))
            print("locked", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, env=subprocess_env())
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, _, err = resume(sweep, capsys)
        assert "another process is working in this folder" in assert_one_line(err, code)
    finally:
        holder.kill()
        holder.wait()
    code, _, err = resume(sweep, capsys)  # the lock died with its process
    assert code == 0, err


def test_the_lock_is_released_when_the_store_closes(sweep: Path) -> None:
    store = ExperimentStore.open(sweep)
    with pytest.raises(StoreError, match="another process"):
        ExperimentStore.open(sweep)
    store.close()
    ExperimentStore.open(sweep).close()


# --- finding 9: tampered files are one line ---------------------------------------------------


def _edit_spec(folder: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = folder / "experiment.json"
    data = json.loads(path.read_text())
    path.write_text(json.dumps(change(data)))


@pytest.mark.parametrize("change", [
    lambda d: [d],
    lambda d: {**d, "seed": -5},
    lambda d: {**d, "seed": "x"},
    lambda d: {**d, "axes": "sales.reps"},
    lambda d: {**d, "axes": [{"key": "sales.reps", "values": list(range(20_000))}]},
    lambda d: {**d, "axes": [{"key": "sales.reps", "values": [4, "many"]}]},
    lambda d: {**d, "stopping": {**d["stopping"], "replications": 2.5}},
    lambda d: {**d, "stopping": [1, 2]},
    lambda d: {**d, "base": {**d["base"], "horizon_days": 1e300}},
    lambda d: {**d, "goal": "sideways"},
    lambda d: {**d, "command": 7},
], ids=["list", "negative-seed", "text-seed", "axes-text", "huge-grid", "bad-value",
        "float-replications", "stopping-list", "huge-horizon", "bad-goal", "bad-command"])
def test_a_tampered_experiment_json_is_one_line(sweep: Path, capsys, change) -> None:  # type: ignore[no-untyped-def]
    _edit_spec(sweep, change)
    code, _, err = resume(sweep, capsys)
    assert f"--resume {sweep}" in assert_one_line(err, code)


def test_deeply_nested_json_is_one_line(sweep: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    (sweep / "experiment.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = resume(sweep, capsys)
    assert "experiment.json cannot be read" in assert_one_line(err, code)


@pytest.mark.parametrize("text", ["[]", '{"sessions": 5}', "{bad", '"text"',
                                  '{"sessions": [1, "x"]}'])
def test_a_tampered_manifest_is_rewritten_by_the_resume(sweep: Path, capsys,  # type: ignore[no-untyped-def]
                                                         text: str) -> None:
    (sweep / "manifest.json").write_text(text)
    code, _, err = resume(sweep, capsys)
    assert code == 0, err
    assert manifest(sweep)["status"] == "complete"


@pytest.mark.parametrize("line", ['[1, 2]', '{"point": "p", "replication": 0, "metrics": [1]}',
                                  'null', '{"point": "p", "replication": "x", "metrics": {}}',
                                  '{"metrics": {"a": "b"}, "point": 1, "replication": 0}'])
def test_a_tampered_log_line_is_one_line(sweep: Path, capsys, line: str) -> None:  # type: ignore[no-untyped-def]
    log = sweep / "replications.jsonl"
    log.write_text(line + "\n" + log.read_text())
    code, _, err = resume(sweep, capsys)
    assert "replications.jsonl line 1 is damaged" in assert_one_line(err, code)


# --- finding 12: Ctrl-C and SIGTERM -------------------------------------------------------------


def test_ctrl_c_while_writing_the_report_says_the_tables_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from sim.report import experiment_report

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(experiment_report, "write_experiment_report", interrupted)
    out = tmp_path / "exp"
    code, _, err = run_cli(["sweep", str(tiny(tmp_path)), "--vary", "sales.reps=4,6",
                            "--out", str(out), "-q", "--workers", "1"], capsys)
    line = assert_one_line(err, code, expected=130)
    assert "every table is complete" in line and "nothing was written" not in line
    assert (out / "summary.csv").is_file() and manifest(out)["status"] == "complete"


def test_ctrl_c_during_start_up_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys) -> None:  # type: ignore[no-untyped-def]
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(loading, "read_layers", interrupted)
    code, _, err = run_cli(["run", str(tiny(tmp_path))], capsys)
    assert assert_one_line(err, code, expected=130) == "interrupted: nothing was written"


def _wait_for(predicate, seconds: float = 240.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigterm_during_an_experiment_is_handled_like_ctrl_c(tmp_path: Path) -> None:
    out = tmp_path / "exp"
    child = start(["sweep", str(tiny(tmp_path)), "--vary", "sales.reps=2:12:1", "-n", "3",
                   "--out", str(out), "--workers", "2"], tmp_path)
    log = out / "replications.jsonl"
    _wait_for(lambda: log.is_file() and log.read_text().count("\n") >= 1)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=240)
    assert child.returncode == 143, err
    assert assert_one_line(err, 143, expected=143).startswith("interrupted: ")
    assert manifest(out)["status"] == "interrupted"
    assert no_leftovers(tmp_path) == []


def test_sigterm_during_a_run_leaves_nothing(tmp_path: Path) -> None:
    # 500 replications: minutes of work, stopped after a few seconds.
    child = start_ready(["run", str(tiny(tmp_path)), "-n", "500", "--out",
                         str(tmp_path / "out"), "--workers", "2"], tmp_path)
    time.sleep(2.0)  # loaded, running
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=240)
    assert assert_one_line(err, child.returncode, expected=143) == (
        "interrupted: nothing was written")
    assert not (tmp_path / "out").exists() and no_leftovers(tmp_path) == []


def test_ctrl_c_of_the_process_group_is_one_line_at_any_point_after_import(
        tmp_path: Path) -> None:
    path = tiny(tmp_path)
    # 2,000 replications: far more than the last delay lets run (200 could finish
    # within 3 s once a replication got faster, and the signal then found nothing to stop).
    for delay in (0.0, 0.3, 1.0, 3.0):  # loading, starting the workers, running
        child = start_ready(["compare", str(path), str(path), "-n", "2000", "--out",
                             str(tmp_path / f"o{delay}"), "--workers", "2", "-q"], tmp_path)
        time.sleep(delay)
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: every process
        _, err = child.communicate(timeout=240)
        assert assert_one_line(err, child.returncode, expected=130).startswith("interrupted")
    assert no_leftovers(tmp_path) == []


def test_ctrl_c_wrapped_by_a_class_definition_is_one_line(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    # A Ctrl-C that lands while an imported module defines a class comes back as a
    # RuntimeError ("Error calling __set_name__ ...") raised from the KeyboardInterrupt.
    from sim.apps import cli

    def interrupted_import(args: object) -> int:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise RuntimeError("Error calling __set_name__ on 'x' instance 'y' in 'Z'") from stop

    monkeypatch.setattr(cli, "cmd_validate", interrupted_import)
    assert main(["validate", str(tiny(tmp_path))]) == 130
    assert capsys.readouterr().err == "interrupted: nothing was written\n"
    # Any other error still surfaces as it is.
    monkeypatch.setattr(cli, "cmd_validate", lambda args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["validate", str(tiny(tmp_path))])
