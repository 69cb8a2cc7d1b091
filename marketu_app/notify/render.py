"""One collapsed message from a customer's burst of news, in their language, with the parcel link."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass

from marketu_app.domain.ems import GROUP_TEXTS
from marketu_app.domain.notify import KINDS, Item
from marketu_app.domain.statuses import COURIER_EVENT_LABELS, CourierEventCode, status_info
from marketu_app.i18n.format import count, plural_word
from marketu_app.i18n.texts import register, text
from marketu_app.routes import parcel_url

register({
    "nt_arrived": ("{count} прибыл на склад в Алматы", "{count} Алматыдағы қоймаға келді",
                   "{count} arrived at the Almaty warehouse"),
    "nt_arrived_many": ("{count} прибыли на склад в Алматы", "{count} Алматыдағы қоймаға келді",
                        "{count} arrived at the Almaty warehouse"),
    "nt_sent": ("Посылка {number} отправлена получателю", "{number} сәлемдемесі алушыға жіберілді",
                "Parcel {number} was sent to the recipient"),
    "nt_parcel_event": ("Посылка {number}: {event}", "{number} сәлемдемесі: {event}", "Parcel {number}: {event}"),
    "nt_delay": ("Посылка {number} задерживается", "{number} сәлемдемесі кешігуде", "Parcel {number} is delayed"),
    "nt_cancelled": ("Заказ «{title}» отменён", "«{title}» тапсырысы жойылды", "Order “{title}” was cancelled"),
    "nt_status": ("Заказ «{title}»: {status}", "«{title}» тапсырысы: {status}", "Order “{title}”: {status}"),
    "nt_news": ("Marketu: {count}", "Marketu: {count}", "Marketu: {count}"),
    "nt_open": ("Открыть посылку", "Сәлемдемені ашу", "Open the parcel"),
    "nt_open_all": ("Открыть мои посылки", "Сәлемдемелерімді ашу", "Open my parcels"),
    "nt_unsubscribe": ("Отписаться от писем", "Хаттардан бас тарту", "Unsubscribe from emails"),
    "nt_news_word": ("новость", "жаңалық", "update"),
})
_NEWS = {"ru": {"one": "новость", "few": "новости", "many": "новостей", "other": "новости"},
         "kk": {"one": "жаңалық", "other": "жаңалық"}, "en": {"one": "update", "other": "updates"}}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str  # plain text, one line per piece of news, then the link
    url: str  # absolute: the parcel page, or the parcels page for several parcels
    tag: str  # the same for every message about one parcel (Web Push replaces by tag/Topic)


def _title(item: Item) -> str:
    return item.title or item.order_number or ""


def _lines(kind: str, items: list[Item], locale: str) -> list[str]:
    if kind == "almaty_warehouse":
        n = len(items)
        key = "nt_arrived" if plural_word("order", n, locale) == plural_word("order", 1, locale) else "nt_arrived_many"
        head = text(key, locale).format(count=count(n, "order", locale))
        return [head + ": " + ", ".join(f"«{_title(i)}»" for i in items)]
    out = []
    for i in items:
        number = i.parcel_number or ""
        if kind == "parcel_sent":
            out.append(text("nt_sent", locale).format(number=number))
        elif kind == "ems":
            event = GROUP_TEXTS.get(i.detail or "", GROUP_TEXTS["other"]).get(locale) or ""
            out.append(text("nt_parcel_event", locale).format(number=number, event=f"EMS, {event}"))
        elif kind == "courier":
            event = COURIER_EVENT_LABELS[CourierEventCode(i.detail)].get(locale, "")
            out.append(text("nt_parcel_event", locale).format(number=number, event=event))
        elif kind == "delay":
            out.append(text("nt_delay", locale).format(number=number))
        elif kind == "cancelled":
            out.append(text("nt_cancelled", locale).format(title=_title(i)))
        else:
            out.append(text("nt_status", locale).format(
                title=_title(i), status=status_info(i.detail).label_in(locale)))
    return out


def tag_for(parcels: set[str]) -> str:
    return f"parcel-{next(iter(parcels))}"[:64] if len(parcels) == 1 else "marketu-news"


def topic_for(tag: str) -> str:
    """A Web Push `Topic`: at most 32 URL-safe characters, the same for the same tag."""
    return hashlib.sha256(tag.encode()).hexdigest()[:32]


def render(items: list[Item], locale: str, public_url: str) -> Rendered:
    locale = locale if locale in ("ru", "kk", "en") else "ru"
    lines: list[str] = []
    for kind in KINDS:
        group = [i for i in items if i.kind == kind]
        if group:
            lines += _lines(kind, group, locale)
    parcels = {i.parcel_number for i in items if i.parcel_number}
    url = public_url + (parcel_url(next(iter(parcels))) if len(parcels) == 1 else "/")
    if len(lines) == 1:
        title = lines[0]
    else:
        forms = _NEWS.get(locale, _NEWS["ru"])
        from babel import Locale

        word = forms.get(Locale.parse(locale).plural_form(len(lines))) or forms["other"]
        title = text("nt_news", locale).format(count=f"{len(lines)} {word}")
    return Rendered(title=title[:300], body="\n".join(lines)[:3500], url=url, tag=tag_for(parcels))


def as_html(message_title: str, body: str, url: str, locale: str, unsubscribe_url: str | None) -> str:
    """The email's HTML part: the same words as the text part, and the link as a button."""
    parts = [f"<p>{html.escape(line)}</p>" for line in body.splitlines()]
    open_key = "nt_open" if "/parcel/" in url else "nt_open_all"
    parts.append(f'<p><a href="{html.escape(url)}" style="background:#ea580c;color:#fff;padding:10px 16px;'
                 f'border-radius:8px;text-decoration:none">{html.escape(text(open_key, locale))}</a></p>')
    if unsubscribe_url:
        parts.append(f'<p style="color:#666;font-size:12px"><a href="{html.escape(unsubscribe_url)}">'
                     f'{html.escape(text("nt_unsubscribe", locale))}</a></p>')
    return (f'<!doctype html><html lang="{locale}"><head><meta charset="utf-8"><title>'
            f'{html.escape(message_title)}</title></head><body>{"".join(parts)}</body></html>')
