"""Read-back views of the operator API (GET parcel / order)."""

from __future__ import annotations

from sqlmodel import Session, select

from marketu_app.api.schemas import (
    CourierEventOut,
    DoorOut,
    EmsEventOut,
    EtaOut,
    OrderOut,
    ParcelOut,
    Recipient,
    StatusEventOut,
)
from marketu_app.db import eta_source, tracking
from marketu_app.db.models import CourierEvent, Customer, Order, OrderStatusEvent, Parcel
from marketu_app.domain.statuses import status_info


def _eta_out(eta) -> EtaOut | None:
    if eta is None:
        return None
    return EtaOut(expected=eta.expected.isoformat(), earliest=eta.earliest.isoformat(),
                  latest=eta.latest.isoformat(), late=eta.late,
                  arrived=eta.arrived.isoformat() if eta.arrived else None)


def _door_out(door) -> DoorOut | None:
    if door is None:
        return None
    iso = lambda d: d.isoformat() if d else None  # noqa: E731
    return DoorOut(method=door.method, destination=door.dest or None, expected=iso(door.expected),
                   earliest=iso(door.earliest), latest=iso(door.latest), late_days=door.late_days,
                   ready=iso(door.ready), delivered=iso(door.delivered))


def _order_out(order: Order, customer_external_id: str, parcel_number: str | None,
               history: list[OrderStatusEvent], eta) -> OrderOut:
    return OrderOut(
        order_number=order.number, customer_id=customer_external_id, parcel_number=parcel_number,
        title=order.title, marketplace=order.marketplace, quantity=order.quantity,
        price=({"amount": str(order.price_amount), "currency": order.price_currency}
               if order.price_amount is not None else None),
        image_url=order.image_url, product_url=order.product_url,
        status=order.status, status_label=status_info(order.status).label_in("ru"),
        status_at=order.status_at,
        history=[StatusEventOut(status=e.status, label=status_info(e.status).label_in("ru"), at=e.at,
                                note=e.note) for e in history],
        eta=_eta_out(eta),
    )


def _histories(session: Session, order_ids: list[int]) -> dict[int, list[OrderStatusEvent]]:
    result: dict[int, list[OrderStatusEvent]] = {i: [] for i in order_ids}
    if order_ids:
        rows = session.exec(select(OrderStatusEvent).where(OrderStatusEvent.order_id.in_(order_ids))
                            .order_by(OrderStatusEvent.at, OrderStatusEvent.id)).all()
        for e in rows:
            result[e.order_id].append(e)
    return result


def order_out(session: Session, order: Order) -> OrderOut:
    customer = session.get(Customer, order.customer_id)
    parcel = session.get(Parcel, order.parcel_id) if order.parcel_id else None
    history = _histories(session, [order.id])[order.id]
    eta = eta_source.order_eta(session, order, history)
    return _order_out(order, customer.external_id, parcel.number if parcel else None, history, eta)


def parcel_out(session: Session, parcel: Parcel) -> ParcelOut:
    customer = session.get(Customer, parcel.customer_id)
    orders = session.exec(select(Order).where(Order.parcel_id == parcel.id).order_by(Order.id)).all()
    histories = _histories(session, [o.id for o in orders])
    etas = {o.id: eta_source.order_eta(session, o, histories[o.id]) for o in orders}
    courier = session.exec(select(CourierEvent).where(CourierEvent.parcel_id == parcel.id)
                           .order_by(CourierEvent.at, CourierEvent.id)).all()
    ems = tracking.ems_timeline(session, parcel)
    recipient = None
    if any((parcel.recipient_name, parcel.recipient_phone, parcel.recipient_city, parcel.recipient_address)):
        recipient = Recipient(name=parcel.recipient_name, phone=parcel.recipient_phone,
                              city=parcel.recipient_city, address=parcel.recipient_address)
    return ParcelOut(
        parcel_number=parcel.number, customer_id=customer.external_id,
        delivery_method=parcel.delivery_method, recipient=recipient, weight_kg=parcel.weight_kg,
        ems_track_number=parcel.ems_track_number, created_at=parcel.created_at,
        updated_at=parcel.updated_at,
        orders=[_order_out(o, customer.external_id, parcel.number, histories[o.id], etas[o.id])
                for o in orders],
        eta=_eta_out(eta_source.parcel_eta(list(etas.values()))),
        courier_events=[CourierEventOut(code=c.code, at=c.at, note=c.note) for c in courier],
        ems_events=[EmsEventOut(code=e.code, group=e.group, text=e.text_ru, at=e.at, place=e.place)
                    for e in ems.events],
        ems_last_checked_at=ems.last_checked_at, ems_last_error=ems.last_error,
        door=_door_out(eta_source.door_eta(parcel, [(o, histories[o.id]) for o in orders], courier, ems.events)),
    )
