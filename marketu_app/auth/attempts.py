"""Failed sign-in attempts and the limits they set, per account and per client.

Used by the sign-in (auth/login.py) and by the password change (auth/sessions.py), which counts wrong
current passwords the same way; it depends on neither. Rows of `LoginAttempt`; the caller commits.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import delete, or_, text
from sqlmodel import Session, select

from marketu_app.db.models import LoginAttempt
from marketu_app.domain.timeutil import to_utc, utcnow

WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5  # failures per account per WINDOW
CLIENT_LIMIT = 10  # failures per client (IP) per WINDOW, across accounts
KEEP_ATTEMPTS = timedelta(days=1)  # older rows are pruned
PRUNE_ONE_IN = 100  # a failure prunes the whole table once in this many
PASSWORD_CHANGE_CLIENT = "password-change"  # client_key of wrong current passwords (sessions.py)


def _now(now: datetime | None) -> datetime:
    return to_utc(now) if now is not None else utcnow()


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
