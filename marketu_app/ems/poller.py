"""The EMS poller: claims due tracks through the database, asks Kazpost, stores new events.

Runs as a Reflex lifespan task in EVERY worker (`app.register_lifespan_task(poller_loop)`),
so tracks are claimed with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional
UPDATE on SQLite): two workers never poll one track at once. Events are inserted with
ON CONFLICT DO NOTHING against uq_ems_event, so repeating a poll adds nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from marketu_app.db.models import EmsEvent, EmsStatusTitle, EmsTrack, Parcel
from marketu_app.domain.ems import (
    ParsedEvents,
    RawEvent,
    StatusTitle,
    customer_events,
    final_group,
    normalise,
)
from marketu_app.domain.statuses import DeliveryMethod
from marketu_app.domain.timeutil import utcnow
from marketu_app.ems.client import EmsClient, NotRegistered, RateLimited, Unavailable
from marketu_app.settings import get_settings
from marketu_app.stream import record_change

log = logging.getLogger(__name__)

SCHEDULE = tuple(timedelta(hours=h) for h in (1, 2, 6, 12, 24))  # by polls without news
FINAL_CHECK_AFTER = timedelta(hours=6)  # after delivered/returned: one last look, then stop
NOT_REGISTERED_GIVE_UP = timedelta(days=60)
FAILURE_BACKOFF = (timedelta(minutes=5), timedelta(hours=6))  # per track: first, cap
GLOBAL_PAUSE = (timedelta(seconds=30), timedelta(minutes=15))  # after repeated failures
GLOBAL_PAUSE_AFTER = 3  # consecutive failed requests
LEASE = timedelta(minutes=5)
JITTER = 0.1
IDLE_INTERVAL = 15.0  # seconds between cycles: also the latency of a "refresh now"

_jitter = random.Random()


def default_owner() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class CycleStats:
    claimed: int = 0
    requests: int = 0
    changed: int = 0  # tracks with new events
    new_events: int = 0
    not_registered: int = 0
    failures: int = 0  # Unavailable: 5xx, timeouts, garbage
    rate_limited: int = 0
    finished: int = 0  # set inactive after delivered/returned
    orphaned: int = 0  # set inactive: no parcel shows this track any more
    paused: bool = False
    seconds: float = 0.0


def _jittered(delay: timedelta) -> timedelta:
    return delay * _jitter.uniform(1 - JITTER, 1 + JITTER)


def _shown_by_a_parcel():
    return exists().where(Parcel.ems_track_number == EmsTrack.track_number,
                          Parcel.delivery_method == DeliveryMethod.KAZAKHSTAN.value)


def _due(now: datetime):
    return and_(EmsTrack.active.is_(True), EmsTrack.next_poll_at <= now,
                or_(EmsTrack.lease_until.is_(None), EmsTrack.lease_until < now))


# --- database steps (sync: run in a thread so the event loop stays free) ---

def _deactivate_orphans(engine: Engine, now: datetime) -> int:
    """A track no parcel shows any more (the operator changed the number) stops being polled."""
    with Session(engine) as s:
        res = s.connection().execute(
            update(EmsTrack).where(_due(now), ~_shown_by_a_parcel()).values(active=False))
        s.commit()
        return res.rowcount or 0


def _claim(engine: Engine, owner: str, now: datetime, limit: int) -> list[str]:
    until = now + LEASE
    with Session(engine) as s:
        due = (select(EmsTrack.track_number).where(_due(now), _shown_by_a_parcel())
               .order_by(EmsTrack.next_poll_at).limit(limit))
        if engine.dialect.name == "postgresql":
            # Rows another worker is claiming right now are skipped, not waited for.
            tracks = list(s.exec(due.with_for_update(skip_locked=True, of=EmsTrack)).all())
            if tracks:
                s.connection().execute(update(EmsTrack).where(EmsTrack.track_number.in_(tracks))
                       .values(lease_owner=owner, lease_until=until))
        else:
            # SQLite serialises writers: the conditional UPDATE is the claim.
            res = s.connection().execute(
                update(EmsTrack).where(EmsTrack.track_number.in_(due), _due(now))
                .values(lease_owner=owner, lease_until=until).returning(EmsTrack.track_number))
            tracks = [r[0] for r in res.all()]
        s.commit()
        return tracks


def _release(engine: Engine, owner: str, tracks: list[str]) -> None:
    with Session(engine) as s:
        s.connection().execute(
            update(EmsTrack).where(EmsTrack.track_number.in_(tracks), EmsTrack.lease_owner == owner)
               .values(lease_owner=None, lease_until=None))
        s.commit()


_TRACK, _EVENT, _PARCEL, _TITLE = (m.__table__ for m in (EmsTrack, EmsEvent, Parcel, EmsStatusTitle))


def _insert_events(conn: Connection, track: str, events: list[RawEvent], now: datetime) -> list[RawEvent]:
    """Adds the events not stored yet; returns those actually added."""
    have = set(conn.execute(sa_select(_EVENT.c.code, _EVENT.c.at, _EVENT.c.place)
                            .where(_EVENT.c.track_number == track)).all())
    new, seen = [], {tuple(k) for k in have}
    for e in events:
        key = (e.code, e.at, e.place)
        if key not in seen:
            seen.add(key)
            new.append(e)
    if not new:
        return []
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # executemany keeps one cached statement; RETURNING names only the rows really inserted.
    stmt = insert(_EVENT).on_conflict_do_nothing().returning(_EVENT.c.code, _EVENT.c.at, _EVENT.c.place)
    rows = conn.execute(stmt, [dict(track_number=track, code=e.code, at=e.at, place=e.place, text=e.text,
                                    recorded_at=now) for e in new]).all()
    added = {tuple(r) for r in rows}
    return [e for e in new if (e.code, e.at, e.place) in added]


def _log_news(session: Session, track: str, raw: list[RawEvent], added: list[RawEvent]) -> None:
    """A change per parcel showing the track, through the one write path (it wakes the consumers)."""
    conn = session.connection()
    shown = and_(_PARCEL.c.ems_track_number == track,
                 _PARCEL.c.delivery_method == DeliveryMethod.KAZAKHSTAN.value)
    parcels = conn.execute(sa_select(_PARCEL.c.id, _PARCEL.c.number, _PARCEL.c.customer_id).where(shown)).all()
    if not parcels:
        return
    # The toast names the latest event the customer sees, in Kazpost's words where its dictionary has them.
    codes = {e.code for e in raw}
    titles = {r.code: StatusTitle(r.code, r.title_ru, r.title_kz, r.onsite) for r in conn.execute(
        sa_select(_TITLE).where(_TITLE.c.code.in_(codes))).all()} if codes else {}
    visible = customer_events(normalise(raw, titles))
    latest = visible[-1] if visible else None
    for pid, number, customer_id in parcels:
        record_change(session, customer_id, "ems", pid, parcel_number=number, track_number=track,
                      code=latest.code if latest else None, group=latest.group if latest else None,
                      text=(latest.text("ru") if latest else "")[:120],
                      texts={loc: latest.text(loc)[:100] for loc in ("kk", "en")} if latest else {})
    newest_at = max(e.at for e in added)
    conn.execute(update(_PARCEL).where(shown, _PARCEL.c.last_activity_at < newest_at)
                 .values(last_activity_at=newest_at))


def _failure_delay(failures: int) -> timedelta:
    first, cap = FAILURE_BACKOFF
    return _jittered(min(first * 2 ** max(failures - 1, 0), cap))


def _next_by_news(unchanged: int) -> timedelta:
    return _jittered(SCHEDULE[min(unchanged, len(SCHEDULE) - 1)])


def _record(engine: Engine, track: str, owner: str, now: datetime, outcome) -> tuple[int, bool]:
    """Stores one poll's result in one transaction: (events added, set inactive)."""
    with Session(engine) as session:
        conn = session.connection()
        row = conn.execute(sa_select(_TRACK).where(_TRACK.c.track_number == track)).first()
        if row is None:
            return 0, False
        added: list[RawEvent] = []
        v = dict(last_checked_at=now, lease_owner=None, lease_until=None, active=row.active)
        if isinstance(outcome, ParsedEvents):
            added = _insert_events(conn, track, outcome.events, now)
            timeline = normalise(outcome.events)
            v.update(registered=True, last_error=None, failures=0)
            if added:
                v.update(last_changed_at=now, unchanged_polls=0)
                _log_news(session, track, outcome.events, added)
            else:
                v["unchanged_polls"] = row.unchanged_polls + 1
            final = final_group(timeline)
            if final and row.final_status == final and not added:
                v["active"] = False  # the last check confirmed it: stop
            elif final:
                v.update(final_status=final, next_poll_at=now + _jittered(FINAL_CHECK_AFTER))
            else:
                v.update(final_status=None, next_poll_at=now + _next_by_news(v["unchanged_polls"]))
        elif isinstance(outcome, NotRegistered):
            # Normal for a fresh item: not a failure, no error shown.
            v.update(registered=False, last_error=None, failures=0, unchanged_polls=row.unchanged_polls + 1)
            v["next_poll_at"] = now + _next_by_news(v["unchanged_polls"])
            if row.last_changed_at is None and v["unchanged_polls"] > len(SCHEDULE) + NOT_REGISTERED_GIVE_UP.days:
                v["active"] = False  # never registered in about two months (daily polls): a wrong number
        else:
            v.update(failures=row.failures + 1, last_error=str(outcome)[:500])
            delay = _failure_delay(v["failures"])
            if isinstance(outcome, RateLimited):
                delay = max(delay, timedelta(seconds=outcome.retry_after))
            v["next_poll_at"] = now + delay
        if row.refresh_requested_at and row.refresh_requested_at > now:
            v["next_poll_at"] = row.refresh_requested_at  # asked for during this poll: keep it due
        conn.execute(update(_TRACK).where(_TRACK.c.track_number == track).values(**v))
        session.commit()
        return len(added), not v["active"]


# --- the cycle ---

async def _poll_one(engine: Engine, client: EmsClient, track: str, owner: str, now: datetime,
                    stats: CycleStats) -> None:
    stats.requests += 1
    try:
        outcome = await client.events(track)
        client.consecutive_failures = 0
    except NotRegistered as e:
        outcome = e
        client.consecutive_failures = 0
        stats.not_registered += 1
    except RateLimited as e:
        outcome = e
        stats.rate_limited += 1
        client.pause(now + timedelta(seconds=e.retry_after))  # Kazpost asked everyone to wait
    except Unavailable as e:
        outcome = e
        stats.failures += 1
        client.consecutive_failures += 1
        n = client.consecutive_failures - GLOBAL_PAUSE_AFTER
        if n >= 0:
            first, cap = GLOBAL_PAUSE
            client.pause(now + min(first * 2 ** n, cap))
    added, finished = await asyncio.to_thread(_record, engine, track, owner, now, outcome)
    if added:
        stats.changed += 1
        stats.new_events += added
    stats.finished += finished


async def run_cycle(engine: Engine, client: EmsClient, now: datetime | None = None, *,
                    owner: str | None = None, concurrency: int | None = None,
                    stop: asyncio.Event | None = None) -> CycleStats:
    """One pass over the due tracks, at most `concurrency` requests at a time."""
    now = now or utcnow()
    owner = owner or default_owner()
    concurrency = max(1, concurrency or get_settings().ems_concurrency)
    stats, t0 = CycleStats(), time.perf_counter()
    if client.paused(now):
        stats.paused = True
        return stats
    stats.orphaned = await asyncio.to_thread(_deactivate_orphans, engine, now)
    chunk = max(concurrency * 8, 32)
    buffer: deque[str] = deque()
    held: set[str] = set()  # claimed and not yet recorded: released if we stop early
    exhausted = False
    lock = asyncio.Lock()

    def stopping() -> bool:
        return client.paused(now) or (stop is not None and stop.is_set())

    async def next_track() -> str | None:
        nonlocal exhausted
        async with lock:
            if not buffer and not exhausted and not stopping():
                got = await asyncio.to_thread(_claim, engine, owner, now, chunk)
                stats.claimed += len(got)
                held.update(got)
                buffer.extend(got)
                exhausted = not got
            return buffer.popleft() if buffer and not stopping() else None

    async def worker() -> None:
        while (track := await next_track()) is not None:
            try:
                await _poll_one(engine, client, track, owner, now, stats)
            except Exception:
                log.exception("EMS poll of %s failed", track)  # its lease expires: a natural backoff
            held.discard(track)

    try:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        if held:
            _release(engine, owner, sorted(held))
        stats.paused = client.paused(now)
        stats.seconds = time.perf_counter() - t0
    return stats


async def _wait(seconds: float, stop: asyncio.Event | None) -> None:
    if stop is None:
        await asyncio.sleep(seconds)
        return
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


async def poller_loop(stop_event: asyncio.Event | None = None, *, engine: Engine | None = None,
                      client: EmsClient | None = None, interval: float = IDLE_INTERVAL) -> None:
    """Polls until `stop_event` is set or the task is cancelled (Reflex lifespan shutdown)."""
    if not get_settings().ems_poller_enabled:
        log.info("EMS poller disabled (MARKETU_EMS_POLLER=0)")
        return
    if engine is None:
        from marketu_app.db.engine import get_engine

        engine = get_engine()
    own_client = client is None
    client = client or EmsClient.from_settings()
    owner = default_owner()
    log.info("EMS poller %s started against %s", owner, client.base_url)
    try:
        while not (stop_event and stop_event.is_set()):
            try:
                stats = await run_cycle(engine, client, owner=owner, stop=stop_event)
                if stats.claimed:
                    log.info("EMS cycle: %s", stats)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("EMS poll cycle failed")
            await _wait(max(interval, client.pause_remaining(utcnow())), stop_event)
    finally:
        if own_client:
            await asyncio.shield(client.aclose())
        log.info("EMS poller %s stopped", owner)
