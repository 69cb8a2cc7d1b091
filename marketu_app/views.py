"""View models: what the pages show, built from query rows in the customer's language.

Pure functions of the rows, the locale and the time; no Reflex and no SQL here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import marketu_app.i18n.ui_texts  # noqa: F401  (registers the texts)
from marketu_app import routes
from marketu_app.db.queries import OrderRow, ParcelRow
from marketu_app.domain.ems import FINAL_GROUPS
from marketu_app.domain.phones import normalize_phone
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
from marketu_app.domain.timeutil import to_utc
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


GROUP_ORDERS_FROM = 7  # a parcel with this many orders shows them grouped by status
FOLD_AFTER = 5  # a status group longer than this shows FOLD_SHOWN orders and folds the rest
FOLD_SHOWN = 3
SAME_TIME = timedelta(hours=6)  # one status for several orders within this: one timeline row
_PHONE_IN_TEXT = re.compile(r"(?<![\d+])(?:\+7|8)[\s(\-]*7\d{2}[\s)\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}(?!\d)")
# Delivered or returned, as EMS or the Almaty courier says: the parcel's headline follows.
_CARRIER_FINAL = {("ems", "delivered"): "carrier_delivered", ("ems", "returned"): "carrier_returned",
                  ("courier", CourierEventCode.DELIVERED.value): "carrier_delivered",
                  ("courier", CourierEventCode.RETURNED_TO_OFFICE.value): "courier_returned"}


@dataclass
class TextPart:
    text: str
    href: str = ""  # a tel: link when the part is a phone number


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
    stage_source: str = ""  # ems | courier: the headline is the carrier's word (delivered, returned)
    sort_key: str = ""  # the page's order (latest activity first), for a live update of some cards only


@dataclass
class TimelineItem:
    at: str  # ISO time, for ordering checks and <time datetime>
    when: str
    source: str  # order | courier | ems
    title: str
    detail: str
    detail_parts: list[TextPart] = field(default_factory=list)  # the detail, phone numbers as tel: links


@dataclass
class StatusCount:
    label: str
    color: str
    count: int
    text: str  # "12 · На складе в Алматы"


@dataclass
class OrderGroup:
    status: str
    label: str
    color: str
    count: str  # "12 заказов"
    shown: list[OrderView] = field(default_factory=list)
    folded: list[OrderView] = field(default_factory=list)
    folded_label: str = ""  # "Ещё 9 заказов"


@dataclass
class ParcelDetailView:
    card: ParcelCardView
    recipient: str
    recipient_phone: str
    recipient_phone_href: str
    address: str
    weight: str
    track_number: str
    kazpost_url: str
    orders: list[OrderView] = field(default_factory=list)
    timeline: list[TimelineItem] = field(default_factory=list)
    grouped: bool = False  # many orders: shown by status group, with a summary at the top
    status_summary: list[StatusCount] = field(default_factory=list)
    order_groups: list[OrderGroup] = field(default_factory=list)
    ems_title: str = ""  # the latest EMS event, for the summary near the top (phones)
    ems_place: str = ""
    ems_when: str = ""


def eta_text(eta, locale: str) -> tuple[str, str]:
    """The arrival in Almaty, said as such: (`в Алматы ожидается 28 нояб. – 2 дек.` | `задерживается, …` |
    `прибыл в Алматы 20 нояб.` | placeholder, kind)."""
    if eta is None:
        return text("eta_unknown", locale), "none"
    if eta.arrived:
        return text("eta_almaty_arrived", locale).format(date=fmt.short_date(eta.arrived, locale)), "arrived"
    expected = text("eta_almaty_expected", locale).format(dates=fmt.date_range(eta.earliest, eta.latest, locale))
    if eta.late:
        return f"{text('eta_late', locale)}, {expected}", "late"
    return expected, "expected"


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


def carrier_final(row: ParcelRow) -> tuple[str, str, datetime] | None:
    """(source, text key, when) when EMS or the Almaty courier last said delivered or returned."""
    found = []
    ems, courier = row.latest_ems, row.latest_courier
    if ems is not None and ems.group in FINAL_GROUPS:
        found.append(("ems", _CARRIER_FINAL[("ems", ems.group)], ems.at))
    if courier is not None and ("courier", courier.code) in _CARRIER_FINAL:
        found.append(("courier", _CARRIER_FINAL[("courier", courier.code)], courier.at))
    return max(found, key=lambda f: f[2]) if found else None


def _tracking(row: ParcelRow, locale: str) -> str:
    ems, courier = row.latest_ems, row.latest_courier
    if ems is not None:
        place = f" · {ems.place}" if ems.place else ""
        return f"{text('ems', locale)}: {ems.text(locale)}{place} · {fmt.date_time(ems.at, locale)}"
    if courier is not None:
        label = COURIER_EVENT_LABELS[CourierEventCode(courier.code)][locale]
        return f"{text('courier', locale)}: {label} · {fmt.date_time(courier.at, locale)}"
    return ""


def _headline(row: ParcelRow, locale: str) -> tuple[str, int, str, str, str]:
    """(progress text, percent, stage label, colour, source): the carrier's final word wins over the orders'."""
    progress, pct, stage_label, stage_color = _progress(row, locale)
    final = carrier_final(row) if _live_orders(row) else None
    if final is None:
        return progress, pct, stage_label, stage_color, ""
    source, key, at = final
    label = f"{text(key, locale)} · {text(source, locale)}"
    delivered = key == "carrier_delivered"
    return (f"{text(key, locale)} {fmt.short_date(at, locale)} ({text('said_by_' + source, locale)})",
            100 if delivered else pct, label, "grass" if delivered else "orange", source)


def parcel_card(row: ParcelRow, locale: str) -> ParcelCardView:
    p = row.parcel
    progress, pct, stage_label, stage_color, stage_source = _headline(row, locale)
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
        stage_source=stage_source,
        sort_key=f"{to_utc(p.last_activity_at):%Y%m%d%H%M%S%f}.{p.id:012d}",
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


def text_parts(value: str) -> list[TextPart]:
    """`Курьер: +7 701 555 66 77, звоните` -> parts, the phone number a tel: link."""
    parts, last = [], 0
    for m in _PHONE_IN_TEXT.finditer(value):
        phone = normalize_phone(m.group(0))
        if phone is None:
            continue
        if m.start() > last:
            parts.append(TextPart(value[last:m.start()]))
        parts.append(TextPart(m.group(0), f"tel:{phone}"))
        last = m.end()
    if last < len(value):
        parts.append(TextPart(value[last:]))
    return parts


def _order_rows(row: ParcelRow, locale: str) -> list[tuple[datetime, TimelineItem]]:
    """Warehouse statuses; the same status for several orders at about the same time is one row."""
    events = sorted(((e.at, e.status, o.order.title) for o in row.orders for e in o.history), key=lambda x: x[0])
    clusters: list[list[tuple[datetime, str, str]]] = []
    open_by_status: dict[str, list[tuple[datetime, str, str]]] = {}
    for at, status, title in events:
        cluster = open_by_status.get(status)
        if cluster is None or at - cluster[0][0] > SAME_TIME:
            cluster = []
            clusters.append(cluster)
            open_by_status[status] = cluster
        cluster.append((at, status, title))
    items = []
    for cluster in clusters:
        at, status = cluster[-1][0], cluster[0][1]
        label = status_info(status).label_in(locale)
        titles = [t for _, _, t in cluster]
        if len(cluster) > 1:
            title = fmt.keep_numbers_with_words(f"{fmt.count(len(cluster), 'order', locale)}: {label}")
            detail = ", ".join(f"«{t}»" for t in titles)
        else:
            title, detail = label, f"«{titles[0]}»"
        items.append((at, TimelineItem(at.isoformat(), fmt.date_time(at, locale, with_year=True), "order", title,
                                       detail, [TextPart(detail)])))
    return items


def _timeline(row: ParcelRow, ems_events: list, locale: str) -> list[TimelineItem]:
    """One chronological story: the orders' warehouse statuses, courier and EMS events."""
    items = _order_rows(row, locale)
    for e in row.courier_events:
        note = e.note or ""
        items.append((e.at, TimelineItem(e.at.isoformat(), fmt.date_time(e.at, locale, with_year=True), "courier",
                                         COURIER_EVENT_LABELS[CourierEventCode(e.code)][locale], note,
                                         text_parts(note))))
    for e in ems_events:
        items.append((e.at, TimelineItem(e.at.isoformat(), fmt.date_time(e.at, locale, with_year=True), "ems",
                                         e.text(locale), e.place, text_parts(e.place))))
    items.sort(key=lambda pair: pair[0], reverse=True)  # newest first
    return [item for _, item in items]


def _groups(orders: list[OrderView], locale: str) -> list[OrderGroup]:
    """Orders by status, furthest along first; a long group shows a few and folds the rest."""
    by_status: dict[str, list[OrderView]] = {}
    for o in orders:
        by_status.setdefault(o.status, []).append(o)
    ordered = sorted(by_status, key=lambda s: (journey_index(s) == -1, -journey_index(s)))
    groups = []
    for status in ordered:
        members = by_status[status]
        info = status_info(status)
        fold = len(members) > FOLD_AFTER
        shown, folded = (members[:FOLD_SHOWN], members[FOLD_SHOWN:]) if fold else (members, [])
        more = text("show_more_orders", locale).format(n=fmt.count(len(folded), "order", locale)) if folded else ""
        groups.append(OrderGroup(status, info.label_in(locale), info.color,
                                 fmt.keep_numbers_with_words(fmt.count(len(members), "order", locale)),
                                 shown, folded, fmt.keep_numbers_with_words(more)))
    return groups


def parcel_detail(row: ParcelRow, ems_events: list, settings_page_url: str, locale: str) -> ParcelDetailView:
    p = row.parcel
    orders = [order_view(o, locale) for o in row.orders]
    groups = _groups(orders, locale) if len(orders) >= GROUP_ORDERS_FROM else []
    latest = ems_events[-1] if ems_events else None
    phone = normalize_phone(p.recipient_phone or "")
    return ParcelDetailView(
        card=parcel_card(row, locale),
        recipient=p.recipient_name or "",
        recipient_phone=p.recipient_phone or "",
        recipient_phone_href=f"tel:{phone}" if phone else "",
        address=", ".join(x for x in (p.recipient_city, p.recipient_address) if x),
        weight=fmt.weight(p.weight_kg, locale),
        track_number=p.ems_track_number or "",
        kazpost_url=settings_page_url.format(barcode=p.ems_track_number) if p.ems_track_number else "",
        orders=orders,
        timeline=_timeline(row, ems_events, locale),
        grouped=bool(groups),
        status_summary=[StatusCount(g.label, g.color, n, fmt.keep_numbers_with_words(f"{n} · {g.label}"))
                        for g in groups for n in [len(g.shown) + len(g.folded)]],
        order_groups=groups,
        ems_title=latest.text(locale) if latest else "",
        ems_place=latest.place if latest else "",
        ems_when=fmt.date_time(latest.at, locale) if latest else "",
    )
