"""A signed-in customer's documents carry their first cards (marketu_app/first_cards.py says why and how).

`serve_first_cards` answers GET/HEAD `/` and `/parcel/<number>` when the request has a session cookie that
names a live session: the built page (for a parcel, the prerendered shell with its number) with the cards
in its slot, `Cache-Control: private, no-store`, `Vary: Cookie`. Anything else (no cookie, an unknown or
expired session, no build, a page without a slot) goes on unchanged to the app: the static page.
The database work runs in the page-work threads, off the event loop.
"""

from __future__ import annotations

import functools
import gzip
import logging
from pathlib import Path

from marketu_app import first_cards as fc
from marketu_app.auth.sessions import resolve_session
from marketu_app.db import queries, tracking
from marketu_app.db.engine import session_scope
from marketu_app.first_paint import _NUMBER, PLACEHOLDER, _shell_text
from marketu_app.i18n.texts import LOCALES
from marketu_app.settings import get_settings
from marketu_app.state.offloop import run_blocking
from marketu_app.views import parcel_card, parcel_detail

log = logging.getLogger("marketu")
HEADERS = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"private, no-store"),
           (b"vary", b"Cookie, Accept-Encoding")]


def _lang(request: fc.Request, customer) -> str:
    return request.lang or (customer.locale if customer.locale in LOCALES else "ru")


def parcels_content(request: fc.Request) -> str | None:
    """In a thread: the customer's first page of cards as the slot's HTML; None when signed out or no cards."""
    with session_scope() as db:
        customer = resolve_session(db, request.token)
        if customer is None:
            return None
        lang = _lang(request, customer)
        page = queries.parcel_page(db, customer.id, "all", "", offset=0, limit=queries.PAGE_SIZE)
        cards = [parcel_card(row, lang) for row in page.rows]
    return fc.parcels_html(cards, fc.texts(lang))


def parcel_content(request: fc.Request, number: str) -> str | None:
    """In a thread: the customer's parcel's header card, the not-found block for a missing or foreign
    number, None when signed out."""
    with session_scope() as db:
        customer = resolve_session(db, request.token)
        if customer is None:
            return None
        lang = _lang(request, customer)
        row = queries.parcel_for_customer(db, customer.id, number)
        if row is None:
            return fc.not_found_html(fc.texts(lang))
        events = tracking.ems_timeline(db, row.parcel).events
        detail = parcel_detail(row, events, get_settings().kazpost_page_url, lang)
    return fc.parcel_header_html(detail, fc.texts(lang))


def _static_dir() -> Path:
    from reflex.utils import prerequisites
    from reflex_base import constants

    return prerequisites.get_web_dir() / constants.Dirs.STATIC


@functools.lru_cache(maxsize=2)
def _read(path: Path, mtime: float) -> str:
    return path.read_text()


def _index_text() -> str | None:
    path = _static_dir() / "index.html"
    try:
        return _read(path, path.stat().st_mtime)
    except OSError:
        return None


def _route(path: str) -> tuple[str, str] | None:
    """("parcels", "") for `/`, ("parcel", number) for `/parcel/<number>`, else None."""
    if path in ("/", "/index.html"):
        return "parcels", ""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "parcel" and _NUMBER.match(parts[1]):
        return "parcel", parts[1]
    return None


async def _document(route: tuple[str, str], request: fc.Request) -> str | None:
    kind, number = route
    if kind == "parcels":
        page = _index_text()
        if page is None or fc.PARCELS_SKELETON not in page:
            return None
        content = await run_blocking(parcels_content, request)
        return fc.fill_slot(page, fc.PARCELS_SKELETON, content) if content else None
    shell = _shell_text()
    if shell is None or fc.PARCEL_SKELETON not in shell:
        return None
    content = await run_blocking(parcel_content, request, number)
    return fc.fill_slot(shell.replace(PLACEHOLDER, number), fc.PARCEL_SKELETON, content) if content else None


def serve_first_cards(app):
    """ASGI wrapper (an api_transformer outside the parcel shell's): see the module's docstring."""

    async def asgi(scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            route = _route(scope["path"])
            headers = dict(scope.get("headers") or [])
            request = fc.request_of(headers.get(b"cookie", b"").decode("latin-1")) if route else None
            if request is not None:
                try:
                    document = await _document(route, request)
                except Exception:  # the static page is still a page: never an error for this
                    log.exception("first cards failed")
                    document = None
                if document is not None:
                    await _send(scope, send, document, b"gzip" in headers.get(b"accept-encoding", b""))
                    return
        await app(scope, receive, send)

    return asgi


async def _send(scope, send, document: str, gzipped: bool) -> None:
    body = document.encode()
    headers = list(HEADERS)
    if gzipped:
        body = gzip.compress(body, 6)
        headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
