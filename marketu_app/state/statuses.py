"""The statuses reference page: open to everyone; a signed-in customer keeps the account menu."""

from __future__ import annotations

import asyncio

import reflex as rx

from marketu_app.domain.statuses import CATALOGUE, DELIVERY_METHOD_LABELS
from marketu_app.state.session import SessionState


class StatusesState(SessionState):
    @rx.var
    def status_rows(self) -> list[dict[str, str]]:
        return [
            {"code": s.code.value, "label": s.label_in(self.lang), "description": s.description_in(self.lang),
             "color": s.color}
            for s in CATALOGUE.values()
        ]

    @rx.var
    def delivery_rows(self) -> list[dict[str, str]]:
        return [{"code": m.value, "label": labels[self.lang]} for m, labels in DELIVERY_METHOD_LABELS.items()]

    @rx.event
    async def on_load(self):
        """Who is looking, if anyone (no redirect: the page is public); the lookup runs off the event loop."""
        customer = await asyncio.to_thread(self._current_customer)
        self.customer_name = customer.name if customer else ""
