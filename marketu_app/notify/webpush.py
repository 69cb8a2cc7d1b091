"""Web Push (pywebpush): VAPID-signed, RFC 8291-encrypted, with TTL and a Topic per parcel."""

from __future__ import annotations

import base64
import json
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

TTL_SECONDS = 4 * 24 * 3600  # an undelivered push waits up to four days on the push service


class PushGone(Exception):
    """404/410: the subscription no longer exists; drop it."""


class PushTransient(Exception):
    """Try again later (network, 429, 5xx)."""


class PushRejected(Exception):
    """Another 4xx: this push will never be accepted as it is."""


@lru_cache(maxsize=4)
def vapid_key(private_key: str) -> Vapid02:
    """MARKETU_VAPID_PRIVATE_KEY as PEM or as base64url (raw 32 bytes or DER)."""
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        return Vapid02.from_pem(text.encode())
    return Vapid02.from_string(text)


def public_key(private_key: str) -> str:
    """The applicationServerKey for `pushManager.subscribe()` (base64url, uncompressed point)."""
    raw = vapid_key(private_key).public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def send(subscription: dict, payload: dict, private_key: str, subject: str, topic: str,
         ttl: int = TTL_SECONDS) -> None:
    """Blocking (requests): call it from a thread."""
    try:
        webpush(subscription, json.dumps(payload, ensure_ascii=False), vapid_private_key=vapid_key(private_key),
                vapid_claims={"sub": subject}, ttl=ttl, headers={"Topic": topic, "Urgency": "normal"},
                timeout=15)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            raise PushGone(str(status)) from None
        if status is not None and 400 <= status < 500 and status != 429:
            raise PushRejected(f"HTTP {status}") from None
        raise PushTransient(f"HTTP {status}" if status else str(exc)[:200]) from None
    except Exception as exc:  # requests' connection errors and the like
        raise PushTransient(f"{type(exc).__name__}"[:200]) from None
