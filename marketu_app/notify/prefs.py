"""A customer's notification choices and channels, read and changed (callers commit)."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from marketu_app.db.models import Customer, NotifyPrefs, OneTimeCode, PushSubscription, TelegramLink
from marketu_app.domain.notify import KINDS, QuietHours, parse_quiet_hours
from marketu_app.domain.timeutil import utcnow
from marketu_app.settings import get_settings

LINK_CODE_TTL = timedelta(minutes=15)
UNSUBSCRIBE_TTL = timedelta(days=60)


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def prefs_of(session: Session, customer_id: int) -> NotifyPrefs:
    """The stored choices, or the defaults (not added to the session)."""
    return session.get(NotifyPrefs, customer_id) or NotifyPrefs(customer_id=customer_id)


def prefs_for(session: Session, customer_ids) -> dict[int, NotifyPrefs]:
    """`prefs_of` for many customers in one query (a burst of hundreds: not a query each)."""
    ids = list(set(customer_ids))
    stored = {p.customer_id: p for p in session.exec(select(NotifyPrefs).where(NotifyPrefs.customer_id.in_(ids)))} \
        if ids else {}
    return {cid: stored.get(cid) or NotifyPrefs(customer_id=cid) for cid in ids}


def kinds_of(prefs: NotifyPrefs) -> frozenset[str] | None:
    if prefs.kinds is None:
        return None
    try:
        return frozenset(k for k in json.loads(prefs.kinds) if k in KINDS)
    except ValueError:
        return None


def quiet_of(prefs: NotifyPrefs) -> QuietHours:
    try:
        return parse_quiet_hours(prefs.quiet_hours or get_settings().quiet_hours)
    except ValueError:
        return parse_quiet_hours("22:00-09:00")


def _stored(session: Session, customer_id: int) -> NotifyPrefs:
    prefs = session.get(NotifyPrefs, customer_id)
    if prefs is None:
        prefs = NotifyPrefs(customer_id=customer_id)
        session.add(prefs)
    prefs.updated_at = utcnow()
    return prefs


def save_choices(session: Session, customer_id: int, kinds: set[str] | None = None,
                 quiet_hours: str | None = None, channels: dict[str, bool] | None = None) -> None:
    """Raises ValueError for quiet hours that do not parse."""
    prefs = _stored(session, customer_id)
    if kinds is not None:
        prefs.kinds = json.dumps(sorted(k for k in kinds if k in KINDS))
    if quiet_hours is not None:
        parse_quiet_hours(quiet_hours)
        prefs.quiet_hours = quiet_hours.strip().lower()
    for channel, on in (channels or {}).items():
        if channel == "email":
            prefs.email_on = on
            if on:
                prefs.email_failing = None  # the customer asks to try again
        elif channel == "telegram":
            prefs.telegram_on = on
        elif channel == "push":
            prefs.push_on = on
    session.add(prefs)


def new_code(session: Session, customer_id: int, purpose: str, ttl: timedelta) -> str:
    code = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-]: fits Telegram's start parameter
    session.add(OneTimeCode(code_hash=code_hash(code), purpose=purpose, customer_id=customer_id,
                            expires_at=utcnow() + ttl))
    return code


def take_code(session: Session, code: str, purpose: str, now: datetime | None = None,
              single_use: bool = True) -> int | None:
    """The customer of a live code (marked used when single-use), or None."""
    if not isinstance(code, str) or not 10 <= len(code) <= 64:
        return None
    now = now or utcnow()
    row = session.get(OneTimeCode, code_hash(code))
    if row is None or row.purpose != purpose or row.expires_at <= now or row.used_at is not None:
        return None
    if single_use:
        row.used_at = now
        session.add(row)
    return row.customer_id


def telegram_link_url(session: Session, customer_id: int) -> str:
    code = new_code(session, customer_id, "telegram_link", LINK_CODE_TTL)
    return f"https://t.me/{get_settings().telegram_bot_name}?start={code}"


def link_chat(session: Session, customer_id: int, chat_id: int) -> None:
    session.exec(delete(TelegramLink).where(
        (TelegramLink.chat_id == chat_id) | (TelegramLink.customer_id == customer_id)))
    session.flush()
    session.add(TelegramLink(customer_id=customer_id, chat_id=chat_id))
    prefs = _stored(session, customer_id)
    prefs.telegram_on = True


def unlink_chat(session: Session, chat_id: int | None = None, customer_id: int | None = None) -> None:
    if chat_id is not None:
        session.exec(delete(TelegramLink).where(TelegramLink.chat_id == chat_id))
    if customer_id is not None:
        session.exec(delete(TelegramLink).where(TelegramLink.customer_id == customer_id))


def save_subscription(session: Session, customer_id: int, endpoint: str, p256dh: str, auth: str) -> None:
    row = session.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint)).first()
    if row is None:
        row = PushSubscription(customer_id=customer_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    else:  # the same browser, re-subscribed (or signed in as someone else now)
        row.customer_id, row.p256dh, row.auth = customer_id, p256dh, auth
    session.add(row)
    _stored(session, customer_id).push_on = True


def drop_subscription(session: Session, customer_id: int, endpoint: str) -> bool:
    result = session.exec(delete(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.customer_id == customer_id))
    return bool(result.rowcount)


@dataclass(frozen=True)
class Channels:
    """Where a customer's messages go now."""

    email: str | None
    telegram_chat: int | None
    push: list[PushSubscription]


def channels_of(session: Session, customer: Customer, prefs: NotifyPrefs | None = None) -> Channels:
    settings = get_settings()
    prefs = prefs or prefs_of(session, customer.id)
    email = customer.email if (settings.email_enabled and prefs.email_on and not prefs.email_failing) else None
    chat = None
    if settings.telegram_enabled and prefs.telegram_on:
        link = session.get(TelegramLink, customer.id)
        chat = link.chat_id if link else None
    push = []
    if settings.push_enabled and prefs.push_on:
        push = list(session.exec(select(PushSubscription).where(PushSubscription.customer_id == customer.id)
                                 .order_by(PushSubscription.id)))
    return Channels(email=email, telegram_chat=chat, push=push)
