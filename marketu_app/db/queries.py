"""Read path for the customer's pages. Every query is scoped to one customer.

Returns plain rows (dataclasses); `marketu_app.views` turns them into what the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, or_
from sqlmodel import Session, select

from marketu_app.db import eta_source, tracking
from marketu_app.db.models import CourierEvent, EmsTrack, Order, OrderStatusEvent, Parcel
from marketu_app.domain.statuses import CourierEventCode, DeliveryMethod, OrderStatus

PAGE_SIZE = 12
FILTERS = ("active", "delivered", "cancelled", "all")


@dataclass
class OrderRow:
    order: Order
    history: list[OrderStatusEvent]
    eta: object | None  # eta_source.Eta


@dataclass
class ParcelRow:
    parcel: Parcel
    orders: list[OrderRow] = field(default_factory=list)
    order_count: int = 0
    latest_courier: CourierEvent | None = None
    courier_events: list[CourierEvent] = field(default_factory=list)  # oldest first
    latest_ems: object | None = None  # tracking.TimelineEvent
    eta: object | None = None
    door: object | None = None  # eta_source.DoorEta: delivery to the recipient


@dataclass
class ParcelPage:
    rows: list[ParcelRow]
    total: int  # parcels matching the filter and search
    account_total: int  # all of the customer's parcels


def _aggregates(customer_id: int):
    """Per parcel: how many orders, how many delivered, how many cancelled."""
    return (
        select(
            Order.parcel_id.label("parcel_id"),
            func.count(Order.id).label("n"),
            func.sum(case((Order.status == OrderStatus.DELIVERED.value, 1), else_=0)).label("delivered"),
            func.sum(case((Order.status == OrderStatus.CANCELLED.value, 1), else_=0)).label("cancelled"),
        )
        .where(Order.customer_id == customer_id, Order.parcel_id.is_not(None))
        .group_by(Order.parcel_id)
        .subquery()
    )


def _carrier_said(ems_groups: tuple[str, ...], courier_codes: tuple[str, ...]):
    """EMS (the track's final status) or the courier's latest event says one of these: the parcel follows it."""
    ems = exists().where(EmsTrack.track_number == Parcel.ems_track_number,
                         Parcel.delivery_method == DeliveryMethod.KAZAKHSTAN.value,
                         EmsTrack.final_status.in_(ems_groups))
    latest_courier = (select(CourierEvent.code).where(CourierEvent.parcel_id == Parcel.id)
                      .order_by(CourierEvent.at.desc(), CourierEvent.id.desc()).limit(1)
                      .correlate(Parcel).scalar_subquery())
    return or_(ems, func.coalesce(latest_courier, "").in_(courier_codes))  # no courier event: not NULL


def _matching_parcel_ids(session: Session, customer_id: int, search: str) -> set[int]:
    """Parcel, order or track number, or product title; case-insensitive in any script.

    Done in Python over the customer's own rows: SQLite's lower() knows only ASCII.
    """
    needle = search.casefold().strip()
    ids: set[int] = set()
    for pid, number, track in session.exec(
        select(Parcel.id, Parcel.number, Parcel.ems_track_number).where(Parcel.customer_id == customer_id)
    ):
        if needle in number.casefold() or (track and needle in track.casefold()):
            ids.add(pid)
    for pid, number, title in session.exec(
        select(Order.parcel_id, Order.number, Order.title)
        .where(Order.customer_id == customer_id, Order.parcel_id.is_not(None))
    ):
        if needle in number.casefold() or needle in title.casefold():
            ids.add(pid)
    return ids


def parcel_page(session: Session, customer_id: int, filter_: str = "all", search: str = "",
                offset: int = 0, limit: int = PAGE_SIZE, now: datetime | None = None) -> ParcelPage:
    agg = _aggregates(customer_id)
    n = func.coalesce(agg.c.n, 0)
    delivered = func.coalesce(agg.c.delivered, 0)
    cancelled = func.coalesce(agg.c.cancelled, 0)
    query = (
        select(Parcel, n)
        .join(agg, agg.c.parcel_id == Parcel.id, isouter=True)
        .where(Parcel.customer_id == customer_id)
    )
    live = n - cancelled > 0
    if filter_ == "active":
        carrier_finished = and_(live, _carrier_said(("delivered", "returned"), (
            CourierEventCode.DELIVERED.value, CourierEventCode.RETURNED_TO_OFFICE.value)))
        query = query.where((n == 0) | (n - delivered - cancelled > 0), ~carrier_finished)
    elif filter_ == "delivered":
        carrier_delivered = and_(live, _carrier_said(("delivered",), (CourierEventCode.DELIVERED.value,)))
        query = query.where(or_(and_(delivered > 0, delivered + cancelled == n), carrier_delivered))
    elif filter_ == "cancelled":
        query = query.where(n > 0, cancelled == n)
    if search.strip():
        ids = _matching_parcel_ids(session, customer_id, search)
        query = query.where(Parcel.id.in_(ids or {-1}))
    account_total = session.exec(select(func.count(Parcel.id)).where(Parcel.customer_id == customer_id)).one()
    unfiltered = filter_ not in ("active", "delivered", "cancelled") and not search.strip()
    total = account_total if unfiltered else session.exec(select(func.count()).select_from(query.subquery())).one()
    found = session.exec(
        query.order_by(Parcel.last_activity_at.desc(), Parcel.id.desc()).offset(offset).limit(limit)
    ).all()
    rows = [ParcelRow(parcel=p, order_count=count) for p, count in found]
    _fill(session, rows, now)
    return ParcelPage(rows=rows, total=total, account_total=account_total)


def parcel_rows(session: Session, parcel_ids: set[int], now: datetime | None = None) -> list[ParcelRow]:
    """These parcels as the parcels page shows them, whoever they belong to (a live push computes the
    changed cards of many customers at once; each tab takes only its own customer's)."""
    if not parcel_ids:
        return []
    rows = [ParcelRow(parcel=p) for p in session.exec(select(Parcel).where(Parcel.id.in_(parcel_ids)))]
    _fill(session, rows, now)
    for row in rows:
        row.order_count = len(row.orders)
    return rows


def owned_parcel(session: Session, customer_id: int, number: str) -> Parcel | None:
    """The customer's parcel by number; another customer's reads as missing."""
    return session.exec(select(Parcel).where(Parcel.number == number, Parcel.customer_id == customer_id)).first()


def parcel_for_customer(session: Session, customer_id: int, number: str,
                        now: datetime | None = None) -> ParcelRow | None:
    """The parcel with its orders, or None when missing OR another customer's (same answer)."""
    parcel = owned_parcel(session, customer_id, number)
    if parcel is None:
        return None
    row = ParcelRow(parcel=parcel)
    _fill(session, [row], now)
    row.order_count = len(row.orders)
    return row


def _fill(session: Session, rows: list[ParcelRow], now: datetime | None) -> None:
    """Orders, histories, ETAs and the latest tracking event of the given parcels, in a few queries."""
    if not rows:
        return
    by_id = {r.parcel.id: r for r in rows}
    orders = session.exec(select(Order).where(Order.parcel_id.in_(by_id)).order_by(Order.id)).all()
    histories: dict[int, list[OrderStatusEvent]] = {o.id: [] for o in orders}
    if orders:
        for event in session.exec(
            select(OrderStatusEvent).where(OrderStatusEvent.order_id.in_(histories))
            .order_by(OrderStatusEvent.at, OrderStatusEvent.id)
        ):
            histories[event.order_id].append(event)
    for order in orders:
        eta = eta_source.order_eta(session, order, histories[order.id], now)
        by_id[order.parcel_id].orders.append(OrderRow(order=order, history=histories[order.id], eta=eta))
    for row in rows:
        row.eta = eta_source.parcel_eta([o.eta for o in row.orders])
    courier = session.exec(
        select(CourierEvent).where(CourierEvent.parcel_id.in_(by_id))
        .order_by(CourierEvent.at.desc(), CourierEvent.id.desc())
    ).all()
    for event in reversed(courier):
        by_id[event.parcel_id].courier_events.append(event)
        by_id[event.parcel_id].latest_courier = event
    ems_parcels = [r.parcel for r in rows if r.parcel.ems_track_number]
    ems = tracking.ems_events_by_parcel(session, [p.id for p in ems_parcels]) if ems_parcels else {}
    for pid, events in ems.items():
        if events:
            by_id[pid].latest_ems = events[-1]
    for row in rows:
        row.door = eta_source.door_eta(row.parcel, [(o.order, o.history) for o in row.orders], row.courier_events,
                                       ems.get(row.parcel.id, ()), now)
