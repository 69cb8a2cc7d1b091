"""Time handling: everything is timezone-aware; customers see Almaty local time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")  # UTC+6 until 2024-03-01, UTC+5 since (tzdata knows)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def ensure_aware(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (the database stores UTC)."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def to_utc(value: datetime) -> datetime:
    return ensure_aware(value).astimezone(timezone.utc)


def to_almaty(value: datetime) -> datetime:
    return ensure_aware(value).astimezone(ALMATY)


def almaty_date(value: datetime) -> date:
    """The calendar day in Almaty on which `value` falls."""
    return to_almaty(value).date()


def next_almaty_midnight(now: datetime) -> datetime:
    local = to_almaty(now)
    tomorrow = local.date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=ALMATY)


def kazakhstan_local(day: date, hh: int, mm: int) -> datetime:
    """A wall-clock time in Kazakhstan (Kazpost's events) as an aware datetime."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=ALMATY)
