"""The bot's side of linking: `/start <code>` links a chat, `/stop` unlinks it.

Updates come from long polling (`getUpdates`, by one leader; the offset is stored with the
links it made, in one transaction, so an update is handled once) or from the webhook.
"""

from __future__ import annotations

from sqlmodel import Session

from marketu_app.db.models import Customer, NotifyCursor, TelegramLink
from marketu_app.i18n.texts import register, text
from marketu_app.notify.prefs import link_chat, take_code, unlink_chat

OFFSET = "telegram_offset"

register({
    "tg_linked": ("Готово: уведомления Marketu о ваших посылках будут приходить сюда. /stop — отключить.",
                  "Дайын: Marketu хабарламалары осында келеді. /stop — өшіру.",
                  "Done: Marketu will notify you here about your parcels. /stop turns it off."),
    "tg_bad_code": ("Ссылка устарела или уже использована. Откройте «Уведомления» на сайте и привяжите Telegram снова.",
                    "Сілтеменің мерзімі өтті немесе пайдаланылған. "
                    "Сайттағы «Хабарламалар» бөлімінен қайта байланыстырыңыз.",
                    "This link has expired or was used. Open “Notifications” on the site and link Telegram again."),
    "tg_stopped": ("Уведомления в Telegram отключены.", "Telegram хабарламалары өшірілді.",
                   "Telegram notifications are off."),
    "tg_help": ("Это бот уведомлений Marketu. Привязать его можно в разделе «Уведомления» на сайте.",
                "Бұл Marketu хабарлама боты. Оны сайттағы «Хабарламалар» бөлімінен байланыстыруға болады.",
                "This is Marketu's notification bot. Link it from “Notifications” on the site."),
})


def handle_update(session: Session, update: dict) -> tuple[int, str] | None:
    """Applies one update; returns (chat_id, reply) to send, or None. The caller commits."""
    message = update.get("message") or {}
    chat = (message.get("chat") or {}).get("id")
    words = str(message.get("text") or "").strip().split()
    if not isinstance(chat, int) or not words or (message.get("chat") or {}).get("type", "private") != "private":
        return None
    command = words[0].split("@", 1)[0].lower()
    if command == "/start":
        customer_id = take_code(session, words[1], "telegram_link") if len(words) > 1 else None
        if customer_id is None:
            return chat, text("tg_bad_code" if len(words) > 1 else "tg_help", _lang(message))
        link_chat(session, customer_id, chat)
        customer = session.get(Customer, customer_id)
        return chat, text("tg_linked", customer.locale if customer else "ru")
    if command == "/stop":
        linked = session.exec(TelegramLink.__table__.select().where(TelegramLink.chat_id == chat)).first()
        unlink_chat(session, chat_id=chat)
        customer = session.get(Customer, linked.customer_id) if linked else None
        return chat, text("tg_stopped", customer.locale if customer else _lang(message))
    return chat, text("tg_help", _lang(message))


def _lang(message: dict) -> str:
    code = str((message.get("from") or {}).get("language_code") or "ru")[:2]
    return code if code in ("ru", "kk", "en") else "ru"


def stored_offset(session: Session) -> int:
    row = session.get(NotifyCursor, OFFSET)
    return row.value if row else 0


def store_offset(session: Session, offset: int) -> None:
    row = session.get(NotifyCursor, OFFSET) or NotifyCursor(name=OFFSET, value=0)
    row.value = max(row.value, offset)
    session.add(row)
