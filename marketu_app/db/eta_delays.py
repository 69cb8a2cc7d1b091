"""Delays as changes: a parcel that outlives its Almaty ETA range is recorded once, as a "delay".

The ETA (domain/eta.py) says a parcel is late when today is past the end (P90 day) of the range it
was promised at the start of its orders' current stage (`Eta.promised`). `check_delays` finds the
parcels on their way to Almaty that are late and records a `delay` change for each through the one
write path (`stream.record_change`), so the notification engine tells the customer ("задерживается")
with their language, choices and quiet hours, and open pages recompute. `parcel_delay` remembers the
range reported: the same range is never reported again, a later one (a new stage, a new promise)
once it is outlived too, and never twice in one Almaty day (domain.notify.delay_is_news).

`delay_watcher` is a lifespan task in every worker; the holder of the `eta-delays` lease checks
every CHECK_SECONDS and just after Almaty midnight (when ranges end). Idle, that is one lease
update per worker per check and one query finding no order on its way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from marketu_app.db import eta_source
from marketu_app.db.models import Order, OrderStatusEvent, Parcel, ParcelDelay
from marketu_app.domain.eta import STAGES
from marketu_app.domain.notify import delay_is_news
from marketu_app.domain.timeutil import almaty_date, next_almaty_midnight, utcnow
from marketu_app.stream import record_change

log = logging.getLogger("marketu.eta")

CHECK_SECONDS = 600.0
LEASE_NAME = "eta-delays"
AFTER_MIDNIGHT = timedelta(minutes=2)  # after the statistics' own refresh at midnight + 1 min
_ON_THE_WAY = [s.value for s in STAGES]  # a parcel can be late only while an order is in these


def late_parcels(session: Session, now: datetime) -> dict[int, object]:
    """{parcel id: its `Eta`} of the parcels on their way to Almaty that are late now (3 queries)."""
    on_the_way = select(Order.id).where(Order.status.in_(_ON_THE_WAY), Order.parcel_id.is_not(None))
    orders = list(session.exec(select(Order).where(Order.id.in_(on_the_way))))
    if not orders:
        return {}
    histories: dict[int, list[OrderStatusEvent]] = defaultdict(list)
    for event in session.exec(select(OrderStatusEvent).where(OrderStatusEvent.order_id.in_(on_the_way))
                              .order_by(OrderStatusEvent.order_id, OrderStatusEvent.at, OrderStatusEvent.id)):
        histories[event.order_id].append(event)
    etas = eta_source.etas_for_orders([(o, histories[o.id]) for o in orders], now)
    by_parcel: dict[int, list] = defaultdict(list)
    for order, eta in zip(orders, etas):
        by_parcel[order.parcel_id].append(eta)
    late = {}
    for parcel_id, parcel_etas in by_parcel.items():
        eta = eta_source.parcel_eta(parcel_etas)
        if eta is not None and eta.late and eta.promised is not None:
            late[parcel_id] = eta
    return late


def check_delays(engine: Engine, now: datetime | None = None) -> int:
    """Records a `delay` change for each parcel newly late; returns how many (one transaction)."""
    now = now or utcnow()
    today = almaty_date(now)
    if not eta_source.stats_learned():
        eta_source.refresh_stats(engine)  # never judge lateness by the defaults alone
    with Session(engine) as session:
        late = late_parcels(session, now)
        if not late:
            return 0
        reported = {d.parcel_id: d for d in session.exec(select(ParcelDelay).where(
            ParcelDelay.parcel_id.in_(list(late))))}
        parcels = {p.id: p for p in session.exec(select(Parcel).where(Parcel.id.in_(list(late))))}
        recorded = 0
        for parcel_id, eta in sorted(late.items()):
            last = reported.get(parcel_id)
            if not delay_is_news(eta.promised, last and last.promised, last and last.reported_on, today):
                continue
            if last is None:
                session.add(ParcelDelay(parcel_id=parcel_id, promised=eta.promised, reported_on=today, at=now))
            else:
                last.promised, last.reported_on, last.at = eta.promised, today, now
                session.add(last)
            parcel = parcels[parcel_id]
            record_change(session, parcel.customer_id, "delay", parcel_id, parcel_number=parcel.number,
                          until=eta.promised.isoformat(), expected=eta.expected.isoformat())
            recorded += 1
        try:
            session.commit()
        except IntegrityError:  # another checker recorded the same parcels first: theirs stand
            session.rollback()
            return 0
        if recorded:
            log.info("ETA: %d parcel(s) newly late recorded", recorded)
        return recorded


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:delays"


async def delay_watcher(stop_event: asyncio.Event | None = None, interval: float = CHECK_SECONDS,
                        engine: Engine | None = None, owner: str | None = None) -> None:
    """Lifespan task: the holder of the `eta-delays` lease runs `check_delays` every `interval`
    seconds and just after Almaty midnight; the other workers only try the lease."""
    from marketu_app.live import lease

    if engine is None:
        from marketu_app.db.engine import get_engine

        engine = get_engine()
    owner = owner or _owner()
    try:
        while not (stop_event and stop_event.is_set()):
            try:
                # Held past the next check: the holder keeps it while alive; a dead one's lapses.
                if await asyncio.to_thread(lease.hold, engine, LEASE_NAME, owner, 2 * interval + 60):
                    await asyncio.to_thread(check_delays, engine)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("ETA: delay check failed")
            now = utcnow()
            seconds = max(1.0, min(interval, (next_almaty_midnight(now) + AFTER_MIDNIGHT - now).total_seconds()))
            if stop_event is None:
                await asyncio.sleep(seconds)
                continue
            try:
                await asyncio.wait_for(stop_event.wait(), timeout=seconds)
            except TimeoutError:
                pass
    finally:
        try:
            await asyncio.to_thread(lease.release, engine, LEASE_NAME, owner)
        except Exception:  # the database is gone: the lease lapses by itself
            pass
