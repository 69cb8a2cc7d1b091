"""The two cookies of a sign-in.

- `marketu_session`: the session token. HttpOnly (page scripts never see it), SameSite=Lax, Path=/,
  Secure over https. The websocket's handshake carries it, so the server learns who is signed in
  without the browser ever sending the token as state.
- `marketu_signed_in`: a marker readable by page scripts, derived from the token but revealing nothing
  of it. It names this session's offline snapshot (assets/offline.js): a different or missing marker
  means a different or no session, and the snapshot is wiped instead of shown.

Both expire together with the session (Max-Age), so the browser drops them at the session's expiry.

Reflex keeps the headers of its event socket's handshake in every tab's state (`router.headers`, saved
in Redis or on disk with the state). So that the token is never among them, the socket guard
(web/sockets.py) hands Reflex a Cookie header of its own instead of the browser's
(`socket_cookie_header`): the token's hash (what the database stores, `marketu_session_hash`) and the
marker. The states read the session from those (`session_hash_from`, `marker_from`).
"""

from __future__ import annotations

import hashlib
import re

from starlette.responses import Response

SESSION_COOKIE = "marketu_session"
MARKER_COOKIE = "marketu_signed_in"
SESSION_HASH = "marketu_session_hash"  # only in the Cookie header Reflex's event socket gets
MAX_COOKIE_HEADER = 8192  # longer Cookie headers are not parsed (nothing of ours needs more)


def marker_of(token: str) -> str:
    """The non-secret marker of a session (a one-way hash with its own prefix, unlike the stored hash)."""
    return hashlib.sha256(b"marketu-marker:" + token.encode()).hexdigest()[:24] if token else ""


def parse_cookie_header(header: str | None) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for part in (header or "")[:MAX_COOKIE_HEADER].split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in cookies:  # the first (most specific path) wins, as in browsers
            cookies[name] = value.strip().strip('"')
    return cookies


def session_token_from(cookie_header: str | None) -> str:
    return parse_cookie_header(cookie_header).get(SESSION_COOKIE, "")


_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def socket_cookie_header(cookie_header: str | None) -> str:
    """The Cookie header the event socket's handshake reaches Reflex with: the session token's hash and
    marker, nothing else of the browser's cookies (so no token is kept in Reflex's states)."""
    token = session_token_from(cookie_header)
    if not token:
        return ""
    token_hash = hashlib.sha256(token.encode("utf-8")).hexdigest()  # as auth.sessions.hash_token
    return f"{SESSION_HASH}={token_hash}; {MARKER_COOKIE}={marker_of(token)}"


def session_hash_from(socket_cookie: str | None) -> str:
    """The session's token hash from the event socket's Cookie header (see `socket_cookie_header`)."""
    value = parse_cookie_header(socket_cookie).get(SESSION_HASH, "")
    return value if _SHA256_HEX.fullmatch(value) else ""


def marker_from(socket_cookie: str | None) -> str:
    return parse_cookie_header(socket_cookie).get(MARKER_COOKIE, "") if session_hash_from(socket_cookie) else ""


def set_session_cookies(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="lax")
    response.set_cookie(MARKER_COOKIE, marker_of(token), max_age=max_age, path="/", secure=secure,
                        httponly=False, samesite="lax")


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name, httponly in ((SESSION_COOKIE, True), (MARKER_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")
