"""Customer sign-in, sessions and password change on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
import time
from datetime import timedelta

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import text
from sqlmodel import Session, select

from marketu_app.auth import login, passwords
from marketu_app.auth.login import ACCOUNT_LIMIT, CLIENT_LIMIT, WINDOW, sign_in
from marketu_app.auth.sessions import (
    SESSIONS_REVOKED,
    PasswordChangeError,
    change_password,
    create_session,
    end_other_sessions,
    end_session,
    resolve_session,
)
from marketu_app.db.engine import make_engine, session_scope
from marketu_app.db.inputs import CustomerIn
from marketu_app.db.models import ChangeLog, Customer, CustomerSession, LoginAttempt
from marketu_app.db.writes import upsert_customer
from marketu_app.domain.timeutil import utcnow

PASSWORD = "correct horse 42"
PHONE = "+77011234567"
EMAIL = "aigerim@example.kz"
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def fast_hashing(request, monkeypatch):
    """Cheap argon2 parameters: these tests are about the rules, not the hash's cost."""
    if getattr(request.function, "real_argon2", False):
        return
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", None)


def real_argon2(test):
    """Keeps the production argon2 parameters for this test."""
    test.real_argon2 = True
    return test


def add_customer(engine, external_id="C-1", phone=PHONE, email=EMAIL, password=PASSWORD) -> int:
    with session_scope(engine) as s:
        customer, _ = upsert_customer(s, external_id, CustomerIn(
            name="Aigerim", phone=phone, email=email, password=password))
        return customer.id


def attempt(engine, identifier, password, client=IP, now=None):
    with session_scope(engine) as s:
        return sign_in(s, identifier, password, client, now=now)


def resolve(engine, token, now=None):
    with session_scope(engine) as s:
        return resolve_session(s, token, now=now)


# --- signing in ------------------------------------------------------------------------------

def test_sign_in_with_every_phone_form_and_email_in_any_case(any_engine):
    customer_id = add_customer(any_engine)
    for typed in ["8 701 123 45 67", "+7 (701) 123-45-67", "87011234567", "AIGERIM@Example.kz",
                  " aigerim@example.kz "]:
        result = attempt(any_engine, typed, PASSWORD)
        assert result.ok, typed
        assert result.reason is None and result.retry_after_seconds is None
        assert result.customer.id == customer_id
        assert resolve(any_engine, result.token).id == customer_id
    with Session(any_engine) as s:
        assert len(s.exec(select(CustomerSession)).all()) == 5  # a new session each time


def test_wrong_password_and_unknown_account_give_the_same_answer(any_engine):
    customer_id = add_customer(any_engine)
    wrong = attempt(any_engine, PHONE, "not the password")
    unknown_phone = attempt(any_engine, "+77770000000", PASSWORD)
    unknown_email = attempt(any_engine, "nobody@example.kz", PASSWORD)
    garbage = attempt(any_engine, "hello", PASSWORD)
    for result in (wrong, unknown_phone, unknown_email, garbage):
        assert result == login.SignInResult(ok=False, reason="invalid")
    with Session(any_engine) as s:
        keys = {a.account_key for a in s.exec(select(LoginAttempt)).all()}
    # Every failure counts: a known account's under the account, whichever identifier was tried.
    assert {f"account:{customer_id}", "+77770000000", "nobody@example.kz"} < keys


def test_unknown_account_costs_the_same_argon2_check_as_a_wrong_password(sqlite_engine, monkeypatch):
    """Same work on both paths, so timing does not tell whether an account exists (counted, not timed)."""
    from marketu_app.auth import passwords

    add_customer(sqlite_engine)
    attempt(sqlite_engine, "+77770000000", "warm-up", client="warm-up")  # builds the dummy hash
    hasher = passwords._hasher()
    calls = []
    real_verify = hasher.verify
    monkeypatch.setattr(hasher, "verify", lambda pw, h: calls.append(h) or real_verify(pw, h))

    assert attempt(sqlite_engine, PHONE, "wrong password", client="10.0.0.1").reason == "invalid"
    known = list(calls)
    calls.clear()
    assert attempt(sqlite_engine, "+77770000000", "wrong password", client="10.0.0.2").reason == "invalid"
    unknown = list(calls)
    assert len(known) == len(unknown) == 1
    # Both are real argon2 hashes of the same parameters.
    assert known[0].split("$")[1:4] == unknown[0].split("$")[1:4]


def test_passwords_are_stored_only_as_argon2_hashes(any_engine):
    add_customer(any_engine)
    with Session(any_engine) as s:
        stored = s.exec(select(Customer.password_hash)).one()
        attempts = s.exec(select(LoginAttempt)).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    attempt(any_engine, PHONE, "wrong secret 1")
    with Session(any_engine) as s:
        rows = s.connection().execute(text("SELECT * FROM login_attempt")).all()
    assert len(rows) == len(attempts) + 1
    assert not any("wrong secret" in str(value) for row in rows for value in row)


# --- sessions --------------------------------------------------------------------------------

def test_session_resolves_survives_a_restart_expires_and_ends(any_engine):
    customer_id = add_customer(any_engine)
    with session_scope(any_engine) as s:
        token = create_session(s, customer_id)
    assert resolve(any_engine, token).id == customer_id

    restarted = make_engine(any_engine.url.render_as_string(hide_password=False))
    try:
        assert resolve(restarted, token).id == customer_id
    finally:
        restarted.dispose()

    assert resolve(any_engine, token, now=utcnow() + timedelta(days=29)).id == customer_id
    assert resolve(any_engine, token, now=utcnow() + timedelta(days=30, minutes=1)) is None
    assert resolve(any_engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    for garbage in (None, "", "x", token + "A", "' OR 1=1 --"):
        assert resolve(any_engine, garbage) is None

    with session_scope(any_engine) as s:
        assert end_session(s, token) is True
    assert resolve(any_engine, token) is None
    with session_scope(any_engine) as s:
        assert end_session(s, token) is False  # already ended


def test_only_the_token_hash_is_stored(any_engine):
    customer_id = add_customer(any_engine)
    with session_scope(any_engine) as s:
        token = create_session(s, customer_id)
    with Session(any_engine) as s:
        rows = s.connection().execute(text("SELECT * FROM customer_session")).all()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]


def test_end_other_sessions_keeps_the_given_one(any_engine):
    customer_id = add_customer(any_engine)
    other_id = add_customer(any_engine, "C-2", phone="+77012223344", email="b@example.kz")
    with session_scope(any_engine) as s:
        mine, laptop, phone = (create_session(s, customer_id) for _ in range(3))
        someone_else = create_session(s, other_id)
    with session_scope(any_engine) as s:
        assert end_other_sessions(s, customer_id, mine) == 2
    assert resolve(any_engine, mine).id == customer_id
    assert resolve(any_engine, laptop) is None and resolve(any_engine, phone) is None
    assert resolve(any_engine, someone_else).id == other_id


def test_change_password_ends_other_sessions_and_the_old_password(any_engine):
    customer_id = add_customer(any_engine)
    current = attempt(any_engine, PHONE, PASSWORD).token
    other = attempt(any_engine, EMAIL, PASSWORD).token
    new_password = "a much better one"

    for wrong, short, reason in [("nope nope nope", new_password, "wrong_password"),
                                 (PASSWORD, "short", "too_short")]:
        with pytest.raises(PasswordChangeError) as refused:
            with session_scope(any_engine) as s:
                change_password(s, customer_id, wrong, short, current)
        assert refused.value.reason == reason
    assert resolve(any_engine, other) is not None  # refusals change nothing

    with session_scope(any_engine) as s:
        assert change_password(s, customer_id, PASSWORD, new_password, current) == 1
    assert resolve(any_engine, current).id == customer_id
    assert resolve(any_engine, other) is None
    assert attempt(any_engine, PHONE, PASSWORD).reason == "invalid"
    assert attempt(any_engine, PHONE, new_password).ok
    with Session(any_engine) as s:
        log = s.exec(select(ChangeLog).where(ChangeLog.kind == SESSIONS_REVOKED)).all()
    assert [row.customer_id for row in log] == [customer_id]


def test_change_password_needs_the_customers_own_live_session(any_engine):
    customer_id = add_customer(any_engine)
    other_id = add_customer(any_engine, "C-2", phone="+77012223344", email="b@example.kz")
    with session_scope(any_engine) as s:
        others_token = create_session(s, other_id)
    for token in (others_token, None, "garbage"):
        with pytest.raises(PasswordChangeError) as refused:
            with session_scope(any_engine) as s:
                change_password(s, customer_id, PASSWORD, "a much better one", token)
        assert refused.value.reason == "not_signed_in"


def test_guessing_the_current_password_through_a_session_is_limited(any_engine):
    customer_id = add_customer(any_engine)
    with session_scope(any_engine) as s:
        token = create_session(s, customer_id)
    now = utcnow()
    for i in range(ACCOUNT_LIMIT):
        with pytest.raises(PasswordChangeError) as refused, session_scope(any_engine) as s:
            change_password(s, customer_id, f"guess {i}", "a much better one", token, now=now)
        assert refused.value.reason == "wrong_password"
    with pytest.raises(PasswordChangeError) as refused, session_scope(any_engine) as s:
        change_password(s, customer_id, PASSWORD, "a much better one", token, now=now)
    assert refused.value.reason == "rate_limited"
    assert refused.value.retry_after_seconds == WINDOW.total_seconds()
    assert attempt(any_engine, PHONE, PASSWORD, now=now).ok  # sign-in has its own bucket


# --- brute force -----------------------------------------------------------------------------

def test_the_sixth_try_is_refused_even_with_the_right_password_until_the_wait_is_over(any_engine):
    add_customer(any_engine)
    start = utcnow()
    for i in range(ACCOUNT_LIMIT):
        result = attempt(any_engine, PHONE, f"guess {i}", now=start + timedelta(seconds=i))
        assert result.reason == "invalid"

    later = start + timedelta(seconds=60)
    refused = attempt(any_engine, "8 701 123 45 67", PASSWORD, client="198.51.100.1", now=later)
    assert refused.reason == "rate_limited" and refused.token is None and refused.customer is None
    # The oldest counted failure (at `start`) leaves the window 14 minutes from `later`.
    assert refused.retry_after_seconds == (WINDOW - timedelta(seconds=60)).total_seconds()
    almost = start + WINDOW - timedelta(seconds=1)
    assert attempt(any_engine, PHONE, PASSWORD, now=almost).retry_after_seconds == 1

    after = start + WINDOW + timedelta(seconds=1)
    assert attempt(any_engine, PHONE, PASSWORD, now=after).ok
    with Session(any_engine) as s:  # the success cleared the account's failures
        assert s.exec(select(LoginAttempt)).all() == []


def test_an_account_locked_through_its_phone_stays_locked_through_its_email(any_engine):
    """Issue 12 §5: the limit counts the account, not the identifier it is tried through."""
    add_customer(any_engine)
    now = utcnow()
    guesses = [PHONE, "8 701 123 45 67", EMAIL.upper(), "+7 (701) 123-45-67", EMAIL]
    for i, identifier in enumerate(guesses):  # each from its own client: only the account can count them
        assert attempt(any_engine, identifier, f"guess {i}", client=f"198.51.100.{i}", now=now).reason == "invalid"
    for identifier in (EMAIL, PHONE):
        refused = attempt(any_engine, identifier, PASSWORD, client="192.0.2.99", now=now)
        assert refused.reason == "rate_limited" and refused.token is None


def test_the_password_reset_lifts_the_account_lock(any_engine):
    """A lock-out someone else caused ends through a channel that proves the customer."""
    customer_id = add_customer(any_engine)
    now = utcnow()
    for i in range(ACCOUNT_LIMIT):
        attempt(any_engine, PHONE, f"guess {i}", client=f"198.51.100.{i}", now=now)
    assert attempt(any_engine, EMAIL, PASSWORD, client="192.0.2.99", now=now).reason == "rate_limited"
    with session_scope(any_engine) as s:
        login.clear_account_lock(s, s.get(Customer, customer_id))
    assert attempt(any_engine, EMAIL, PASSWORD, client="192.0.2.99", now=now).ok


def test_one_client_is_limited_across_accounts(any_engine):
    add_customer(any_engine)
    add_customer(any_engine, "C-3", phone="+77015556677", email="third@example.kz")
    now = utcnow()
    for i in range(CLIENT_LIMIT):  # 2 tries on each of 5 accounts: no account reaches its limit
        assert attempt(any_engine, f"+7701000000{i // 2}", "guess", now=now).reason == "invalid"

    limited = attempt(any_engine, "+77015556677", PASSWORD, now=now)
    assert limited.reason == "rate_limited" and limited.retry_after_seconds == WINDOW.total_seconds()
    assert attempt(any_engine, "+77015556677", PASSWORD, client="198.51.100.1", now=now).ok
    assert attempt(any_engine, PHONE, PASSWORD, client=IP, now=now + WINDOW).ok


def test_parallel_guesses_cannot_slip_past_the_limit(any_engine, monkeypatch):
    add_customer(any_engine)
    real_verify = login.verify_password

    def slow_verify(password, password_hash):
        time.sleep(0.05)  # without serialisation, every thread would pass the limit check
        return real_verify(password, password_hash)

    monkeypatch.setattr(login, "verify_password", slow_verify)
    now = utcnow()
    results: list[str] = []

    def guess(i):
        results.append(attempt(any_engine, PHONE, f"guess {i}", client=f"10.0.0.{i}", now=now).reason)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(ACCOUNT_LIMIT + 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["invalid"] * ACCOUNT_LIMIT + ["rate_limited"] * 3


def test_old_attempts_are_pruned(any_engine):
    add_customer(any_engine)
    long_ago = utcnow() - timedelta(days=2)
    attempt(any_engine, PHONE, "old guess", now=long_ago)
    attempt(any_engine, "+77770000000", "old guess", client="10.9.9.9", now=long_ago)
    assert attempt(any_engine, PHONE, PASSWORD).ok  # prunes this account's and client's old rows
    with session_scope(any_engine) as s:
        assert len(s.exec(select(LoginAttempt)).all()) == 1
        assert login.prune_login_attempts(s) == 1
        assert s.exec(select(LoginAttempt)).all() == []


@real_argon2
def test_production_argon2_settings_hash_and_verify(sqlite_engine):
    """The settings customers get (not the cheap ones above): argon2id, at least OWASP's minimum cost."""
    add_customer(sqlite_engine)
    with Session(sqlite_engine) as s:
        stored = s.exec(select(Customer.password_hash)).one()
    algorithm, version, params = stored.split("$")[1:4]
    cost = dict(kv.split("=") for kv in params.split(","))
    assert algorithm == "argon2id" and version == "v=19"
    assert int(cost["m"]) >= 19_456 and int(cost["t"]) >= 2  # KiB, passes (OWASP 2023 minimum)
    assert attempt(sqlite_engine, PHONE, PASSWORD).ok
    assert not attempt(sqlite_engine, PHONE, "wrong horse 42").ok
