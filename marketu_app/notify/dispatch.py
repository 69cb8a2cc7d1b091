"""Sends one claimed message through its channel and says what happened (an `Outcome`).

Dead ends are cleaned here: Telegram 403 unlinks the chat, Web Push 404/410 drops the
subscription, a permanent SMTP failure marks the address as failing (shown on the settings page).
"""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import Session

from marketu_app.db.engine import session_scope
from marketu_app.db.models import Customer, NotifyMessage, PushSubscription, TelegramLink
from marketu_app.i18n.texts import text
from marketu_app.notify import email as mail
from marketu_app.notify import telegram, webpush
from marketu_app.notify.outbox import Outcome
from marketu_app.notify.prefs import UNSUBSCRIBE_TTL, new_code, prefs_of, unlink_chat
from marketu_app.notify.render import as_html, topic_for
from marketu_app.settings import get_settings

log = logging.getLogger("marketu.notify")
UNSUBSCRIBE_PATH = "/api/notify/unsubscribe"


def _load(engine, message: NotifyMessage):
    with Session(engine) as session:
        customer = session.get(Customer, message.customer_id)
        link = session.get(TelegramLink, message.customer_id)
        sub = session.get(PushSubscription, int(message.target)) if message.target.isdigit() else None
        if sub is not None and sub.customer_id != message.customer_id:
            sub = None
        return customer, (link.chat_id if link else None), (
            {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}} if sub else None)


def telegram_chat(engine, message: NotifyMessage) -> int | None:
    """The chat a Telegram message goes to (None: the customer is not linked any more)."""
    return _load(engine, message)[1]


async def send_telegram(client: telegram.TelegramClient, engine, message: NotifyMessage,
                        paced_chat: int | None = None) -> Outcome:
    """Sends one message; `paced_chat`: the chat, already looked up and paced by the caller
    (client.limiter), so nothing but the request runs while the message is marked `sending`."""
    chat = paced_chat if paced_chat is not None else (await asyncio.to_thread(_load, engine, message))[1]
    if chat is None:
        return Outcome("dropped", "not linked")
    body = f"{message.body}\n\n{message.url}" if message.body != message.title else f"{message.title}\n\n{message.url}"
    try:
        await client.send_message(chat, body, message.url, text("nt_open", message.locale),
                                  paced=paced_chat is None)
    except telegram.RetryAfter as exc:
        return Outcome("retry", f"429 retry_after {exc.seconds:g}", retry_in=exc.seconds)
    except telegram.Blocked as exc:
        await asyncio.to_thread(_unlink, engine, chat)
        return Outcome("dropped", f"403 {exc}; unlinked")
    except telegram.Rejected as exc:
        return Outcome("failed", f"400 {exc}")
    except telegram.TelegramError as exc:
        return Outcome("retry", str(exc))
    return Outcome("sent")


def _unlink(engine, chat_id: int) -> None:
    with session_scope(engine) as session:
        unlink_chat(session, chat_id=chat_id)


def _unsubscribe_url(engine, customer_id: int) -> str:
    with session_scope(engine) as session:
        code = new_code(session, customer_id, "unsubscribe", UNSUBSCRIBE_TTL)
    return f"{get_settings().public_url}{UNSUBSCRIBE_PATH}?t={code}"


def _mark_failing(engine, customer_id: int, reason: str) -> None:
    with session_scope(engine) as session:
        prefs = prefs_of(session, customer_id)
        prefs.email_failing = reason[:300]
        session.add(prefs)


async def send_email(engine, message: NotifyMessage) -> Outcome:
    settings = get_settings()
    customer, _, _ = await asyncio.to_thread(_load, engine, message)
    if customer is None or not customer.email or not settings.smtp_url:
        return Outcome("dropped", "no address")
    unsubscribe = await asyncio.to_thread(_unsubscribe_url, engine, customer.id)
    text_body = f"{message.body}\n\n{message.url}\n\n{text('nt_unsubscribe', message.locale)}: {unsubscribe}\n"
    msg = mail.build_message(settings.mail_from, customer.email, message.title, text_body,
                             as_html(message.title, message.body, message.url, message.locale, unsubscribe),
                             unsubscribe, f"{message.id}")
    try:
        await mail.send(settings.smtp_url, msg)
    except mail.MailPermanent as exc:
        await asyncio.to_thread(_mark_failing, engine, customer.id, str(exc))
        return Outcome("failed", str(exc))
    except mail.MailTransient as exc:
        return Outcome("retry", str(exc))
    return Outcome("sent")


def _drop_subscription(engine, sub_id: int) -> None:
    with session_scope(engine) as session:
        row = session.get(PushSubscription, sub_id)
        if row is not None:
            session.delete(row)


async def send_push(engine, message: NotifyMessage) -> Outcome:
    settings = get_settings()
    _, _, subscription = await asyncio.to_thread(_load, engine, message)
    if subscription is None or not settings.push_enabled:
        return Outcome("dropped", "no subscription")
    payload = {"title": message.title, "body": message.body, "url": message.url, "tag": message.tag}
    try:
        await asyncio.to_thread(webpush.send, subscription, payload, settings.vapid_private_key,
                                settings.vapid_subject, topic_for(message.tag))
    except webpush.PushGone as exc:
        await asyncio.to_thread(_drop_subscription, engine, int(message.target))
        return Outcome("dropped", f"{exc}: subscription removed")
    except webpush.PushRejected as exc:
        return Outcome("failed", str(exc))
    except webpush.PushTransient as exc:
        return Outcome("retry", str(exc))
    return Outcome("sent")
