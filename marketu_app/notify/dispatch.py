"""Sends one claimed message through its channel and says what happened (an `Outcome`).

Dead ends are cleaned here: Telegram 403 unlinks the chat, Web Push 404/410 drops the
subscription, a permanent SMTP failure marks the address as failing (shown on the settings page).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from sqlmodel import select

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


@dataclass
class Target:
    """Where one claimed message goes, read for a whole claimed batch at once (`prepare`)."""

    chat: int | None = None  # telegram
    email: str | None = None
    unsubscribe: str | None = None  # email: its one-click unsubscribe link
    subscription: dict | None = None  # push: the browser's PushSubscription JSON


def prepare(engine, messages: list[NotifyMessage]) -> dict[int, Target]:
    """The targets of claimed messages in a few queries and one transaction (the unsubscribe codes),
    instead of a few transactions per message."""
    if not messages:
        return {}
    settings = get_settings()
    customer_ids = {m.customer_id for m in messages}
    sub_ids = [int(m.target) for m in messages if m.channel == "push" and m.target.isdigit()]
    with session_scope(engine) as session:
        customers = {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(customer_ids)))}
        chats = dict(session.exec(select(TelegramLink.customer_id, TelegramLink.chat_id)
                                  .where(TelegramLink.customer_id.in_(customer_ids))).all())
        subs = {s.id: s for s in session.exec(select(PushSubscription).where(PushSubscription.id.in_(sub_ids)))} \
            if sub_ids else {}
        targets: dict[int, Target] = {}
        for m in messages:
            target = targets[m.id] = Target()
            if m.channel == "telegram":
                target.chat = chats.get(m.customer_id)
            elif m.channel == "email":
                customer = customers.get(m.customer_id)
                if customer is not None and customer.email and settings.smtp_url:
                    target.email = customer.email
                    code = new_code(session, customer.id, "unsubscribe", UNSUBSCRIBE_TTL)
                    target.unsubscribe = f"{settings.public_url}{UNSUBSCRIBE_PATH}?t={code}"
            else:
                sub = subs.get(int(m.target)) if m.target.isdigit() else None
                if sub is not None and sub.customer_id == m.customer_id:
                    target.subscription = {"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}
        return targets


def telegram_chat(engine, message: NotifyMessage) -> int | None:
    """The chat a Telegram message goes to (None: the customer is not linked any more)."""
    return prepare(engine, [message])[message.id].chat


async def send_telegram(client: telegram.TelegramClient, engine, message: NotifyMessage,
                        paced_chat: int | None = None) -> Outcome:
    """Sends one message; `paced_chat`: the chat, already looked up and paced by the caller
    (client.limiter), so nothing but the request runs while the message is marked `sending`."""
    chat = paced_chat if paced_chat is not None else await asyncio.to_thread(telegram_chat, engine, message)
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


def _mark_failing(engine, customer_id: int, reason: str) -> None:
    with session_scope(engine) as session:
        prefs = prefs_of(session, customer_id)
        prefs.email_failing = reason[:300]
        session.add(prefs)


async def send_email(engine, message: NotifyMessage, target: Target | None = None) -> Outcome:
    settings = get_settings()
    target = target or await asyncio.to_thread(lambda: prepare(engine, [message])[message.id])
    if not target.email or not target.unsubscribe or not settings.smtp_url:
        return Outcome("dropped", "no address")
    unsubscribe = target.unsubscribe
    text_body = f"{message.body}\n\n{message.url}\n\n{text('nt_unsubscribe', message.locale)}: {unsubscribe}\n"
    msg = mail.build_message(settings.mail_from, target.email, message.title, text_body,
                             as_html(message.title, message.body, message.url, message.locale, unsubscribe),
                             unsubscribe, f"{message.id}")
    try:
        await mail.send(settings.smtp_url, msg)
    except mail.MailPermanent as exc:
        await asyncio.to_thread(_mark_failing, engine, message.customer_id, str(exc))
        return Outcome("failed", str(exc))
    except mail.MailTransient as exc:
        return Outcome("retry", str(exc))
    return Outcome("sent")


def _drop_subscription(engine, sub_id: int) -> None:
    with session_scope(engine) as session:
        row = session.get(PushSubscription, sub_id)
        if row is not None:
            session.delete(row)


async def send_push(engine, message: NotifyMessage, target: Target | None = None) -> Outcome:
    settings = get_settings()
    target = target or await asyncio.to_thread(lambda: prepare(engine, [message])[message.id])
    subscription = target.subscription
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
