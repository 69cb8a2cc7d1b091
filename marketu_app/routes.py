"""Route constants and URL builders."""

from __future__ import annotations

from urllib.parse import unquote

PARCELS = "/"
STATUSES = "/statuses"
LOGIN = "/login"
PASSWORD = "/password"
NOTIFICATIONS = "/notifications"  # the notification settings (a main place: see layout.main_places)
FORGOT = "/forgot"
RESET = "/reset"
PARCEL = "/parcel/[number]"

# The HTTP endpoints the sign-in, sign-out, password and password-reset forms post to
# (marketu_app/web/auth_routes.py).
AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_PASSWORD = "/auth/password"
AUTH_FORGOT = "/auth/forgot"
AUTH_RESET = "/auth/reset"


def parcel_url(number: str) -> str:
    return f"/parcel/{number}"


def safe_next(raw: str | None) -> str:
    """Where to go after sign-in: only a plain path on this site, else the parcels page.

    Never an open redirect: no scheme, no `//host`, and no backslash or control character (browsers
    read `/\\evil` as `//evil`), nothing back to the sign-in page itself.
    """
    path = unquote(raw or "")
    if (not path.startswith("/") or path.startswith("//") or len(path) > 2000
            or any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in path)
            or path.split("?")[0].rstrip("/") in (LOGIN, AUTH_LOGIN)):
        return PARCELS
    return path
