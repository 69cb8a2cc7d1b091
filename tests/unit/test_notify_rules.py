"""What is worth a message, bursts and quiet hours (pure rules), and how a message reads."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from marketu_app.domain.eta import Journey, default_stats, estimate, parcel_eta
from marketu_app.domain.notify import (
    DEFAULT_KINDS,
    Item,
    delay_is_news,
    milestone,
    parse_quiet_hours,
    quiet_until,
    send_at,
    wanted,
)
from marketu_app.domain.timeutil import ALMATY
from marketu_app.notify.render import render, topic_for


def order(status, event=None, **kw):
    return {"order_number": "M-1", "title": "Кроссовки", "status": status, "event_status": event or status, **kw}


def test_the_spec_milestones_and_nothing_else_by_default():
    assert milestone("order_status", order("at_almaty_warehouse"), "P-1").kind == "almaty_warehouse"
    assert milestone("order_status", order("cancelled"), "P-1").kind == "cancelled"
    assert milestone("order_status", order("sent_to_recipient"), "P-1", first_sent_in_parcel=True).kind == "parcel_sent"
    assert milestone("order_status", order("sent_to_recipient"), "P-1", first_sent_in_parcel=False) is None
    other = milestone("order_status", order("paid"), "P-1")
    assert other.kind == "other_status" and not wanted(other, None) and wanted(other, frozenset({"other_status"}))
    # A late event older than the current status is not news.
    assert milestone("order_status", order("packed", event="at_almaty_warehouse"), "P-1") is None
    assert milestone("ems", {"parcel_number": "P-2", "group": "with_courier"}).kind == "ems"
    assert milestone("ems", {"parcel_number": "P-2", "group": "in_transit"}) is None
    assert milestone("courier", {"parcel_number": "P-3", "code": "out_for_delivery"}).kind == "courier"
    assert milestone("courier", {"parcel_number": "P-3", "code": "handed_to_courier"}) is None
    assert milestone("order", {"order_number": "M-1"}) is None  # an edit of the order's data
    assert milestone("sessions_revoked", {}) is None
    assert "other_status" not in DEFAULT_KINDS


def test_quiet_hours_parse_and_wrap_midnight():
    assert parse_quiet_hours("22:00-09:00") == (time(22), time(9))
    assert parse_quiet_hours("off") is None
    for bad in ("22-9", "25:00-09:00", "", "22:00"):
        with pytest.raises(ValueError):
            parse_quiet_hours(bad)
    quiet = parse_quiet_hours("22:00-09:00")
    late = datetime(2026, 12, 1, 23, 30, tzinfo=ALMATY)
    assert quiet_until(late, quiet) == datetime(2026, 12, 2, 9, 0, tzinfo=ALMATY)
    early = datetime(2026, 12, 2, 7, 0, tzinfo=ALMATY)
    assert quiet_until(early, quiet) == datetime(2026, 12, 2, 9, 0, tzinfo=ALMATY)
    assert quiet_until(datetime(2026, 12, 2, 9, 0, tzinfo=ALMATY), quiet) is None
    assert quiet_until(late, None) is None
    day = parse_quiet_hours("13:00-14:00")
    assert quiet_until(datetime(2026, 12, 2, 13, 30, tzinfo=ALMATY), day) == datetime(2026, 12, 2, 14, tzinfo=ALMATY)


def test_a_burst_goes_5_s_after_its_last_change_at_most_60_s_after_its_first():
    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=ALMATY)
    # The spec: gathered until 5 s pass without another change, at most 60 s while the burst goes on.
    assert send_at(t0, t0, None) == t0 + timedelta(seconds=5)
    assert send_at(t0, t0 + timedelta(seconds=3), None) == t0 + timedelta(seconds=8)
    assert send_at(t0, t0 + timedelta(seconds=20), None) == t0 + timedelta(seconds=25)
    assert send_at(t0, t0 + timedelta(seconds=58), None) == t0 + timedelta(seconds=60)
    # Changes 4 s apart keep the burst open up to the cap: one message, 60 s after the first.
    last = t0
    while send_at(t0, last, None) > last + timedelta(seconds=4):
        last += timedelta(seconds=4)
    assert send_at(t0, last, None) == t0 + timedelta(seconds=60)
    night = datetime(2026, 12, 1, 23, 0, tzinfo=ALMATY)
    assert send_at(night, night, parse_quiet_hours("22:00-09:00")) == datetime(2026, 12, 2, 9, tzinfo=ALMATY)


def test_a_burst_reads_as_one_message_in_the_customers_language():
    items = [Item("almaty_warehouse", "P-1", f"M-{i}", f"Товар {i}", "at_almaty_warehouse") for i in range(3)]
    ru = render(items, "ru", "https://track.marketu.kz")
    assert ru.title == "3 заказа прибыли на склад в Алматы: «Товар 0», «Товар 1», «Товар 2»"
    assert ru.url == "https://track.marketu.kz/parcel/P-1" and ru.tag == "parcel-P-1"
    one = render(items[:1], "ru", "https://x")
    assert one.title.startswith("1 заказ прибыл на склад в Алматы")
    en = render(items[:2] + [Item("courier", "P-2", detail="out_for_delivery")], "en", "https://x")
    assert en.title == "Marketu: 2 updates" and en.url == "https://x/"
    assert "2 orders arrived at the Almaty warehouse" in en.body and "Parcel P-2: Out for delivery" in en.body
    kk = render([Item("ems", "P-9", detail="delivered")], "kk", "https://x")
    assert kk.title == "P-9 сәлемдемесі: EMS, Табыс етілді"
    assert len(topic_for("parcel-P-1")) <= 32 and topic_for("parcel-P-1") == topic_for("parcel-P-1")


def test_a_delay_is_news_once_per_range_and_at_most_once_a_day():
    today, end = date(2026, 12, 10), date(2026, 12, 5)
    assert not delay_is_news(None, None, None, today)  # not late
    assert delay_is_news(end, None, None, today)  # first time past its range
    assert not delay_is_news(end, end, today, today)  # the same range: never again
    assert not delay_is_news(end, end, date(2026, 12, 6), today)
    assert not delay_is_news(end - timedelta(days=1), end, date(2026, 12, 6), today)  # an earlier end: old news
    later = date(2026, 12, 8)  # a new stage's range, outlived too
    assert delay_is_news(later, end, date(2026, 12, 6), today)
    assert not delay_is_news(later, end, today, today)  # but not twice in one day


def test_the_eta_says_which_range_a_late_parcel_outlived():
    now = datetime(2026, 12, 10, 12, 0, tzinfo=ALMATY)
    stats = default_stats()
    fresh = estimate(stats, Journey("taobao", (("shipped_from_china", now - timedelta(days=2)),)), now)
    old = estimate(stats, Journey("taobao", (("shipped_from_china", now - timedelta(days=40)),)), now)
    older = estimate(stats, Journey("taobao", (("shipped_from_china", now - timedelta(days=50)),)), now)
    assert not fresh.late and fresh.promised is None
    assert old.late and old.promised is not None and old.promised < now.date()
    # The transit's range (6-18 days by default) ended about 18 days after it began.
    assert (now - timedelta(days=40)).date() + timedelta(days=14) <= old.promised <= (now - timedelta(days=40)).date() \
        + timedelta(days=19)
    parcel = parcel_eta([fresh, old, older])
    assert parcel.late and parcel.promised == max(old.promised, older.promised)
    assert parcel_eta([fresh]).promised is None


def test_a_delay_reads_in_the_customers_language():
    item = Item("delay", "P-7", detail="2026-12-05")
    assert render([item], "ru", "https://x").title == "Посылка P-7 задерживается"
    assert render([item], "kk", "https://x").title == "P-7 сәлемдемесі кешігуде"
    assert render([item], "en", "https://x").title == "Parcel P-7 is delayed"
    assert render([item], "ru", "https://x").url == "https://x/parcel/P-7"

