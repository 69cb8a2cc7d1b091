"""Sign-in, sign-out, password change and the forgotten-password pair as plain HTTP form posts.

The pages' forms post here with `method="post"`, so they work before (or without) the scripts and the
password never travels in a URL. Each answers 303: to the page asked for, or back to the form with an
error code in the query (never the password, nor the identifier). Handlers are plain `def`: FastAPI runs
them in its thread pool, so argon2 and SQL never block the event loop.

CSRF: the session cookie is SameSite=Lax (a cross-site POST does not carry it) and every post here must
come from this site (Origin, or Referer when a browser sends no Origin).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse

from marketu_app import routes
from marketu_app.auth import login, passwords, sessions
from marketu_app.db.engine import session_scope
from marketu_app.notify import reset
from marketu_app.settings import get_settings
from marketu_app.web.client import client_address, is_https
from marketu_app.web.cookies import clear_session_cookies, session_token_from, set_session_cookies

router = APIRouter(include_in_schema=False)

MAX_IDENTIFIER = 254
FORBIDDEN = "forbidden"  # error code: a post from another site

FormText = Annotated[str, Form(max_length=4096)]


def _https(request: Request) -> bool:
    return is_https(request.url.scheme, request.headers.get("x-forwarded-proto"))


def _client(request: Request) -> str:
    return client_address(request.client.host if request.client else None, request.headers.get("x-forwarded-for"))


def from_this_site(request: Request) -> bool:
    """The post comes from a page of this site: its Origin (else its Referer) names our host."""
    host = (request.headers.get("x-forwarded-host") if get_settings().trust_proxy else None) \
        or request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is None:
        origin = request.headers.get("referer")
        if origin is None:
            return True  # not a browser: without the cookie's SameSite there is nothing to forge
    return bool(host) and urlsplit(origin).netloc.lower() == host.split(",")[0].strip().lower()


def _see_other(path: str, **query) -> RedirectResponse:
    query = {k: v for k, v in query.items() if v not in (None, "")}
    return RedirectResponse(path + (f"?{urlencode(query)}" if query else ""), status_code=303)


def _from_page_query(request: Request, name: str) -> str:
    """A parameter of the posting page's own address (its Referer): what a hidden field would carry,
    when no script ran to fill it in."""
    referer = request.headers.get("referer") or ""
    return (parse_qs(urlsplit(referer).query).get(name) or [""])[0]


def _next_of(request: Request, given: str) -> str:
    """The page asked for: the form's hidden field, else (no scripts ran) the sign-in page's own query."""
    return routes.safe_next(given or _from_page_query(request, "next"))


def _clean(value: str) -> str:
    return value.replace("\x00", "")


@router.post(routes.AUTH_LOGIN)
def post_login(request: Request, identifier: FormText = "", password: FormText = "", next: FormText = ""):
    target = _next_of(request, next)
    back = {"next": target if target != routes.PARCELS else None}
    if not from_this_site(request):
        return _see_other(routes.LOGIN, error=FORBIDDEN, **back)
    identifier = _clean(identifier).strip()[:MAX_IDENTIFIER]
    password = _clean(password)
    if not identifier or not password:
        return _see_other(routes.LOGIN, error="fill_both", **back)
    old_token = session_token_from(request.headers.get("cookie"))
    with passwords.hashing_turn(), session_scope() as db:  # the turn first: no connection held while queued
        result = login.sign_in(db, identifier, password, _client(request))
        if result.ok and old_token:
            sessions.end_session(db, old_token)  # one sign-in per browser: the previous one ends here
    if not result.ok:
        if result.reason == login.RATE_LIMITED:
            return _see_other(routes.LOGIN, error=login.RATE_LIMITED, wait=result.retry_after_seconds, **back)
        return _see_other(routes.LOGIN, error=login.INVALID, **back)
    response = _see_other(target)
    set_session_cookies(response, result.token, secure=_https(request),
                        max_age=get_settings().session_days * 86400)
    return response


@router.post(routes.AUTH_LOGOUT)
def post_logout(request: Request):
    if not from_this_site(request):
        return _see_other(routes.PARCELS)
    token = session_token_from(request.headers.get("cookie"))
    if token:
        with session_scope() as db:
            sessions.end_session(db, token)
    response = _see_other(routes.LOGIN)
    clear_session_cookies(response, secure=_https(request))
    return response


@router.post(routes.AUTH_PASSWORD)
def post_password(request: Request, current_password: FormText = "", new_password: FormText = "",
                  repeat_password: FormText = ""):
    if not from_this_site(request):
        return _see_other(routes.PASSWORD, error=FORBIDDEN)
    token = session_token_from(request.headers.get("cookie"))
    with session_scope() as db:
        customer = sessions.resolve_session(db, token)
    if customer is None:
        return _see_other(routes.LOGIN, next=routes.PASSWORD)
    if new_password != repeat_password:
        return _see_other(routes.PASSWORD, error="mismatch")
    try:
        with passwords.hashing_turn(), session_scope() as db:
            sessions.change_password(db, customer.id, current_password, new_password, token)
            # This browser gets a new session too: whatever knew the old token knows nothing now.
            new_token = sessions.rotate_session(db, token)
    except sessions.PasswordChangeError as problem:
        return _see_other(routes.PASSWORD, error=problem.reason)
    response = _see_other(routes.PASSWORD, done="1")
    set_session_cookies(response, new_token, secure=_https(request), max_age=get_settings().session_days * 86400)
    return response


@router.post(routes.AUTH_FORGOT)
def post_forgot(request: Request, identifier: FormText = ""):
    """Queues a reset link if the account exists and has a channel; the answer is the same either way."""
    if not from_this_site(request):
        return _see_other(routes.FORGOT, error=FORBIDDEN)
    identifier = _clean(identifier).strip()[:MAX_IDENTIFIER]
    if not identifier:
        return _see_other(routes.FORGOT, error="empty")
    with session_scope() as db:
        reset.request_reset(db, identifier)
    return _see_other(routes.FORGOT, sent="1")


@router.post(routes.AUTH_RESET)
def post_reset(request: Request, code: FormText = "", new_password: FormText = "", repeat_password: FormText = ""):
    """Sets the new password with a reset link's code (the form's hidden field, else the page's address)."""
    code = (code or _from_page_query(request, "code"))[:64]
    if not from_this_site(request):
        return _see_other(routes.RESET, code=code, error=FORBIDDEN)
    if new_password != repeat_password:
        return _see_other(routes.RESET, code=code, error="mismatch")
    with passwords.hashing_turn(), session_scope() as db:
        problem = reset.reset_password(db, code, new_password)
    if problem == "bad_code":
        return _see_other(routes.RESET, error=problem)  # the code is dead: not worth carrying on
    if problem is not None:
        return _see_other(routes.RESET, code=code, error=problem)
    return _see_other(routes.LOGIN, reset="1")
