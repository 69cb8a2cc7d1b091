"""The change stream: each consumer gets every committed change exactly once, in commit order,
across out-of-order commits, a consumer killed mid-batch and two consumers racing; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session

from marketu_app.api.schemas import CustomerIn
from marketu_app.db import writes
from marketu_app.db.engine import make_engine
from marketu_app.stream import consume, consume_async, follow, forget_delivered, position_of, record_change

ROOT = Path(__file__).resolve().parents[2]


def _customer(engine) -> int:
    with Session(engine) as s:
        customer, _ = writes.upsert_customer(s, "c-s", CustomerIn(name="S", phone="+77010000021",
                                                                   password="long password"))
        s.commit()
        return customer.id


def _write(engine, customer_id: int, n: int, tag: str = "w") -> None:
    with Session(engine) as s:
        for i in range(n):
            record_change(s, customer_id, "order_status", None, order_number=f"{tag}-{i}")
        s.commit()


def _effects_table(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE stream_effect (change_id BIGINT NOT NULL, worker VARCHAR(40))"))


def _effects(engine) -> Counter:
    with engine.connect() as conn:
        return Counter(r[0] for r in conn.execute(text("SELECT change_id FROM stream_effect")))


def _all_ids(engine) -> set[int]:
    with engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT id FROM change_log"))}


def _recording(worker: str):
    def handler(session, changes) -> None:
        for c in changes:
            session.execute(text("INSERT INTO stream_effect (change_id, worker) VALUES (:c, :w)"),
                            {"c": c.id, "w": worker})
    return handler


def _drain(engine, consumer: str, handler, deadline_s: float = 30) -> None:
    """Consumes until a pass finds nothing new (another holder may briefly have the turn)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        consume(engine, consumer, handler, start="beginning")
        if _position_is_head(engine, consumer):
            return
        time.sleep(0.05)
    raise AssertionError(f"{consumer} did not reach the head in {deadline_s} s")


def _position_is_head(engine, consumer: str) -> bool:
    with engine.connect() as conn:
        head = conn.execute(text("SELECT max(id) FROM change_log")).scalar()
    return head is None or position_of(engine, consumer) == head


def test_each_consumer_gets_every_change_once_in_order(any_engine):
    cid = _customer(any_engine)
    _write(any_engine, cid, 7)
    got: dict[str, list] = {"live": [], "notify": []}
    for name in got:
        while consume(any_engine, name, lambda s, ch, n=name: got[n].extend(ch), batch_size=3, start="beginning"):
            pass
    assert [c.summary["order_number"] for c in got["live"]] == [f"w-{i}" for i in range(7)]
    assert [c.id for c in got["notify"]] == [c.id for c in got["live"]]  # cursors are per consumer
    assert consume(any_engine, "live", lambda s, ch: got["live"].extend(ch)) == 0  # and stay put
    _write(any_engine, cid, 2, tag="x")
    consume(any_engine, "live", lambda s, ch: got["live"].extend(ch))
    assert [c.summary["order_number"] for c in got["live"][7:]] == ["x-0", "x-1"]


def test_a_new_consumer_starts_after_what_is_already_committed(any_engine):
    cid = _customer(any_engine)
    _write(any_engine, cid, 3)
    seen = []
    assert consume(any_engine, "late", lambda s, ch: seen.extend(ch)) == 0
    _write(any_engine, cid, 1, tag="new")
    assert consume(any_engine, "late", lambda s, ch: seen.extend(ch)) == 1
    assert seen[0].summary == {"order_number": "new-0"}


def test_a_handler_that_fails_moves_nothing(any_engine):
    cid = _customer(any_engine)
    _effects_table(any_engine)
    _write(any_engine, cid, 4)

    def failing(session, changes):
        _recording("failing")(session, changes)
        raise RuntimeError("channel down")

    with pytest.raises(RuntimeError):
        consume(any_engine, "n", failing, start="beginning")
    assert _effects(any_engine) == Counter() and position_of(any_engine, "n") in (None, 0)
    assert consume(any_engine, "n", _recording("ok"), start="beginning") == 4
    assert _effects(any_engine) == Counter(_all_ids(any_engine))


def test_a_change_committed_after_a_higher_id_is_not_skipped(pg_engine):
    """Two connections: the first takes the lower id and commits last (PostgreSQL only: SQLite
    lets one writer at a time, so ids there are in commit order)."""
    cid = _customer(pg_engine)
    got = []
    with Session(pg_engine) as early:
        record_change(early, cid, "order_status", None, order_number="early")  # lower id, still open
        _write(pg_engine, cid, 1, tag="late")  # higher id, committed first
        consume(pg_engine, "live", lambda s, ch: got.extend(ch), start="beginning")
        assert got == []  # held back while "early" may still commit below "late-0"
        early.commit()
    while consume(pg_engine, "live", lambda s, ch: got.extend(ch), start="beginning"):
        pass
    names = [c.summary["order_number"] for c in got]
    assert sorted(names) == ["early", "late-0"], names  # reading `id > last_id`, "early" was lost
    assert names == ["early", "late-0"]  # in id order


def test_out_of_order_commits_under_concurrent_writers_lose_nothing(pg_engine):
    """Eight writers commit in random order while a consumer follows them."""
    cid = _customer(pg_engine)
    got: list = []
    stop = threading.Event()

    def writer(k: int) -> None:
        for i in range(25):
            with Session(pg_engine) as s:
                record_change(s, cid, "order_status", None, order_number=f"{k}-{i}")
                time.sleep(0.002 * ((k + i) % 3))  # transactions overlap and commit out of id order
                s.commit()

    def consumer() -> None:
        while not stop.is_set():
            consume(pg_engine, "live", lambda s, ch: got.extend(ch), start="beginning")

    reader = threading.Thread(target=consumer)
    reader.start()
    try:
        threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop.set()
        reader.join()
    _drain(pg_engine, "live", lambda s, ch: got.extend(ch))
    ids = [c.id for c in got]
    assert len(ids) == 200 and set(ids) == _all_ids(pg_engine)  # none lost, none twice
    assert [c.position for c in got] == sorted(c.position for c in got)


def test_a_consumer_killed_mid_batch_loses_and_repeats_nothing(any_engine, tmp_path):
    cid = _customer(any_engine)
    _effects_table(any_engine)
    _write(any_engine, cid, 30)
    marker = tmp_path / "halfway"
    url = any_engine.url.render_as_string(hide_password=False)
    proc = subprocess.Popen([sys.executable, "-m", "tests.integration.stream_worker", url, "notify", str(marker)],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "the worker ended before the middle of its batch"
            assert time.monotonic() < deadline, "the worker never got halfway"
            time.sleep(0.02)
        with any_engine.connect() as conn:  # its effects are there, uncommitted, when it dies
            assert conn.execute(text("SELECT count(*) FROM stream_effect")).scalar() == 0
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert position_of(any_engine, "notify") in (None, 0)
    _drain(any_engine, "notify", _recording("successor"))
    assert _effects(any_engine) == Counter(_all_ids(any_engine))  # each exactly once


@pytest.mark.parametrize("workers", [2])
def test_two_workers_racing_deliver_each_change_once(any_engine, workers):
    cid = _customer(any_engine)
    _effects_table(any_engine)
    url = any_engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url) for _ in range(workers)]  # separate pools: separate connections
    done = threading.Event()
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            while not done.is_set():
                consume(engines[k], "notify", _recording(f"w{k}"), batch_size=7, start="beginning")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            _write(any_engine, cid, 5, tag=f"b{i}")
        _drain(any_engine, "notify", _recording("last"))
    finally:
        done.set()
        for t in threads:
            t.join()
        for e in engines:
            e.dispose()
    assert not errors, errors
    assert _effects(any_engine) == Counter(_all_ids(any_engine))
    with any_engine.connect() as conn:
        by_worker = Counter(r[0] for r in conn.execute(text("SELECT worker FROM stream_effect")))
    assert sum(by_worker.values()) == 100


def test_a_follower_wakes_at_commit_and_an_external_effect_consumer_moves_after_it(any_engine):
    cid = _customer(any_engine)
    got: list = []

    async def handler(changes):
        got.extend(changes)

    async def run() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(follow(any_engine, lambda: consume_async(any_engine, "live", handler),
                                          stop_event=stop, tick=30))  # so only a wake-up can deliver
        await asyncio.sleep(0.5)  # the cursor is created and LISTEN is on before the write
        t0 = time.monotonic()
        await asyncio.to_thread(_write, any_engine, cid, 3)
        while len(got) < 3 or position_of(any_engine, "live") != got[-1].position:
            assert time.monotonic() - t0 < 10, "not woken by the commit"
            await asyncio.sleep(0.01)
        stop.set()
        task.cancel()
        return time.monotonic() - t0

    asyncio.run(run())
    assert [c.summary["order_number"] for c in got] == ["w-0", "w-1", "w-2"]


def test_old_changes_are_forgotten_only_once_every_consumer_passed_them(any_engine):
    from datetime import timedelta

    cid = _customer(any_engine)
    _write(any_engine, cid, 6)
    consume(any_engine, "slow", lambda s, ch: None, batch_size=2, start="beginning")
    consume(any_engine, "fast", lambda s, ch: None, start="beginning")
    assert forget_delivered(any_engine, timedelta(0)) == 2  # what "slow" passed
    consume(any_engine, "slow", lambda s, ch: None, start="beginning")
    assert forget_delivered(any_engine, timedelta(0)) == 3  # the newest row stays
    assert len(_all_ids(any_engine)) == 1
