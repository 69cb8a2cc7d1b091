"""Real local counterparts of the notification channels for tests.

- `smtp_server()`: aiosmtpd in this process; keeps every message that arrives, answers 550 for
  recipients listed in `reject`.
- `PushService`: a Web Push endpoint on loopback playing the browser and the push service:
  it decrypts each body with the subscription's own private key (RFC 8291, http_ece) and checks
  the VAPID JWT (ES256 signature with the key sent in `k=`, `aud` = the endpoint's origin, `exp`).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import threading
import time
from email import message_from_bytes, policy
from typing import Iterator

import http_ece
from aiosmtpd.controller import Controller
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.servers import serve


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler:
    def __init__(self):
        self.messages = []
        self.reject: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[str, _Handler]]:
    handler = _Handler()
    with socket.socket() as probe:  # aiosmtpd checks readiness by connecting: it needs a real port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", handler
    finally:
        controller.stop()


def vapid_pem() -> str:
    """A fresh VAPID signing key (PEM), as MARKETU_VAPID_PRIVATE_KEY takes it."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Device:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    def __init__(self, endpoint: str):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": endpoint, "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)}}


def check_vapid(header: str, audience: str) -> dict:
    """The JWT's claims, after checking its ES256 signature with the key the header carries."""
    assert header.startswith("vapid "), header
    fields = dict(part.strip().split("=", 1) for part in header[6:].split(","))
    head, claims, sig = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
    raw = unb64url(sig)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("VAPID signature does not verify") from None
    data = json.loads(unb64url(claims))
    assert data["aud"] == audience and data["exp"] > time.time(), data
    return {**data, "k": fields["k"]}


class PushService:
    """Endpoints /push/<n>; `gone` lists device numbers answered with 410."""

    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.received: list[dict] = []
        self.gone: set[str] = set()
        self.base = ""

    def device(self, name: str) -> Device:
        device = Device(f"{self.base}/push/{name}")
        self.devices[name] = device
        return device

    def app(self) -> Starlette:
        async def push(request: Request):
            name = request.path_params["name"]
            if name in self.gone or name not in self.devices:
                return Response(status_code=410)
            device = self.devices[name]
            body = await request.body()
            claims = check_vapid(request.headers["authorization"], self.base)
            payload = http_ece.decrypt(body, private_key=device.key, auth_secret=device.auth, version="aes128gcm")
            self.received.append({"device": name, "payload": json.loads(payload), "claims": claims,
                                  "ttl": request.headers.get("ttl"), "topic": request.headers.get("topic"),
                                  "encoding": request.headers.get("content-encoding")})
            return Response(status_code=201)

        return Starlette(routes=[Route("/push/{name}", push, methods=["POST"])])

    @contextlib.contextmanager
    def running(self) -> Iterator["PushService"]:
        with serve(self.app()) as url:
            self.base = url
            yield self
