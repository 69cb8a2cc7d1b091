"""ETA for orders and parcels (Almaty and the door): learned statistics cached, refreshed in the background.

`refresh_stats` reads the recent history in one query and learns (marketu_app.domain.eta);
`stats_refresher` does it every REFRESH_MINUTES and just after Almaty midnight, as a Reflex
lifespan task: `app.register_lifespan_task(eta_source.stats_refresher)`. `order_eta`,
`etas_for_orders`, `parcel_eta` and `door_eta` never query the database: they use the cache, or the
documented defaults while it is empty (and then start one refresh in a background thread).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timedelta
from typing import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketu_app.db import tracking
from marketu_app.db.models import CourierEvent, EmsEvent, Order, OrderStatusEvent, Parcel
from marketu_app.domain import door
from marketu_app.domain import eta as domain
from marketu_app.domain.door import DoorEta, DoorFacts, DoorStats
from marketu_app.domain.ems import RawEvent, customer_events, normalise
from marketu_app.domain.eta import Eta, EtaStats, Journey
from marketu_app.domain.statuses import JOURNEY, OrderStatus
from marketu_app.domain.timeutil import next_almaty_midnight, utcnow

log = logging.getLogger("marketu.eta")

REFRESH_MINUTES = 30
WINDOW_DAYS = domain.DEFAULT_WINDOW_DAYS
# Orders whose stages started in the window may have begun up to this much earlier.
LOOKBACK_DAYS = 60
AFTER_MIDNIGHT = timedelta(minutes=1)

_lock = threading.Lock()
_stats: EtaStats | None = None
_door_stats: DoorStats | None = None
_lazy_started = False
lazy_refresh = True  # tests switch it off to keep an empty cache empty


def stats_learned() -> bool:
    """Whether the cache holds statistics learned from the history (not just the defaults)."""
    return _stats is not None


def current_stats() -> EtaStats:
    """The cached statistics, or the defaults while nothing has been learned."""
    return _stats if _stats is not None else _defaults()


_DEFAULTS: EtaStats | None = None


def _defaults() -> EtaStats:
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = domain.default_stats()
    return _DEFAULTS


def current_door_stats() -> DoorStats:
    return _door_stats if _door_stats is not None else _door_defaults


_door_defaults = door.default_door_stats()


def clear_cache() -> None:
    global _stats, _door_stats, _lazy_started
    with _lock:
        _stats, _door_stats, _lazy_started = None, None, False


def load_journeys(engine: Engine, now: datetime, window_days: int = WINDOW_DAYS) -> list[Journey]:
    """Every event up to `now` of the orders with an event in the window (one query)."""
    since = now - timedelta(days=window_days + LOOKBACK_DAYS)
    recent = select(OrderStatusEvent.order_id).where(OrderStatusEvent.at >= since)
    query = (select(Order.id, Order.marketplace, OrderStatusEvent.status, OrderStatusEvent.at)
             .join(OrderStatusEvent, OrderStatusEvent.order_id == Order.id)
             .where(Order.id.in_(recent), OrderStatusEvent.at <= now)
             .order_by(Order.id, OrderStatusEvent.at, OrderStatusEvent.id))
    journeys: list[Journey] = []
    current_id, marketplace, events = None, "", []
    with engine.connect() as conn:
        for order_id, mp, status, at in conn.execute(query):
            if order_id != current_id:
                if current_id is not None:
                    journeys.append(Journey(marketplace, tuple(events)))
                current_id, marketplace, events = order_id, mp, []
            events.append((status, at))
    if current_id is not None:
        journeys.append(Journey(marketplace, tuple(events)))
    return journeys


_AFTER_ALMATY = [s.value for s in JOURNEY[JOURNEY.index(OrderStatus.AT_ALMATY_WAREHOUSE):]]


def load_door_facts(engine: Engine, now: datetime, window_days: int = door.WINDOW_DAYS) -> list[DoorFacts]:
    """The milestones after China of the parcels with an order in Almaty or later in the window (4 queries)."""
    since = now - timedelta(days=window_days + LOOKBACK_DAYS)
    recent = (select(Order.parcel_id).join(OrderStatusEvent, OrderStatusEvent.order_id == Order.id)
              .where(OrderStatusEvent.at >= since, OrderStatusEvent.status.in_(_AFTER_ALMATY),
                     Order.parcel_id.is_not(None)))
    with engine.connect() as conn:
        parcels = {pid: (method, city, track, {}, [], []) for pid, method, city, track in conn.execute(
            select(Parcel.id, Parcel.delivery_method, Parcel.recipient_city, Parcel.ems_track_number)
            .where(Parcel.id.in_(recent)))}
        if not parcels:
            return []
        for pid, oid, mp, status, at in conn.execute(
                select(Order.parcel_id, Order.id, Order.marketplace, OrderStatusEvent.status, OrderStatusEvent.at)
                .join(OrderStatusEvent, OrderStatusEvent.order_id == Order.id)
                .where(Order.parcel_id.in_(parcels), OrderStatusEvent.at <= now)
                .order_by(Order.id, OrderStatusEvent.at, OrderStatusEvent.id)):
            parcels[pid][3].setdefault(oid, (mp, []))[1].append((status, at))
        for pid, code, at in conn.execute(
                select(CourierEvent.parcel_id, CourierEvent.code, CourierEvent.at)
                .where(CourierEvent.parcel_id.in_(parcels), CourierEvent.at <= now)):
            parcels[pid][4].append((code, at))
        tracks = {p[2]: pid for pid, p in parcels.items() if p[2]}
        if tracks:
            for track, code, at, place in conn.execute(
                    select(EmsEvent.track_number, EmsEvent.code, EmsEvent.at, EmsEvent.place)
                    .where(EmsEvent.track_number.in_(tracks), EmsEvent.at <= now)
                    .order_by(EmsEvent.at, EmsEvent.id)):
                parcels[tracks[track]][5].append(RawEvent(code=code, at=at, place=place))
    with Session(engine) as session:  # Kazpost's own groups for codes we do not know, as the pages use them
        dictionary = tracking.status_dictionary(session) if tracks else {}
    return [door.parcel_facts(method, city, [Journey(mp, tuple(ev)) for mp, ev in orders.values()], courier,
                              [(e.group, e.at) for e in customer_events(normalise(raw, dictionary))], now)
            for method, city, _, orders, courier, raw in parcels.values()]


def refresh_stats(engine: Engine | None = None, now: datetime | None = None) -> EtaStats:
    """Learn from the recent history (Almaty and the door) and put the result in the cache."""
    global _stats, _door_stats
    if engine is None:
        from marketu_app.db.engine import get_engine

        engine = get_engine()
    now = now or utcnow()
    stats = domain.learn_stats(load_journeys(engine, now), now, WINDOW_DAYS)
    door_stats = door.learn_door_stats(load_door_facts(engine, now), now)
    with _lock:
        _stats, _door_stats = stats, door_stats
    log.info("ETA statistics refreshed: %s; door: %s", stats.summary(), door_stats.summary())
    return stats


def _refresh_lazily(session) -> None:
    global _lazy_started
    with _lock:
        if _lazy_started or not lazy_refresh or session is None:
            return
        _lazy_started = True
    engine = session.get_bind()

    def work() -> None:
        try:
            refresh_stats(engine)
        except Exception:  # the defaults keep serving; the refresher will try again
            log.exception("ETA statistics: lazy refresh failed")

    threading.Thread(target=work, name="eta-stats-refresh", daemon=True).start()


async def stats_refresher(stop_event: asyncio.Event | None = None, interval_minutes: float = REFRESH_MINUTES,
                          engine: Engine | None = None) -> None:
    """Refresh the statistics now, every `interval_minutes` and right after Almaty midnight.

    Ends when `stop_event` is set or the task is cancelled (Reflex cancels lifespan tasks).
    """
    while True:
        try:
            await asyncio.to_thread(refresh_stats, engine)
        except Exception:
            log.exception("ETA statistics: refresh failed")
        now = utcnow()
        wait = min(timedelta(minutes=interval_minutes), next_almaty_midnight(now) + AFTER_MIDNIGHT - now)
        seconds = max(1.0, wait.total_seconds())
        if stop_event is None:
            await asyncio.sleep(seconds)
            continue
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=seconds)
            return
        except asyncio.TimeoutError:
            continue


def journey_of(order: Order, history: Sequence[OrderStatusEvent]) -> Journey:
    events = tuple((e.status, e.at) for e in history) or ((order.status, order.status_at),)
    return Journey(order.marketplace, events, order.status)


def order_eta(session, order: Order, history: Sequence[OrderStatusEvent], now: datetime | None = None) -> Eta | None:
    """The ETA of one order (None: cancelled). No database query: `session` only serves a lazy refresh."""
    if _stats is None:
        _refresh_lazily(session)
    return domain.estimate(current_stats(), journey_of(order, history), now or utcnow())


def etas_for_orders(orders_with_histories: Iterable[tuple[Order, Sequence[OrderStatusEvent]]],
                    now: datetime | None = None) -> list[Eta | None]:
    """ETAs of many orders at once, in the given order, with one snapshot of the statistics."""
    stats, now = current_stats(), now or utcnow()
    return [domain.estimate(stats, journey_of(o, h), now) for o, h in orders_with_histories]


def parcel_eta(etas: Iterable[Eta | None]) -> Eta | None:
    """The latest of its orders' (cancelled ones are None); `arrived` only when all arrived."""
    return domain.parcel_eta(etas)


def door_eta(parcel: Parcel, orders_with_histories: Iterable[tuple[Order, Sequence[OrderStatusEvent]]],
             courier: Iterable[CourierEvent] = (), ems: Iterable = (), now: datetime | None = None) -> DoorEta | None:
    """The parcel's delivery to the door; `ems`: its normalised EMS events (anything with .group and .at)."""
    facts = door.parcel_facts(parcel.delivery_method, parcel.recipient_city,
                              [journey_of(o, h) for o, h in orders_with_histories],
                              [(c.code, c.at) for c in courier], [(e.group, e.at) for e in ems])
    return door.estimate_door(current_door_stats(), current_stats(), facts, now or utcnow())


__all__ = ["DoorEta", "door_eta", "load_door_facts", "current_door_stats",
           "Eta", "order_eta", "parcel_eta", "etas_for_orders", "refresh_stats", "stats_refresher",
           "current_stats", "clear_cache", "load_journeys", "REFRESH_MINUTES"]
