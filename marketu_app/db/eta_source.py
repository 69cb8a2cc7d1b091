"""ETA for orders and parcels: learned statistics cached in the process, refreshed in the background.

`refresh_stats` reads the recent history in one query and learns (marketu_app.domain.eta);
`stats_refresher` does it every REFRESH_MINUTES and just after Almaty midnight, as a Reflex
lifespan task: `app.register_lifespan_task(eta_source.stats_refresher)`. `order_eta`,
`etas_for_orders` and `parcel_eta` never query the database: they use the cache, or the
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

from marketu_app.db.models import Order, OrderStatusEvent
from marketu_app.domain import eta as domain
from marketu_app.domain.eta import Eta, EtaStats, Journey
from marketu_app.domain.timeutil import next_almaty_midnight, utcnow

log = logging.getLogger("marketu.eta")

REFRESH_MINUTES = 30
WINDOW_DAYS = domain.DEFAULT_WINDOW_DAYS
# Orders whose stages started in the window may have begun up to this much earlier.
LOOKBACK_DAYS = 60
AFTER_MIDNIGHT = timedelta(minutes=1)

_lock = threading.Lock()
_stats: EtaStats | None = None
_lazy_started = False
lazy_refresh = True  # tests switch it off to keep an empty cache empty


def current_stats() -> EtaStats:
    """The cached statistics, or the defaults while nothing has been learned."""
    return _stats if _stats is not None else _defaults()


_DEFAULTS: EtaStats | None = None


def _defaults() -> EtaStats:
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = domain.default_stats()
    return _DEFAULTS


def clear_cache() -> None:
    global _stats, _lazy_started
    with _lock:
        _stats, _lazy_started = None, False


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


def refresh_stats(engine: Engine | None = None, now: datetime | None = None) -> EtaStats:
    """Learn from the recent history and put the result in the cache."""
    global _stats
    if engine is None:
        from marketu_app.db.engine import get_engine

        engine = get_engine()
    now = now or utcnow()
    stats = domain.learn_stats(load_journeys(engine, now), now, WINDOW_DAYS)
    with _lock:
        _stats = stats
    log.info("ETA statistics refreshed: %s", stats.summary())
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


__all__ = ["Eta", "order_eta", "parcel_eta", "etas_for_orders", "refresh_stats", "stats_refresher",
           "current_stats", "clear_cache", "load_journeys", "REFRESH_MINUTES"]
