"""The one write path: the operator API and the demo data both go through here.

Every function takes an open session, changes it, and leaves the commit to the caller,
so that a request is one transaction. Each records what the customer should hear of with
`marketu_app.stream.record_change` (the change stream read by live pushes and notifications).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import inspect, text
from sqlalchemy.exc import DataError, IntegrityError
from sqlmodel import Session, select

from marketu_app.auth.passwords import hash_password, verify_password
from marketu_app.db.inputs import (
    CourierEventIn,
    CourierEventItem,
    CustomerIn,
    OrderEventIn,
    OrderEventItem,
    OrderIn,
    ParcelIn,
)
from marketu_app.db.models import (
    CourierEvent,
    Customer,
    EmsTrack,
    Order,
    OrderStatusEvent,
    Parcel,
)
from marketu_app.domain.statuses import DeliveryMethod, OrderStatus
from marketu_app.domain.timeutil import to_utc, utcnow
from marketu_app.stream import record_change

FUTURE_TOLERANCE = timedelta(hours=24)


class InputProblem(Exception):
    """Input that passed the schema but not the rules of the data (answered with 422 or 409)."""

    def __init__(self, field: str, message: str, status_code: int = 422):
        super().__init__(message)
        self.field = field
        self.message = message
        self.status_code = status_code


class NotFound(Exception):
    pass


@dataclass
class Written:
    created: bool  # False: an update, or an identical request already applied


def _changed(obj) -> bool:
    """Whether an update changed anything (so that repeating a request changes nothing)."""
    state = inspect(obj)
    return state.transient or state.pending or any(
        attr.history.has_changes() for attr in state.attrs if attr.key != "updated_at")


def customer_by_external_id(session: Session, external_id: str) -> Customer | None:
    return session.exec(select(Customer).where(Customer.external_id == external_id)).first()


def _require_customer(session: Session, external_id: str) -> Customer:
    customer = customer_by_external_id(session, external_id)
    if customer is None:
        raise InputProblem("customer_id", "no customer with this id")
    return customer


def upsert_customer(session: Session, external_id: str, data: CustomerIn) -> tuple[Customer, Written]:
    given = data.model_fields_set
    customer = customer_by_external_id(session, external_id)
    created = customer is None
    if created:
        if not data.password:
            raise InputProblem("password", "required when the customer is created")
        if not data.phone and not data.email:
            raise InputProblem("phone", "a phone or an email is required to sign in")
        customer = Customer(external_id=external_id, name=data.name, password_hash="")
    for field in ("phone", "email"):
        value = getattr(data, field)
        if value:
            other = session.exec(select(Customer).where(getattr(Customer, field) == value)).first()
            if other is not None and other.external_id != external_id:
                raise InputProblem(field, f"this {field} belongs to another customer", 409)
    customer.name = data.name
    for field in ("phone", "email", "locale"):
        if created or field in given:
            setattr(customer, field, getattr(data, field))
    if not customer.phone and not customer.email:
        raise InputProblem("phone", "a phone or an email is required to sign in")
    if data.password and not (customer.password_hash and verify_password(data.password, customer.password_hash)):
        customer.password_hash = hash_password(data.password)
    if _changed(customer):
        customer.updated_at = utcnow()
    session.add(customer)
    session.flush()
    return customer, Written(created=created)


def parcel_by_number(session: Session, number: str) -> Parcel | None:
    return session.exec(select(Parcel).where(Parcel.number == number)).first()


def upsert_parcel(session: Session, number: str, data: ParcelIn) -> tuple[Parcel, Written]:
    given = data.model_fields_set
    customer = _require_customer(session, data.customer_id)
    parcel = parcel_by_number(session, number)
    created = parcel is None
    if not created and parcel.customer_id != customer.id:
        raise InputProblem("customer_id", "this parcel belongs to another customer")
    method = DeliveryMethod(data.delivery_method)
    track = data.ems_track_number if (created or "ems_track_number" in given) else parcel.ems_track_number
    if track and method is not DeliveryMethod.KAZAKHSTAN:
        raise InputProblem("ems_track_number", "a track number is accepted only for delivery_method kazakhstan")
    if track and track != (None if created else parcel.ems_track_number):
        _require_free_track(session, track, None if created else parcel.id)
    if method is not DeliveryMethod.PICKUP and data.recipient is None and (created or "recipient" in given):
        raise InputProblem("recipient", f"required for delivery_method {method.value}")
    now = utcnow()
    if created:
        at = to_utc(data.created_at) if data.created_at else now
        parcel = Parcel(number=number, customer_id=customer.id, delivery_method=method.value,
                        created_at=at, last_activity_at=at)
    old_track = parcel.ems_track_number
    parcel.delivery_method = method.value
    if created or "recipient" in given:
        r = data.recipient
        parcel.recipient_name = r.name if r else None
        parcel.recipient_phone = r.phone if r else None
        parcel.recipient_city = r.city if r else None
        parcel.recipient_address = r.address if r else None
    if created or "weight_kg" in given:
        parcel.weight_kg = data.weight_kg
    if not created and "created_at" in given and data.created_at:
        parcel.created_at = to_utc(data.created_at)
    parcel.ems_track_number = track
    changed = _changed(parcel)
    if changed:
        parcel.updated_at = now
    session.add(parcel)
    session.flush()
    if track and track != old_track:
        _ensure_track(session, track)
    if changed:
        record_change(session, customer.id, "parcel", parcel.id, parcel_number=number)
    return parcel, Written(created=created)


def _require_free_track(session: Session, track: str, parcel_id: int | None) -> None:
    """One EMS track number belongs to one parcel: the timeline is looked up by the number, so a second
    parcel (another customer's, say) would show the first one's Kazpost events."""
    if session.get_bind().dialect.name == "postgresql":  # two requests giving the same number wait in turn
        key = int.from_bytes(hashlib.sha256(b"marketu-track:" + track.encode()).digest()[:8], "big", signed=True)
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=key))
    other = session.exec(select(Parcel.id).where(Parcel.ems_track_number == track)).first()
    if other is not None and other != parcel_id:
        raise InputProblem("ems_track_number", "this track number belongs to another parcel", 409)


def _ensure_track(session: Session, track: str) -> None:
    """A new or changed track number is polled soon (the poller's bookkeeping)."""
    row = session.get(EmsTrack, track)
    if row is None:
        session.add(EmsTrack(track_number=track, next_poll_at=utcnow()))
    else:
        row.active, row.next_poll_at, row.unchanged_polls = True, utcnow(), 0
        session.add(row)


def order_by_number(session: Session, number: str) -> Order | None:
    return session.exec(select(Order).where(Order.number == number)).first()


def _check_time(field: str, at: datetime) -> datetime:
    at = to_utc(at)
    if at > utcnow() + FUTURE_TOLERANCE:
        raise InputProblem(field, "more than 24 hours in the future")
    return at


def upsert_order(session: Session, number: str, data: OrderIn) -> tuple[Order, Written]:
    given = data.model_fields_set
    customer = _require_customer(session, data.customer_id)
    order = order_by_number(session, number)
    created = order is None
    if not created and order.customer_id != customer.id:
        raise InputProblem("customer_id", "this order belongs to another customer")
    if (data.status is None) != (data.status_at is None):
        missing = "status_at" if data.status_at is None else "status"
        raise InputProblem(missing, "status and status_at are given together")
    if created and data.status is None:
        raise InputProblem("status", "required when the order is created")
    status_at = _check_time("status_at", data.status_at) if data.status_at else None
    parcel = None
    if data.parcel_number:
        parcel = parcel_by_number(session, data.parcel_number)
        # Another customer's parcel reads exactly like a missing one.
        if parcel is None or parcel.customer_id != customer.id:
            raise InputProblem("parcel_number", "no parcel with this number for this customer")
    now = utcnow()
    if created:
        order = Order(number=number, customer_id=customer.id, title=data.title,
                      marketplace=data.marketplace, status=data.status.value, status_at=status_at,
                      created_at=status_at or now)
    order.title = data.title
    order.marketplace = data.marketplace
    if created or "quantity" in given:
        order.quantity = data.quantity
    if created or "price" in given:
        order.price_amount = data.price.amount if data.price else None
        order.price_currency = data.price.currency if data.price else None
    for field in ("image_url", "product_url"):
        if created or field in given:
            setattr(order, field, getattr(data, field))
    old_parcel_id = order.parcel_id
    if created or "parcel_number" in given:
        order.parcel_id = parcel.id if parcel else None
    changed = _changed(order)
    if changed:
        order.updated_at = now
    session.add(order)
    session.flush()
    if data.status is not None:
        changed = _record_status(session, order, data.status, status_at, None) or changed
    if order.parcel_id and order.parcel_id != old_parcel_id:
        _touch_parcel(session, order.parcel_id, order.status_at)
    if changed:
        record_change(session, customer.id, "order", order.parcel_id, order_number=number, title=order.title,
         status=order.status)
    return order, Written(created=created)


def _touch_parcel(session: Session, parcel_id: int, at: datetime) -> None:
    parcel = session.get(Parcel, parcel_id)
    if parcel is not None and at > parcel.last_activity_at:
        parcel.last_activity_at = at
        session.add(parcel)


def _record_status(session: Session, order: Order, status: OrderStatus, at: datetime,
                   note: str | None) -> bool:
    """Adds the event unless the identical one exists; the current status is the latest by time."""
    exists = session.exec(select(OrderStatusEvent.id).where(
        OrderStatusEvent.order_id == order.id, OrderStatusEvent.status == status.value,
        OrderStatusEvent.at == at)).first()
    if exists is not None:
        return False
    session.add(OrderStatusEvent(order_id=order.id, status=status.value, at=at, note=note))
    session.flush()
    latest = session.exec(select(OrderStatusEvent).where(OrderStatusEvent.order_id == order.id)
                          .order_by(OrderStatusEvent.at.desc(), OrderStatusEvent.id.desc())).first()
    order.status, order.status_at = latest.status, latest.at
    session.add(order)
    if order.parcel_id:
        _touch_parcel(session, order.parcel_id, at)
    return True


def add_order_event(session: Session, number: str, data: OrderEventIn) -> tuple[Order, Written]:
    order = order_by_number(session, number)
    if order is None:
        raise NotFound(number)
    at = _check_time("at", data.at)
    recorded = _record_status(session, order, data.status, at, data.note)
    if recorded:
        record_change(session, order.customer_id, "order_status", order.parcel_id, order_number=number,
             title=order.title, status=order.status, event_status=data.status.value)
    return order, Written(created=recorded)


def add_courier_event(session: Session, number: str, data: CourierEventIn) -> tuple[Parcel, Written]:
    parcel = parcel_by_number(session, number)
    if parcel is None:
        raise NotFound(number)
    if parcel.delivery_method != DeliveryMethod.ALMATY.value:
        raise InputProblem("code", "courier events are for parcels delivered in Almaty")
    at = _check_time("at", data.at)
    exists = session.exec(select(CourierEvent.id).where(
        CourierEvent.parcel_id == parcel.id, CourierEvent.code == data.code.value,
        CourierEvent.at == at)).first()
    if exists is not None:
        return parcel, Written(created=False)
    session.add(CourierEvent(parcel_id=parcel.id, code=data.code.value, at=at, note=data.note))
    _touch_parcel(session, parcel.id, at)
    record_change(session, parcel.customer_id, "courier", parcel.id, parcel_number=number, code=data.code.value)
    return parcel, Written(created=True)


RECORDED, ALREADY_THERE, REJECTED = "recorded", "already_there", "rejected"


@dataclass
class ItemOutcome:
    """What became of one item of a batch."""

    result: str  # RECORDED, ALREADY_THERE or REJECTED
    field: str | None = None  # when rejected: the field at fault (None: the item as a whole)
    message: str | None = None  # when rejected: why
    current_status: str | None = None  # order events: the order's status afterwards


def record_event_items(session: Session, items: list[OrderEventItem | CourierEventItem]) -> list[ItemOutcome]:
    """Each item written exactly as its single endpoint writes it, in order, each in a savepoint:
    a rejected item leaves nothing behind and does not undo the others.

    A batch of order events only (a container arriving) takes the set-wise path with the same
    outcomes and rows (db/event_batch.py); if the database refuses it (a concurrent identical
    write), the items go one by one as below."""
    _write_lock_first(session)
    if items and all(isinstance(item, OrderEventItem) for item in items):
        from marketu_app.db.event_batch import record_order_events

        try:
            with session.begin_nested():
                return record_order_events(session, items, _check_time, ItemOutcome)
        except (IntegrityError, DataError):
            pass
    outcomes, seen, status_now = [], {}, {}
    for item in items:
        order_event = isinstance(item, OrderEventItem)
        number = item.order_number if order_event else item.parcel_number
        key = (order_event, number, item.status if order_event else item.code, to_utc(item.at))
        if key in seen:  # the same event again in this batch: the answer its single endpoint would give now
            earlier = seen[key]
            outcome = earlier if earlier.result == REJECTED else \
                ItemOutcome(ALREADY_THERE, current_status=status_now.get(number) if order_event else None)
        else:
            outcome = seen[key] = _record_item(session, item)
        if order_event and outcome.current_status:
            status_now[number] = outcome.current_status
        outcomes.append(outcome)
    return outcomes


def _write_lock_first(session: Session) -> None:
    """SQLite: a savepoint opens a transaction that reads before it writes, and when another connection
    commits in between, SQLite refuses the write at once ("database is locked", no busy wait). Taking the
    write lock first (BEGIN IMMEDIATE) waits for it instead. PostgreSQL needs nothing of the kind."""
    if session.get_bind().dialect.name != "sqlite":
        return
    dbapi = session.connection().connection.dbapi_connection
    if not dbapi.in_transaction:
        dbapi.execute("BEGIN IMMEDIATE")


def _record_item(session: Session, item: OrderEventItem | CourierEventItem) -> ItemOutcome:
    order_event = isinstance(item, OrderEventItem)
    try:
        with session.begin_nested():
            if order_event:
                order, written = add_order_event(session, item.order_number, item)
            else:
                _, written = add_courier_event(session, item.parcel_number, item)
    except InputProblem as problem:
        return ItemOutcome(REJECTED, problem.field, problem.message)
    except NotFound:
        return ItemOutcome(REJECTED, "order_number" if order_event else "parcel_number", "not found")
    except (IntegrityError, DataError):  # a concurrent identical write, or a value the database refuses
        return ItemOutcome(REJECTED, None, "could not be stored; send it again")
    return ItemOutcome(RECORDED if written.created else ALREADY_THERE,
                       current_status=order.status if order_event else None)


__all__ = [
    "InputProblem", "NotFound", "Written", "upsert_customer", "upsert_parcel", "upsert_order",
    "add_order_event", "add_courier_event", "customer_by_external_id", "parcel_by_number",
    "order_by_number", "ItemOutcome", "record_event_items", "RECORDED", "ALREADY_THERE", "REJECTED",
]
