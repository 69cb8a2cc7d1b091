"""Customer sessions: opaque random tokens, of which only a SHA-256 hash is stored.

Every function takes an open SQLModel session and leaves the commit to the caller,
like `marketu_app.db.writes`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from marketu_app.auth import attempts
from marketu_app.auth.passwords import hash_password, verify_password
from marketu_app.db.models import Customer, CustomerSession
from marketu_app.domain.timeutil import to_utc, utcnow
from marketu_app.settings import get_settings
from marketu_app.stream import record_change

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200  # as the operator API accepts (CustomerIn.password)
SESSIONS_REVOKED = "sessions_revoked"  # ChangeLog.kind: other open pages must sign out

# token_urlsafe(32) is 43 characters; anything else cannot be ours and is not looked up.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


class PasswordChangeError(Exception):
    """A refused password change; `reason` is one of the *REASON* constants below."""

    WRONG_PASSWORD = "wrong_password"  # the current password does not match
    TOO_SHORT = "too_short"  # the new password has fewer than MIN_PASSWORD_LENGTH characters
    TOO_LONG = "too_long"  # the new password has more than MAX_PASSWORD_LENGTH characters
    NOT_SIGNED_IN = "not_signed_in"  # keep_token is not a live session of this customer
    RATE_LIMITED = "rate_limited"  # too many wrong current passwords; see retry_after_seconds

    def __init__(self, reason: str, retry_after_seconds: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after_seconds = retry_after_seconds


def _now(now: datetime | None) -> datetime:
    return to_utc(now) if now is not None else utcnow()


def hash_token(token: str) -> str:
    """What is stored for a token: its SHA-256 hex (the token has 256 random bits, no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_hash_or_none(token: object) -> str | None:
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        return None
    return hash_token(token)


def create_session(session: Session, customer_id: int, now: datetime | None = None) -> str:
    """Starts a session for the customer and returns its raw token (give it to the browser only)."""
    now = _now(now)
    token = secrets.token_urlsafe(32)
    session.add(CustomerSession(
        token_hash=hash_token(token), customer_id=customer_id, created_at=now,
        expires_at=now + timedelta(days=get_settings().session_days)))
    session.flush()
    return token


def _live(now: datetime):
    """The conditions of a session still in force at `now`."""
    return CustomerSession.revoked_at.is_(None), CustomerSession.expires_at > now


def resolve_session(session: Session, token: str | None, now: datetime | None = None) -> Customer | None:
    """The customer signed in with `token`, or None (unknown, expired, revoked, empty or garbage)."""
    token_hash = _token_hash_or_none(token)
    return None if token_hash is None else resolve_session_hash(session, token_hash, now)


def resolve_session_hash(session: Session, token_hash: str, now: datetime | None = None) -> Customer | None:
    """As `resolve_session`, from the token's hash: what the event socket's handshake carries
    (web/cookies.py, `socket_cookie_header`), so that Reflex never holds the token itself."""
    if not token_hash:
        return None
    # Looked up by the hash, so the comparison the database makes reveals nothing about valid tokens.
    return session.exec(
        select(Customer)
        .join(CustomerSession, CustomerSession.customer_id == Customer.id)
        .where(CustomerSession.token_hash == token_hash, *_live(_now(now)))
    ).first()


def live_session_owners(session: Session, customer_ids: set[int], now: datetime | None = None) -> dict[str, int]:
    """Token hash -> customer id of every live session of these customers (one query for a whole push)."""
    if not customer_ids:
        return {}
    rows = session.exec(
        select(CustomerSession.token_hash, CustomerSession.customer_id)
        .where(CustomerSession.customer_id.in_(customer_ids), *_live(_now(now))))
    return dict(rows.all())


def end_session(session: Session, token: str | None, now: datetime | None = None) -> bool:
    """Signs out: the session is revoked on the server. True when a live session was ended."""
    token_hash = _token_hash_or_none(token)
    if token_hash is None:
        return False
    result = session.exec(
        update(CustomerSession)
        .where(CustomerSession.token_hash == token_hash, CustomerSession.revoked_at.is_(None))
        .values(revoked_at=_now(now))
    )
    return result.rowcount > 0


def rotate_session(session: Session, token: str, now: datetime | None = None) -> str:
    """Ends the session of `token` and starts a new one for its customer; returns the new raw token."""
    customer = resolve_session(session, token, now)
    if customer is None:
        raise PasswordChangeError(PasswordChangeError.NOT_SIGNED_IN)
    end_session(session, token, now)
    return create_session(session, customer.id, now)


def end_other_sessions(session: Session, customer_id: int, keep_token: str | None,
                       now: datetime | None = None) -> int:
    """Revokes every live session of the customer except `keep_token`'s; returns how many."""
    now = _now(now)
    conditions = [CustomerSession.customer_id == customer_id, *_live(now)]
    keep_hash = _token_hash_or_none(keep_token)
    if keep_hash is not None:
        conditions.append(CustomerSession.token_hash != keep_hash)
    result = session.exec(update(CustomerSession).where(*conditions).values(revoked_at=now))
    return result.rowcount


def change_password(session: Session, customer_id: int, current_password: str, new_password: str,
                    keep_token: str, now: datetime | None = None) -> int:
    """Sets a new password and ends every other session; returns how many were ended.

    Raises PasswordChangeError. Wrong current passwords are rate limited per customer,
    so that a stolen session cannot be used to guess the password; a wrong one is
    committed before raising (the only commit made here).
    """
    now = _now(now)
    customer = resolve_session(session, keep_token, now)
    if customer is None or customer.id != customer_id:
        raise PasswordChangeError(PasswordChangeError.NOT_SIGNED_IN)
    limiter_key = f"customer:{customer_id}"
    attempts.lock_keys(session, [limiter_key], now)
    wait = attempts.seconds_until_allowed(session, limiter_key, None, now)
    if wait:
        raise PasswordChangeError(PasswordChangeError.RATE_LIMITED, retry_after_seconds=wait)
    if not verify_password(current_password or "", customer.password_hash):
        attempts.record_failure(session, limiter_key, attempts.PASSWORD_CHANGE_CLIENT, now)
        session.commit()  # the caller rolls back on the exception; the failure must still count
        raise PasswordChangeError(PasswordChangeError.WRONG_PASSWORD)
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise PasswordChangeError(PasswordChangeError.TOO_SHORT)
    if len(new_password) > MAX_PASSWORD_LENGTH:
        raise PasswordChangeError(PasswordChangeError.TOO_LONG)
    customer.password_hash = hash_password(new_password)
    customer.updated_at = now
    session.add(customer)
    attempts.clear_failures(session, [limiter_key])
    ended = end_other_sessions(session, customer_id, keep_token, now)
    record_change(session, customer_id, SESSIONS_REVOKED, at=now, reason="password_changed", ended=ended)
    session.flush()
    return ended


__all__ = [
    "MIN_PASSWORD_LENGTH", "MAX_PASSWORD_LENGTH", "SESSIONS_REVOKED", "PasswordChangeError",
    "hash_token", "create_session", "resolve_session", "resolve_session_hash", "live_session_owners", "end_session",
    "end_other_sessions", "rotate_session",
    "change_password",
]
