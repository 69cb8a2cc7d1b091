from datetime import date, datetime, timedelta, timezone

import pytest

from marketu_app.domain.phones import normalize_phone
from marketu_app.domain.s10 import check_digit, is_valid_s10, s10_error
from marketu_app.domain.timeutil import (
    ALMATY,
    almaty_date,
    ensure_aware,
    kazakhstan_local,
    next_almaty_midnight,
    to_almaty,
)


@pytest.mark.parametrize("number", ["RB123456785GB", "EE471108151FR", "EE471108151KZ", "CP000000005KZ"])
def test_valid_s10_numbers_pass(number):
    assert is_valid_s10(number)


@pytest.mark.parametrize("number, reason", [
    ("RB123456784GB", "check digit"),
    ("EE471108152KZ", "check digit"),
    ("EE47110815KZ", "must look like"),
    ("ee471108151kz", "must look like"),
    ("E1471108151KZ", "must look like"),
    ("", "must look like"),
])
def test_invalid_s10_numbers_fail_with_a_reason(number, reason):
    assert reason in s10_error(number)


def test_check_digit_special_cases():
    # c = 11 - (weighted sum mod 11), except 11 -> 5 and 10 -> 0 (a check digit is one digit).
    assert check_digit("00000000") == 5  # sum 0: c would be 11
    assert check_digit("00000008") == 0  # sum 8 * 7 = 56 = 5 * 11 + 1: c would be 10
    assert check_digit("47110815") == 1  # an ordinary case: EE471108151KZ
    assert is_valid_s10("EE000000080KZ") and "check digit" in s10_error("EE000000081KZ")


def test_almaty_offset_changed_on_2024_03_01():
    assert kazakhstan_local(date(2024, 2, 29), 12, 0).utcoffset() == timedelta(hours=6)
    assert kazakhstan_local(date(2024, 3, 1), 12, 0).utcoffset() == timedelta(hours=5)


def test_almaty_day_boundaries():
    late_evening = datetime(2026, 11, 20, 18, 30, tzinfo=timezone.utc)  # 23:30 in Almaty
    after_midnight = datetime(2026, 11, 20, 19, 30, tzinfo=timezone.utc)  # 00:30 next day
    assert almaty_date(late_evening) == date(2026, 11, 20)
    assert almaty_date(after_midnight) == date(2026, 11, 21)
    assert next_almaty_midnight(late_evening) == datetime(2026, 11, 21, tzinfo=ALMATY)


def test_naive_times_are_taken_as_utc():
    naive = datetime(2026, 1, 1, 12, 0)
    assert ensure_aware(naive).tzinfo is timezone.utc
    assert to_almaty(naive).hour == 17


@pytest.mark.parametrize("typed", ["8 701 123 45 67", "+7 (701) 123-45-67", "87011234567", "+77011234567",
                                   "7011234567", " 8(701)1234567 "])
def test_phones_as_typed_normalise_to_e164(typed):
    assert normalize_phone(typed) == "+77011234567"


@pytest.mark.parametrize("typed", ["", "12345", "demo@marketu.kz", "8 701 123 45 6", "+7 701 abc"])
def test_non_phones_are_refused(typed):
    assert normalize_phone(typed) is None
