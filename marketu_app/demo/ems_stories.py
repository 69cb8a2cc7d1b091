"""The demo's EMS stories: each demo EMS parcel's Kazpost history follows the parcel's own dates.

The simulator (`--demo-stories`) asks here for a track's `Story`: when the parcel's orders were
sent to the recipient and, if all of them are, when they were marked delivered. The history is then
anchored on those dates, so a delivered parcel says "Вручено" days ago, after every restart too.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from marketu_app.db.models import Order, OrderStatusEvent, Parcel
from marketu_app.domain.statuses import DeliveryMethod, OrderStatus
from marketu_app.ems.simulator import Story


def parcel_story(session: Session, track: str) -> Story | None:
    """The Story of the parcel that shows `track`, or None (no such parcel, or nothing sent yet)."""
    parcel = session.exec(select(Parcel).where(Parcel.ems_track_number == track,
                                               Parcel.delivery_method == DeliveryMethod.KAZAKHSTAN.value)).first()
    if parcel is None:
        return None
    orders = session.exec(select(Order.id, Order.status).where(Order.parcel_id == parcel.id)).all()
    live = [oid for oid, status in orders if status != OrderStatus.CANCELLED.value]
    if not live:
        return None
    events = session.exec(select(OrderStatusEvent.status, OrderStatusEvent.at)
                          .where(OrderStatusEvent.order_id.in_(live),
                                 OrderStatusEvent.status.in_([OrderStatus.SENT_TO_RECIPIENT.value,
                                                              OrderStatus.DELIVERED.value]))).all()
    sent = [at for status, at in events if status == OrderStatus.SENT_TO_RECIPIENT.value]
    if not sent:
        return None
    all_delivered = all(status == OrderStatus.DELIVERED.value for oid, status in orders if oid in live)
    delivered = [at for status, at in events if status == OrderStatus.DELIVERED.value]
    return Story(sent_at=min(sent), delivered_at=max(delivered) if all_delivered and delivered else None)


def stories_from_database(engine: Engine | None = None) -> Callable[[str], Story | None]:
    """A story source on the app's database (read on every request: the operator may change it)."""

    def story(track: str) -> Story | None:
        from marketu_app.db.engine import get_engine

        with Session(engine or get_engine()) as session:
            return parcel_story(session, track)

    return story
