"""The statuses reference page."""

from __future__ import annotations

import reflex as rx

from marketu_app.domain.statuses import CATALOGUE, DELIVERY_METHOD_LABELS
from marketu_app.state.base import LocaleState


class StatusesState(LocaleState):
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
