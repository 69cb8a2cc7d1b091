"""Wakes the change log's consumers the moment a change is committed, instead of at their next tick.

`record_change` calls `announce(session)`. On PostgreSQL that is a NOTIFY in the same transaction
(sent at commit, to every process listening); in any case the consumers of this process are woken
after the commit (the only wake-up on SQLite, where one process runs the app).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

log = logging.getLogger("marketu.stream")

CHANNEL = "marketu_changes"
_local: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []


def announce(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        # Channels are per database: the payload tells apart apps (or test runs) in other schemas.
        # Repeats in one transaction are sent once.
        session.exec(text("SELECT pg_notify(:channel, current_schema())").bindparams(channel=CHANNEL))
    if not event.contains(session, "after_commit", _after_commit):
        event.listen(session, "after_commit", _after_commit, once=True)


def _after_commit(session: Session) -> None:
    for loop, wake in list(_local):
        loop.call_soon_threadsafe(wake.set)


def subscribe_local(wake: asyncio.Event) -> None:
    """Commits in this process set `wake` (call from the watcher's event loop)."""
    _local.append((asyncio.get_running_loop(), wake))


def unsubscribe_local(wake: asyncio.Event) -> None:
    _local[:] = [(loop, w) for loop, w in _local if w is not wake]


async def listen(engine: Engine, wake: asyncio.Event) -> None:
    """Sets `wake` on every NOTIFY from any process (PostgreSQL only; returns at once otherwise)."""
    if engine.dialect.name != "postgresql":
        return
    import psycopg

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                schema = (await (await conn.execute("SELECT current_schema()")).fetchone())[0]
                await conn.execute(f"LISTEN {CHANNEL}")
                wake.set()  # anything committed while not listening is read at once
                async for note in conn.notifies():
                    if note.payload == schema:
                        wake.set()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database went away: the consumers' ticks carry on meanwhile
            log.warning("change stream: LISTEN connection lost (%s); retrying", exc)
            await asyncio.sleep(2)
