"""The statuses reference page: open to everyone; a signed-in customer keeps the account menu."""

from __future__ import annotations

import asyncio

import reflex as rx

from marketu_app.domain.statuses import CATALOGUE, DELIVERY_METHOD_LABELS
from marketu_app.i18n.shared import shared
from marketu_app.i18n.texts import LOCALES
from marketu_app.state.session import SessionState


def _status_rows(lang: str) -> list[dict[str, str]]:
    return [{"code": s.code.value, "label": s.label_in(lang), "description": s.description_in(lang), "color": s.color}
            for s in CATALOGUE.values()]


# The same for every tab: built once per language, not at every tab's hydrate (every tab has this state).
# Shared (i18n/shared.py): stored with every tab's state (a computed var's value), pickled as the name only.
STATUS_ROWS = {lang: shared(f"status_rows:{lang}", _status_rows(lang)) for lang in LOCALES}
DELIVERY_ROWS = {lang: shared(f"delivery_rows:{lang}", [{"code": m.value, "label": labels[lang]}
                                                        for m, labels in DELIVERY_METHOD_LABELS.items()])
                 for lang in LOCALES}


class StatusesState(SessionState):
    @rx.var
    def status_rows(self) -> list[dict[str, str]]:
        return STATUS_ROWS[self.lang]

    @rx.var
    def delivery_rows(self) -> list[dict[str, str]]:
        return DELIVERY_ROWS[self.lang]

    @rx.event
    async def on_load(self):
        """Who is looking, if anyone (no redirect: the page is public); the lookup runs off the event loop."""
        customer = await asyncio.to_thread(self._current_customer)
        self.customer_name = customer.name if customer else ""
