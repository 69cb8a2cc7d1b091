"""Forgotten password: a one-time reset link (30 minutes, single use) over the customer's linked
Telegram or email; setting the new password ends every session and clears the sign-in lock-out.

The page's answer never depends on whether the account exists (the caller shows one text)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from marketu_app.auth import login, sessions
from marketu_app.auth.passwords import hash_password
from marketu_app.db.models import Customer, NotifyMessage, OneTimeCode, TelegramLink
from marketu_app.domain.timeutil import utcnow
from marketu_app.i18n.texts import register, text
from marketu_app.notify.prefs import code_hash, new_code, prefs_of, take_code
from marketu_app.settings import get_settings
from marketu_app.stream import record_change

RESET_TTL = timedelta(minutes=30)
RESEND_AFTER = timedelta(minutes=1)  # at most one link a minute per account
RESET_PATH = "/reset"

register({
    "reset_title": ("Marketu: восстановление пароля", "Marketu: құпиясөзді қалпына келтіру", "Marketu: password reset"),
    "reset_body": ("Чтобы задать новый пароль, откройте ссылку (действует 30 минут, один раз). "
                   "Если вы не просили сброс, ничего не делайте.",
                   "Жаңа құпиясөз орнату үшін сілтемені ашыңыз (30 минут, бір рет жарамды). "
                   "Егер сіз сұрамасаңыз, ештеңе істемеңіз.",
                   "To set a new password, open the link (valid for 30 minutes, once). "
                   "If you did not ask for this, do nothing."),
})


def _channel(session: Session, customer: Customer) -> str | None:
    settings = get_settings()
    if settings.telegram_enabled and session.get(TelegramLink, customer.id) is not None:
        return "telegram"
    if settings.email_enabled and customer.email and not prefs_of(session, customer.id).email_failing:
        return "email"
    return None


def request_reset(session: Session, identifier: str) -> bool:
    """Queues a reset link for the account, if there is one with a channel; True when queued."""
    key, field = login.parse_identifier(identifier)
    customer = session.exec(select(Customer).where(getattr(Customer, field) == key)).first() if field else None
    if customer is None:
        return False
    channel = _channel(session, customer)
    now = utcnow()
    recent = session.exec(select(OneTimeCode.code_hash).where(
        OneTimeCode.customer_id == customer.id, OneTimeCode.purpose == "password_reset",
        OneTimeCode.expires_at > now + RESET_TTL - RESEND_AFTER)).first()
    if channel is None or recent is not None:
        return False
    code = new_code(session, customer.id, "password_reset", RESET_TTL)
    url = f"{get_settings().public_url}{RESET_PATH}?code={code}"
    body = text("reset_body", customer.locale)
    # Straight into the outbox (no burst, no quiet hours); the target keeps each link's message apart.
    session.add(NotifyMessage(batch_id=0, customer_id=customer.id, channel=channel,
                              target=f"reset-{code_hash(code)[:16]}", title=text("reset_title", customer.locale),
                              body=body, url=url, tag="password-reset", locale=customer.locale))
    return True


def reset_password(session: Session, code: str, new_password: str) -> str | None:
    """Sets the new password for the code's customer; returns None, or why not:
    "too_short" / "too_long" (the code stays usable) or "bad_code" (unknown, used or expired)."""
    if len(new_password) < sessions.MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(new_password) > sessions.MAX_PASSWORD_LENGTH:
        return "too_long"
    customer_id = take_code(session, code, "password_reset")
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        return "bad_code"
    customer.password_hash = hash_password(new_password)
    customer.updated_at = utcnow()
    session.add(customer)
    ended = sessions.end_other_sessions(session, customer.id, None)  # all: the old password may be known
    record_change(session, customer.id, sessions.SESSIONS_REVOKED,  # open pages sign out
                  reason="password_reset", ended=ended)
    login.clear_account_lock(session, customer)  # the lock-out ends too (per account, auth/login.py)
    return None
