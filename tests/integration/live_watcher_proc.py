"""The live watcher (marketu_app.live.watcher.watch_changes) in its own process, as in one server worker,
for the tests that start several and kill one (tests/integration/test_live_partitions.py).

    python -m tests.integration.live_watcher_proc DB_URL OWNER LEASE_SECONDS

Runs the real watcher (leases, heartbeats, cursors, wake-ups) with MARKETU_LIVE_PARTITIONS partitions;
only the push to the tabs is replaced: each change handed to `deliver` becomes one `live_effect` row
(change id, owner), committed before the watcher moves its cursor, as a tab's state is saved before.
A push takes MARKETU_TEST_PUSH_SECONDS (default 0) and counts itself in `live_inflight` meanwhile.
"""

from __future__ import annotations

import asyncio
import os
import sys

from sqlalchemy import text

from marketu_app.db.engine import get_engine
from marketu_app.live import watcher


def main() -> None:
    _url, owner, lease_seconds = sys.argv[1:4]  # the URL is in REFLEX_DB_URL (the app's settings)
    watcher._owner = lambda: owner
    watcher.LEASE_SECONDS = float(lease_seconds)
    watcher.POLL_SECONDS = float(lease_seconds) / 10

    push_seconds = float(os.environ.get("MARKETU_TEST_PUSH_SECONDS", "0"))

    def inflight(step: int) -> None:
        with get_engine().begin() as conn:
            conn.execute(text("UPDATE live_inflight SET n = n + :s"), {"s": step})

    async def deliver(app, changes) -> int:
        if push_seconds:
            await asyncio.to_thread(inflight, 1)
            await asyncio.sleep(push_seconds)  # a push to many tabs on a busy machine

        def write() -> None:
            with get_engine().begin() as conn:
                for change in changes:
                    conn.execute(text("INSERT INTO live_effect (change_id, customer_id, owner) VALUES (:c, :u, :o)"),
                                 {"c": change.id, "u": change.customer_id, "o": owner})
        await asyncio.to_thread(write)
        if push_seconds:
            await asyncio.to_thread(inflight, -1)
        return len(changes)

    watcher.deliver = deliver
    asyncio.run(watcher.watch_changes(None))


if __name__ == "__main__":
    main()
