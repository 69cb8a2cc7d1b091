"""ETA statistics learned from a real database (SQLite and PostgreSQL); estimates without queries."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from marketu_app.db import eta_source, writes
from marketu_app.db.inputs import CustomerIn, OrderEventIn, OrderIn, ParcelIn
from marketu_app.db.models import Order, OrderStatusEvent
from marketu_app.domain.statuses import OrderStatus
from marketu_app.domain.timeutil import almaty_date, utcnow

pytestmark = pytest.mark.usefixtures("empty_eta_cache")

S = OrderStatus
JOURNEY = (S.PAID, S.PROCESSING, S.TO_CHINA_WAREHOUSE, S.AT_CHINA_WAREHOUSE, S.SHIPPED_FROM_CHINA,
           S.AT_ALMATY_WAREHOUSE)
DAYS = (0.5, 1.0, 3.0, 2.0, 9.0)  # known stage durations


def _order(session: Session, number: str, paid_at, stages: int, parcel: str, cancel_at=None) -> None:
    """An order paid at `paid_at` that went through `stages` stages, written as the operator API does."""
    writes.upsert_order(session, number, OrderIn(customer_id="c-eta", parcel_number=parcel, title=number,
                                                 marketplace="taobao", status=S.PAID, status_at=paid_at))
    at = paid_at
    for k in range(stages):
        at += timedelta(days=DAYS[k])
        writes.add_order_event(session, number, OrderEventIn(status=JOURNEY[k + 1], at=at))
    if cancel_at is not None:
        writes.add_order_event(session, number, OrderEventIn(status=S.CANCELLED, at=cancel_at))


@pytest.fixture
def filled(any_engine):
    now = utcnow()
    with Session(any_engine) as session:
        writes.upsert_customer(session, "c-eta", CustomerIn(name="ETA", phone="+77015550101",
                                                             password="eta-password-1"))
        writes.upsert_parcel(session, "P-ETA-1", ParcelIn(customer_id="c-eta", delivery_method="pickup"))
        for i in range(25):  # completed journeys of the last weeks
            _order(session, f"E-{i}", now - timedelta(days=20 + i), 5, "P-ETA-1")
        for i in range(3):  # cancelled while slow: not learned
            _order(session, f"X-{i}", now - timedelta(days=60 + i), 2, "P-ETA-1", cancel_at=now - timedelta(days=1))
        _order(session, "G-1", now - timedelta(days=7, hours=12), 4, "P-ETA-1")  # shipped 1 day ago
        _order(session, "G-2", now - timedelta(days=2), 1, "P-ETA-1")  # processing
        session.commit()
    return any_engine, now


def test_refresh_stats_learns_from_the_database(filled):
    engine, now = filled
    stats = eta_source.refresh_stats(engine, now=now)
    assert eta_source.current_stats() is stats
    pooled = stats.summary()["*"]
    for k, stage in enumerate(JOURNEY[:5]):
        source, n, median = pooled[stage.value]
        assert source == "*"  # 25 completed taobao orders: pooled (too few for their own)
        assert median == pytest.approx(DAYS[k], abs=1e-6)
    assert pooled["shipped_from_china"][1] == 25  # G-1 still in transit: censored, not completed
    assert pooled["paid"][1] == 27  # the 25, plus G-1 and G-2; the cancelled ones are left out


def test_learning_only_sees_the_past_of_now(filled):
    engine, now = filled
    stats = eta_source.refresh_stats(engine, now=now - timedelta(days=200))
    assert {src for src, _, _ in stats.summary()["*"].values()} == {"default"}


def test_order_eta_makes_no_queries(filled):
    engine, now = filled
    eta_source.refresh_stats(engine, now=now)
    with Session(engine, expire_on_commit=False) as session:
        orders = session.exec(select(Order).order_by(Order.number)).all()
        events = session.exec(select(OrderStatusEvent).order_by(OrderStatusEvent.at, OrderStatusEvent.id)).all()
        histories = {o.id: [e for e in events if e.order_id == o.id] for o in orders}
        for o in orders:  # load every attribute before counting
            _ = (o.status, o.status_at, o.marketplace, [(e.status, e.at) for e in histories[o.id]])
        statements = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            etas = {o.number: eta_source.order_eta(session, o, histories[o.id], now=now) for o in orders}
            many = eta_source.etas_for_orders([(o, histories[o.id]) for o in orders], now=now)
            parcel = eta_source.parcel_eta(list(etas.values()))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert statements == []
    assert many == list(etas.values())
    assert etas["X-0"] is None  # cancelled
    assert etas["E-0"].arrived == almaty_date(now - timedelta(days=20) + timedelta(days=sum(DAYS)))
    g1 = etas["G-1"]
    assert g1.arrived is None and not g1.late
    assert g1.expected == almaty_date(now + timedelta(days=8))  # 9 days in transit, 1 spent
    assert g1.earliest >= almaty_date(now)
    assert parcel.arrived is None and parcel.expected == max(etas["G-1"].expected, etas["G-2"].expected)


def test_the_refresher_fills_the_cache_and_ends_cleanly(filled):
    engine, _ = filled

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(eta_source.stats_refresher(stop, interval_minutes=10, engine=engine))
        for _ in range(200):
            if eta_source._stats is not None:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, timeout=5)  # returns when asked to stop
        eta_source.clear_cache()
        cancelled = asyncio.create_task(eta_source.stats_refresher(interval_minutes=10, engine=engine))
        for _ in range(200):
            if eta_source._stats is not None:
                break
            await asyncio.sleep(0.05)
        cancelled.cancel()  # as Reflex does at shutdown
        with pytest.raises(asyncio.CancelledError):
            await cancelled

    asyncio.run(scenario())
    assert eta_source._stats is not None
    assert eta_source._stats.summary()["*"]["shipped_from_china"][1] == 25
