"""Serve the workshop app with Streamlit, gated, and with no request to the internet.

``python -m sim.apps.workshop.serve run .../app.py --server.address ...`` is
what :func:`sim.apps.workshop.launch.streamlit_command` starts: Streamlit's own
command line (``streamlit run``), in this process, after two changes to the
server it builds:

- every request passes :class:`~sim.apps.workshop.guard.HostOriginGuard`
  first (the ``Host`` and ``Origin`` checks against DNS rebinding and other
  web pages);
- Streamlit's lookup of the machine's public IP address (an HTTP request to
  an internet service, which it makes for the "External URL" it prints and to
  judge a foreign ``Origin``) answers "unknown" without asking anyone, so the
  server never sends a request off the machine whatever it is asked.

Both are made to Streamlit's modules before it starts. If the installed
Streamlit does not have what they change, the server is not started (exit 1,
one line): an ungated server is never served.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

from sim.apps.workshop.guard import HostOriginGuard

EXIT_CANNOT_GUARD = 1


class GuardError(RuntimeError):
    """The installed Streamlit cannot be gated; the message is one line."""


def _no_external_ip() -> None:
    """Streamlit's public-address lookup, answered without a request: unknown."""
    return None


def _listen_host() -> str:
    from streamlit import config

    return str(config.get_option("server.address") or "")


def install() -> None:
    """Gate the server Streamlit builds and switch off its public-address lookup.

    Raises:
        GuardError: this Streamlit has not the modules or functions changed here.
    """
    try:
        from streamlit import net_util
        from streamlit.web.server.starlette import starlette_server
    except ImportError as exc:
        raise GuardError(f"workshop: this Streamlit cannot be gated ({exc}); install "
                         "streamlit 1.67 or later") from None
    build: Callable[..., Any] | None = getattr(starlette_server, "create_starlette_app", None)
    if build is None or not hasattr(net_util, "get_external_ip"):
        raise GuardError("workshop: this Streamlit cannot be gated (its server has changed); "
                         "install the version pyproject.toml names")
    if getattr(build, "gated", False):
        return

    def gated(*args: Any, **kwargs: Any) -> HostOriginGuard:
        return HostOriginGuard(build(*args, **kwargs), _listen_host)

    gated.gated = True  # type: ignore[attr-defined]
    setattr(starlette_server, "create_starlette_app", gated)  # noqa: B010 - not exported
    net_util.get_external_ip = _no_external_ip


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``streamlit`` with ``argv`` (``run app.py --server.port ...``), gated."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        install()
    except GuardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_CANNOT_GUARD
    from streamlit.web import cli

    sys.argv = ["streamlit", *args]
    try:
        cli.main(prog_name="streamlit")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
