"""Kazpost's status dictionary, fetched once a day into the database (lifespan task).

Every worker runs `dictionary_loop`; a lease row in the database (`lease` table, name
`ems-dictionary`) lets one of them fetch per day: a fresh owner per attempt can only take the lease
once it has expired, so the lease's `until` is the next refresh (or the retry after a failure).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

from sqlalchemy.engine import Engine

from marketu_app.db.tracking import save_status_dictionary
from marketu_app.domain.timeutil import utcnow
from marketu_app.ems.client import EmsClient, EmsError
from marketu_app.live import lease
from marketu_app.settings import get_settings

log = logging.getLogger(__name__)

LEASE_NAME = "ems-dictionary"
REFRESH = timedelta(days=1)
RETRY = timedelta(minutes=15)
CHECK_INTERVAL = 600.0  # seconds between looks at the lease


async def refresh_once(engine: Engine, client: EmsClient) -> int | None:
    """Fetches and stores the dictionary if it is due here: entries stored, 0 on failure, None if not due."""
    owner = f"dict:{uuid.uuid4().hex[:16]}"
    if not await asyncio.to_thread(lease.hold, engine, LEASE_NAME, owner, REFRESH.total_seconds()):
        return None  # fresh enough, or another worker is at it
    try:
        titles = await client.status_dictionary()
    except EmsError as e:
        log.warning("Kazpost status dictionary not refreshed: %s", e)
        await asyncio.to_thread(lease.hold, engine, LEASE_NAME, owner, RETRY.total_seconds())
        return 0
    stored = await asyncio.to_thread(save_status_dictionary, engine, titles, utcnow())
    log.info("Kazpost status dictionary refreshed: %d codes", stored)
    return stored


async def dictionary_loop(stop_event: asyncio.Event | None = None, *, engine: Engine | None = None,
                          client: EmsClient | None = None, interval: float = CHECK_INTERVAL) -> None:
    """Refreshes the dictionary daily until stopped; runs where the EMS poller runs."""
    if not get_settings().ems_poller_enabled:
        return
    if engine is None:
        from marketu_app.db.engine import get_engine

        engine = get_engine()
    own_client = client is None
    client = client or EmsClient.from_settings()
    try:
        while not (stop_event and stop_event.is_set()):
            try:
                await refresh_once(engine, client)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Kazpost status dictionary refresh failed")
            if stop_event is None:
                await asyncio.sleep(interval)
            else:
                try:
                    await asyncio.wait_for(stop_event.wait(), timeout=interval)
                except asyncio.TimeoutError:
                    pass
    finally:
        if own_client:
            await asyncio.shield(client.aclose())
