"""Customer sign-in by phone or email, with brute-force limits per account and per client.

An account is counted as one whatever it is tried through (its phone in any form, its email): failures
on a known account are recorded under `account:<id>`, on an unknown identifier under that identifier.
A locked-out customer gets back in through a channel that proves them: the password reset calls
`clear_account_lock`, so that a lock-out someone else caused is not a denial of service.

The answer never tells whether an account exists: an unknown account and a wrong password
both give "invalid" and both cost one argon2 verification. Failed attempts are rows of
`LoginAttempt`; the caller commits (as everywhere in the write path), also on failure.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from marketu_app.auth.attempts import (
    ACCOUNT_LIMIT,
    CLIENT_LIMIT,
    WINDOW,
    clear_failures,
    lock_keys,
    prune_login_attempts,
    record_failure,
    seconds_until_allowed,
)
from marketu_app.auth.passwords import burn_verify, verify_password
from marketu_app.auth.sessions import create_session
from marketu_app.db.models import Customer
from marketu_app.domain.phones import looks_like_email, normalize_phone
from marketu_app.domain.timeutil import to_utc, utcnow

log = logging.getLogger(__name__)

MAX_PASSWORD_LENGTH = 1024  # longer input is never hashed (no CPU burnt on megabytes)

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


def _find_customer(session: Session, key: str, field: str | None) -> Customer | None:
    if field is None:
        return None
    return session.exec(select(Customer).where(getattr(Customer, field) == key)).first()


def account_key(customer_id: int) -> str:
    """The limiter's key of an account, whichever identifier it is tried through."""
    return f"account:{customer_id}"


def clear_account_lock(session: Session, customer: Customer) -> None:
    """Forgets the account's failed sign-ins (the caller commits). For a channel that proves the
    customer, such as the password reset: the lock-out ends there, the per-client limit stays."""
    clear_failures(session, {account_key(customer.id), customer.phone, customer.email} - {None})


def sign_in(session: Session, identifier: str, password: str, client_key: str | None,
            now: datetime | None = None) -> SignInResult:
    """Signs in with a phone (any usual form) or an email (any case) and a password.

    `client_key` is the client's IP address as seen by the caller.
    """
    now = _now(now)
    identifier_key, field = parse_identifier(identifier)
    client = _client(client_key)
    customer = _find_customer(session, identifier_key, field)
    key = account_key(customer.id) if customer is not None else identifier_key
    lock_keys(session, [key, client], now)
    wait = seconds_until_allowed(session, key, client, now)
    if wait:
        # Refused without checking the password: a right guess now would tell nothing.
        log.info("sign-in rate limited (client %s, retry after %ss)", client, wait)
        return SignInResult.rate_limited(wait)
    password = password if isinstance(password, str) else ""
    if customer is not None and len(password) <= MAX_PASSWORD_LENGTH:
        valid = verify_password(password, customer.password_hash)
    else:
        burn_verify(password[:MAX_PASSWORD_LENGTH])  # as long as a real check
        valid = False
    if not valid:
        record_failure(session, key, client, now)
        return SignInResult.invalid()
    clear_account_lock(session, customer)
    return SignInResult(ok=True, customer=customer, token=create_session(session, customer.id, now))


__all__ = [
    "SignInResult", "INVALID", "RATE_LIMITED", "WINDOW", "ACCOUNT_LIMIT", "CLIENT_LIMIT",
    "sign_in", "parse_identifier", "prune_login_attempts", "account_key", "clear_account_lock",
]
