"""Dates, numbers, prices and plurals in the customer's language (Babel), in Almaty time."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_currency, format_decimal

from marketu_app.domain.timeutil import ALMATY, to_almaty

# Plural forms per locale: Babel names the CLDR category, we give the word.
_PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "order": {
        "ru": {"one": "заказ", "few": "заказа", "many": "заказов", "other": "заказа"},
        "kk": {"one": "тапсырыс", "other": "тапсырыс"},
        "en": {"one": "order", "other": "orders"},
    },
    "parcel": {
        "ru": {"one": "посылка", "few": "посылки", "many": "посылок", "other": "посылки"},
        "kk": {"one": "сәлемдеме", "other": "сәлемдеме"},
        "en": {"one": "parcel", "other": "parcels"},
    },
    "day": {
        "ru": {"one": "день", "few": "дня", "many": "дней", "other": "дня"},
        "kk": {"one": "күн", "other": "күн"},
        "en": {"one": "day", "other": "days"},
    },
    # "из N заказов": the genitive after a number
    "of_orders": {
        "ru": {"one": "заказа", "few": "заказов", "many": "заказов", "other": "заказа"},
        "kk": {"one": "тапсырыстың", "other": "тапсырыстың"},
        "en": {"one": "order", "other": "orders"},
    },
}


NBSP = "\u00a0"
_DIGIT_SPACE = re.compile(r"(?<=\d) ")


def keep_numbers_with_words(text: str) -> str:
    """A number never ends a line apart from its word ("2 заказа", "28 нояб.", "3 шт."): no-break spaces.

    The page's texts go through this (dates here, counts in views.py); messages (notify/) keep plain spaces."""
    return _DIGIT_SPACE.sub(NBSP, text)


def plural_word(word: str, n: int | float, locale: str) -> str:
    forms = _PLURALS[word].get(locale) or _PLURALS[word]["ru"]
    category = Locale.parse(locale).plural_form(n)
    return forms.get(category) or forms["other"]


def count(n: int, word: str, locale: str) -> str:
    """`5 заказов`, `1 заказ`, `2 orders`."""
    return f"{format_decimal(n, locale=locale)} {plural_word(word, n, locale)}"


def short_date(value: date | datetime, locale: str) -> str:
    """`28 нояб.`; a datetime is shown as its Almaty day."""
    day = to_almaty(value).date() if isinstance(value, datetime) else value
    return keep_numbers_with_words(format_date(day, "d MMM", locale=locale))


def date_range(first: date, last: date, locale: str) -> str:
    if first == last:
        return short_date(first, locale)
    return f"{short_date(first, locale)} – {short_date(last, locale)}"


def date_time(value: datetime, locale: str, with_year: bool = False) -> str:
    pattern = "d MMM y, HH:mm" if with_year else "d MMM, HH:mm"
    return keep_numbers_with_words(format_datetime(to_almaty(value), pattern, tzinfo=ALMATY, locale=locale))


_JUST_NOW = {"ru": "только что", "kk": "жаңа ғана", "en": "just now"}


def ago(value: datetime, now: datetime, locale: str) -> str:
    """`12 минут назад`; under a minute `только что` (not rounded up to a minute)."""
    delta = value - now
    if abs(delta) < timedelta(minutes=1):
        return _JUST_NOW.get(locale, _JUST_NOW["ru"])
    return keep_numbers_with_words(format_timedelta(delta, add_direction=True, threshold=1.1, locale=locale))


def money(amount: Decimal | None, currency: str | None, locale: str) -> str:
    if amount is None or not currency:
        return ""
    return format_currency(amount, currency, locale=locale)


def weight(kg: Decimal | None, locale: str) -> str:
    if kg is None:
        return ""
    unit = {"ru": "кг", "kk": "кг", "en": "kg"}.get(locale, "кг")
    return f"{format_decimal(kg, format='#,##0.##', locale=locale)}{NBSP}{unit}"
