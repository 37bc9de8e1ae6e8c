"""Start the workshop app: the ``streamlit run`` command line and its environment.

``python run.py workshop [--host H] [--port P]`` and ``make workshop`` call
:func:`run`. The app listens on 127.0.0.1 (this machine only) unless a host is
given; ``--host 0.0.0.0`` shares it with the room's network. The host must be
an IP address or ``localhost`` (a name would be looked up in the DNS), and the
address and port are tried before the server starts, so a wrong one is one
line (:class:`LaunchError`), not a traceback.

Nothing is sent anywhere: usage statistics are off, no file watcher runs, and
Streamlit runs through :mod:`sim.apps.workshop.serve`, which never looks up
the machine's public address and lets only requests for this server from its
own pages in (:mod:`sim.apps.workshop.guard`). Streamlit's own cross-origin
and cross-site request protections are on.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

APP = Path(__file__).resolve().with_name("app.py")
ROOT = APP.parents[3]
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501
WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # listen on every interface: the room's network
SERVER_MODULE = "sim.apps.workshop.serve"  # Streamlit's command line, gated

# Projected in a room: a larger base font than Streamlit's 16 px.
BASE_FONT_PX = 18


class LaunchError(Exception):
    """A host or port the app cannot listen on; the message is one line."""


def check_address(host: str, port: int) -> None:
    """Refuse a host that is not an address of this machine, or a port that is taken.

    Raises:
        LaunchError: naming the option and what is wrong.
    """
    if host != "localhost" and host not in WILDCARD_HOSTS:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise LaunchError(f"--host {host!r}: expected an IP address of this machine "
                              "(127.0.0.1, 0.0.0.0 for the room's network, ::1) or "
                              "localhost") from None
    address = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1" if address == "localhost" else address, port))
    except OSError as exc:
        why = ("the port is in use (another app? try --port "
               f"{port + 1})" if exc.errno == errno.EADDRINUSE
               else exc.strerror or str(exc))
        raise LaunchError(f"--host {host} --port {port}: cannot listen there: {why}") from None


def streamlit_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                      python: str = sys.executable) -> list[str]:
    """The command line that serves the app (``python -m <gated streamlit> run app.py ...``)."""
    command = [
        python, "-m", SERVER_MODULE, "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",  # no browser opened here, no e-mail prompt
        "--browser.gatherUsageStats", "false",  # no usage statistics sent
        "--server.fileWatcherType", "none",  # a room does not edit the code
        "--server.runOnSave", "false",
        # Streamlit's own protections, whatever a config file says: cross-origin
        # requests limited, cross-site request forgery tokens checked, no dev mode.
        "--server.enableCORS", "true",
        "--server.enableXsrfProtection", "true",
        "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",  # projectors wash out dark themes
        "--theme.baseFontSize", str(BASE_FONT_PX),
    ]
    if host in WILDCARD_HOSTS:
        # The name Streamlit shows for the app; the gated server never asks an
        # internet service for a public address anyway (sim.apps.workshop.serve).
        command += ["--browser.serverAddress", socket.gethostname() or "localhost"]
    return command


def app_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The app's environment: the repository on ``PYTHONPATH``, usage statistics off."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def urls(host: str, port: int) -> list[str]:
    """The addresses to open, for people."""
    if host in WILDCARD_HOSTS:
        return [f"http://localhost:{port}",
                f"http://{socket.gethostname()}:{port} (or this machine's IP address: "
                f"`hostname -I` on Linux, `ipconfig` on Windows)"]
    shown = f"[{host}]" if ":" in host else host
    return [f"http://{shown}:{port}"]


def run(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> int:
    """Serve the app until Ctrl-C; return Streamlit's exit code (0 after Ctrl-C).

    Raises:
        LaunchError: a host or port the app cannot listen on (nothing is started).
    """
    check_address(host, port)
    print("Workshop app: open " + "\n  or ".join(urls(host, port)) + "\n(Ctrl-C to stop)",
          flush=True)
    try:
        return subprocess.call(streamlit_command(host, port), env=app_environment(), cwd=ROOT)
    except KeyboardInterrupt:
        return 0
