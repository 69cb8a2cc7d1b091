"""Sign-in identifiers and session tokens, without a database."""

from __future__ import annotations

import hashlib

import pytest

from marketu_app.auth.login import parse_identifier
from marketu_app.auth.sessions import _token_hash_or_none, hash_token


@pytest.mark.parametrize("typed", ["8 701 123 45 67", "+7 (701) 123-45-67", "87011234567",
                                   "+77011234567", " 7011234567 "])
def test_every_usual_phone_form_is_one_account(typed):
    assert parse_identifier(typed) == ("+77011234567", "phone")


@pytest.mark.parametrize("typed", ["Aigerim@Example.KZ", " aigerim@example.kz ", "AIGERIM@EXAMPLE.KZ"])
def test_email_is_case_insensitive(typed):
    assert parse_identifier(typed) == ("aigerim@example.kz", "email")


@pytest.mark.parametrize("typed", ["", "   ", None, "hello", "12345", "x" * 5000, "a@" + "b" * 300])
def test_anything_else_is_a_hash_and_never_looked_up(typed):
    key, field = parse_identifier(typed)
    assert field is None
    assert key.startswith("raw:") and len(key) == 4 + 64  # fits LoginAttempt.account_key


def test_garbage_hashes_differ_by_text():
    assert parse_identifier("hello")[0] != parse_identifier("hullo")[0]


def test_token_hash_is_sha256_hex():
    token = "A" * 43
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()


@pytest.mark.parametrize("token", [None, "", " ", "short", "A" * 42, "A" * 44, "A" * 42 + "=",
                                   "A" * 42 + "é", 12345, b"A" * 43])
def test_tokens_of_the_wrong_shape_are_not_looked_up(token):
    assert _token_hash_or_none(token) is None
