"""The notification worker: a lifespan task in every worker process.

The leader (a database lease) reads the change log, decides, collapses bursts into queued
messages and runs Telegram (its rate limits are per bot, so one process sends and polls).
Every worker sends queued email and Web Push messages it claims from the outbox, in a sending
task of its own (`send_loop`), so sends go on while the leader reads and collapses a burst. Idle, each
pass is a handful of small queries a second, however many customers there are.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from sqlalchemy.engine import Engine
from sqlmodel import Session

from marketu_app.db.engine import get_engine, session_scope
from marketu_app.db.models import NotifyMessage
from marketu_app.domain.timeutil import utcnow
from marketu_app.live import lease
from marketu_app.notify import bot, dispatch, outbox, telegram
from marketu_app.settings import get_settings
from marketu_app.stream import consume, signal

log = logging.getLogger("marketu.notify")

LEASE_NAME = "notify"
LEASE_SECONDS = 10.0
TICK_SECONDS = 1.0
CHANGES_CURSOR = "notify"  # this consumer's cursor in change_cursor
SEND_CONCURRENCY = 8


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:notify"


def ingest_new(engine: Engine, limit: int = 500) -> int:
    """Takes the changes worth a message past this consumer's cursor, in one transaction with it
    (marketu_app.stream: none skipped, none twice); a first start begins at "now"."""
    return consume(engine, CHANGES_CURSOR, outbox.ingest, batch_size=limit)


def flush(engine: Engine) -> int:
    try:
        with session_scope(engine) as session:
            return outbox.flush_due(session)
    except outbox.FlushRace:
        return 0


def _claim(engine: Engine, owner: str, channels: tuple[str, ...], limit: int) -> list[NotifyMessage]:
    with session_scope(engine) as session:
        return outbox.claim(session, owner, channels, limit)


def _start(engine: Engine, message: NotifyMessage, owner: str) -> bool:
    with session_scope(engine) as session:
        return outbox.start(session, message.id, owner)


def _finish(engine: Engine, message: NotifyMessage, owner: str, outcome: outbox.Outcome) -> None:
    with session_scope(engine) as session:
        outbox.finish(session, message.id, owner, message.attempts, outcome)


async def send_claimed(engine: Engine, owner: str, channels: tuple[str, ...], tg: telegram.TelegramClient | None,
                       limit: int = 50) -> int:
    """Claims due messages of `channels` and sends them; returns how many were claimed."""
    messages = await asyncio.to_thread(_claim, engine, owner, channels, limit)
    if not messages:
        return 0
    targets = await asyncio.to_thread(dispatch.prepare, engine, messages)
    gate = asyncio.Semaphore(SEND_CONCURRENCY)

    async def one(message: NotifyMessage) -> None:
        async with gate:
            target = targets[message.id]
            try:
                if message.channel == "telegram":
                    if tg is None:
                        outcome = outbox.Outcome("retry", "telegram is not configured here")
                    else:
                        # Telegram's pacing (up to seconds at 25/s) is waited out BEFORE the message is
                        # marked `sending`: a worker killed while waiting leaves it `claimed`, to be sent by
                        # another worker, never in doubt. Only the request itself is in doubt.
                        if target.chat is not None:
                            await tg.limiter.wait(target.chat)
                        if not await asyncio.to_thread(_start, engine, message, owner):
                            return  # our claim lapsed meanwhile: another worker has it
                        outcome = await dispatch.send_telegram(tg, engine, message, target.chat) \
                            if target.chat is not None else outbox.Outcome("dropped", "not linked")
                elif message.channel == "email":  # sent again after a crash (same Message-ID): no `sending`
                    outcome = await dispatch.send_email(engine, message, target)
                else:
                    outcome = await dispatch.send_push(engine, message, target)
            except Exception as exc:  # a bug or an odd failure: retry later, never lose the message
                log.exception("notify: sending message %s failed", message.id)
                outcome = outbox.Outcome("retry", type(exc).__name__)
            # Recorded at once: the window in which a crash could resend this message stays tiny.
            await asyncio.to_thread(_finish, engine, message, owner, outcome)

    await asyncio.gather(*(one(m) for m in messages))
    return len(messages)


async def poll_telegram(engine: Engine, tg: telegram.TelegramClient) -> None:
    """Long polling (leader only): handle updates and store the offset in one transaction."""
    while True:
        try:
            offset = await asyncio.to_thread(_offset, engine)
            updates = await tg.get_updates(offset)
            replies = await asyncio.to_thread(_apply_updates, engine, updates)
            for chat, reply in replies:
                try:
                    await tg.send_message(chat, reply)
                except (telegram.TelegramError, telegram.Blocked, telegram.Rejected) as exc:
                    log.info("notify: reply to a Telegram command failed (%s)", exc)
        except asyncio.CancelledError:
            raise
        except telegram.RetryAfter as exc:
            await asyncio.sleep(exc.seconds)
        except Exception as exc:
            log.warning("notify: Telegram getUpdates failed (%s); retrying", exc)
            await asyncio.sleep(3)


def _offset(engine: Engine) -> int:
    with Session(engine) as session:
        return bot.stored_offset(session)


def _apply_updates(engine: Engine, updates: list[dict]) -> list[tuple[int, str]]:
    replies = []
    with session_scope(engine) as session:
        for update in updates:
            answer = bot.handle_update(session, update)
            if answer:
                replies.append(answer)
            if isinstance(update.get("update_id"), int):
                bot.store_offset(session, update["update_id"] + 1)
    return replies


async def send_loop(engine: Engine, owner: str, tg: telegram.TelegramClient | None, leading: dict,
                    queued: asyncio.Event) -> None:
    """Sends what is due, beside the leader's reading and collapsing (which would otherwise hold the
    sends back during a burst): email and Web Push in every worker, Telegram in the leader's.
    Woken when this worker queued messages, else every TICK_SECONDS."""
    while True:
        queued.clear()
        try:
            channels = ("email", "push", "telegram") if leading["now"] else ("email", "push")
            if await send_claimed(engine, owner, channels, tg) > 0:
                continue
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("notify: sending pass failed")
            await asyncio.sleep(1)
        try:
            await asyncio.wait_for(queued.wait(), TICK_SECONDS)
        except TimeoutError:
            pass


async def notify_loop(stop_event: asyncio.Event | None = None) -> None:
    """Lifespan task: every worker sends email and Web Push; the leader does the rest."""
    settings = get_settings()
    if not settings.notify_worker:
        return
    engine = get_engine()
    owner = owner_id()
    wake = asyncio.Event()
    signal.subscribe_local(wake)
    listener = poller = None
    tg = telegram.TelegramClient(settings.telegram_api_url, settings.telegram_bot_token) \
        if settings.telegram_enabled else None
    leading = False
    state = {"now": False}
    queued = asyncio.Event()
    sender = asyncio.create_task(send_loop(engine, owner, tg, state, queued))
    try:
        while not (stop_event and stop_event.is_set()):
            try:
                leading = await asyncio.to_thread(lease.hold, engine, LEASE_NAME, owner, LEASE_SECONDS)
                state["now"] = leading
                if leading and listener is None:
                    listener = asyncio.create_task(signal.listen(engine, wake))
                if leading and tg and not settings.telegram_webhook_secret and poller is None:
                    poller = asyncio.create_task(poll_telegram(engine, tg))
                if not leading:
                    for task in (listener, poller):
                        if task:
                            task.cancel()
                    listener = poller = None
                renew_at = asyncio.get_running_loop().time() + LEASE_SECONDS / 3
                while asyncio.get_running_loop().time() < renew_at:
                    wake.clear()
                    busy = False
                    if leading:
                        while await asyncio.to_thread(ingest_new, engine) >= 500:
                            pass
                        busy = await asyncio.to_thread(flush, engine) > 0
                    if busy:
                        queued.set()  # the sender takes them at once
                        continue
                    timeout = TICK_SECONDS
                    if leading:
                        due = await asyncio.to_thread(_next_due, engine)
                        if due is not None:
                            timeout = min(timeout, max(0.05, (due - utcnow()).total_seconds()))
                    try:
                        await asyncio.wait_for(wake.wait(), timeout)
                    except TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notify: worker pass failed")
                await asyncio.sleep(1)
    finally:
        signal.unsubscribe_local(wake)
        for task in (listener, poller, sender):
            if task:
                task.cancel()
        if tg:
            await tg.aclose()
        if leading:
            await asyncio.to_thread(lease.release, engine, LEASE_NAME, owner)


def _next_due(engine: Engine):
    with Session(engine) as session:
        return outbox.next_due(session)



