"""The pieces of live updates that need no browser: the watcher's lease, tab records, toast texts."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session

from marketu_app.auth.sessions import create_session, end_session, hash_token, live_session_owners
from marketu_app.db import writes
from marketu_app.db.inputs import CustomerIn
from marketu_app.db.models import CustomerSession
from marketu_app.domain.timeutil import utcnow
from marketu_app.live import lease
from marketu_app.live.batch import PushBatch
from marketu_app.live.messages import toast_text
from marketu_app.live.tabs import by_hash, customers_with_tabs, forget_tabs, remember_tab, tab_hash, tabs_of
from marketu_app.stream import signal
from tests.databases import fresh_pg_schema


def test_only_one_process_holds_the_watcher_lease(any_engine):
    assert lease.hold(any_engine, "live-watcher", "worker-1", 30)
    assert not lease.hold(any_engine, "live-watcher", "worker-2", 30)
    assert lease.hold(any_engine, "live-watcher", "worker-1", 30)  # renewal
    lease.release(any_engine, "live-watcher", "worker-1")
    assert lease.hold(any_engine, "live-watcher", "worker-2", 30)


def test_an_expired_lease_passes_to_another_process(any_engine):
    assert lease.hold(any_engine, "live-watcher", "worker-1", -1)  # already lapsed
    assert lease.hold(any_engine, "live-watcher", "worker-2", 30)


def test_tabs_are_recorded_per_customer_by_hash_and_forgotten(any_engine):
    with Session(any_engine) as s:
        a, _ = writes.upsert_customer(s, "c-a", CustomerIn(name="A", phone="+77010000011", password="long password"))
        b, _ = writes.upsert_customer(s, "c-b", CustomerIn(name="B", phone="+77010000012", password="long password"))
        remember_tab(s, "tab-1", a.id, "parcels")
        remember_tab(s, "tab-2", a.id, "parcel:P-1")
        remember_tab(s, "tab-3", b.id, "parcels")
        remember_tab(s, "tab-1", a.id, "parcel:P-2")  # the same tab moved on
        s.commit()
        stored = {str(v) for row in s.exec(text("SELECT * FROM live_tab")).all() for v in row}
        assert not stored & {"tab-1", "tab-2", "tab-3"}  # the tokens themselves are nowhere
        known = by_hash(["tab-1", "tab-2", "tab-3", "tab-4"])
        assert sorted((known[t.tab_hash], t.page) for t in tabs_of(s, {a.id})) == [
            ("tab-1", "parcel:P-2"), ("tab-2", "parcel:P-1")]
        assert customers_with_tabs(s) == {a.id, b.id}
        forget_tabs(s, [tab_hash("tab-1"), tab_hash("tab-3")])
        s.commit()
        assert [known[t.tab_hash] for t in tabs_of(s, {a.id, b.id})] == ["tab-2"]


def test_toasts_speak_the_customers_language():
    summary = json.dumps({"title": "Кроссовки Li-Ning", "status": "at_almaty_warehouse"}, ensure_ascii=False)
    assert toast_text("order_status", summary, "ru") == "Заказ «Кроссовки Li-Ning»: На складе в Алматы"
    assert toast_text("order_status", summary, "en") == "Order “Кроссовки Li-Ning”: At the Almaty warehouse"
    assert "Алматыдағы қоймада" in toast_text("order_status", summary, "kk")
    courier = json.dumps({"parcel_number": "P-1", "code": "out_for_delivery"})
    assert toast_text("courier", courier, "ru") == "Посылка P-1: Курьер в пути"
    assert toast_text("day_changed", "{}", "ru") == ""
    assert toast_text("order_status", "not json", "ru") == ""


def test_a_push_batch_knows_only_live_sessions(any_engine):
    with Session(any_engine) as s:
        a, _ = writes.upsert_customer(s, "c-a", CustomerIn(name="A", phone="+77010000011", password="long password"))
        b, _ = writes.upsert_customer(s, "c-b", CustomerIn(name="B", phone="+77010000012", password="long password"))
        live, ended, expired, other = (create_session(s, c.id) for c in (a, a, a, b))
        end_session(s, ended)
        s.exec(CustomerSession.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1))
               .where(CustomerSession.token_hash == hash_token(expired)))
        s.commit()
        batch = PushBatch(live_session_owners(s, {a.id}))
    assert batch.customer_of(hash_token(live)) == a.id
    assert [batch.customer_of(hash_token(t)) for t in (ended, expired, other, "garbage")] == [None] * 4
    assert batch.customer_of("") is None


def test_a_push_batch_computes_each_page_once_for_tabs_asking_together():
    batch, calls, gate = PushBatch({}), [], threading.Barrier(8)

    def tab(i: int):
        gate.wait()
        return batch.page(("parcels", i % 2), lambda: calls.append(i % 2) or f"page {i % 2}")

    with ThreadPoolExecutor(8) as pool:
        pages = list(pool.map(tab, range(8)))
    assert sorted(calls) == [0, 1]
    assert pages == ["page 0", "page 1"] * 4


async def _woken_by(engine, write, *, listen: bool) -> bool:
    wake = asyncio.Event()
    task = asyncio.create_task(signal.listen(engine, wake)) if listen else None
    if task:
        await asyncio.wait_for(wake.wait(), 10)  # set once it listens
        wake.clear()
    else:
        signal.subscribe_local(wake)
    try:
        await asyncio.to_thread(write)
        try:
            await asyncio.wait_for(wake.wait(), 3)
            return True
        except TimeoutError:
            return False
    finally:
        signal.unsubscribe_local(wake)
        if task:
            task.cancel()


def _change(engine, commit: bool):
    def write():
        with Session(engine) as s:
            writes.upsert_customer(s, "c-w", CustomerIn(name="W", phone="+77010000013", password="long password"))
            signal.announce(s)
            s.commit() if commit else s.rollback()
    return write


def test_a_committed_change_wakes_the_watcher_of_this_process(sqlite_engine):
    assert not asyncio.run(_woken_by(sqlite_engine, _change(sqlite_engine, commit=False), listen=False))
    assert asyncio.run(_woken_by(sqlite_engine, _change(sqlite_engine, commit=True), listen=False))


def test_a_committed_change_wakes_the_watcher_of_any_process_on_postgresql(pg_engine):
    """NOTIFY travels through the database: the listener has its own connection, as in another worker."""
    assert not asyncio.run(_woken_by(pg_engine, _change(pg_engine, commit=False), listen=True))
    assert asyncio.run(_woken_by(pg_engine, _change(pg_engine, commit=True), listen=True))


def test_a_change_in_another_schema_of_the_same_database_does_not_wake_the_watcher(pg_engine):
    with fresh_pg_schema() as other:
        assert not asyncio.run(_woken_by(pg_engine, _change(other, commit=True), listen=True))
