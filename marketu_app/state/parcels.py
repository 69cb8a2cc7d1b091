"""The parcels page: the signed-in customer's parcels as cards, filtered, searched, paged."""

from __future__ import annotations

import logging

import reflex as rx

from marketu_app.db import queries
from marketu_app.db.engine import session_scope
from marketu_app.live.batch import PushBatch
from marketu_app.state.session import SessionState
from marketu_app.views import ParcelCardView, parcel_card

log = logging.getLogger("marketu")


class ParcelsState(SessionState):
    cards: list[ParcelCardView] = []
    total: int = 0
    account_total: int = 0
    filter_value: str = "all"
    search: str = ""
    loading: bool = True
    load_failed: bool = False

    @rx.var
    def has_more(self) -> bool:
        return len(self.cards) < self.total

    @rx.var
    def empty_account(self) -> bool:
        return not self.loading and not self.load_failed and not self.session_ended and self.account_total == 0

    @rx.var
    def nothing_found(self) -> bool:
        return not self.loading and not self.load_failed and self.account_total > 0 and self.total == 0

    def _load(self, append: bool = False, remember: bool = False):
        customer = self._current_customer()
        if customer is None:
            return self._to_sign_in()
        self.customer_name = customer.name
        if remember:
            self._remember_tab(customer.id, "parcels")
        offset = len(self.cards) if append else 0
        try:
            with session_scope() as db:
                page = queries.parcel_page(db, customer.id, self.filter_value, self.search, offset=offset)
        except Exception:
            log.exception("parcels page failed to load")
            self.load_failed, self.loading = True, False
            return None
        new_cards = [parcel_card(row, self.lang) for row in page.rows]
        self.cards = (self.cards + new_cards) if append else new_cards
        self.total, self.account_total = page.total, page.account_total
        self.loading = self.load_failed = False
        return None

    @rx.event
    def on_load(self):
        # No intermediate "loading" delta: a new tab starts with the skeleton, a reload keeps its cards.
        self.session_ended = False
        return self._load(remember=True)

    @rx.event
    def retry(self):
        self.loading, self.load_failed = True, False
        yield
        yield self._load()

    @rx.event
    def set_filter(self, value: str | list[str]):
        value = value[0] if isinstance(value, list) and value else value
        if value in queries.FILTERS:
            self.filter_value = value
            return self._load()

    @rx.event
    def set_search(self, value: str):
        self.search = value[:100]
        return self._load()

    @rx.event
    def load_more(self):
        return self._load(append=True)

    def _apply_live(self, changes, batch: PushBatch) -> None:
        """A pushed change (see marketu_app.live.watcher): fresh cards and a toast."""
        customer_id = batch.customer_of(self.session_token)
        if customer_id is None:
            self._end_session_here()
            self.cards, self.total, self.account_total = [], 0, 0
            return
        self._refresh(customer_id, batch.page)
        self._show_live(changes)

    @rx.event
    def reload(self):
        """The same cards, fresh (after a language change)."""
        customer = self._current_customer()
        if customer is None:
            return self._to_sign_in()
        self._refresh(customer.id)

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
