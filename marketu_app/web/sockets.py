"""Limits on the websockets of Reflex's event channel (/_event).

- Only pages of this site may open one: a handshake whose Origin names another host is refused
  (cross-site websocket hijacking; the SameSite=Lax session cookie is the second lock).
- At most `MARKETU_MAX_SOCKETS_PER_CLIENT` open at once per client address in each worker (the trusted
  proxy's X-Forwarded-For when MARKETU_TRUST_PROXY=1). One more is accepted and closed at once with
  code 1008 and a reason that says why, so that idle sockets cannot pile up memory.
- The browser's cookies never reach Reflex: the handshake goes on with a Cookie header that holds only
  the session token's hash and marker (web/cookies.py, `socket_cookie_header`), because Reflex keeps
  the handshake's headers in every tab's state, stored in Redis (or on disk).
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

from marketu_app.settings import get_settings
from marketu_app.web.client import scope_client, scope_header
from marketu_app.web.cookies import socket_cookie_header

EVENT_PATH = "/_event"
POLICY_VIOLATION = 1008
TOO_MANY = "too many open connections from your address; close other tabs and reload"
FOREIGN_ORIGIN = "connections are accepted only from this site's pages"


def _same_site(scope) -> bool:
    origin = scope_header(scope, b"origin")
    if origin is None:
        return True  # not a browser (browsers always send Origin on websockets)
    host = (scope_header(scope, b"x-forwarded-host") if get_settings().trust_proxy else None) \
        or scope_header(scope, b"host") or ""
    return bool(host) and urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


async def _refuse(receive, send, reason: str) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": reason})


def _without_browser_cookies(scope) -> dict:
    """The scope with its Cookie header(s) replaced by the socket's own (see the module)."""
    cookies = [value.decode("latin-1") for name, value in scope.get("headers", []) if name.lower() == b"cookie"]
    headers = [(name, value) for name, value in scope.get("headers", []) if name.lower() != b"cookie"]
    own = socket_cookie_header("; ".join(cookies))
    if own:
        headers.append((b"cookie", own.encode("latin-1")))
    return {**scope, "headers": headers}


class SocketLimits:
    """ASGI middleware in front of the whole app; only websockets to /_event are looked at."""

    def __init__(self, app):
        self.app = app
        self.open: Counter[str] = Counter()

    async def __call__(self, scope, receive, send):
        if not scope.get("path", "").startswith(EVENT_PATH) or scope["type"] not in ("websocket", "http"):
            return await self.app(scope, receive, send)
        scope = _without_browser_cookies(scope)
        if scope["type"] != "websocket":  # Reflex's socket.io answers websockets only; no cookie either way
            return await self.app(scope, receive, send)
        if not _same_site(scope):
            return await _refuse(receive, send, FOREIGN_ORIGIN)
        client = scope_client(scope)
        if self.open[client] >= get_settings().max_sockets_per_client:
            return await _refuse(receive, send, TOO_MANY)
        self.open[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.open[client] -= 1
            if self.open[client] <= 0:
                del self.open[client]
