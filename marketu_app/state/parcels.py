"""The parcels page: the signed-in customer's parcels as cards, filtered, searched, paged."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from marketu_app.auth.sessions import resolve_session_hash
from marketu_app.db import queries
from marketu_app.db.engine import session_scope
from marketu_app.live import registry
from marketu_app.live.batch import PushBatch
from marketu_app.live.tabs import remember_tab
from marketu_app.state.offloop import SIGNED_OUT, load_off_loop
from marketu_app.state.session import SessionState
from marketu_app.stream import Change
from marketu_app.views import ParcelCardView, parcel_card

FIRST, MORE, SAME = "first", "more", "same"  # the first page; the next one; the cards shown, fresh


CARD_CHANGES = {"order_status", "courier", "ems"}  # they change one card, never which parcels exist


def _changed_cards(batch: PushBatch, lang: str) -> dict[int, tuple[int, ParcelCardView]]:
    """parcel id -> (its customer, its card) for every parcel this push changed, in a few queries."""
    ids = {c.parcel_id for c in batch.changes if c.kind in CARD_CHANGES and c.parcel_id}
    with session_scope() as db:
        rows = queries.parcel_rows(db, ids)
    return {row.parcel.id: (row.parcel.customer_id, parcel_card(row, lang)) for row in rows}


@dataclass(frozen=True)
class LoadedCards:
    customer_name: str
    cards: list[ParcelCardView]
    total: int
    account_total: int


def _fetch_cards(token_hash: str, tab: str | None, filter_value: str, search: str, offset: int, limit: int,
                 lang: str):
    """In a worker thread: the customer (once), the tab recorded for live pushes, the page and its cards
    (LoadedCards), or SIGNED_OUT."""
    with session_scope() as db:
        customer = resolve_session_hash(db, token_hash)
        if customer is None:
            return SIGNED_OUT
        if tab:
            remember_tab(db, tab, customer.id, "parcels")
        page = queries.parcel_page(db, customer.id, filter_value, search, offset=offset, limit=limit)
        name = customer.name
    return LoadedCards(name, [parcel_card(row, lang) for row in page.rows], page.total, page.account_total)


class ParcelsState(SessionState):
    cards: list[ParcelCardView] = []
    total: int = 0
    account_total: int = 0
    filter_value: str = "all"
    search: str = ""
    loading: bool = True
    load_failed: bool = False
    _load_seq: int = 0  # the latest load; an older one finishing late is dropped

    @rx.var
    def has_more(self) -> bool:
        return len(self.cards) < self.total

    @rx.var
    def empty_account(self) -> bool:
        return not self.loading and not self.load_failed and not self.session_ended and self.account_total == 0

    @rx.var
    def nothing_found(self) -> bool:
        return not self.loading and not self.load_failed and self.account_total > 0 and self.total == 0

    async def _load(self, mode: str = FIRST, remember: bool = False, retrying: bool = False):
        """Cards loaded off the event loop (state/offloop.py)."""

        def read() -> tuple:
            offset = len(self.cards) if mode == MORE else 0
            limit = max(len(self.cards), queries.PAGE_SIZE) if mode == SAME else queries.PAGE_SIZE
            if remember:  # a page load: a session that ended on this page before is not news any more
                self.session_ended = False
            if retrying:  # shows the skeleton again while it loads
                self.loading, self.load_failed = True, False
            tab = self.router.session.client_token if remember else None
            return self._session_hash(), tab, self.filter_value, self.search, offset, limit, self.lang

        def apply(loaded: LoadedCards) -> None:
            self.customer_name = loaded.customer_name
            self.cards = (self.cards + loaded.cards) if mode == MORE else loaded.cards
            self.total, self.account_total = loaded.total, loaded.account_total
            self.loading = self.load_failed = False

        return await load_off_loop(self, read, _fetch_cards, apply, "parcels page")

    @rx.event(background=True)
    async def on_load(self):
        # No intermediate "loading" delta: a new tab starts with the skeleton, a reload keeps its cards.
        return await self._load(remember=True)

    @rx.event(background=True)
    async def retry(self):
        return await self._load(retrying=True)

    @rx.event(background=True)
    async def set_filter(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) and value else value
        if value in queries.FILTERS:
            async with self:
                self.filter_value = value
            return await self._load()
        return None

    @rx.event(background=True)
    async def set_search(self, value: str):
        async with self:
            self.search = value[:100]
        return await self._load()

    @rx.event(background=True)
    async def load_more(self):
        return await self._load(MORE)

    def _apply_live(self, changes: list[Change], batch: PushBatch) -> None:
        """A pushed change (see marketu_app.live.watcher): fresh cards and a toast."""
        changes = self._unseen(changes)
        if not changes:
            return
        customer_id = batch.customer_of(self._session_hash())
        if customer_id is None:
            self._end_session_here()
            self.cards, self.total, self.account_total = [], 0, 0
            return
        if not self._patch_cards(customer_id, changes, batch):
            self._refresh(customer_id, batch.page)
        self._show_live(changes)

    def _patch_cards(self, customer_id: int, changes: list[Change], batch: PushBatch) -> bool:
        """Only the changed parcels' cards anew, computed once for every tab of the push (most live
        changes: a status, a courier or EMS event); False when the whole page must be recomputed."""
        if self.filter_value != "all" or self.search.strip():  # the change may move a card in or out
            return False
        if any(c.kind not in CARD_CHANGES or c.parcel_id is None for c in changes):
            return False
        changed = {c.parcel_id for c in changes}
        lang = self.lang
        fresh = batch.page(("cards", lang), lambda: _changed_cards(batch, lang))
        mine = {pid: card for pid, (owner, card) in fresh.items() if pid in changed and owner == customer_id}
        shown = {card.number for card in self.cards}
        if len(mine) < len(changed) or any(card.number not in shown for card in mine.values()):
            return False  # a parcel beyond the cards loaded may now come first
        by_number = {card.number: card for card in mine.values()}
        self.cards = sorted((by_number.get(card.number, card) for card in self.cards),
                            key=lambda card: card.sort_key, reverse=True)
        return True

    @rx.event(background=True)
    async def reload(self):
        """The same cards, fresh (after a language change)."""
        return await self._load(SAME)

    def _refresh(self, customer_id: int, shared=None) -> None:
        """Fresh data for the cards already shown; `shared(key, compute)` lets tabs showing the same page share it."""
        limit = max(len(self.cards), queries.PAGE_SIZE)
        filter_value, search, lang = self.filter_value, self.search, self.lang

        def compute():
            with session_scope() as db:
                page = queries.parcel_page(db, customer_id, filter_value, search, limit=limit)
            return [parcel_card(row, lang) for row in page.rows], page.total, page.account_total

        key = ("parcels", customer_id, filter_value, search, lang, limit)
        cards, self.total, self.account_total = shared(key, compute) if shared else compute()
        self.cards = list(cards)


registry.register("parcels", ParcelsState, ParcelsState._apply_live)
