"""A consumer of the change stream in its own process, for the tests that kill one (SIGKILL).

    python -m tests.integration.stream_worker DB_URL CONSUMER MARKER

Consumes with a handler that writes one `stream_effect` row per change in the consumer's transaction;
halfway through its first batch it writes MARKER and waits to be killed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import text

from marketu_app.db.engine import make_engine
from marketu_app.stream import consume


def main() -> None:
    url, consumer, marker = sys.argv[1:4]
    engine = make_engine(url)

    def handler(session, changes) -> None:
        for i, change in enumerate(changes):
            session.execute(text("INSERT INTO stream_effect (change_id, worker) VALUES (:c, 'killed')"),
                            {"c": change.id})
            if i == len(changes) // 2:
                session.flush()
                Path(marker).write_text(str(change.id))
                time.sleep(600)  # killed here, mid-batch, its effects written but not committed

    consume(engine, consumer, handler, batch_size=50, start="beginning")


if __name__ == "__main__":
    main()
