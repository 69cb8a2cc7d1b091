"""Each consumer's cursor: every committed change exactly once, in order, across restarts,
failover and workers racing.

Order. PostgreSQL takes a row's id at insert, not at commit: a transaction holding id 7 may commit
after one holding id 8, and "id > last" would then skip 7 for good. So writers hold a shared
advisory lock from their first change to their commit (stream/changes.py), and a consumer first
takes that lock exclusively for an instant: then no writer is half-way, every id up to the highest
one visible is final (committed or rolled back), and any id taken later is higher. The consumer
reads up to there (`_horizon`). Only this schema's change writers are waited for, never unrelated
long transactions; the instant may make new writers wait for the slowest one in flight. On SQLite
one writer at a time takes ids in commit order, so there is nothing to wait for.

Once. The cursor row moves by compare-and-set on its old position, in the same transaction as the
consumer's own effects (`consume`): a worker killed mid-batch loses its effects with its advance,
and of two workers that read the same batch only one commits. A PostgreSQL advisory lock (SQLite's
write lock) lets the second skip (wait) instead of redoing the work. Effects outside the database,
such as pushes to open tabs (`consume_async`), happen before the advance: a crash in between repeats
them, so such a handler ignores positions it has already applied.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Awaitable, Callable, Literal

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from marketu_app.db.models import ChangeCursor, ChangeLog
from marketu_app.domain.timeutil import utcnow
from marketu_app.stream import signal
from marketu_app.stream.changes import Change, change_from_row

log = logging.getLogger("marketu.stream")

_LOG = ChangeLog.__table__
_CURSOR = ChangeCursor.__table__
BARRIER_TIMEOUT = "2s"  # at most this long waiting for writers in flight (then: nothing this time)
BATCH_SIZE = 500
TICK_SECONDS = 1.0  # a consumer's fallback read, in case a wake-up was lost

Position = int
Start = Literal["end", "beginning"]


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _horizon(session: Session) -> int:
    """The highest id below which no change can still commit (see the module's docstring)."""
    if not _is_pg(session):
        return session.execute(select(func.coalesce(func.max(_LOG.c.id), 0))).scalar()
    try:
        with session.get_bind().connect() as conn:  # its own short transaction: the lock ends with it
            conn.execute(text(f"SET LOCAL lock_timeout = '{BARRIER_TIMEOUT}'"))
            conn.execute(text("SELECT pg_advisory_xact_lock(1, hashtext(current_schema()))"))
            top = conn.execute(select(func.coalesce(func.max(_LOG.c.id), 0))).scalar()
            conn.commit()
            return top
    except OperationalError:  # a writer held on past the timeout: try again next time
        log.warning("change stream: writers still in flight after %s", BARRIER_TIMEOUT)
        return 0


def _create_cursor(session: Session, consumer: str, start: Start) -> None:
    """A new consumer starts after the changes already committed, or from the oldest kept."""
    last_id = _horizon(session) if start == "end" else 0
    insert = postgresql.insert if _is_pg(session) else sqlite.insert
    session.execute(insert(_CURSOR).values(consumer=consumer, last_id=last_id, updated_at=utcnow())
                    .on_conflict_do_nothing(index_elements=["consumer"]))


def _position(session: Session, consumer: str) -> Position | None:
    return session.execute(select(_CURSOR.c.last_id).where(_CURSOR.c.consumer == consumer)).scalar()


def _read(session: Session, after: Position, limit: int) -> list[Change]:
    if _is_pg(session) and session.execute(select(func.coalesce(func.max(_LOG.c.id), 0))).scalar() <= after:
        return []  # nothing new: no need to wait for the writers in flight
    top = _horizon(session)
    if top <= after:
        return []
    rows = session.execute(select(_LOG).where(_LOG.c.id > after, _LOG.c.id <= top)
                           .order_by(_LOG.c.id).limit(limit)).all()
    return [change_from_row(r) for r in rows]


def _advance(session: Session, consumer: str, old: Position, new: Position) -> bool:
    """Compare-and-set: False when another worker moved the cursor first."""
    res = session.execute(update(_CURSOR).where(_CURSOR.c.consumer == consumer, _CURSOR.c.last_id == old)
                          .values(last_id=new, updated_at=utcnow()))
    return res.rowcount == 1


def _take_turn(session: Session, consumer: str, start: Start) -> bool:
    """Begins this consumer's turn in `session`; False when another worker has it right now."""
    if _is_pg(session):
        # Transaction-scoped, and unlike a row lock it takes no transaction id, so it does not
        # hold back the horizon of the other consumers while the handler runs.
        got = session.execute(text("SELECT pg_try_advisory_xact_lock(2, hashtext(current_schema() || '/' || :c))"),
                              {"c": consumer}).scalar()
        if not got:
            return False
        if _position(session, consumer) is None:
            _create_cursor(session, consumer, start)
        return True
    # SQLite: a write first, so the transaction holds the write lock from here (others wait for it).
    touched = session.execute(update(_CURSOR).where(_CURSOR.c.consumer == consumer)
                              .values(consumer=_CURSOR.c.consumer)).rowcount
    if not touched:
        _create_cursor(session, consumer, start)
    return True


def consume(engine: Engine, consumer: str, handler: Callable[[Session, list[Change]], None],
            batch_size: int = BATCH_SIZE, *, start: Start = "end") -> int:
    """Hands the next committed changes (at most `batch_size`, oldest first) to `handler(session, changes)`
    and moves `consumer`'s cursor past them in the same transaction; returns how many were handled.

    Whatever the handler writes through `session` commits with the cursor or not at all (do not
    commit in the handler); if it raises, nothing moves and the same changes come again. A consumer
    seen for the first time starts after the changes already committed (`start="end"`) or with
    all the log still kept (`start="beginning"`). Returns 0 when another worker has the turn.
    """
    with Session(engine) as session:
        if not _take_turn(session, consumer, start):
            return 0
        at = _position(session, consumer)
        changes = _read(session, at, batch_size)
        if not changes:
            session.commit()  # keeps a cursor just created
            return 0
        handler(session, changes)
        if not _advance(session, consumer, at, changes[-1].position):
            session.rollback()
            return 0
        session.commit()
        return len(changes)


def _peek(engine: Engine, consumer: str, batch_size: int, start: Start) -> tuple[Position, list[Change]]:
    with Session(engine) as session:
        at = _position(session, consumer)
        if at is None:
            _create_cursor(session, consumer, start)
            session.commit()
            at = _position(session, consumer)
        return at, _read(session, at, batch_size) if batch_size else []


def _advance_alone(engine: Engine, consumer: str, old: Position, new: Position) -> bool:
    with Session(engine) as session:
        moved = _advance(session, consumer, old, new)
        session.commit()
        return moved


async def consume_async(engine: Engine, consumer: str, handler: Callable[[list[Change]], Awaitable[None]],
                        batch_size: int = BATCH_SIZE, *, start: Start = "end") -> int:
    """For effects outside the database: awaits `handler(changes)`, then moves the cursor.

    At most one worker should run a given consumer at a time (hold a lease, see live/lease.py);
    if two do, or one dies before the move, a batch is handed out again, so the handler must skip
    the positions (`Change.position`) it has already applied. Returns how many were handled here.
    """
    at, changes = await asyncio.to_thread(_peek, engine, consumer, batch_size, start)
    if not changes:
        return 0
    await handler(changes)
    moved = await asyncio.to_thread(_advance_alone, engine, consumer, at, changes[-1].position)
    return len(changes) if moved else 0


def ensure_cursor(engine: Engine, consumer: str, start: Start = "end") -> Position:
    """Creates `consumer`'s cursor if it has none (e.g. at start-up, before it first consumes)."""
    return _peek(engine, consumer, 0, start)[0]


def position_of(engine: Engine, consumer: str) -> Position | None:
    """Where `consumer`'s cursor stands, None when it never ran."""
    with Session(engine) as session:
        return _position(session, consumer)


def drop_cursor(engine: Engine, consumer: str) -> None:
    """Retires a consumer: its cursor no longer keeps old changes from being forgotten."""
    with Session(engine) as session:
        session.execute(delete(_CURSOR).where(_CURSOR.c.consumer == consumer))
        session.commit()


def forget_delivered(engine: Engine, older_than: timedelta) -> int:
    """Deletes changes older than `older_than` that every consumer has passed; returns how many.

    The newest row always stays: SQLite would hand a deleted highest id out again.
    """
    with Session(engine) as session:
        slowest = session.execute(select(func.min(_CURSOR.c.last_id))).scalar()
        newest = session.execute(select(func.max(_LOG.c.id))).scalar()
        if newest is None:
            return 0
        q = delete(_LOG).where(_LOG.c.at < utcnow() - older_than, _LOG.c.id < newest)
        if slowest is not None:
            q = q.where(_LOG.c.id <= slowest)
        deleted = session.execute(q).rowcount
        session.commit()
        return deleted


async def follow(engine: Engine, step: Callable[[], Awaitable[int]], *,
                 stop_event: asyncio.Event | None = None, tick: float = TICK_SECONDS) -> None:
    """Runs `await step()` now, after every committed change (any process on PostgreSQL, this one
    on SQLite) and every `tick` seconds, until `stop_event` is set or the task is cancelled.

    `step` is typically `lambda: asyncio.to_thread(consume, engine, "name", handler)`; when it
    returns a positive count it runs again at once (more may be waiting).
    """
    wake = asyncio.Event()
    signal.subscribe_local(wake)
    listener = asyncio.create_task(signal.listen(engine, wake))
    try:
        while not (stop_event and stop_event.is_set()):
            wake.clear()  # a commit during the step sets it again: the next step reads it
            try:
                if await step():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("change stream consumer failed; retrying")
            try:
                await asyncio.wait_for(wake.wait(), tick)
            except TimeoutError:
                pass
    finally:
        signal.unsubscribe_local(wake)
        listener.cancel()
