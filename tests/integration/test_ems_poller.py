"""The EMS poller against the Kazpost simulator served over real HTTP on 127.0.0.1,
on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from marketu_app.db import tracking, writes
from marketu_app.db.inputs import CustomerIn, ParcelIn, Recipient
from marketu_app.db.models import ChangeLog, EmsEvent, EmsTrack, Parcel
from marketu_app.domain.s10 import check_digit
from marketu_app.domain.timeutil import utcnow
from marketu_app.ems import poller
from marketu_app.ems.client import EmsClient
from marketu_app.ems.poller import poller_loop, run_cycle
from marketu_app.ems.simulator import KazpostSimulator, RunningSimulator, _plan
from marketu_app.stream import consume, signal

HOURS = timedelta(hours=1)
pytestmark = pytest.mark.asyncio(loop_scope="session")  # the same loop as the async fixtures


def track(n: int) -> str:
    serial = f"{n:08d}"
    return f"EE{serial}{check_digit(serial)}KZ"


@pytest.fixture(scope="module")
def server():
    with RunningSimulator(KazpostSimulator(step_seconds=0, not_found=False)) as running:
        yield running


@pytest.fixture
def sim(server):
    server.sim.reset()
    server.sim.step_seconds = 0
    yield server.sim
    server.sim.reset()
    server.sim.step_seconds = 0


@pytest.fixture
async def client(server):
    c = EmsClient(base_url=server.base_url, timeout=5, max_connections=8)
    yield c
    await c.aclose()


@pytest.fixture
def make_parcels(any_engine):
    """Creates one customer's parcels through the write path; returns their track numbers."""
    counter = iter(range(1, 10_000))

    def make(*tracks: str) -> list[str]:
        with Session(any_engine) as s:
            if writes.customer_by_external_id(s, "C-1") is None:
                writes.upsert_customer(s, "C-1", CustomerIn(name="Айгерим", phone="+77011234567",
                                                            password="correct horse battery"))
            for t in tracks:
                writes.upsert_parcel(s, f"P-{next(counter)}", ParcelIn(
                    customer_id="C-1", delivery_method="kazakhstan", ems_track_number=t,
                    recipient=Recipient(name="Айгерим", phone="+77011234567", city="Астана", address="ул. Абая 1")))
            s.commit()
        return list(tracks)

    return make


def state(engine, t: str) -> EmsTrack:
    with Session(engine) as s:
        return s.get(EmsTrack, t)


def events_of(engine, t: str) -> list[EmsEvent]:
    with Session(engine) as s:
        return list(s.exec(select(EmsEvent).where(EmsEvent.track_number == t).order_by(EmsEvent.at, EmsEvent.id)))


def parcel_for(engine, t: str) -> Parcel:
    with Session(engine) as s:
        return s.exec(select(Parcel).where(Parcel.ems_track_number == t)).one()


def timeline(engine, t: str) -> tracking.EmsTimeline:
    with Session(engine) as s:
        return tracking.ems_timeline(s, s.exec(select(Parcel).where(Parcel.ems_track_number == t)).one())


def make_due(engine) -> None:
    """Bookkeeping only: every track due again (to poll the same history many times)."""
    with Session(engine) as s:
        for row in s.exec(select(EmsTrack)):
            row.active, row.next_poll_at = True, utcnow() - HOURS
            s.add(row)
        s.commit()


def plan_codes(t: str) -> list[str]:
    return [step.code for step in _plan(t, 0, "marketu")[1]]


async def test_delivered_history_lifecycle_and_change_log(any_engine, sim, client, make_parcels):
    a, b = make_parcels(track(1), track(2))
    now = utcnow()
    stats = await run_cycle(any_engine, client, now)
    assert (stats.claimed, stats.requests, stats.changed) == (2, 2, 2)
    tl = timeline(any_engine, a)
    assert [e.code for e in tl.events] == plan_codes(a)
    assert tl.events[0].group == "accepted" and tl.events[-1].group == "delivered" and tl.final
    assert tl.events[0].place.startswith("Отделение связи") and "Алматы" in tl.events[0].place
    assert tl.last_checked_at == now and tl.last_error is None and tl.registered
    assert all(x.at < y.at for x, y in zip(tl.events, tl.events[1:]))
    assert tl.events[-1].text("en") == "Delivered" and tl.events[-1].text_kk
    row = state(any_engine, a)
    assert row.final_status == "delivered" and row.active and row.lease_owner is None
    assert timedelta(hours=5) < row.next_poll_at - now < timedelta(hours=7)  # one last check
    with Session(any_engine) as s:
        logs = s.exec(select(ChangeLog).where(ChangeLog.kind == "ems")).all()
    assert len(logs) == 2
    summary = json.loads(logs[0].summary)
    assert summary["code"] in ("ISSPAY", "DPAY") and summary["text"] == "Вручено"
    assert summary["parcel_number"] in ("P-1", "P-2")
    # The last check confirms delivery: the track stops.
    stats = await run_cycle(any_engine, client, now + 7 * HOURS)
    assert (stats.requests, stats.new_events, stats.finished) == (2, 0, 2)
    assert not state(any_engine, a).active
    assert (await run_cycle(any_engine, client, now + 48 * HOURS)).requests == 0
    assert sim.requests[a] == sim.requests[b] == 2


async def test_news_found_by_the_poller_wake_the_change_consumers(any_engine, sim, client, make_parcels):
    """Through the one write path: a consumer is woken at commit, not at its fallback tick."""
    make_parcels(track(5))
    woken = asyncio.Event()
    signal.subscribe_local(woken)
    try:
        await run_cycle(any_engine, client)
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        signal.unsubscribe_local(woken)
    got = []
    consume(any_engine, "test", lambda s, changes: got.extend(changes), start="beginning")
    assert [c.kind for c in got][-1] == "ems" and got[-1].summary["parcel_number"] == "P-1"


async def test_same_events_on_every_poll_add_nothing(any_engine, sim, client, make_parcels):
    (t,) = make_parcels(track(3))
    await run_cycle(any_engine, client)
    first = len(events_of(any_engine, t))
    for _ in range(8):
        make_due(any_engine)
        stats = await run_cycle(any_engine, client)
        assert stats.requests == 1 and stats.new_events == 0
    assert sim.requests[t] == 9
    assert len(events_of(any_engine, t)) == first == len(plan_codes(t))
    with Session(any_engine) as s:
        dupes = s.exec(select(EmsEvent.code, EmsEvent.at, EmsEvent.place, func.count())
                       .group_by(EmsEvent.code, EmsEvent.at, EmsEvent.place).having(func.count() > 1)).all()
        assert dupes == []
        assert len(s.exec(select(ChangeLog).where(ChangeLog.kind == "ems")).all()) == 1
    assert state(any_engine, t).unchanged_polls == 8


async def test_events_arrive_over_minutes_and_the_schedule_adapts(any_engine, sim, client, make_parcels):
    clock = [1_000_000.0]
    sim.step_seconds, sim.clock = 60, lambda: clock[0]
    try:
        (t,) = make_parcels(track(4))
        now = utcnow()
        await run_cycle(any_engine, client, now)
        assert [e.code for e in timeline(any_engine, t).events] == ["RCPOPS"]
        assert timedelta(minutes=50) < state(any_engine, t).next_poll_at - now < timedelta(minutes=70)
        clock[0] += 200  # about three more steps
        await run_cycle(any_engine, client, now + 2 * HOURS)
        n = len(timeline(any_engine, t).events)
        assert 2 <= n < len(plan_codes(t))
        assert state(any_engine, t).unchanged_polls == 0
        await run_cycle(any_engine, client, now + 4 * HOURS)  # nothing new: back off
        row = state(any_engine, t)
        assert row.unchanged_polls == 1
        assert timedelta(minutes=100) < row.next_poll_at - (now + 4 * HOURS) < timedelta(minutes=140)
        clock[0] += 3600
        await run_cycle(any_engine, client, now + 7 * HOURS)
        assert timeline(any_engine, t).final
    finally:
        sim.clock = KazpostSimulator().clock


async def test_timeout_backs_off_then_recovers(any_engine, sim, server, make_parcels):
    (t,) = make_parcels(track(5))
    sim.set_mode(t, "timeout", times=1, delay=1.0)
    client = EmsClient(base_url=server.base_url, timeout=0.3)
    now = utcnow()
    stats = await run_cycle(any_engine, client, now)
    assert stats.failures == 1 and stats.new_events == 0
    row = state(any_engine, t)
    assert "timeout" in row.last_error and row.failures == 1 and row.lease_owner is None
    assert timedelta(minutes=4) < row.next_poll_at - now < timedelta(minutes=6)
    assert (await run_cycle(any_engine, client, now + timedelta(minutes=2))).requests == 0
    stats = await run_cycle(any_engine, client, now + timedelta(minutes=10))
    assert stats.new_events == len(plan_codes(t))
    row = state(any_engine, t)
    assert row.last_error is None and row.failures == 0 and timeline(any_engine, t).last_error is None
    await client.aclose()


async def test_500_backs_off_per_track_and_pauses_globally(any_engine, sim, client, make_parcels):
    tracks = make_parcels(track(10), track(11), track(12), track(13))
    sim.set_mode("*", "500")
    now = utcnow()
    stats = await run_cycle(any_engine, client, now, concurrency=1)
    # Three failures in a row: the whole poller pauses; the 4th track is left for later.
    assert stats.failures == 3 and stats.requests == 3 and stats.paused
    assert client.paused(now + timedelta(seconds=20)) and not client.paused(now + timedelta(seconds=40))
    polled = [t for t in tracks if sim.requests[t]]
    untouched = [t for t in tracks if not sim.requests[t]]
    assert len(polled) == 3 and len(untouched) == 1
    assert state(any_engine, untouched[0]).lease_owner is None  # released, not stuck
    assert all(state(any_engine, t).last_error == "HTTP 500" for t in polled)
    assert (await run_cycle(any_engine, client, now + timedelta(seconds=10))).paused
    sim.clear_modes()
    stats = await run_cycle(any_engine, client, now + timedelta(seconds=60))
    assert stats.requests == 1 and stats.new_events  # only the untouched track is due
    stats = await run_cycle(any_engine, client, now + timedelta(minutes=6))
    assert stats.requests == 3 and client.consecutive_failures == 0
    assert all(state(any_engine, t).failures == 0 for t in tracks)


async def test_429_retry_after_pauses_the_track_and_everyone(any_engine, sim, client, make_parcels):
    first, other = make_parcels(track(20), track(21))
    with Session(any_engine) as s:  # make `first` the first in line
        row = s.get(EmsTrack, first)
        row.next_poll_at = utcnow() - HOURS
        s.add(row)
        s.commit()
    sim.set_mode(first, "429", times=1, retry_after=600)
    now = utcnow()
    stats = await run_cycle(any_engine, client, now, concurrency=1)
    assert stats.rate_limited == 1 and stats.requests == 1 and stats.paused
    assert sim.requests[other] == 0
    row = state(any_engine, first)
    assert row.next_poll_at - now >= timedelta(seconds=600) and "rate limited" in row.last_error
    assert (await run_cycle(any_engine, client, now + timedelta(minutes=5))).requests == 0
    stats = await run_cycle(any_engine, client, now + timedelta(minutes=11))
    assert stats.requests == 2 and sim.requests[other] == 1


@pytest.mark.parametrize("mode, error", [("malformed", "malformed JSON"), ("html", "HTML")])
async def test_garbage_answers_are_failures(any_engine, sim, client, make_parcels, mode, error):
    (t,) = make_parcels(track(30))
    sim.set_mode(t, mode, times=1)
    now = utcnow()
    stats = await run_cycle(any_engine, client, now)
    assert stats.failures == 1 and events_of(any_engine, t) == []
    assert error in state(any_engine, t).last_error
    assert error in timeline(any_engine, t).last_error
    await run_cycle(any_engine, client, now + HOURS)
    assert len(events_of(any_engine, t)) == len(plan_codes(t))


async def test_empty_events(any_engine, sim, client, make_parcels):
    (t,) = make_parcels(track(40))
    sim.set_mode(t, "empty")
    stats = await run_cycle(any_engine, client)
    assert stats.failures == 0 and stats.new_events == 0
    row = state(any_engine, t)
    assert row.registered and row.last_error is None and row.active
    tl = timeline(any_engine, t)
    assert tl.events == [] and not tl.final


async def test_unknown_codes_are_kept_as_other(any_engine, sim, client, make_parcels):
    (t,) = make_parcels(track(41))
    sim.set_mode(t, "unknown")
    await run_cycle(any_engine, client)
    other = [e for e in timeline(any_engine, t).events if e.group == "other"]
    assert [(e.code, e.text_ru) for e in other] == [("XDELAYWX", "Задержка рейса по погодным условиям")]
    assert other[0].group_label("en") == "Kazpost event"


async def test_undo_codes_cancel_the_wrong_event(any_engine, sim, client, make_parcels):
    (t,) = make_parcels(track(42))
    sim.set_mode(t, "undo")
    await run_cycle(any_engine, client)
    raw = Counter(e.code for e in events_of(any_engine, t))
    assert raw["DLV_UNDO"] == 1
    codes = [e.code for e in timeline(any_engine, t).events]
    assert "DLV_UNDO" not in codes
    assert codes == plan_codes(t)  # the wrong DLV is gone, the real ones stay
    assert raw["DLV"] == codes.count("DLV") + 1


async def test_not_found_then_found(any_engine, sim, client, make_parcels):
    (t,) = make_parcels(track(43))
    sim.set_mode(t, "not_found", times=2)
    now = utcnow()
    for i in range(2):
        stats = await run_cycle(any_engine, client, now + i * 3 * HOURS)
        assert stats.not_registered == 1 and stats.failures == 0
        row = state(any_engine, t)
        assert not row.registered and row.last_error is None and row.failures == 0 and row.active
        tl = timeline(any_engine, t)
        assert tl.events == [] and not tl.registered and tl.last_error is None
    stats = await run_cycle(any_engine, client, now + 10 * HOURS)  # backed off: 1 h, 2 h, 6 h
    assert stats.new_events == len(plan_codes(t))
    assert state(any_engine, t).registered and timeline(any_engine, t).registered


async def test_track_changed_by_the_operator(any_engine, sim, client, make_parcels):
    old, new = track(50), track(51)
    make_parcels(old)
    now = utcnow()
    await run_cycle(any_engine, client, now)
    number = parcel_for(any_engine, old).number
    with Session(any_engine) as s:
        writes.upsert_parcel(s, number, ParcelIn(customer_id="C-1", delivery_method="kazakhstan",
                                                 ems_track_number=new))
        s.commit()
    make_due(any_engine)  # the old track would be due again too
    stats = await run_cycle(any_engine, client, now + HOURS)
    assert stats.orphaned == 1 and stats.requests == 1
    assert sim.requests[old] == 1 and sim.requests[new] == 1
    assert not state(any_engine, old).active
    tl = timeline(any_engine, new)
    assert tl.track_number == new and [e.code for e in tl.events] == plan_codes(new)
    with Session(any_engine) as s:
        p = s.exec(select(Parcel).where(Parcel.number == number)).one()
        latest = tracking.latest_ems_events(s, [p.id])
    assert latest[p.id].at == tl.events[-1].at
    assert (await run_cycle(any_engine, client, now + 48 * HOURS)).requests <= 1  # never the old one
    assert sim.requests[old] == 1


async def test_latest_events_and_refresh(any_engine, sim, client, make_parcels):
    a, b, c = make_parcels(track(60), track(61), track(62))
    sim.set_mode(b, "undo")
    sim.set_mode(c, "not_found")
    now = utcnow()
    await run_cycle(any_engine, client, now)
    with Session(any_engine) as s:
        ids = {t: s.exec(select(Parcel.id).where(Parcel.ems_track_number == t)).one() for t in (a, b, c)}
        latest = tracking.latest_ems_events(s, list(ids.values()))
        assert set(latest) == {ids[a], ids[b]}
        assert latest[ids[a]].group == "delivered" and latest[ids[b]].code in ("ISSPAY", "DPAY")
        assert tracking.latest_ems_events(s, []) == {}
        parcel = s.get(Parcel, ids[c])
        assert tracking.request_refresh(s, parcel, now + timedelta(seconds=5)) is True
        assert tracking.request_refresh(s, parcel, now + timedelta(seconds=30)) is False
        s.commit()
    assert state(any_engine, c).next_poll_at == now + timedelta(seconds=5)
    stats = await run_cycle(any_engine, client, now + timedelta(seconds=6))
    assert stats.requests == 1 and sim.requests[c] == 2
    with Session(any_engine) as s:
        assert tracking.request_refresh(s, s.get(Parcel, ids[c]), now + timedelta(seconds=70)) is True


async def test_two_pollers_share_the_work(any_engine, sim, make_parcels, server, monkeypatch):
    tracks = make_parcels(*(track(100 + i) for i in range(40)))
    # Both pollers' first claims wait for each other, then race for the same due tracks: they overlap
    # by construction, not by a delay.
    both_here = threading.Barrier(2, timeout=30)
    first_claims, original = set(), poller._claim

    def claim(engine, owner, now, limit):
        if owner not in first_claims:
            first_claims.add(owner)
            both_here.wait()
        return original(engine, owner, now, limit)

    monkeypatch.setattr(poller, "_claim", claim)
    now = utcnow()
    async with EmsClient(base_url=server.base_url, timeout=5) as c1, \
            EmsClient(base_url=server.base_url, timeout=5) as c2:
        s1, s2 = await asyncio.gather(run_cycle(any_engine, c1, now, owner="worker-1", concurrency=4),
                                      run_cycle(any_engine, c2, now, owner="worker-2", concurrency=4))
    assert s1.claimed > 0 and s2.claimed > 0  # both took part
    assert s1.claimed + s2.claimed == 40 and s1.requests + s2.requests == 40
    assert all(sim.requests[t] == 1 for t in tracks)  # no track polled twice in the window
    with Session(any_engine) as s:
        total = s.exec(select(func.count()).select_from(EmsEvent)).one()
        distinct = len(set(s.exec(select(EmsEvent.track_number, EmsEvent.code, EmsEvent.at, EmsEvent.place)).all()))
        leased = s.exec(select(func.count()).select_from(EmsTrack).where(EmsTrack.lease_owner.is_not(None))).one()
    assert total == distinct == sum(len(plan_codes(t)) for t in tracks)
    assert leased == 0


async def test_poller_loop_stops_cleanly(any_engine, sim, client, make_parcels):
    tracks = make_parcels(track(200), track(201))
    stop = asyncio.Event()
    task = asyncio.create_task(poller_loop(stop, engine=any_engine, client=client, interval=0.05))
    for _ in range(200):
        if all(events_of(any_engine, t) for t in tracks):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert all(events_of(any_engine, t) for t in tracks)
    # And on cancellation (a Reflex lifespan shutdown): no exception but CancelledError, no lease left.
    make_due(any_engine)
    sim.set_mode("*", "timeout", delay=0.5)
    task = asyncio.create_task(poller_loop(engine=any_engine, client=client, interval=0.05))
    for _ in range(100):
        if sum(sim.requests.values()) > 2:
            break
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with Session(any_engine) as s:
        assert s.exec(select(func.count()).select_from(EmsTrack).where(EmsTrack.lease_owner.is_not(None))).one() == 0
