"""The workshop server's gate: only this machine's names, and only its own pages, get in.

Two checks on every HTTP request and WebSocket connection, before Streamlit
sees it:

- the ``Host`` header must name the server as people reach it: ``localhost``,
  ``127.0.0.1``, ``::1``, the address it listens on, or, when it listens on
  every interface (``--host 0.0.0.0``), any IP address or this machine's own
  name. A web page under another domain that points its name at this machine
  (DNS rebinding) sends its own name, and is refused;
- an ``Origin`` header, when there is one, must be the server itself (the same
  scheme-less ``host:port`` as ``Host``). A web page open in the trainer's
  browser, or anyone on the room's network, cannot drive the app from another
  origin; and because such requests never reach Streamlit, they never make it
  look up the machine's public address on the internet (which its own origin
  check does for every foreign origin).

Refused requests get ``403 Forbidden`` (a WebSocket is closed before it opens).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # listening on every interface
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _hostname(value: str | None) -> str | None:
    """The lower-case host name of a ``Host`` header (``name[:port]``), ``None`` if malformed."""
    if not value:
        return None
    try:
        parts = urlsplit(f"//{value}")
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        return None
    name = parts.hostname
    if not name or parts.username is not None or parts.password is not None or parts.path:
        return None
    return name.rstrip(".").lower()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_allowed(host_header: str | None, listen_host: str) -> bool:
    """Whether a request's ``Host`` names this server (see the module docstring)."""
    name = _hostname(host_header)
    if name is None:
        return False
    if name in LOOPBACK_NAMES:
        return True
    if listen_host in WILDCARD_HOSTS:
        machine = socket.gethostname().rstrip(".").lower()
        return _is_ip(name) or name in {machine, f"{machine}.local"}
    return name == listen_host.strip("[]").lower()


def origin_allowed(origin: str | None, host_header: str | None) -> bool:
    """Whether an ``Origin`` is absent or the server itself (same ``host:port`` as ``Host``)."""
    if origin is None:
        return True  # not a browser's cross-site request (a browser sends it for those)
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or not host_header:
        return False  # "null" (a sandboxed or file page) included
    return parts.netloc.lower() == host_header.strip().lower()


class HostOriginGuard:
    """ASGI middleware refusing requests for another host or from another origin.

    Args:
        app: the application behind the gate (Streamlit's).
        listen_host: the address the server listens on, or a callable giving
            it when the first request comes (Streamlit reads its configuration
            after the app is built).
    """

    def __init__(self, app: ASGIApp, listen_host: str | Callable[[], str]) -> None:
        self.app = app
        self._listen_host = listen_host

    @property
    def listen_host(self) -> str:
        """The address the server listens on."""
        host = self._listen_host
        return host() if callable(host) else host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 403 (see the module docstring)."""
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan: start-up and shut-down
            return
        headers: dict[str, str] = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        host, origin = headers.get("host"), headers.get("origin")
        if host_allowed(host, self.listen_host) and origin_allowed(origin, host):
            await self.app(scope, receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect; closing before accepting answers 403
            await send({"type": "websocket.close", "code": 1008})
        else:
            body = b"Forbidden: this workshop app answers its own pages only.\n"
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
