"""What a change says to the customer, in their language (the live toast)."""

from __future__ import annotations

import json

from marketu_app.domain.statuses import COURIER_EVENT_LABELS, CourierEventCode, status_info
from marketu_app.i18n.texts import register, text

register({
    "toast_order": ("Заказ «{title}»: {status}", "«{title}» тапсырысы: {status}", "Order “{title}”: {status}"),
    "toast_parcel": ("Посылка {number}: {event}", "{number} сәлемдемесі: {event}", "Parcel {number}: {event}"),
    "session_ended": ("Сеанс завершён. Войдите снова.", "Сеанс аяқталды. Қайта кіріңіз.",
                      "Your session has ended. Please sign in again."),
})


def toast_text(kind: str, summary: dict | str | None, locale: str) -> str:
    """A short sentence for a change (its summary as a dict or JSON), or "" when it needs no toast."""
    if not isinstance(summary, dict):
        try:
            summary = json.loads(summary or "{}")
        except ValueError:
            return ""
        if not isinstance(summary, dict):
            return ""
    if kind == "order_status" and summary.get("status"):
        return text("toast_order", locale).format(
            title=summary.get("title", ""), status=status_info(summary["status"]).label_in(locale))
    if kind == "courier" and summary.get("code"):
        label = COURIER_EVENT_LABELS[CourierEventCode(summary["code"])][locale]
        return text("toast_parcel", locale).format(number=summary.get("parcel_number", ""), event=label)
    if kind == "ems" and summary.get("text"):
        texts = summary.get("texts") if isinstance(summary.get("texts"), dict) else {}
        event = texts.get(locale) or summary["text"]  # ru is "text" (older rows have only that)
        return text("toast_parcel", locale).format(number=summary.get("parcel_number", ""), event=event)
    return ""
