"""View models: what the pages show, built from query rows in the customer's language.

Pure functions of the rows, the locale and the time; no Reflex and no SQL here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import marketu_app.i18n.ui_texts  # noqa: F401  (registers the texts)
from marketu_app import routes
from marketu_app.db.queries import OrderRow, ParcelRow
from marketu_app.domain.statuses import (
    COURIER_EVENT_LABELS,
    DELIVERY_METHOD_LABELS,
    JOURNEY,
    CourierEventCode,
    DeliveryMethod,
    OrderStatus,
    journey_index,
    status_info,
)
from marketu_app.i18n import format as fmt
from marketu_app.i18n.door import door_text
from marketu_app.i18n.texts import text

MILESTONES = (  # (journey index reached, text key), the highest that any order reached is shown
    (journey_index(OrderStatus.DELIVERED), "milestone_delivered"),
    (journey_index(OrderStatus.AT_ALMATY_WAREHOUSE), "milestone_almaty"),
    (journey_index(OrderStatus.SHIPPED_FROM_CHINA), "milestone_shipped"),
    (journey_index(OrderStatus.AT_CHINA_WAREHOUSE), "milestone_china"),
    (journey_index(OrderStatus.PAID), "milestone_paid"),
)


@dataclass
class Step:
    label: str
    state: str  # done | current | todo


@dataclass
class HistoryItem:
    label: str
    when: str
    note: str


@dataclass
class OrderView:
    number: str
    title: str
    marketplace: str
    quantity: str
    price: str
    image_url: str
    status: str
    status_label: str
    status_color: str
    status_description: str
    status_when: str
    cancelled: bool
    steps: list[Step] = field(default_factory=list)
    history: list[HistoryItem] = field(default_factory=list)
    eta: str = ""
    eta_kind: str = "none"


@dataclass
class ParcelCardView:
    number: str
    url: str
    method: str
    method_code: str
    city: str
    orders_count: str
    progress: str
    progress_pct: int
    stage_label: str
    stage_color: str
    eta: str
    eta_kind: str  # expected | late | arrived | none
    tracking: str
    updated: str
    door: str = ""  # "доставка в Караганду: 3 – 6 дек."
    door_kind: str = "none"  # expected | late | ready | none


@dataclass
class TimelineItem:
    at: str  # ISO time, for ordering checks and <time datetime>
    when: str
    source: str  # order | courier | ems
    title: str
    detail: str


@dataclass
class ParcelDetailView:
    card: ParcelCardView
    recipient: str
    address: str
    weight: str
    track_number: str
    kazpost_url: str
    orders: list[OrderView] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)


def eta_text(eta, locale: str) -> tuple[str, str]:
    """(`ожидается 28 нояб. – 2 дек.` | `задерживается` | `прибыл 20 нояб.` | placeholder, kind)."""
    if eta is None:
        return text("eta_unknown", locale), "none"
    if eta.arrived:
        return f"{text('eta_arrived', locale)} {fmt.short_date(eta.arrived, locale)}", "arrived"
    if eta.late:
        return f"{text('eta_late', locale)}, {text('eta_expected_short', locale)} " \
               f"{fmt.date_range(eta.earliest, eta.latest, locale)}", "late"
    return f"{text('eta_expected_short', locale)} {fmt.date_range(eta.earliest, eta.latest, locale)}", "expected"


def _live_orders(row: ParcelRow) -> list[OrderRow]:
    return [o for o in row.orders if o.order.status != OrderStatus.CANCELLED.value]


def _progress(row: ParcelRow, locale: str) -> tuple[str, int, str, str]:
    """(summary in words, percent, stage label, stage colour) of the parcel as a whole."""
    if not row.orders:
        return text("no_orders_yet", locale), 0, "", "gray"
    live = _live_orders(row)
    if not live:
        info = status_info(OrderStatus.CANCELLED)
        return text("all_cancelled", locale), 0, info.label_in(locale), info.color
    indexes = [journey_index(o.order.status) for o in live]
    stage = status_info(JOURNEY[min(indexes)])  # the parcel is as far as its slowest order
    pct = round(100 * sum(i + 1 for i in indexes) / (len(indexes) * len(JOURNEY)))
    if min(indexes) == journey_index(OrderStatus.DELIVERED):
        return text("all_delivered", locale), 100, stage.label_in(locale), stage.color
    for reached, key in MILESTONES:
        k = sum(1 for i in indexes if i >= reached)
        if k:
            n = len(live)
            said = f"{k} {text('of', locale)} {n} {fmt.plural_word('of_orders', n, locale)} {text(key, locale)}"
            return (fmt.keep_numbers_with_words(said),
                    pct, stage.label_in(locale), stage.color)
    return text("milestone_none", locale), pct, stage.label_in(locale), stage.color


def _tracking(row: ParcelRow, locale: str) -> str:
    ems, courier = row.latest_ems, row.latest_courier
    if ems is not None:
        place = f" · {ems.place}" if ems.place else ""
        return f"{text('ems', locale)}: {ems.text(locale)}{place} · {fmt.date_time(ems.at, locale)}"
    if courier is not None:
        label = COURIER_EVENT_LABELS[CourierEventCode(courier.code)][locale]
        return f"{text('courier', locale)}: {label} · {fmt.date_time(courier.at, locale)}"
    return ""


def parcel_card(row: ParcelRow, locale: str) -> ParcelCardView:
    p = row.parcel
    progress, pct, stage_label, stage_color = _progress(row, locale)
    eta, eta_kind = eta_text(row.eta, locale)
    door, door_kind = door_text(row.door, p.recipient_city, locale)
    count = row.order_count or len(row.orders)
    return ParcelCardView(
        number=p.number,
        url=routes.parcel_url(p.number),
        method=DELIVERY_METHOD_LABELS[DeliveryMethod(p.delivery_method)][locale],
        method_code=p.delivery_method,
        city=p.recipient_city or "",
        orders_count=fmt.keep_numbers_with_words(fmt.count(count, "order", locale)),
        progress=progress,
        progress_pct=pct,
        stage_label=stage_label,
        stage_color=stage_color,
        eta=eta,
        eta_kind=eta_kind,
        tracking=_tracking(row, locale),
        door=door,
        door_kind=door_kind,
        updated=f"{text('updated', locale)} {fmt.date_time(p.last_activity_at, locale)}",
    )


def _steps(status: str, history_statuses: list[str], locale: str) -> list[Step]:
    if status == OrderStatus.CANCELLED.value:
        reached = max((journey_index(s) for s in history_statuses if s != OrderStatus.CANCELLED.value), default=-1)
        return [Step(status_info(s).label_in(locale), "done" if i <= reached else "todo")
                for i, s in enumerate(JOURNEY)]
    current = journey_index(status)
    return [Step(status_info(s).label_in(locale), "done" if i < current else "current" if i == current else "todo")
            for i, s in enumerate(JOURNEY)]


def order_view(row: OrderRow, locale: str) -> OrderView:
    o = row.order
    info = status_info(o.status)
    eta, eta_kind = eta_text(row.eta, locale) if o.status != OrderStatus.CANCELLED.value else ("", "none")
    return OrderView(
        number=o.number,
        title=o.title,
        marketplace=o.marketplace,
        quantity=f"{o.quantity}{fmt.NBSP}{text('pieces', locale)}",
        price=fmt.money(o.price_amount, o.price_currency, locale),
        image_url=o.image_url or "",
        status=o.status,
        status_label=info.label_in(locale),
        status_color=info.color,
        status_description=info.description_in(locale),
        status_when=fmt.date_time(o.status_at, locale),
        cancelled=o.status == OrderStatus.CANCELLED.value,
        steps=_steps(o.status, [e.status for e in row.history], locale),
        history=[HistoryItem(status_info(e.status).label_in(locale), fmt.date_time(e.at, locale, with_year=True),
                             e.note or "") for e in reversed(row.history)],
        eta=eta,
        eta_kind=eta_kind,
    )


def _timeline(row: ParcelRow, ems_events: list, locale: str) -> list[TimelineItem]:
    """One chronological story: the orders' warehouse statuses, courier events and EMS events."""
    items: list[tuple[datetime, TimelineItem]] = []
    for o in row.orders:
        for e in o.history:
            items.append((e.at, TimelineItem(e.at.isoformat(), fmt.date_time(e.at, locale, with_year=True), "order",
                                             status_info(e.status).label_in(locale), f"«{o.order.title}»")))
    for e in row.courier_events:
        items.append((e.at, TimelineItem(e.at.isoformat(), fmt.date_time(e.at, locale, with_year=True), "courier",
                                         COURIER_EVENT_LABELS[CourierEventCode(e.code)][locale], e.note or "")))
    for e in ems_events:
        items.append((e.at, TimelineItem(e.at.isoformat(), fmt.date_time(e.at, locale, with_year=True), "ems",
                                         e.text(locale), e.place)))
    items.sort(key=lambda pair: pair[0], reverse=True)  # newest first
    return [item for _, item in items]


def parcel_detail(row: ParcelRow, ems_events: list, settings_page_url: str, locale: str) -> ParcelDetailView:
    p = row.parcel
    return ParcelDetailView(
        card=parcel_card(row, locale),
        recipient=", ".join(x for x in (p.recipient_name, p.recipient_phone) if x),
        address=", ".join(x for x in (p.recipient_city, p.recipient_address) if x),
        weight=fmt.weight(p.weight_kg, locale),
        track_number=p.ems_track_number or "",
        kazpost_url=settings_page_url.format(barcode=p.ems_track_number) if p.ems_track_number else "",
        orders=[order_view(o, locale) for o in row.orders],
        timeline=_timeline(row, ems_events, locale),
    )
