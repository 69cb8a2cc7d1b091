"""The demo's EMS stories agree with the orders and stay the same across simulator restarts."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from marketu_app.db.models import Order, OrderStatusEvent, Parcel
from marketu_app.demo.ems_stories import stories_from_database
from marketu_app.demo.seed import load_demo
from marketu_app.domain.ems import group_of, parse_events
from marketu_app.domain.timeutil import utcnow
from marketu_app.ems.simulator import KazpostSimulator


def _order_times(session: Session, number: str, status: str):
    parcel = session.exec(select(Parcel).where(Parcel.number == number)).one()
    return parcel.ems_track_number, session.exec(
        select(OrderStatusEvent.at).join(Order, Order.id == OrderStatusEvent.order_id)
        .where(Order.parcel_id == parcel.id, OrderStatusEvent.status == status)).all()


def test_demo_ems_histories_follow_the_parcels_own_dates(any_engine):
    now = utcnow()
    with Session(any_engine) as session:
        load_demo(session, now=now)
        session.commit()
        delivered_track, delivered_at = _order_times(session, "P-240107", "delivered")
        _, delivered_sent = _order_times(session, "P-240107", "sent_to_recipient")
        moving_track, sent_at = _order_times(session, "P-240101", "sent_to_recipient")
    # A simulator started now, and one "restarted" an hour later: the same stories.
    first = KazpostSimulator(step_seconds=60, stories=stories_from_database(any_engine), clock=lambda: now.timestamp())
    later = KazpostSimulator(step_seconds=60, stories=stories_from_database(any_engine),
                             clock=lambda: (now + timedelta(hours=1)).timestamp())

    done = parse_events(first.history(delivered_track)).events
    assert done, "a delivered demo parcel has an EMS history at once, with no 'not found' first"
    assert not first._not_found_now(delivered_track)
    assert group_of(done[-1].code) == "delivered"
    assert min(delivered_sent) <= done[0].at and done[-1].at <= min(delivered_at)
    assert done == parse_events(later.history(delivered_track)).events  # not restarted at "today"

    moving = parse_events(first.history(moving_track)).events
    assert moving and all(min(sent_at) <= e.at <= now for e in moving)
    assert group_of(moving[0].code) == "accepted" and group_of(moving[-1].code) != "delivered"
    moved_on = parse_events(later.history(moving_track)).events
    assert moved_on[: len(moving)] == moving  # only ever grows, from the same dates
