"""What the parcel card and page say, from rows to view models (pure: no database, no Reflex)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from marketu_app.db.models import CourierEvent, Order, OrderStatusEvent, Parcel
from marketu_app.db.queries import OrderRow, ParcelRow
from marketu_app.db.tracking import TimelineEvent
from marketu_app.domain.eta import Eta
from marketu_app.i18n import format as fmt
from marketu_app.views import eta_text, order_view, parcel_card, parcel_detail, text_parts

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
URL = "https://post.kz/services/postal/{barcode}"


def plain(value: str) -> str:
    """The page keeps numbers with their words by no-break spaces; compare as plain text."""
    return value.replace("\u00a0", " ")


def _order(i: int, status: str, at: datetime, path: list[tuple[str, datetime]] | None = None) -> OrderRow:
    order = Order(id=i, number=f"M-1-{i}", customer_id=1, parcel_id=1, title=f"Товар {i}", marketplace="taobao",
                  status=status, status_at=at)
    history = [OrderStatusEvent(order_id=i, status=s, at=t) for s, t in (path or [(status, at)])]
    return OrderRow(order=order, history=history, eta=None)


def _parcel(orders: list[OrderRow], method: str = "kazakhstan", **kw) -> ParcelRow:
    parcel = Parcel(id=1, number="P-1", customer_id=1, delivery_method=method, recipient_name="Айгерим",
                    recipient_phone="+77011234567", recipient_city="Караганда", ems_track_number="EE471108151KZ",
                    last_activity_at=T0)
    return ParcelRow(parcel=parcel, orders=orders, order_count=len(orders), **kw)


def _ems(group: str, code: str, at: datetime, text: str = "Вручено адресату") -> TimelineEvent:
    return TimelineEvent(code=code, group=group, text_ru=text, at=at, place="Отделение №5, Караганда",
                         text_kk="Алушыға табыс етілді", text_en="Delivered")


# --- item 1: the ETA says it is the arrival in Almaty ---

@pytest.mark.parametrize("locale, expected, arrived, late", [
    ("ru", "в Алматы ожидается 28 нояб. – 2 дек.", "прибыл в Алматы 20 нояб.", "задерживается, в Алматы ожидается"),
    ("kk", "Алматыда", "Алматыға", "кешігуде"),
    ("en", "expected in Almaty 28 Nov – 2 Dec", "arrived in Almaty 20 Nov", "delayed, expected in Almaty"),
])
def test_the_eta_says_almaty_in_every_language(locale, expected, arrived, late):
    on_the_way = Eta(expected=date(2026, 11, 30), earliest=date(2026, 11, 28), latest=date(2026, 12, 2), late=False)
    assert plain(eta_text(on_the_way, locale)[0]).startswith(expected)
    there = Eta(expected=date(2026, 11, 20), earliest=date(2026, 11, 20), latest=date(2026, 11, 20), late=False,
                arrived=date(2026, 11, 20))
    assert plain(eta_text(there, locale)[0]).startswith(arrived)
    delayed = Eta(date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 3), late=True)
    assert plain(eta_text(delayed, locale)[0]).startswith(late)
    if locale == "kk":  # Kazakh puts the verb last: "Алматыда 28 қар. – 2 жел. күтіледі"
        assert eta_text(on_the_way, locale)[0].endswith("күтіледі")


# --- item 2: EMS or the courier says delivered/returned: the parcel's headline follows ---

def test_ems_delivered_makes_the_headline_full_and_marked_as_from_ems_while_orders_keep_their_status():
    orders = [_order(i, "sent_to_recipient", T0) for i in (1, 2)]
    row = _parcel(orders, latest_ems=_ems("delivered", "ISSPAY", T0 + timedelta(days=2)))
    card = parcel_card(row, "ru")
    assert card.stage_label == "Вручено · EMS Казпочта" and card.stage_source == "ems"
    assert card.progress_pct == 100 and "по данным EMS Казпочты" in plain(card.progress) and card.stage_color == "grass"
    assert [order_view(o, "ru").status_label for o in orders] == ["Отправлен получателю"] * 2
    assert parcel_card(row, "en").stage_label == "Delivered · EMS Kazpost"


def test_ems_returned_and_courier_delivered_lead_too_but_an_ems_event_in_transit_does_not():
    orders = [_order(1, "sent_to_recipient", T0)]
    returned = parcel_card(_parcel(orders, latest_ems=_ems("returned", "RET", T0 + timedelta(days=9))), "ru")
    assert returned.stage_label == "Возвращено отправителю · EMS Казпочта" and returned.progress_pct < 100
    courier = CourierEvent(parcel_id=1, code="delivered", at=T0 + timedelta(hours=5))
    by_courier = parcel_card(_parcel(orders, "almaty", latest_courier=courier), "ru")
    assert by_courier.stage_label == "Вручено · Курьер Marketu" and by_courier.progress_pct == 100
    moving = parcel_card(_parcel(orders, latest_ems=_ems("in_transit", "SRTSND", T0, "Отправлено")), "ru")
    assert moving.stage_label == "Отправлен получателю" and moving.stage_source == ""


# --- item 8: under a minute is "just now" ---

def test_a_check_under_a_minute_ago_is_just_now():
    assert fmt.ago(T0 - timedelta(seconds=5), T0, "ru") == "только что"
    assert fmt.ago(T0 - timedelta(seconds=59), T0, "en") == "just now"
    assert plain(fmt.ago(T0 - timedelta(minutes=3), T0, "ru")) == "3 минуты назад"


# --- item 12: many orders: a summary by status and groups, long groups folded ---

def test_forty_orders_are_summarised_and_grouped_by_status_with_long_groups_folded():
    orders = [_order(i, "at_almaty_warehouse" if i <= 12 else "shipped_from_china", T0) for i in range(1, 41)]
    detail = parcel_detail(_parcel(orders), [], URL, "ru")
    assert detail.grouped
    assert [(c.count, c.label) for c in detail.status_summary] == [
        (12, "На складе в Алматы"), (28, "Отправлен со склада из Китая")]
    almaty, china = detail.order_groups
    assert plain(almaty.count) == "12 заказов" and len(almaty.shown) == 3 and len(almaty.folded) == 9
    assert plain(almaty.folded_label) == "Показать ещё 9 заказов"
    assert plain(detail.status_summary[0].text) == "12 · На складе в Алматы"
    assert len(china.shown) + len(china.folded) == 28
    small = parcel_detail(_parcel(orders[:3]), [], URL, "ru")
    assert not small.grouped and len(small.orders) == 3


# --- item 13: the same status for several orders at about the same time is one timeline row ---

def test_the_timeline_collapses_one_status_for_several_orders_into_one_row():
    path = [("paid", T0), ("at_china_warehouse", T0 + timedelta(days=4)),
            ("sent_to_recipient", T0 + timedelta(days=20))]
    orders = [_order(i, "sent_to_recipient", T0 + timedelta(days=20),
                     [(s, t + timedelta(minutes=10 * i)) for s, t in path]) for i in (1, 2, 3)]
    timeline = parcel_detail(_parcel(orders), [], URL, "ru").timeline
    assert [plain(t.title) for t in timeline] == ["3 заказа: Отправлен получателю", "3 заказа: На складе в Китае",
                                           "3 заказа: Оплачен"]
    assert timeline[0].detail == "«Товар 1», «Товар 2», «Товар 3»"
    # Days apart is not "the same time": two rows.
    orders[2].history[1].at += timedelta(days=3)
    titles = [plain(t.title) for t in parcel_detail(_parcel(orders), [], URL, "ru").timeline]
    assert titles.count("2 заказа: На складе в Китае") == 1 and titles.count("На складе в Китае") == 1


# --- item 16: phone numbers as tel: links ---

def test_phone_numbers_become_tel_links_in_the_recipient_and_in_a_courier_note():
    note = "Курьер Ерлан, тел. 8 (701) 555-66-77, позвоните"
    courier = CourierEvent(parcel_id=1, code="out_for_delivery", at=T0, note=note)
    detail = parcel_detail(_parcel([_order(1, "sent_to_recipient", T0)], "almaty", courier_events=[courier]), [],
                           URL, "ru")
    assert detail.recipient_phone_href == "tel:+77011234567" and detail.recipient_phone == "+77011234567"
    parts = next(t for t in detail.timeline if t.source == "courier").detail_parts
    assert [(p.text, p.href) for p in parts] == [("Курьер Ерлан, тел. ", ""), ("8 (701) 555-66-77", "tel:+77015556677"),
                                                 (", позвоните", "")]
    assert [p.href for p in text_parts("заказ 12345678901 и 2026-11-20")] == [""]  # not phone numbers


# --- item 7: the latest EMS event for the summary near the top ---

def test_the_detail_carries_the_latest_ems_event_for_the_summary():
    events = [_ems("accepted", "RCPOPS", T0, "Принято"), _ems("in_transit", "SRTSND", T0 + timedelta(hours=5),
                                                                 "Отправлено из сортировочного центра")]
    detail = parcel_detail(_parcel([_order(1, "sent_to_recipient", T0)]), events, URL, "ru")
    assert detail.ems_title == "Отправлено из сортировочного центра"
    assert detail.ems_place == "Отделение №5, Караганда" and plain(detail.ems_when).startswith("20 нояб.")
    assert detail.kazpost_url.endswith("EE471108151KZ")
