"""The parcel page: one parcel of the signed-in customer with its orders and its journey."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from urllib.parse import unquote

import reflex as rx

from marketu_app.auth.sessions import resolve_session_hash
from marketu_app.db import queries, tracking
from marketu_app.db.engine import session_scope
from marketu_app.domain.timeutil import utcnow
from marketu_app.i18n import format as fmt
from marketu_app.i18n.texts import text
from marketu_app.live import registry
from marketu_app.live.batch import PushBatch
from marketu_app.live.tabs import remember_tab
from marketu_app.settings import get_settings
from marketu_app.state.offloop import SIGNED_OUT, load_off_loop, run_blocking
from marketu_app.state.session import SessionState
from marketu_app.stream import Change
from marketu_app.views import ParcelDetailView, parcel_detail

log = logging.getLogger("marketu")
WAIT_FOR_CHECK = 45.0  # seconds: the poller's cycle is 15 s; past this the button frees itself


class ParcelState(SessionState):
    detail: ParcelDetailView | None = None
    not_found: bool = False
    loading: bool = True
    load_failed: bool = False
    open_histories: list[str] = []
    ems_checked: str = ""
    ems_unreachable: bool = False
    refresh_message: str = ""
    refreshing: bool = False  # a check asked for from this tab is under way (the button shows it)
    # The address's number the rest of this state belongs to, set by on_load's first step. After a client-side
    # navigation the page renders before that step: while the address names another number, the page shows
    # the loading skeleton, never the previous parcel (pages/parcel.py).
    shown_number: str = ""
    _parcel_id: int | None = None
    _load_seq: int = 0  # the latest load; an older one finishing late is dropped

    @rx.var
    def page_number(self) -> str:
        path = self.router.url.path.rstrip("/")
        return path.rsplit("/", 1)[-1] if path.startswith("/parcel/") else ""

    def _fetch(self, customer_id: int) -> tuple | None:
        """(parcel id, detail, EMS unreachable, checked ago) in this tab's language; None: not the customer's."""
        with session_scope() as db:
            return _detail(db, customer_id, self.page_number, self.lang)

    def _show(self, fetched: tuple | None) -> None:
        self.loading = self.load_failed = False
        if fetched is None:
            # Missing and someone else's look exactly the same.
            self.detail, self.not_found, self._parcel_id = None, True, None
            return
        self._parcel_id, self.detail, self.ems_unreachable, self.ems_checked = fetched
        self.not_found = False

    async def _load(self, remember: bool = False, retrying: bool = False):
        """The parcel loaded off the event loop (state/offloop.py)."""

        def read() -> tuple:
            if retrying:  # shows the skeleton again while it loads
                self.loading, self.load_failed = True, False
            tab = self.router.session.client_token if remember else None
            return self._session_hash(), tab, self.page_number, self.lang

        def apply(loaded: tuple) -> None:
            self.customer_name, fetched = loaded
            self._show(fetched)

        return await load_off_loop(self, read, _fetch_parcel, apply, "parcel page")

    @rx.event(background=True)
    async def on_load(self):
        async with self:
            self.loading, self.detail, self.not_found, self.open_histories = True, None, False, []
            self.refresh_message, self.session_ended, self.load_failed = "", False, False
            self.shown_number = unquote(self.page_number)  # as React Router's useParams reads it
        return await self._load(remember=True)

    @rx.event(background=True)
    async def retry(self):
        return await self._load(retrying=True)

    @rx.event(background=True)
    async def reload(self):
        return await self._load()

    def _apply_live(self, changes: list[Change], batch: PushBatch) -> None:
        """A pushed change (see marketu_app.live.watcher): fresh data when it concerns this parcel."""
        changes = self._unseen(changes)
        if not changes:
            return
        customer_id = batch.customer_of(self._session_hash())
        if customer_id is None:
            self._end_session_here()
            self.detail = None
            return
        # A change with no parcel (a new day, say) concerns every page of the customer.
        mine = [c for c in changes if c.parcel_id is None or c.parcel_id == self._parcel_id]
        if mine and self.detail is not None:
            self._show(batch.page(("parcel", customer_id, self.page_number, self.lang),
                                  lambda: self._fetch(customer_id)))
            self._show_live(mine)

    @rx.event
    def toggle_history(self, order_number: str):
        if order_number in self.open_histories:
            self.open_histories = [n for n in self.open_histories if n != order_number]
        elif self.detail is not None and any(o.number == order_number for o in self.detail.orders):
            self.open_histories = self.open_histories + [order_number]

    @rx.event(background=True)
    async def refresh_tracking(self):
        """Asks the poller to check this parcel's EMS track now (at most once a minute); the button is busy
        until the poller has looked (or WAIT_FOR_CHECK passed), then the page shows what it found."""
        async with self:
            if self.refreshing:
                return None
            token_hash, number, lang = self._session_hash(), self.page_number, self.lang
        asked = utcnow()
        accepted = await run_blocking(_request_refresh, token_hash, number, asked)
        async with self:
            if accepted is SIGNED_OUT:
                return self._to_sign_in()
            if accepted is not None:
                self.refresh_message = "" if accepted else text("refresh_too_soon", lang)
            if not accepted:
                return None
            self.refreshing = True
        loaded = None
        try:
            deadline = time.monotonic() + WAIT_FOR_CHECK
            while time.monotonic() < deadline:
                await asyncio.sleep(1.0)
                if await run_blocking(_checked_since, token_hash, number, asked):
                    break
            loaded = await run_blocking(_fetch_parcel, token_hash, None, number, lang)
        except Exception:
            log.exception("EMS refresh wait failed")
        async with self:
            self.refreshing = False
            if loaded is not None and loaded is not SIGNED_OUT and self.detail is not None:
                self._show(loaded[1])
        return None


def _detail(db, customer_id: int, number: str, lang: str) -> tuple | None:
    """(parcel id, detail, EMS unreachable, checked ago) in `lang`; None: not the customer's parcel."""
    row = queries.parcel_for_customer(db, customer_id, number)
    if row is None:
        return None
    timeline = tracking.ems_timeline(db, row.parcel)
    checked = fmt.ago(timeline.last_checked_at, utcnow(), lang) if timeline.last_checked_at else ""
    detail = parcel_detail(row, timeline.events, get_settings().kazpost_page_url, lang)
    return row.parcel.id, detail, bool(timeline.last_error), checked


def _fetch_parcel(token_hash: str, tab: str | None, number: str, lang: str):
    """In a worker thread: the customer (once), the tab recorded for live pushes, the parcel.
    SIGNED_OUT when nobody is signed in with this session, else (customer's name, `_detail`)."""
    with session_scope() as db:
        customer = resolve_session_hash(db, token_hash)
        if customer is None:
            return SIGNED_OUT
        if tab:
            remember_tab(db, tab, customer.id, f"parcel:{number}")
        return customer.name, _detail(db, customer.id, number, lang)


def _request_refresh(token_hash: str, number: str, now: datetime):
    """In a worker thread: SIGNED_OUT, None (no such parcel of the customer, or no track), or whether
    the poller accepted the request."""
    with session_scope() as db:
        customer = resolve_session_hash(db, token_hash)
        if customer is None:
            return SIGNED_OUT
        parcel = queries.owned_parcel(db, customer.id, number)
        if parcel is None or not parcel.ems_track_number:
            return None
        return tracking.request_refresh(db, parcel, now)


def _checked_since(token_hash: str, number: str, since: datetime) -> bool:
    """In a worker thread: whether the poller has looked at the customer's parcel's track since `since`."""
    with session_scope() as db:
        customer = resolve_session_hash(db, token_hash)
        parcel = queries.owned_parcel(db, customer.id, number) if customer else None
        return bool(parcel and parcel.ems_track_number and tracking.checked_since(db, parcel.ems_track_number, since))


registry.register("parcel", ParcelState, ParcelState._apply_live)
