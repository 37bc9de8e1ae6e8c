"""``run.py workshop``: the command line that starts the app, without starting it."""

from __future__ import annotations

import os

import pytest

from sim.apps import cli
from sim.apps.workshop import launch


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_the_app_listens_on_this_machine_only_by_default_and_sends_nothing():
    command = launch.streamlit_command()
    # Streamlit's own command line, run inside the gate that checks Host and Origin
    assert command[1:3] == ["-m", launch.SERVER_MODULE] and str(launch.APP) in command
    assert option(command, "--server.address") == "127.0.0.1"
    assert option(command, "--server.port") == "8501"
    assert option(command, "--server.headless") == "true"
    assert option(command, "--browser.gatherUsageStats") == "false"
    assert option(command, "--server.fileWatcherType") == "none"
    assert "--browser.serverAddress" not in command
    assert launch.urls("127.0.0.1", 8501) == ["http://127.0.0.1:8501"]


def test_sharing_on_the_room_network_names_the_address_itself():
    command = launch.streamlit_command("0.0.0.0", 9000)
    assert option(command, "--server.address") == "0.0.0.0"
    assert option(command, "--server.port") == "9000"
    # set here, so Streamlit does not ask an internet service for a public address
    assert option(command, "--browser.serverAddress")
    assert launch.urls("0.0.0.0", 9000)[0] == "http://localhost:9000"


def test_the_app_finds_the_package_and_keeps_statistics_off():
    env = launch.app_environment({"PYTHONPATH": "/elsewhere", "HOME": "/home/x"})
    assert env["PYTHONPATH"].split(os.pathsep) == [str(launch.ROOT), "/elsewhere"]
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert env["HOME"] == "/home/x"
    assert launch.APP.is_file() and (launch.ROOT / "sim" / "apps" / "workshop").is_dir()


def test_cli_workshop_passes_host_and_port(monkeypatch: pytest.MonkeyPatch):
    calls = []
    monkeypatch.setattr(launch, "run", lambda host, port: calls.append((host, port)) or 0)
    assert cli.main(["workshop"]) == 0
    assert cli.main(["workshop", "--host", "0.0.0.0", "--port", "8600"]) == 0
    assert calls == [("127.0.0.1", 8501), ("0.0.0.0", 8600)]


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_cli_workshop_refuses_a_bad_port(port: str, capsys: pytest.CaptureFixture[str]):
    assert cli.main(["workshop", "--port", port]) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("error: run.py workshop: argument --port:") and err.count("\n") == 1


def test_run_starts_streamlit_and_survives_ctrl_c(monkeypatch: pytest.MonkeyPatch, capsys):
    seen = {}

    def call(command, env, cwd):
        seen.update(command=command, env=env, cwd=cwd)
        raise KeyboardInterrupt

    monkeypatch.setattr(launch.subprocess, "call", call)
    assert launch.run("127.0.0.1", 8502) == 0
    assert option(seen["command"], "--server.port") == "8502"
    assert seen["cwd"] == launch.ROOT
    assert "http://127.0.0.1:8502" in capsys.readouterr().out
