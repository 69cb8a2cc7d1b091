"""Pushes committed changes to the open tabs of the customers they touch.

Every write (operator API, EMS poller, sessions) records its changes with
`marketu_app.stream.record_change`, which wakes the consumers at commit (NOTIFY on PostgreSQL).
With several workers (Redis), the customers are split into MARKETU_LIVE_PARTITIONS parts, each led by
one worker (a database lease per part) as its own consumer of the change stream: it reads the changes
after its cursor (kept in the database, so a new leader goes on where the last one stopped), keeps
its customers', finds their open tabs and updates their states with `app.modify_state`, as each page
registered (live/registry.py); Reflex relays that to whichever worker holds the tab's websocket.
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
from marketu_app.live import lease, registry
from marketu_app.live.batch import PushBatch
from marketu_app.live.reflex_adapter import connected_by_hash
from marketu_app.live.tabs import customers_with_tabs, forget_tabs, tabs_of
from marketu_app.settings import get_settings
from marketu_app.stream import Change, consume_async, ensure_cursor, forget_delivered, signal

log = logging.getLogger("marketu.live")

LEASE_NAME = "live-watcher"
MEMBERS = "live-member"  # the workers running a watcher, each with its heartbeat in the lease table
CONSUMER = "live"  # its cursor in change_cursor
TICK_SECONDS = 1.0  # without a wake-up; also how often the session sweep and midnight are checked
PUSH_CONCURRENCY = 16  # tabs updated at once: their state loads and saves overlap
LEASE_SECONDS = 10.0
POLL_SECONDS = 1.0  # a partition assigned here but still held by its last worker: how often to look
KEEP_CHANGES = timedelta(days=2)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def push(app, tab, token: str, changes: list[Change], batch: PushBatch) -> None:
    """Applies `changes` to one connected tab (`token` is its client token) as its page registered
    (live/registry.py)."""
    page = registry.page_for(tab.page)
    if page is None:  # a page that does nothing live
        return
    async with app.modify_state(rx.BaseStateToken(ident=token, cls=page.state_cls)) as root:
        state = await root.get_state(page.state_cls)
        await asyncio.to_thread(page.apply, state, changes, batch)


async def deliver(app, changes: list[Change]) -> int:
    """Pushes a batch of changes to the tabs of their customers; returns the number of tabs updated.

    The database knows a tab only by the hash of its client token (live/tabs.py): the adapter maps the
    batch's hashes to the tokens of connected tabs, and a recorded tab that is not among them is gone."""
    by_customer: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_customer[change.customer_id].append(change)
    engine = get_engine()
    tabs, batch = await asyncio.to_thread(_tabs_and_sessions, engine, set(by_customer), changes)
    if not tabs:
        return 0
    connected = await connected_by_hash(app, {tab.tab_hash for tab in tabs})
    if connected is None:  # no socket server in this process: nothing to push to from here
        return 0
    limit = asyncio.Semaphore(PUSH_CONCURRENCY)

    async def one(tab, token: str) -> bool:
        async with limit:
            try:
                await push(app, tab, token, by_customer[tab.customer_id], batch)
                return True
            except Exception:
                log.exception("live push to a tab failed")
                return False

    live = [(tab, connected[tab.tab_hash]) for tab in tabs if tab.tab_hash in connected]
    results = await asyncio.gather(*(one(tab, token) for tab, token in live))
    gone = [tab.tab_hash for tab in tabs if tab.tab_hash not in connected]
    if gone:
        await asyncio.to_thread(_forget, engine, gone)
    return sum(results)


# The database work of a push runs in a thread: the worker's event loop also serves its tabs' events.
def _tabs_and_sessions(engine, customer_ids: set[int], changes: list[Change]) -> tuple[list, PushBatch]:
    with Session(engine) as session:
        tabs = tabs_of(session, customer_ids)
        return tabs, PushBatch(live_session_owners(session, {tab.customer_id for tab in tabs}), changes)


def _forget(engine, gone: list[str]) -> None:
    with Session(engine) as session:
        forget_tabs(session, gone)
        session.commit()


def _ended_sessions(session: Session, since, until) -> list[Change]:
    """Sessions that expired in (since, until]: their tabs must notice too."""
    rows = session.exec(select(CustomerSession.customer_id).where(
        CustomerSession.expires_at > since, CustomerSession.expires_at <= until)).all()
    return [Change(id=0, customer_id=cid, kind="sessions_revoked") for cid in set(rows)]


def _new_day(session: Session) -> list[Change]:
    """Almaty's midnight: every open page recomputes its dates (ETAs move, "today" changes)."""
    return [Change(id=0, customer_id=cid, kind="day_changed") for cid in customers_with_tabs(session)]


class _Fanout:
    """One LISTEN connection per worker wakes all the partitions it leads."""

    def __init__(self, events: list[asyncio.Event]):
        self.events = events

    def set(self) -> None:
        for event in self.events:
            event.set()


def _assigned(members: list[str], k: int) -> str | None:
    """Partition k's worker: the live workers, in a fixed order, take the partitions in turn, so each
    leads ceil(partitions / workers) or one fewer."""
    return members[k % len(members)] if members else None


async def watch_changes(app, stop_event: asyncio.Event | None = None, *, owner: str | None = None,
                        partitions: int | None = None) -> None:
    """Lifespan task: live pushes are split by customer into partitions (MARKETU_LIVE_PARTITIONS),
    each with its own lease and its own cursor in the change stream, so several workers share the
    work. Every worker renews its membership (a heartbeat in the lease table) and leads the
    partitions assigned to it among the live workers (`_assigned`): it takes them as soon as they are
    free, and hands over, between two passes, those now assigned to another (a worker that started
    later). A partition that stays free (its worker died, or does not take it) is taken by anyone
    after a lease period, so that no change waits for long."""
    engine = get_engine()
    owner = owner or _owner()
    settings = get_settings()
    if partitions is None:  # without Redis there is one worker: nothing to spread
        partitions = settings.live_partitions if settings.redis_url else 1
    wakes = [asyncio.Event() for _ in range(partitions)]
    for wake in wakes:
        signal.subscribe_local(wake)
    leading: set[int] = set()
    listener: asyncio.Task | None = None
    for k in range(partitions):  # from now on, whoever leads it later
        await asyncio.to_thread(ensure_cursor, engine, CONSUMER if partitions == 1 else f"{CONSUMER}/{k}")

    def stopped() -> bool:
        return bool(stop_event and stop_event.is_set())

    members = await asyncio.to_thread(lease.heartbeat, engine, MEMBERS, owner, LEASE_SECONDS)
    nudges = [asyncio.Event() for _ in range(partitions)]  # the members changed: look again at once

    async def membership() -> None:
        nonlocal members
        while not stopped():
            await asyncio.sleep(LEASE_SECONDS / 3)
            try:
                now = await asyncio.to_thread(lease.heartbeat, engine, MEMBERS, owner, LEASE_SECONDS)
            except Exception:
                log.exception("live watcher: heartbeat failed")
                continue
            if now != members:
                members = now
                for nudge in nudges:
                    nudge.set()

    def name_of(k: int) -> str:
        return LEASE_NAME if partitions == 1 else f"{LEASE_NAME}/{k}"

    async def partition(k: int) -> None:
        while not stopped():
            try:
                await turn(k)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away a moment: try again, the lease decides
                log.exception("live watcher: partition %s", k)
                await asyncio.sleep(POLL_SECONDS)

    async def turn(k: int) -> None:
        """Leads partition k for a while if it is ours (or orphaned), hands it over if not."""
        nonlocal listener
        nudges[k].clear()
        mine = _assigned(members, k) == owner
        if k in leading and not mine:  # another live worker's share now: hand it over
            await asyncio.to_thread(lease.release, engine, name_of(k), owner)
            leading.discard(k)
        elif await asyncio.to_thread(lease.hold, engine, name_of(k), owner, LEASE_SECONDS,
                                     0 if mine else LEASE_SECONDS):
            leading.add(k)
            if listener is None:
                listener = asyncio.create_task(signal.listen(engine, _Fanout(wakes)))
            keep = asyncio.create_task(_keep(engine, name_of(k), owner))
            try:
                await _lead(app, engine, k, partitions, wakes[k], stop_event)
            finally:
                keep.cancel()
            return
        else:
            leading.discard(k)
        if not leading and listener is not None:
            listener.cancel()
            listener = None
        # Ours but still held by its last worker: look again soon. Not ours: only an orphan to look for,
        # or a change of members (a nudge).
        try:
            await asyncio.wait_for(nudges[k].wait(), POLL_SECONDS if mine else LEASE_SECONDS)
        except TimeoutError:
            pass

    heart = asyncio.create_task(membership())
    try:
        await asyncio.gather(*(partition(k) for k in range(partitions)))
    finally:
        heart.cancel()
        for wake in wakes:
            signal.unsubscribe_local(wake)
        if listener:
            listener.cancel()
        for k in leading:
            await asyncio.to_thread(lease.release, engine, name_of(k), owner)
        await asyncio.to_thread(lease.leave, engine, MEMBERS, owner)


async def _keep(engine, name: str, owner: str) -> None:
    """Renews the lease while a pass runs: a push to many tabs may outlast the lease, and a partition
    whose leader is alive must not pass to another that would push the same changes again."""
    while True:
        await asyncio.sleep(LEASE_SECONDS / 3)
        try:
            if not await asyncio.to_thread(lease.hold, engine, name, owner, LEASE_SECONDS):
                return  # lapsed and taken meanwhile: the cursor's compare-and-set keeps the rest right
        except Exception:
            log.exception("live watcher: lease renewal failed")


async def _lead(app, engine, k: int, partitions: int, wake: asyncio.Event, stop_event) -> None:
    """Delivers partition k's changes until the lease needs renewing; partition 0 also sweeps."""
    consumer = CONSUMER if partitions == 1 else f"{CONSUMER}/{k}"

    async def handle(changes: list[Change]) -> None:
        ours = [c for c in changes if c.customer_id % partitions == k]
        if ours:
            await deliver(app, ours)

    renew_at = asyncio.get_running_loop().time() + LEASE_SECONDS / 3  # well before the lease lapses
    try:
        while asyncio.get_running_loop().time() < renew_at and not (stop_event and stop_event.is_set()):
            wake.clear()  # set again by a commit during this pass: the next pass reads it
            if await consume_async(engine, consumer, handle):
                continue  # more may be waiting
            if k == 0:
                await _sweep(app, engine)
            try:
                await asyncio.wait_for(wake.wait(), TICK_SECONDS)
            except TimeoutError:
                pass
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("live watcher tick failed")
        await asyncio.sleep(1)


_swept = {"at": None, "today": None}


async def _sweep(app, engine) -> None:
    """Sessions that just expired and Almaty's midnight reach the open pages; old changes go."""
    now = utcnow()
    last = _swept["at"] or now
    if _swept["today"] is None:
        _swept.update(at=now, today=almaty_date(now))
        return
    swept = now - last >= timedelta(seconds=get_settings().session_sweep_seconds)
    new_day = almaty_date(now) != _swept["today"]
    if not (swept or new_day):
        return

    def read() -> list[Change]:  # in a thread, off the event loop
        with Session(engine) as session:
            return (_ended_sessions(session, last, now) if swept else []) + (_new_day(session) if new_day else [])

    extra = await asyncio.to_thread(read)
    if swept:  # only once read: a failed read is tried again at the next pass
        _swept["at"] = now
    if new_day:
        _swept["today"] = almaty_date(now)
    if extra:
        await deliver(app, extra)
    if swept:
        await asyncio.to_thread(forget_delivered, engine, KEEP_CHANGES)
