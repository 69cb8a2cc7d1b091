"""One notification worker process for bench/notify_burst.py: the app's own lifespan task
(marketu_app.notify.worker.notify_loop), with every SQL statement counted; prints
"q <statements so far>" once a second. Settings come from the environment, as in the app."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from marketu_app.notify.worker import notify_loop  # noqa: E402

count = 0


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args) -> None:
    global count
    count += 1


def report() -> None:
    while True:
        print(f"q {count}", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    print("ready", flush=True)  # before the reports start: one line each
    threading.Thread(target=report, daemon=True).start()
    asyncio.run(notify_loop())
