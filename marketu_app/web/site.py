"""The FastAPI app that Reflex mounts its own backend under (the operator API, the sign-in endpoints),
and the ASGI guard around everything: security headers on every response, limits on the event sockets."""

from __future__ import annotations

from fastapi import FastAPI

from marketu_app.api.router import create_api
from marketu_app.web import logs
from marketu_app.web.auth_routes import router as auth_router
from marketu_app.web.headers import SecurityHeaders
from marketu_app.web.sockets import SocketLimits


def site_api() -> FastAPI:
    logs.install()  # before anything else logs: no secret reaches a log line
    api = create_api()
    api.include_router(auth_router)  # sign-in, sign-out, password: plain form posts
    return api


def guard_site(app):
    """The outermost api_transformer: whatever answers inside (Reflex, the API, the parcel shell)."""
    return SocketLimits(SecurityHeaders(app))


def guarded_site_api():
    """The API alone with its guard (tests serve this without Reflex)."""
    return guard_site(site_api())
