"""Start the workshop app: the ``streamlit run`` command line and its environment.

``python run.py workshop [--host H] [--port P]`` and ``make workshop`` call
:func:`run`. The app listens on 127.0.0.1 (this machine only) unless a host is
given; ``--host 0.0.0.0`` shares it with the room's network. Nothing is sent
anywhere: usage statistics are off, no file watcher runs, and with a wildcard
host the address shown is set here, so Streamlit does not look up the
machine's public address on the internet.
"""

from __future__ import annotations

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

# Projected in a room: a larger base font than Streamlit's 16 px.
BASE_FONT_PX = 18


def streamlit_command(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                      python: str = sys.executable) -> list[str]:
    """The command line that serves the app (``python -m streamlit run .../app.py ...``)."""
    command = [
        python, "-m", "streamlit", "run", str(APP),
        "--server.address", host,
        "--server.port", str(port),
        "--server.headless", "true",  # no browser opened here, no e-mail prompt
        "--browser.gatherUsageStats", "false",  # no usage statistics sent
        "--server.fileWatcherType", "none",  # a room does not edit the code
        "--server.runOnSave", "false",
        "--client.toolbarMode", "minimal",
        "--theme.base", "light",  # projectors wash out dark themes
        "--theme.baseFontSize", str(BASE_FONT_PX),
    ]
    if host in WILDCARD_HOSTS:
        # Streamlit would otherwise ask an internet service for this machine's public
        # address to print an "External URL"; the name it shows comes from here instead.
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
    """Serve the app until Ctrl-C; return Streamlit's exit code (0 after Ctrl-C)."""
    print("Workshop app: open " + "\n  or ".join(urls(host, port)) + "\n(Ctrl-C to stop)",
          flush=True)
    try:
        return subprocess.call(streamlit_command(host, port), env=app_environment(), cwd=ROOT)
    except KeyboardInterrupt:
        return 0
