"""Kazpost's status dictionary: fetched from the simulator over HTTP, kept in the database (SQLite and
PostgreSQL), refreshed by one worker a day, and used to name and hide codes on the parcel's timeline."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import Session, select

from marketu_app.api.schemas import CustomerIn, ParcelIn, Recipient
from marketu_app.db import tracking, writes
from marketu_app.db.models import EmsStatusTitle, Lease, Parcel
from marketu_app.domain.s10 import check_digit
from marketu_app.ems.client import EmsClient
from marketu_app.ems.dictionary import LEASE_NAME, refresh_once
from marketu_app.ems.poller import run_cycle
from marketu_app.ems.simulator import DICTIONARY, KazpostSimulator
from tests.servers import serve

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
def server():
    sim = KazpostSimulator(step_seconds=0, not_found=False)
    with serve(sim.app) as url:
        yield sim, f"{url}/api/v2"


@pytest.fixture
async def client(server):
    server[0].reset()
    c = EmsClient(base_url=server[1], timeout=5)
    yield c
    await c.aclose()


async def test_one_worker_fetches_the_dictionary_and_the_database_keeps_it(any_engine, server, client):
    sim = server[0]
    results = await asyncio.gather(*(refresh_once(any_engine, client) for _ in range(3)))
    assert sorted(results, key=lambda r: r is not None) == [None, None, len(DICTIONARY)]  # three workers, one fetch
    assert sim.requests["status_mappings"] == 1
    with Session(any_engine) as s:
        rows = {r.code: r for r in s.exec(select(EmsStatusTitle))}
        assert rows["TRANSITSND"].onsite is False and rows["ISSPAY"].title_kz == "Алушыға табыс етілді"
        lease_until = s.get(Lease, LEASE_NAME).until
    assert await refresh_once(any_engine, client) is None  # not again before a day has passed
    assert (lease_until - rows["ISSPAY"].updated_at).total_seconds() > 23 * 3600


async def test_a_failed_fetch_is_retried_later_and_keeps_the_old_names(any_engine, server, client):
    sim = server[0]
    sim.set_mode("status_mappings", "500")
    assert await refresh_once(any_engine, client) == 0
    assert await refresh_once(any_engine, client) is None  # the retry waits its turn (minutes, not a day)
    with Session(any_engine) as s:
        until = s.get(Lease, LEASE_NAME).until
        assert s.exec(select(EmsStatusTitle)).first() is None
    from marketu_app.domain.timeutil import utcnow
    assert (until - utcnow()).total_seconds() < 3600


def _parcel(engine, track: str) -> Parcel:
    with Session(engine) as s:
        writes.upsert_customer(s, "C-1", CustomerIn(name="Айгерим", phone="+77011234567",
                                                    password="correct horse battery"))
        writes.upsert_parcel(s, "P-1", ParcelIn(customer_id="C-1", delivery_method="kazakhstan",
                                                ems_track_number=track,
                                                recipient=Recipient(name="А", phone="+77011234567", city="Астана",
                                                                    address="ул. Абая 1")))
        s.commit()
        return s.exec(select(Parcel)).one()


async def test_the_timeline_speaks_kazpost_words_and_hides_what_kazpost_hides(any_engine, server, client):
    sim = server[0]
    track = f"EE{'00000077'}{check_digit('00000077')}KZ"
    parcel = _parcel(any_engine, track)
    for mode in ("novel", "hidden", "unknown"):
        sim.set_mode(track, mode)
    await refresh_once(any_engine, client)
    await run_cycle(any_engine, client)
    with Session(any_engine) as s:
        events = tracking.ems_timeline(s, parcel).events
        latest = tracking.latest_ems_events(s, [parcel.id])[parcel.id]
    codes = [e.code for e in events]
    assert "TRANSITSND" not in codes and "BAT" in codes  # hidden by Kazpost; a milestone stays
    novel = events[codes.index("ZZZNEW")]
    assert (novel.text("ru"), novel.text("kk"), novel.text("en")) == (
        "Передано партнёру для доставки", "Жеткізу үшін серіктеске берілді", "Kazpost event")
    delivered = events[-1]
    assert delivered.text("ru") in ("Вручено адресату", "Вручено") and delivered.text("en") == "Delivered"
    for e in events:
        assert all(e.code not in e.text(loc) for loc in ("ru", "kk", "en")), e
    assert latest.code == delivered.code
