"""Many order events in a few statements (the operator API's batch, e.g. a container arriving).

`record_order_events` gives every item the outcome `writes.add_order_event` would give it, one after
the other, and leaves the same rows behind: the event (unless the identical one exists), the order's
current status (the latest event by time, then by id), the parcel's last activity and one change
in the stream per recorded event, in the items' order. It reads the orders, their events and their
parcels in three queries and writes with one statement per table, instead of ten statements per
event. A write the database refuses (a concurrent identical event) raises, and the caller then
takes the one-by-one path.
"""

from __future__ import annotations

from sqlmodel import Session, select

from marketu_app.db.inputs import OrderEventItem
from marketu_app.db.models import Order, OrderStatusEvent, Parcel
from marketu_app.stream import NewChange, record_changes


def record_order_events(session: Session, items: list[OrderEventItem], check_time, outcome_of) -> list:
    """`check_time(field, at)` validates a time (raises writes.InputProblem); `outcome_of(result,
    field=None, message=None, current_status=None)` builds an outcome (writes.ItemOutcome)."""
    from marketu_app.db.writes import ALREADY_THERE, RECORDED, REJECTED, InputProblem

    numbers = {item.order_number for item in items}
    orders = {o.number: o for o in session.exec(select(Order).where(Order.number.in_(numbers)))}
    ids = [o.id for o in orders.values()]
    # Every event of these orders: which exist, and which is the latest of each.
    existing: set[tuple[int, str, object]] = set()
    latest: dict[int, tuple] = {}  # order id -> (at, (0, id)) of its latest event; new events rank (1, n)
    for order_id, status, at, event_id in session.exec(
            select(OrderStatusEvent.order_id, OrderStatusEvent.status, OrderStatusEvent.at, OrderStatusEvent.id)
            .where(OrderStatusEvent.order_id.in_(ids))) if ids else ():
        existing.add((order_id, status, at))
        latest[order_id] = max(latest.get(order_id, (at, (0, event_id))), (at, (0, event_id)))
    outcomes, new_events, changes, touched = [], [], [], {}
    for n, item in enumerate(items):
        order = orders.get(item.order_number)
        if order is None:
            outcomes.append(outcome_of(REJECTED, "order_number", "not found"))
            continue
        try:
            at = check_time("at", item.at)
        except InputProblem as problem:
            outcomes.append(outcome_of(REJECTED, problem.field, problem.message))
            continue
        key = (order.id, item.status.value, at)
        if key in existing:
            outcomes.append(outcome_of(ALREADY_THERE, current_status=order.status))
            continue
        existing.add(key)
        new_events.append(OrderStatusEvent(order_id=order.id, status=item.status.value, at=at, note=item.note))
        # Its id will be above every existing one: it is the latest unless an event is later in time.
        if order.id not in latest or (at, (1, n)) > latest[order.id]:
            latest[order.id] = (at, (1, n))
            order.status, order.status_at = item.status.value, at
        if order.parcel_id and (order.parcel_id not in touched or at > touched[order.parcel_id]):
            touched[order.parcel_id] = at
        changes.append(NewChange(order.customer_id, "order_status", order.parcel_id, dict(
            order_number=order.number, title=order.title, status=order.status, event_status=item.status.value)))
        outcomes.append(outcome_of(RECORDED, current_status=order.status))
    if new_events:
        session.add_all(new_events)  # the orders changed above are in the session already
        if touched:
            for parcel in session.exec(select(Parcel).where(Parcel.id.in_(list(touched)))):
                if touched[parcel.id] > parcel.last_activity_at:
                    parcel.last_activity_at = touched[parcel.id]
                    session.add(parcel)
        session.flush()
        record_changes(session, changes)
    return outcomes
