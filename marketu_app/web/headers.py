"""Security headers on every HTTP response, pages and API alike.

The Content-Security-Policy allows what the app needs and nothing else: its own scripts (the inline ones
of the prerendered pages by their SHA-256, read once from the build), its own styles plus inline ones
(emotion writes <style> elements at run time), images from itself, `data:` and https (order photos come
from the marketplaces), the websocket to itself, no frames, no plugins, forms posting only to itself.
HSTS is sent only over https (directly, or as the trusted proxy's X-Forwarded-Proto says).
"""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from marketu_app.web.client import scope_https

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)
HSTS = "max-age=31536000"


def inline_hashes(html: bytes) -> set[str]:
    return {"'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html)}


def script_hashes(build_dir: Path | None) -> list[str]:
    """'sha256-…' of every inline script of the prerendered pages (none without a build)."""
    found: set[str] = set()
    if build_dir is not None and build_dir.is_dir():
        for page in build_dir.rglob("*.html"):
            found |= inline_hashes(page.read_bytes())
    return sorted(found)


def _build_dir() -> Path | None:
    try:
        from reflex.utils import prerequisites
        from reflex_base import constants

        return prerequisites.get_web_dir() / constants.Dirs.STATIC
    except Exception:  # no Reflex project around (the API served alone in tests)
        return None


def content_security_policy(hashes: list[str]) -> str:
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(hashes) if hashes else "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


@lru_cache(maxsize=1)
def _build_hashes() -> tuple[str, ...]:
    return tuple(script_hashes(_build_dir()))


@lru_cache(maxsize=512)
def _parcel_policy(number: str) -> bytes | None:
    """The parcel route's shell is served with its number put in (marketu_app/first_paint.py), which
    changes its inline scripts: their hashes are those of the shell as sent."""
    from marketu_app.first_paint import PLACEHOLDER, _shell_text

    shell = _shell_text()
    if shell is None:
        return None
    extra = inline_hashes(shell.replace(PLACEHOLDER, number).encode())
    return content_security_policy(sorted(set(_build_hashes()) | extra)).encode()


_PARCEL = re.compile(r"^/parcel/([A-Za-z0-9-]{1,40})/?$")


def _policy_for(path: str) -> bytes:
    match = _PARCEL.match(path)
    policy = _parcel_policy(match.group(1)) if match else None
    return policy or content_security_policy(list(_build_hashes())).encode()


@lru_cache(maxsize=1)
def _static_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP response (replacing any set before)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = [(b"content-security-policy", _policy_for(scope.get("path", ""))), *_static_headers()]
        if scope_https(scope):
            extra.append((b"strict-transport-security", HSTS.encode()))
        names = {name for name, _ in extra}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
