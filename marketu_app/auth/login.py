"""Customer sign-in by phone or email, with brute-force limits per account and per client.

The answer never tells whether an account exists: an unknown account and a wrong password
both give "invalid" and both cost one argon2 verification. Failed attempts are rows of
`LoginAttempt`; the caller commits (as everywhere in the write path), also on failure.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import delete, or_, text
from sqlmodel import Session, select

from marketu_app.auth.passwords import burn_verify, verify_password
from marketu_app.auth.sessions import create_session
from marketu_app.db.models import Customer, LoginAttempt
from marketu_app.domain.phones import looks_like_email, normalize_phone
from marketu_app.domain.timeutil import to_utc, utcnow

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures per account per WINDOW
CLIENT_LIMIT = 10  # failures per client (IP) per WINDOW, across accounts
KEEP_ATTEMPTS = timedelta(days=1)  # older rows are pruned
PRUNE_ONE_IN = 100  # a failure prunes the whole table once in this many
MAX_PASSWORD_LENGTH = 1024  # longer input is never hashed (no CPU burnt on megabytes)
PASSWORD_CHANGE_CLIENT = "password-change"  # client_key of wrong current passwords (sessions.py)

INVALID = "invalid"
RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class SignInResult:
    ok: bool
    customer: Customer | None = None  # when ok
    token: str | None = None  # when ok: the new session's raw token, for the browser only
    reason: str | None = None  # when not ok: INVALID or RATE_LIMITED
    retry_after_seconds: int | None = None  # when RATE_LIMITED

    @classmethod
    def invalid(cls) -> SignInResult:
        return cls(ok=False, reason=INVALID)

    @classmethod
    def rate_limited(cls, seconds: int) -> SignInResult:
        return cls(ok=False, reason=RATE_LIMITED, retry_after_seconds=seconds)


def _now(now: datetime | None) -> datetime:
    return to_utc(now) if now is not None else utcnow()


def parse_identifier(identifier: str | None) -> tuple[str, str | None]:
    """(account_key, field): the normalised phone or lowercase email and the Customer column
    to look it up in; for anything else a hash of the text and None (nothing to look up)."""
    raw = (identifier or "").strip() if isinstance(identifier, str) else ""
    if looks_like_email(raw):
        email = raw.lower()
        if len(email) <= 254:
            return email, "email"
    else:
        phone = normalize_phone(raw)
        if phone:
            return phone, "phone"
    return "raw:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest(), None


def _client(client_key: str | None) -> str:
    # No address from the caller: all such requests share one (strict) bucket.
    return (client_key or "").strip()[:100] or "unknown"


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(b"marketu-login:" + key.encode()).digest()[:8], "big", signed=True)


def lock_keys(session: Session, keys: Iterable[str], now: datetime) -> None:
    """Serialises attempts on the same account or client until the caller commits, so that
    parallel guesses cannot all pass the limit check before any failure is recorded."""
    keys = sorted(set(keys))
    if session.get_bind().dialect.name == "postgresql":
        for lock_id in sorted(_lock_id(k) for k in keys):  # one order everywhere: no deadlock
            session.exec(text("SELECT pg_advisory_xact_lock(:id)").bindparams(id=lock_id))
    # Prunes these keys' old rows. On SQLite this first write also takes the database's
    # write lock, which serialises the attempts there.
    session.exec(delete(LoginAttempt).where(
        or_(LoginAttempt.account_key.in_(keys), LoginAttempt.client_key.in_(keys)),
        LoginAttempt.at < now - KEEP_ATTEMPTS))


def _wait(session: Session, column, key: str, limit: int, now: datetime) -> int:
    recent = session.exec(
        select(LoginAttempt.at).where(column == key, LoginAttempt.at > now - WINDOW)
        .order_by(LoginAttempt.at.desc()).limit(limit)).all()
    if len(recent) < limit:
        return 0
    # Once the limit-th newest failure leaves the window, fewer than `limit` remain.
    leaves_at = to_utc(recent[-1]) + WINDOW
    return max(1, math.ceil((leaves_at - now).total_seconds()))


def seconds_until_allowed(session: Session, account_key: str, client_key: str | None,
                          now: datetime) -> int:
    """0 when another attempt is allowed, else the seconds to wait (the longer of the two limits)."""
    wait = _wait(session, LoginAttempt.account_key, account_key, ACCOUNT_LIMIT, now)
    if client_key is not None:
        wait = max(wait, _wait(session, LoginAttempt.client_key, client_key, CLIENT_LIMIT, now))
    return wait


def record_failure(session: Session, account_key: str, client_key: str, now: datetime) -> None:
    session.add(LoginAttempt(account_key=account_key, client_key=client_key, at=now))
    session.flush()
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        prune_login_attempts(session, now)


def clear_failures(session: Session, account_keys: Iterable[str]) -> None:
    session.exec(delete(LoginAttempt).where(LoginAttempt.account_key.in_(sorted(set(account_keys)))))


def prune_login_attempts(session: Session, now: datetime | None = None) -> int:
    """Deletes attempts older than KEEP_ATTEMPTS (they no longer count); returns how many."""
    result = session.exec(delete(LoginAttempt).where(LoginAttempt.at < _now(now) - KEEP_ATTEMPTS))
    return result.rowcount


def _find_customer(session: Session, key: str, field: str | None) -> Customer | None:
    if field is None:
        return None
    return session.exec(select(Customer).where(getattr(Customer, field) == key)).first()


def sign_in(session: Session, identifier: str, password: str, client_key: str | None,
            now: datetime | None = None) -> SignInResult:
    """Signs in with a phone (any usual form) or an email (any case) and a password.

    `client_key` is the client's IP address as seen by the caller.
    """
    now = _now(now)
    key, field = parse_identifier(identifier)
    client = _client(client_key)
    lock_keys(session, [key, client], now)
    wait = seconds_until_allowed(session, key, client, now)
    if wait:
        # Refused without checking the password: a right guess now would tell nothing.
        log.info("sign-in rate limited (client %s, retry after %ss)", client, wait)
        return SignInResult.rate_limited(wait)
    password = password if isinstance(password, str) else ""
    customer = _find_customer(session, key, field)
    if customer is not None and len(password) <= MAX_PASSWORD_LENGTH:
        valid = verify_password(password, customer.password_hash)
    else:
        burn_verify(password[:MAX_PASSWORD_LENGTH])  # as long as a real check
        valid = False
    if not valid:
        record_failure(session, key, client, now)
        return SignInResult.invalid()
    clear_failures(session, {key, customer.phone, customer.email} - {None})
    return SignInResult(ok=True, customer=customer, token=create_session(session, customer.id, now))


__all__ = [
    "SignInResult", "INVALID", "RATE_LIMITED", "WINDOW", "ACCOUNT_LIMIT", "CLIENT_LIMIT",
    "sign_in", "parse_identifier", "prune_login_attempts",
]
