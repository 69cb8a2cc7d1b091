"""A notification sender as its own process, for the exactly-once tests (killed mid-batch).

python -m tests.notify_worker_proc <db url> <bot api url> <bot token> <owner> [<Telegram messages/s>]
"""

from __future__ import annotations

import asyncio
import sys

from marketu_app.db.engine import make_engine
from marketu_app.notify import telegram, worker


async def main(db_url: str, api_url: str, token: str, owner: str, per_second: str = "") -> None:
    engine = make_engine(db_url)
    limiter = telegram.RateLimiter(per_second=int(per_second)) if per_second else None
    tg = telegram.TelegramClient(api_url, token, limiter=limiter)
    print("ready", flush=True)
    while await worker.send_claimed(engine, owner, ("telegram",), tg, limit=100):
        pass


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
