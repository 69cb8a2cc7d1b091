"""Pushes committed changes to the open tabs of the customers they touch.

Every write (operator API, EMS poller, sessions) records its changes with
`marketu_app.stream.record_change`, which wakes the consumers at commit (NOTIFY on PostgreSQL).
One watcher per deployment (a database lease picks it among the workers) is the change stream's
"live" consumer: it reads the changes after its cursor (kept in the database, so a new leader goes on
where the last one stopped), finds the customers' open tabs and updates their states with
`app.modify_state`; with Redis, Reflex relays that to whichever worker holds the tab's websocket.
Idle, the database cost is one small query per tick (a fallback in case a wake-up is missed),
however many tabs are open.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections import defaultdict
from datetime import timedelta

import reflex as rx
from sqlmodel import Session, select

from marketu_app.auth.sessions import live_session_owners
from marketu_app.db.engine import get_engine
from marketu_app.db.models import CustomerSession
from marketu_app.domain.timeutil import almaty_date, utcnow
from marketu_app.live import lease
from marketu_app.live.batch import PushBatch
from marketu_app.live.tabs import customers_with_tabs, forget_tabs, tabs_of
from marketu_app.settings import get_settings
from marketu_app.stream import Change, consume_async, forget_delivered, signal

log = logging.getLogger("marketu.live")

LEASE_NAME = "live-watcher"
CONSUMER = "live"  # its cursor in change_cursor
TICK_SECONDS = 1.0  # without a wake-up; also how often the session sweep and midnight are checked
PUSH_CONCURRENCY = 16  # tabs updated at once: their state loads and saves overlap
LEASE_SECONDS = 10.0
KEEP_CHANGES = timedelta(days=2)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _state_for(page: str):
    from marketu_app.state.parcel import ParcelState
    from marketu_app.state.parcels import ParcelsState

    return ParcelState if page.startswith("parcel:") else ParcelsState


async def push(app, tab, changes: list[Change], batch: PushBatch) -> bool:
    """Applies `changes` to one tab; False when the tab is gone."""
    manager = app.event_namespace._token_manager if app.event_namespace else None
    if manager is not None and not await manager.is_token_connected(tab.client_token):
        return False
    state_cls = _state_for(tab.page)
    async with app.modify_state(rx.BaseStateToken(ident=tab.client_token, cls=state_cls)) as root:
        state = await root.get_state(state_cls)
        await asyncio.to_thread(state._apply_live, [(c.kind, c.summary, c.parcel_id) for c in changes], batch)
    return True


async def deliver(app, changes: list[Change]) -> int:
    """Pushes a batch of changes to the tabs of their customers; returns the number of tabs updated."""
    by_customer: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_customer[change.customer_id].append(change)
    engine = get_engine()
    with Session(engine) as session:
        tabs = tabs_of(session, set(by_customer))
        batch = PushBatch(live_session_owners(session, {tab.customer_id for tab in tabs}))
    limit = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def one(tab) -> bool | None:
        async with limit:
            try:
                return await push(app, tab, by_customer[tab.customer_id], batch)
            except Exception:
                log.exception("live push to a tab failed")
                return None

    results = await asyncio.gather(*(one(tab) for tab in tabs))
    gone = [tab.client_token for tab, ok in zip(tabs, results) if ok is False]
    pushed = sum(1 for ok in results if ok)
    if gone:
        with Session(engine) as session:
            forget_tabs(session, gone)
            session.commit()
    return pushed


def _ended_sessions(session: Session, since, until) -> list[Change]:
    """Sessions that expired in (since, until]: their tabs must notice too."""
    rows = session.exec(select(CustomerSession.customer_id).where(
        CustomerSession.expires_at > since, CustomerSession.expires_at <= until)).all()
    return [Change(id=0, customer_id=cid, kind="sessions_revoked") for cid in set(rows)]


def _new_day(session: Session) -> list[Change]:
    """Almaty's midnight: every open page recomputes its dates (ETAs move, "today" changes)."""
    return [Change(id=0, customer_id=cid, kind="day_changed") for cid in customers_with_tabs(session)]


async def watch_changes(app, stop_event: asyncio.Event | None = None) -> None:
    """Lifespan task: the elected watcher delivers changes; the others stand by."""
    engine = get_engine()
    owner = _owner()
    leading = False
    sweep_every = timedelta(seconds=get_settings().session_sweep_seconds)
    last_sweep = utcnow()
    today = almaty_date(last_sweep)
    wake = asyncio.Event()
    signal.subscribe_local(wake)
    listener: asyncio.Task | None = None

    async def handle(changes: list[Change]) -> None:
        await deliver(app, changes)

    try:
        while not (stop_event and stop_event.is_set()):
            leading = await asyncio.to_thread(lease.hold, engine, LEASE_NAME, owner, LEASE_SECONDS)
            if not leading:
                if listener:
                    listener.cancel()
                    listener = None
                await asyncio.sleep(LEASE_SECONDS / 3)
                continue
            if listener is None:
                listener = asyncio.create_task(signal.listen(engine, wake))
            renew_at = asyncio.get_running_loop().time() + LEASE_SECONDS / 3  # well before the lease lapses
            try:
                while asyncio.get_running_loop().time() < renew_at:
                    wake.clear()  # set again by a commit during this pass: the next pass reads it
                    if await consume_async(engine, CONSUMER, handle):
                        continue  # more may be waiting
                    now = utcnow()
                    extra: list[Change] = []
                    with Session(engine) as session:
                        if now - last_sweep >= sweep_every:
                            extra += _ended_sessions(session, last_sweep, now)
                            last_sweep = now
                        if almaty_date(now) != today:
                            today = almaty_date(now)
                            extra += _new_day(session)
                    if extra:
                        await deliver(app, extra)
                    if last_sweep == now:
                        await asyncio.to_thread(forget_delivered, engine, KEEP_CHANGES)
                    try:
                        await asyncio.wait_for(wake.wait(), TICK_SECONDS)
                    except TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live watcher tick failed")
                await asyncio.sleep(1)
    finally:
        signal.unsubscribe_local(wake)
        if listener:
            listener.cancel()
        if leading:
            await asyncio.to_thread(lease.release, engine, LEASE_NAME, owner)
