"""The workshop server: no request leaves the machine, foreign hosts and origins are refused.

Finding 3 of issue 17: a WebSocket or CORS request with a foreign ``Origin``
made Streamlit fetch a public IP-lookup address (on every such request), and
the ``Host`` header was not checked (DNS rebinding). The live test starts the
server on a free port with a local recorder as the HTTP and HTTPS proxy: any
request the server sends off the machine reaches the recorder. The same test
against plain ``streamlit run`` shows the recorder does catch the lookup.
Finding 9: an invalid ``--host`` is one line.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import assert_one_line, run_cli

from sim.apps.workshop import launch, serve
from sim.apps.workshop.guard import HostOriginGuard, host_allowed, origin_allowed

MACHINE = socket.gethostname().lower()


@pytest.mark.parametrize(("host", "listen", "allowed"), [
    ("127.0.0.1:8501", "127.0.0.1", True), ("localhost:8501", "127.0.0.1", True),
    ("[::1]:8501", "::1", True), ("LOCALHOST.", "127.0.0.1", True),
    ("evil.example:8501", "127.0.0.1", False), ("evil.example", "0.0.0.0", False),
    ("127.0.0.1.evil.example", "127.0.0.1", False), ("192.168.1.5:8501", "127.0.0.1", False),
    ("192.168.1.5:8501", "0.0.0.0", True), ("192.168.1.5", "192.168.1.5", True),
    (f"{MACHINE}:8501", "0.0.0.0", True), (f"{MACHINE}.local", "0.0.0.0", True),
    (None, "127.0.0.1", False), ("", "127.0.0.1", False), ("a@127.0.0.1", "127.0.0.1", False),
    ("127.0.0.1:port", "127.0.0.1", False), ("127.0.0.1/x", "127.0.0.1", False),
])
def test_host_header(host: str | None, listen: str, allowed: bool) -> None:
    assert host_allowed(host, listen) is allowed


@pytest.mark.parametrize(("origin", "host", "allowed"), [
    (None, "127.0.0.1:8501", True), ("http://127.0.0.1:8501", "127.0.0.1:8501", True),
    ("http://localhost:8501", "127.0.0.1:8501", False), ("https://evil.example", "x", False),
    ("null", "127.0.0.1:8501", False), ("file://", "127.0.0.1:8501", False),
    ("http://127.0.0.1:9999", "127.0.0.1:8501", False), ("http://127.0.0.1:8501", None, False),
])
def test_origin_header(origin: str | None, host: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, host) is allowed


def _call(guard: HostOriginGuard, kind: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": f"{kind}.connect" if kind == "websocket" else "http.request"}

    async def send(message: Any) -> None:
        sent.append(dict(message))

    scope = {"type": kind, "headers": [(k.encode(), v.encode()) for k, v in headers.items()]}
    asyncio.run(guard(scope, receive, send))
    return sent


def test_the_guard_answers_403_and_never_calls_the_app() -> None:
    called: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        called.append(scope["type"])

    guard = HostOriginGuard(app, lambda: "127.0.0.1")
    sent = _call(guard, "http", {"host": "evil.example:8501"})
    assert sent[0]["status"] == 403 and called == []
    sent = _call(guard, "websocket", {"host": "127.0.0.1:8501", "origin": "https://evil.example"})
    assert sent == [{"type": "websocket.close", "code": 1008}] and called == []
    _call(guard, "http", {"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"})
    assert called == ["http"]


def test_an_ungateable_streamlit_is_not_served(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from streamlit.web.server.starlette import starlette_server

    monkeypatch.delattr(starlette_server, "create_starlette_app")
    assert serve.main(["run", str(launch.APP)]) == serve.EXIT_CANNOT_GUARD
    err = capsys.readouterr().err
    assert err.startswith("error: workshop: this Streamlit cannot be gated") and err.count(
        "\n") == 1


# --- the live server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """A local HTTP(S) proxy that records every request it is sent and answers nothing."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.requests: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(200))
                except OSError:
                    self.requests.append(b"(connected)")


def _request(port: int, raw: bytes) -> bytes:
    """The status line the server answers ``raw`` with."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n")[0]


def _websocket(host: bytes, origin: bytes | None) -> bytes:
    key = base64.b64encode(os.urandom(16))
    return (b"GET /_stcore/stream HTTP/1.1\r\nHost: " + host + b"\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key + b"\r\n"
            b"Sec-WebSocket-Version: 13\r\n" + (b"Origin: " + origin + b"\r\n" if origin else b"")
            + b"\r\n")


def _serve(command: list[str], recorder: Recorder, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = launch.app_environment()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        env[name] = recorder.url
    env["NO_PROXY"] = env["no_proxy"] = ""
    proc = subprocess.Popen(command, env=env, cwd=launch.ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        health = b"GET /_stcore/health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
        while True:
            try:
                if _request(port, health).startswith(b"HTTP/1.1 200"):
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


FOREIGN = [b"https://evil.example", b"http://10.9.8.7:8000", b"null"]


def _hostile_requests(port: int) -> dict[str, bytes]:
    here = b"127.0.0.1:%d" % port
    answers = {}
    for origin in FOREIGN:
        answers[f"ws {origin!r}"] = _request(port, _websocket(here, origin))
        answers[f"get {origin!r}"] = _request(
            port, b"GET / HTTP/1.1\r\nHost: " + here + b"\r\nOrigin: " + origin + b"\r\n\r\n")
    evil = b"evil.example:%d" % port
    answers["rebinding get"] = _request(port, b"GET / HTTP/1.1\r\nHost: " + evil + b"\r\n\r\n")
    answers["rebinding ws"] = _request(port, _websocket(evil, b"http://" + evil))
    return answers


def test_the_gated_server_refuses_foreign_requests_and_sends_nothing_out() -> None:
    recorder, port = Recorder(), _free_port()
    served = _serve(launch.streamlit_command("127.0.0.1", port), recorder, port)
    next(served)
    try:
        here = b"127.0.0.1:%d" % port
        assert _request(port, _websocket(here, b"http://" + here)) == (
            b"HTTP/1.1 101 Switching Protocols")
        assert _request(port, b"GET / HTTP/1.1\r\nHost: localhost:%d\r\n\r\n" % port) == (
            b"HTTP/1.1 200 OK")
        answers = _hostile_requests(port)
        time.sleep(3)  # a lookup would be on its way by now
    finally:
        served.close()
    assert set(answers.values()) == {b"HTTP/1.1 403 Forbidden"}, answers
    assert recorder.requests == []


def test_plain_streamlit_would_send_a_request_out(tmp_path: Path) -> None:
    """The control: the recorder catches the lookup the gate prevents."""
    recorder, port = Recorder(), _free_port()
    command = launch.streamlit_command("127.0.0.1", port)
    command[1:3] = ["-m", "streamlit"]  # Streamlit's own command line, ungated
    served = _serve(command, recorder, port)
    next(served)
    try:
        here = b"127.0.0.1:%d" % port
        _request(port, _websocket(here, b"https://evil.example"))
        deadline = time.monotonic() + 30
        while not recorder.requests and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        served.close()
    assert any(b"checkip" in r or r == b"(connected)" for r in recorder.requests)


# --- finding 9: the address to listen on ----------------------------------------------------


@pytest.mark.parametrize("host", ["not an address", "example.com", "999.1.1.1", "-1", "::g"])
def test_an_invalid_host_is_one_line(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["workshop", "--host", host], capsys)
    assert "expected an IP address of this machine" in assert_one_line(err, code)


def test_an_address_of_another_machine_or_a_taken_port_is_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["workshop", "--host", "192.0.2.1"], capsys)  # TEST-NET: not ours
    assert "cannot listen there" in assert_one_line(err, code)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = run_cli(["workshop", "--port", str(port)], capsys)
    assert "the port is in use" in assert_one_line(err, code)
