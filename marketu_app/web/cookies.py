"""The two cookies of a sign-in.

- `marketu_session`: the session token. HttpOnly (page scripts never see it), SameSite=Lax, Path=/,
  Secure over https. The websocket's handshake carries it, so the server learns who is signed in
  without the browser ever sending the token as state.
- `marketu_signed_in`: a marker readable by page scripts, derived from the token but revealing nothing
  of it. It names this session's offline snapshot (assets/offline.js): a different or missing marker
  means a different or no session, and the snapshot is wiped instead of shown.

Both expire together with the session (Max-Age), so the browser drops them at the session's expiry.
"""

from __future__ import annotations

import hashlib

from starlette.responses import Response

SESSION_COOKIE = "marketu_session"
MARKER_COOKIE = "marketu_signed_in"
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


def set_session_cookies(response: Response, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", secure=secure, httponly=True,
                        samesite="lax")
    response.set_cookie(MARKER_COOKIE, marker_of(token), max_age=max_age, path="/", secure=secure,
                        httponly=False, samesite="lax")


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name, httponly in ((SESSION_COOKIE, True), (MARKER_COOKIE, False)):
        response.delete_cookie(name, path="/", secure=secure, httponly=httponly, samesite="lax")
