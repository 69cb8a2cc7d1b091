"""Notifications end to end below the browser: changes -> bursts -> outbox -> real local channels.

Telegram is the Bot-API stand-in over HTTP, email a real aiosmtpd server, Web Push a local
endpoint that decrypts with the device's private key and checks the VAPID JWT. Each test runs
on SQLite and on the real PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from types import SimpleNamespace

import httpx
import pytest
from sqlmodel import Session, select

from marketu_app.api.schemas import CourierEventIn, CustomerIn, OrderEventIn, OrderIn, ParcelIn
from marketu_app.db import writes
from marketu_app.db.engine import reset_engine
from marketu_app.db.models import (
    ChangeCursor,
    Customer,
    NotifyMessage,
    NotifyPending,
    PushSubscription,
    TelegramLink,
)
from marketu_app.domain.timeutil import to_almaty, utcnow
from marketu_app.notify import outbox, prefs, worker
from marketu_app.notify.standin import BotApi
from marketu_app.settings import get_settings
from tests.notify_standins import PushService, smtp_server, vapid_pem, wait_for
from tests.servers import serve

BOT_TOKEN = "123456:test-token"
CHAT = 777001


@pytest.fixture
def env(any_engine, monkeypatch):
    bot = BotApi(BOT_TOKEN)
    push = PushService()
    with serve(bot.app()) as bot_url, smtp_server() as (smtp_url, smtp), push.running():
        for name, value in {
            "REFLEX_DB_URL": any_engine.url.render_as_string(hide_password=False),
            "MARKETU_PUBLIC_URL": "https://track.example.kz",
            "MARKETU_TELEGRAM_BOT_TOKEN": BOT_TOKEN, "MARKETU_TELEGRAM_BOT_NAME": "marketu_test_bot",
            "MARKETU_TELEGRAM_API_URL": bot_url, "MARKETU_SMTP_URL": smtp_url,
            "MARKETU_MAIL_FROM": "Marketu <track@marketu.kz>",
            "MARKETU_VAPID_PRIVATE_KEY": vapid_pem(), "MARKETU_VAPID_SUBJECT": "mailto:ops@marketu.kz",
            "MARKETU_QUIET_HOURS": "off",
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        reset_engine()
        with Session(any_engine) as s:  # the cursor starts at "now", like a first start
            s.add(ChangeCursor(consumer=worker.CHANGES_CURSOR, last_id=0))
            s.commit()
        yield SimpleNamespace(engine=any_engine, bot=bot, bot_url=bot_url, smtp=smtp, push=push)
    reset_engine()
    get_settings.cache_clear()


def customer(engine, ext="c-1", email="aigul@example.kz", locale="ru", chat=CHAT, device=None) -> int:
    with Session(engine) as s:
        c, _ = writes.upsert_customer(s, ext, CustomerIn(name="Айгуль", email=email, locale=locale,
                                                         phone=None if email else f"+7701{abs(hash(ext)) % 10**7:07d}",
                                                         password="long password 1"))
        writes.upsert_parcel(s, f"P-{ext}", ParcelIn(customer_id=ext, delivery_method="almaty",
                                                    recipient={"name": "Айгуль", "address": "Абая 1"}))
        if chat:
            prefs.link_chat(s, c.id, chat)
        if device:
            prefs.save_subscription(s, c.id, device.endpoint, device.subscription["keys"]["p256dh"],
                                    device.subscription["keys"]["auth"])
        s.commit()
        return c.id


def orders_arrive(engine, ext="c-1", n=3, start=0, status="at_almaty_warehouse"):
    at = utcnow() - timedelta(minutes=5)
    with Session(engine) as s:
        for i in range(start, start + n):
            number = f"M-{ext}-{i}"
            if writes.order_by_number(s, number) is None:
                writes.upsert_order(s, number, OrderIn(customer_id=ext, parcel_number=f"P-{ext}", title=f"Товар {i}",
                                                       marketplace="taobao", status="shipped_from_china",
                                                       status_at=at - timedelta(days=1)))
            writes.add_order_event(s, number, OrderEventIn(status=status, at=at))
        s.commit()


def run_through(engine, later=timedelta(seconds=6)) -> int:
    """One pass of the leader and a sender, as if `later` had passed since the changes."""
    worker.ingest_new(engine)
    with Session(engine) as s:
        made = outbox.flush_due(s, now=utcnow() + later)
        s.commit()
    asyncio.run(_send_all(engine))
    return made


async def _send_all(engine, owner="w-1"):
    from marketu_app.notify import telegram

    tg = telegram.TelegramClient(get_settings().telegram_api_url, BOT_TOKEN)
    try:
        while await worker.send_claimed(engine, owner, ("email", "push", "telegram"), tg):
            pass
    finally:
        await tg.aclose()


def messages(engine, **where) -> list[NotifyMessage]:
    with Session(engine) as s:
        q = select(NotifyMessage).order_by(NotifyMessage.id)
        for k, v in where.items():
            q = q.where(getattr(NotifyMessage, k) == v)
        return list(s.exec(q))


def test_a_burst_goes_as_one_message_on_each_channel(env):
    device = env.push.device("phone")
    customer(env.engine, device=device)
    orders_arrive(env.engine, n=3)
    # Not before the burst has been quiet for 5 s:
    worker.ingest_new(env.engine)
    with Session(env.engine) as s:
        assert outbox.flush_due(s, now=utcnow()) == 0
    assert run_through(env.engine) == 3
    title = "3 заказа прибыли на склад в Алматы: «Товар 0», «Товар 1», «Товар 2»"

    assert [t.split("\n")[0] for t in env.bot.messages_to(CHAT)] == [title]
    assert "https://track.example.kz/parcel/P-c-1" in env.bot.messages_to(CHAT)[0]

    [mail] = env.smtp.messages
    assert mail["To"] == "aigul@example.kz" and mail["Subject"] == title
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["List-Unsubscribe"].startswith("<https://track.example.kz/api/notify/unsubscribe?t=")
    kinds = {part.get_content_type(): part.get_content() for part in mail.iter_parts()}
    assert "https://track.example.kz/parcel/P-c-1" in kinds["text/plain"]
    assert 'href="https://track.example.kz/parcel/P-c-1"' in kinds["text/html"]

    [push] = env.push.received
    assert push["payload"] == {"title": title, "body": title, "url": "https://track.example.kz/parcel/P-c-1",
                               "tag": "parcel-P-c-1"}
    assert push["claims"]["sub"] == "mailto:ops@marketu.kz" and push["encoding"] == "aes128gcm"
    assert int(push["ttl"]) > 0 and push["topic"] and len(push["topic"]) <= 32
    assert {m.state for m in messages(env.engine)} == {"sent"}


def test_replays_and_two_workers_never_send_twice(env):
    customer(env.engine, device=env.push.device("phone"))
    orders_arrive(env.engine, n=2)
    worker.ingest_new(env.engine)
    with Session(env.engine) as s:  # the cursor is set back: the same changes are read again
        s.get(ChangeCursor, worker.CHANGES_CURSOR).last_id = 0
        s.commit()
    worker.ingest_new(env.engine)
    with Session(env.engine) as s:
        assert len(s.exec(select(NotifyPending)).all()) == 2

    results = []

    def flush():
        with Session(env.engine) as s:
            try:
                results.append(outbox.flush_due(s, now=utcnow() + timedelta(seconds=6)))
                s.commit()
            except Exception as exc:  # the loser of a race rolls back; the winner's messages stand
                results.append(type(exc).__name__)

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(messages(env.engine)) == 3, results  # email, telegram, push: once each

    async def two_workers():
        from marketu_app.notify import telegram

        clients = [telegram.TelegramClient(get_settings().telegram_api_url, BOT_TOKEN) for _ in range(2)]
        await asyncio.gather(*(worker.send_claimed(env.engine, f"w-{i}", ("email", "push", "telegram"), c)
                               for i, c in enumerate(clients)))
        for c in clients:
            await c.aclose()

    asyncio.run(two_workers())
    assert len(env.bot.messages_to(CHAT)) == 1 and len(env.smtp.messages) == 1 and len(env.push.received) == 1
    assert run_through(env.engine) == 0  # nothing left, nothing repeated
    assert len(env.bot.messages_to(CHAT)) == 1


def test_quiet_hours_hold_messages_and_send_them_collapsed_after(env):
    cid = customer(env.engine)
    now_local = to_almaty(utcnow())
    start = (now_local - timedelta(hours=1)).strftime("%H:%M")
    end = (now_local + timedelta(hours=1)).strftime("%H:%M")
    with Session(env.engine) as s:
        prefs.save_choices(s, cid, quiet_hours=f"{start}-{end}")
        s.commit()
    orders_arrive(env.engine, n=1)
    assert run_through(env.engine, later=timedelta(seconds=6)) == 0
    orders_arrive(env.engine, n=1, start=1)
    assert run_through(env.engine, later=timedelta(minutes=30)) == 0  # still quiet
    assert env.bot.messages_to(CHAT) == [] and env.smtp.messages == []
    assert run_through(env.engine, later=timedelta(hours=1, minutes=1)) == 2  # telegram + email, collapsed
    assert env.bot.messages_to(CHAT)[0].startswith("2 заказа прибыли на склад в Алматы")


def test_choices_decide_what_is_sent(env):
    cid = customer(env.engine, chat=None)
    with Session(env.engine) as s:
        prefs.save_choices(s, cid, kinds={"courier"}, channels={"email": True})
        s.commit()
    orders_arrive(env.engine, n=1)  # arrivals are off for this customer
    with Session(env.engine) as s:
        writes.add_courier_event(s, "P-c-1", CourierEventIn(code="out_for_delivery", at=utcnow()))
        writes.add_courier_event(s, "P-c-1", CourierEventIn(code="handed_to_courier",
                                                            at=utcnow() - timedelta(minutes=1)))
        s.commit()
    run_through(env.engine)
    [mail] = env.smtp.messages
    assert mail["Subject"] == "Посылка P-c-1: Курьер в пути"


def test_telegram_429_is_waited_out_and_403_unlinks(env):
    cid = customer(env.engine)
    httpx.post(f"{env.bot_url}/_standin/faults", json={"429": 1, "retry_after": 7})
    orders_arrive(env.engine, n=1)
    run_through(env.engine)
    [tg] = messages(env.engine, channel="telegram")
    assert tg.state == "queued" and tg.result == "429 retry_after 7"
    assert 6 <= (tg.next_at - utcnow()).total_seconds() <= 7.5
    with Session(env.engine) as s:  # time passes
        s.get(NotifyMessage, tg.id).next_at = utcnow()
        s.commit()
    run_through(env.engine)
    assert len(env.bot.messages_to(CHAT)) == 1 and messages(env.engine, channel="telegram")[0].state == "sent"

    httpx.post(f"{env.bot_url}/_standin/faults", json={"blocked": [CHAT]})
    orders_arrive(env.engine, n=1, start=5)
    run_through(env.engine)
    last = messages(env.engine, channel="telegram")[-1]
    assert last.state == "dropped" and last.result.startswith("403")
    with Session(env.engine) as s:
        assert s.get(TelegramLink, cid) is None


def test_a_channel_outage_delays_and_never_loses(env, monkeypatch):
    customer(env.engine, email=None)
    monkeypatch.setenv("MARKETU_TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing listens there
    get_settings.cache_clear()
    orders_arrive(env.engine, n=1)
    run_through(env.engine)
    [tg] = messages(env.engine, channel="telegram")
    assert tg.state == "queued" and tg.attempts == 1 and tg.next_at > utcnow()
    monkeypatch.setenv("MARKETU_TELEGRAM_API_URL", env.bot_url)  # back up
    get_settings.cache_clear()
    with Session(env.engine) as s:
        s.get(NotifyMessage, tg.id).next_at = utcnow()
        s.commit()
    run_through(env.engine)
    assert len(env.bot.messages_to(CHAT)) == 1 and messages(env.engine)[0].attempts == 2


def test_dead_email_and_push_ends_are_cleaned(env):
    device = env.push.device("old-phone")
    cid = customer(env.engine, chat=None, email="gone@example.kz", device=device)
    env.smtp.reject.add("gone@example.kz")
    env.push.gone.add("old-phone")
    orders_arrive(env.engine, n=1)
    run_through(env.engine)
    by_channel = {m.channel: m for m in messages(env.engine)}
    assert by_channel["email"].state == "failed" and by_channel["email"].result.startswith("550")
    assert by_channel["push"].state == "dropped"
    with Session(env.engine) as s:
        assert prefs.prefs_of(s, cid).email_failing.startswith("550")
        assert s.exec(select(PushSubscription)).all() == []
    orders_arrive(env.engine, n=1, start=3)
    run_through(env.engine)
    assert len(messages(env.engine)) == 2  # a failing address is not tried again until re-enabled


def test_telegram_linking_by_one_time_start_code(env):
    with Session(env.engine) as s:
        a, _ = writes.upsert_customer(s, "c-a", CustomerIn(name="A", email="a@example.kz", password="long password 1"))
        b, _ = writes.upsert_customer(s, "c-b", CustomerIn(name="B", email="b@example.kz", locale="en",
                                                           password="long password 1"))
        url_a = prefs.telegram_link_url(s, a.id)
        url_b = prefs.telegram_link_url(s, b.id)
        expired = prefs.new_code(s, a.id, "telegram_link", timedelta(seconds=-1))
        s.commit()
        a_id, b_id = a.id, b.id
    assert url_a.startswith("https://t.me/marketu_test_bot?start=")
    code_a, code_b = url_a.split("=", 1)[1], url_b.split("=", 1)[1]

    async def poll_until(count):
        from marketu_app.notify import telegram

        tg = telegram.TelegramClient(env.bot_url, BOT_TOKEN)
        task = asyncio.create_task(worker.poll_telegram(env.engine, tg))
        try:
            while len(env.bot.sent) < count:
                await asyncio.sleep(0.05)
        finally:
            task.cancel()
            await tg.aclose()

    env.bot.add_update(501, f"/start {expired}")
    env.bot.add_update(501, f"/start {code_a}")
    env.bot.add_update(502, f"/start {code_a}")  # used already
    env.bot.add_update(503, f"/start {code_b}", language_code="en")
    asyncio.run(asyncio.wait_for(poll_until(4), 20))
    with Session(env.engine) as s:
        links = {link.chat_id: link.customer_id for link in s.exec(select(TelegramLink))}
    assert links == {501: a_id, 503: b_id}
    replies = [(m["chat_id"], m["text"]) for m in env.bot.sent]
    assert replies[0][0] == 501 and replies[0][1].startswith("Ссылка устарела")
    assert replies[1][1].startswith("Готово") and replies[2][1].startswith("Ссылка устарела")
    assert replies[3][1].startswith("Done")

    env.bot.add_update(501, "/stop")
    asyncio.run(asyncio.wait_for(poll_until(5), 20))
    with Session(env.engine) as s:
        assert s.get(TelegramLink, a_id) is None and s.get(TelegramLink, b_id) is not None
    # Restarting the poller does not handle the same updates again.
    sent = len(env.bot.sent)
    env.bot.add_update(504, "/help")
    asyncio.run(asyncio.wait_for(poll_until(sent + 1), 20))
    assert len(env.bot.sent) == sent + 1


def test_telegram_sends_at_most_one_message_a_second_per_chat():
    from marketu_app.notify.telegram import RateLimiter

    async def go():
        limiter = RateLimiter(per_second=25, per_chat=1.0)
        loop = asyncio.get_running_loop()
        start = loop.time()
        times = []
        for chat in (1, 1, 2, 1):
            await limiter.wait(chat)
            times.append(loop.time() - start)
        return times

    t = asyncio.run(go())
    assert t[1] >= 0.99 and t[2] < t[1] + 0.1 and t[3] >= 1.99


def test_telegram_sends_at_most_25_a_second_overall():
    from marketu_app.notify.telegram import RateLimiter

    async def go():
        limiter = RateLimiter(per_second=25, per_chat=1.0)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for chat in range(60):
            await limiter.wait(chat)
        return loop.time() - start

    assert asyncio.run(go()) >= 2.0  # 60 messages: at most 25 in any second




def test_the_worker_loop_sends_a_change_within_seconds(env):
    customer(env.engine)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(worker.notify_loop(stop),), daemon=True)
    thread.start()
    try:
        orders_arrive(env.engine, n=1)
        wait_for(lambda: env.bot.messages_to(CHAT), timeout=30, what="the Telegram message")
        wait_for(lambda: env.smtp.messages, timeout=30, what="the email")
        assert env.bot.messages_to(CHAT)[0].startswith("1 заказ прибыл на склад в Алматы")
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)


@pytest.fixture
def site(env, monkeypatch):
    from marketu_app.api.router import create_api
    from marketu_app.notify.routes import router

    monkeypatch.setenv("MARKETU_TELEGRAM_WEBHOOK_SECRET", "hook-secret-123")
    get_settings.cache_clear()
    api = create_api()
    api.include_router(router)
    with serve(api) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def test_one_click_unsubscribe_turns_email_off_without_signing_in(env, site):
    cid = customer(env.engine, chat=None)
    orders_arrive(env.engine, n=1)
    run_through(env.engine)
    [mail] = env.smtp.messages
    url = mail["List-Unsubscribe"].strip("<>").replace("https://track.example.kz", "")
    page = site.get(url)  # what a mail scanner fetching the link does: nothing changes
    assert page.status_code == 200 and "<form" in page.text
    with Session(env.engine) as s:
        assert prefs.prefs_of(s, cid).email_on
    done = site.post(url, content="List-Unsubscribe=One-Click",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    with Session(env.engine) as s:
        assert not prefs.prefs_of(s, cid).email_on
    assert site.post("/api/notify/unsubscribe?t=forged-token-0123456789").status_code == 404
    orders_arrive(env.engine, n=1, start=4)
    run_through(env.engine)
    assert len(env.smtp.messages) == 1


def test_push_subscriptions_need_the_session_cookie(env, site):
    from marketu_app.auth.sessions import create_session

    cid = customer(env.engine, chat=None, email=None)
    with Session(env.engine) as s:
        token = create_session(s, cid)
        s.commit()
    device = env.push.device("laptop")
    assert site.post("/api/push/subscriptions", json=device.subscription).status_code == 401
    assert site.post("/api/push/subscriptions", json=device.subscription,
                     cookies={"marketu_session": "x" * 43}).status_code == 401
    signed = {"marketu_session": token}
    bad = {"endpoint": "file:///etc/passwd", "keys": device.subscription["keys"]}
    assert site.post("/api/push/subscriptions", json=bad, cookies=signed).status_code == 422
    assert site.post("/api/push/subscriptions", json={"endpoint": 1}, cookies=signed).status_code == 422
    # The site is not local here, so plain-http endpoints are refused (no requests to internal hosts).
    assert site.post("/api/push/subscriptions", json=device.subscription, cookies=signed).status_code == 422
    good = {**device.subscription, "endpoint": "https://push.example.net/send/abc123"}
    assert site.post("/api/push/subscriptions", json=good, cookies=signed).status_code == 201
    with Session(env.engine) as s:
        assert [p.endpoint for p in s.exec(select(PushSubscription))] == [good["endpoint"]]
    key = site.get("/api/push/key").json()["publicKey"]
    assert len(key) == 87  # 65 bytes, base64url
    gone = site.request("DELETE", "/api/push/subscriptions", json={"endpoint": good["endpoint"]}, cookies=signed)
    assert gone.status_code == 204
    with Session(env.engine) as s:
        assert s.exec(select(PushSubscription)).all() == []


def test_the_telegram_webhook_checks_its_secret_and_handles_an_update_once(env, site):
    with Session(env.engine) as s:
        c, _ = writes.upsert_customer(s, "c-w", CustomerIn(name="W", email="w@example.kz", password="long password 1"))
        code = prefs.telegram_link_url(s, c.id).split("=", 1)[1]
        cid = c.id
        s.commit()
    update = {"update_id": 41, "message": {"message_id": 1, "text": f"/start {code}",
                                           "chat": {"id": 9001, "type": "private"}}}
    assert site.post("/api/telegram/webhook", json=update).status_code == 403
    assert site.post("/api/telegram/webhook", json=update,
                     headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    hook = {"X-Telegram-Bot-Api-Secret-Token": "hook-secret-123"}
    answer = site.post("/api/telegram/webhook", json=update, headers=hook).json()
    assert answer["method"] == "sendMessage" and answer["chat_id"] == 9001 and answer["text"].startswith("Готово")
    assert site.post("/api/telegram/webhook", json=update, headers=hook).json() == {"ok": True}  # a repeat
    with Session(env.engine) as s:
        assert s.get(TelegramLink, cid).chat_id == 9001
    assert site.post("/api/telegram/webhook", content="[", headers=hook).status_code == 400


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_nothing(env):
    import subprocess
    import sys

    from sqlalchemy import update

    n = 24
    for i in range(n):
        customer(env.engine, ext=f"k{i}", email=None, chat=9000 + i)
        orders_arrive(env.engine, ext=f"k{i}", n=1)
    worker.ingest_new(env.engine)
    with Session(env.engine) as s:
        assert outbox.flush_due(s, now=utcnow() + timedelta(seconds=6)) == n
        s.commit()
    httpx.post(f"{env.bot_url}/_standin/faults", json={"delay": 0.3})
    url = env.engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-m", "tests.notify_worker_proc", url, env.bot_url, BOT_TOKEN, "doomed"],
                            stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(env.bot.sent) >= 6, timeout=60, what="the first worker's first messages")
        proc.kill()  # SIGKILL in the middle of its batch: nothing of it runs after this
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    delivered_before = len(env.bot.sent)
    assert delivered_before < n, "the worker finished before it was killed; the test proves nothing"
    with Session(env.engine) as s:
        states = [m.state for m in s.exec(select(NotifyMessage))]
        assert states.count("claimed") > 0  # taken by the dead worker, never started
        # Time passes: the dead worker's claims lapse (CLAIM_FOR).
        s.exec(update(NotifyMessage).where(NotifyMessage.state.in_(("claimed", "sending")))
               .values(next_at=utcnow()))
        s.commit()
    httpx.post(f"{env.bot_url}/_standin/faults", json={"delay": 0})
    asyncio.run(_send_all(env.engine, owner="survivor"))
    per_chat = {9000 + i: len(env.bot.messages_to(9000 + i)) for i in range(n)}
    assert max(per_chat.values()) == 1, per_chat  # nothing twice
    final = messages(env.engine)
    unknown = {m.customer_id for m in final if m.state == "unknown"}
    # Only a message whose request was under way at the kill is in doubt, and it is never repeated.
    assert {m.state for m in final} <= {"sent", "unknown"} and len(unknown) <= worker.SEND_CONCURRENCY
    chat_of = {m.customer_id: m for m in final}
    with Session(env.engine) as s:
        chats = {c.id: 9000 + int(c.external_id[1:]) for c in s.exec(select(Customer))}
    for cid, m in chat_of.items():
        if m.state == "sent":
            assert per_chat[chats[cid]] == 1
        if per_chat[chats[cid]] == 0:
            assert m.state == "unknown"  # in doubt at the kill: shown as such, never lost silently


def test_a_worker_killed_while_pacing_telegram_leaves_nothing_in_doubt(env):
    """Messages waiting for Telegram's rate limit are not yet `sending`: a worker killed then leaves
    them to another worker; only requests actually under way may be in doubt (at one a second, one or
    two on a loaded machine; before, all 8 the worker had started were, and none of them was sent)."""
    import subprocess
    import sys

    from sqlalchemy import update

    n = 12
    for i in range(n):
        customer(env.engine, ext=f"p{i}", email=None, chat=9100 + i)
        orders_arrive(env.engine, ext=f"p{i}", n=1)
    worker.ingest_new(env.engine)
    with Session(env.engine) as s:
        assert outbox.flush_due(s, now=utcnow() + timedelta(seconds=6)) == n
        s.commit()
    url = env.engine.url.render_as_string(hide_password=False)
    # 1 message/s: the doomed worker's 8 concurrent sends spend their time waiting on the pace.
    proc = subprocess.Popen([sys.executable, "-m", "tests.notify_worker_proc", url, env.bot_url, BOT_TOKEN,
                             "doomed", "1"], stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: len(env.bot.sent) >= 3, timeout=60, what="the first worker's first messages")
        proc.kill()
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(env.bot.sent) < n, "the worker finished before it was killed; the test proves nothing"
    with Session(env.engine) as s:
        in_doubt = [m for m in s.exec(select(NotifyMessage)) if m.state == "sending"]
        assert len(in_doubt) <= 2, [m.state for m in s.exec(select(NotifyMessage))]
        s.exec(update(NotifyMessage).where(NotifyMessage.state.in_(("claimed", "sending")))
               .values(next_at=utcnow()))
        s.commit()
    asyncio.run(_send_all(env.engine, owner="survivor"))
    per_chat = {9100 + i: len(env.bot.messages_to(9100 + i)) for i in range(n)}
    assert max(per_chat.values()) == 1, per_chat
    final = messages(env.engine)
    assert sum(1 for m in final if m.state == "unknown") <= 2
    assert sum(per_chat.values()) >= n - 2  # everyone but the requests in doubt


def delay_changes(engine) -> list:
    from marketu_app.db.models import ChangeLog

    with Session(engine) as s:
        return list(s.exec(select(ChangeLog).where(ChangeLog.kind == "delay").order_by(ChangeLog.id)))


def test_a_late_parcel_is_told_once_per_range_on_each_channel(env, empty_eta_cache):
    from marketu_app.db import eta_delays

    device = env.push.device("phone")
    customer(env.engine, device=device)
    with Session(env.engine) as s:  # in the China warehouse for 60 days: its range ended weeks ago
        writes.upsert_order(s, "M-late", OrderIn(customer_id="c-1", parcel_number="P-c-1", title="Пуховик",
                                                 marketplace="taobao", status="at_china_warehouse",
                                                 status_at=utcnow() - timedelta(days=60)))
        s.commit()
    assert eta_delays.check_delays(env.engine) == 1
    assert eta_delays.check_delays(env.engine) == 0  # every later check: the same range, not again
    assert eta_delays.check_delays(env.engine, now=utcnow() + timedelta(days=2)) == 0
    [change] = delay_changes(env.engine)
    assert change.parcel_id is not None and '"parcel_number": "P-c-1"' in change.summary
    run_through(env.engine)
    assert [t.split("\n")[0] for t in env.bot.messages_to(CHAT)] == ["Посылка P-c-1 задерживается"]
    assert [str(m["Subject"]) for m in env.smtp.messages] == ["Посылка P-c-1 задерживается"]
    assert [p["payload"]["title"] for p in env.push.received] == ["Посылка P-c-1 задерживается"]
    assert {m.channel for m in messages(env.engine)} == {"telegram", "email", "push"} and len(messages(env.engine)) == 3

    # It moves on to a new stage, with a new range, outlived too: told again, but not on the same day.
    with Session(env.engine) as s:
        writes.add_order_event(s, "M-late", OrderEventIn(status="shipped_from_china",
                                                         at=utcnow() - timedelta(days=30)))
        s.commit()
    assert eta_delays.check_delays(env.engine) == 0
    assert eta_delays.check_delays(env.engine, now=utcnow() + timedelta(days=1)) == 1
    assert eta_delays.check_delays(env.engine, now=utcnow() + timedelta(days=1, hours=1)) == 0
    assert len(delay_changes(env.engine)) == 2
    run_through(env.engine)
    assert len(env.bot.messages_to(CHAT)) == 2 and len(env.smtp.messages) == 2


def test_delays_are_checked_by_one_worker_and_respect_the_customers_choice(env, empty_eta_cache):
    from marketu_app.db import eta_delays
    from marketu_app.db.models import Lease

    cid = customer(env.engine)
    customer(env.engine, ext="c-2", email="other@example.kz", chat=CHAT + 1)
    with Session(env.engine) as s:
        prefs.save_choices(s, cid, kinds=frozenset({"almaty_warehouse"}))  # no delays, thanks
        for ext in ("c-1", "c-2"):
            writes.upsert_order(s, f"M-{ext}", OrderIn(customer_id=ext, parcel_number=f"P-{ext}", title="Пуховик",
                                                       marketplace="taobao", status="shipped_from_china",
                                                       status_at=utcnow() - timedelta(days=40)))
        s.commit()
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()

    async def two_workers():
        await asyncio.gather(*(eta_delays.delay_watcher(stop, interval=0.2, engine=env.engine, owner=f"w{i}")
                               for i in range(2)))

    thread = threading.Thread(target=loop.run_until_complete, args=(two_workers(),), daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(delay_changes(env.engine)) >= 2, timeout=30, what="the delays")
        with Session(env.engine) as s:
            holder = s.get(Lease, eta_delays.LEASE_NAME).owner
        import time

        time.sleep(1.0)  # several more checks by the holder, none by the other
        with Session(env.engine) as s:
            assert s.get(Lease, eta_delays.LEASE_NAME).owner == holder
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=15)
    assert len(delay_changes(env.engine)) == 2  # one per parcel, however many checks
    run_through(env.engine)
    assert env.bot.messages_to(CHAT) == []  # c-1 chose not to hear of delays
    assert [t.split("\n")[0] for t in env.bot.messages_to(CHAT + 1)] == ["Посылка P-c-2 задерживается"]


def test_a_forgotten_password_is_reset_by_a_one_time_link_which_also_ends_the_lock_out(env):
    from marketu_app.auth import login
    from marketu_app.auth.sessions import create_session, resolve_session
    from marketu_app.notify import reset

    cid = customer(env.engine)  # Telegram linked, email too: the link goes to Telegram
    with Session(env.engine) as s:
        old_session = create_session(s, cid)
        for _ in range(login.ACCOUNT_LIMIT):  # locked out by wrong passwords
            login.sign_in(s, "aigul@example.kz", "wrong password!", "10.0.0.1")
        s.commit()
        assert login.sign_in(s, "aigul@example.kz", "long password 1", "10.0.0.2").reason == login.RATE_LIMITED
        s.rollback()
        # The same answer either way for the page; only a real account with a channel gets a link.
        assert reset.request_reset(s, "nobody@example.kz") is False
        assert reset.request_reset(s, "AIGUL@example.kz") is True
        assert reset.request_reset(s, "aigul@example.kz") is False  # one a minute
        s.commit()
    asyncio.run(_send_all(env.engine))
    [sent] = env.bot.messages_to(CHAT)
    link = next(w for w in sent.split() if "/reset?code=" in w)
    assert link.startswith("https://track.example.kz/reset?code=")
    code = link.split("code=", 1)[1]
    with Session(env.engine) as s:
        assert reset.reset_password(s, code, "short") == "too_short"
        assert reset.reset_password(s, "forged-code-0123456789", "new password 22") == "bad_code"
        assert reset.reset_password(s, code, "new password 22") is None
        s.commit()
        assert reset.reset_password(s, code, "another password 3") == "bad_code"  # single use
        assert resolve_session(s, old_session) is None  # every old session ended
        ok = login.sign_in(s, "aigul@example.kz", "new password 22", "10.0.0.1")
        assert ok.ok  # the lock-out is gone and the new password works
        s.commit()
