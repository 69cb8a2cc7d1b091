"""Who is asking: the client's address and whether the site is served over https.

Behind our own proxy (MARKETU_TRUST_PROXY=1) the proxy's X-Forwarded-For and X-Forwarded-Proto say
it; otherwise they are ignored (anyone could send them) and the socket's own peer counts.
"""

from __future__ import annotations

from marketu_app.settings import get_settings


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    forwarded = ""
    if get_settings().trust_proxy and forwarded_for:
        forwarded = forwarded_for.split(",")[0].strip()
    return (forwarded or peer or "unknown")[:100]


def is_https(scheme: str | None, forwarded_proto: str | None) -> bool:
    if get_settings().trust_proxy and forwarded_proto:
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return (scheme or "").lower() in ("https", "wss")


def scope_header(scope: dict, name: bytes) -> str | None:
    """One header of an ASGI scope (the first), decoded as latin-1 like HTTP itself."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def scope_client(scope: dict) -> str:
    peer = (scope.get("client") or (None,))[0]
    return client_address(peer, scope_header(scope, b"x-forwarded-for"))


def scope_https(scope: dict) -> bool:
    return is_https(scope.get("scheme"), scope_header(scope, b"x-forwarded-proto"))
