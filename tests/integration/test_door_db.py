"""The door estimate from a real database (SQLite and PostgreSQL) and in the operator API's read-back."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session

from marketu_app.api.router import create_api
from marketu_app.api.schemas import CustomerIn, OrderEventIn, OrderIn, ParcelIn, Recipient
from marketu_app.db import eta_source, writes
from marketu_app.db.models import EmsEvent
from marketu_app.domain.s10 import check_digit
from marketu_app.domain.statuses import OrderStatus
from marketu_app.domain.timeutil import almaty_date, utcnow
from marketu_app.settings import get_settings
from tests.integration.conftest import TOKEN, use_database
from tests.servers import serve

pytestmark = pytest.mark.usefixtures("empty_eta_cache")

S = OrderStatus
TRANSIT_DAYS = (7.0, 8.0, 9.0)  # Almaty -> Karaganda in this history: slower than the road-time prior (4-5)


def track(i: int) -> str:
    digits = f"{70000000 + i:08d}"
    return f"EE{digits}{check_digit(digits)}KZ"


def _parcel(session: Session, i: int, arrived, transit: float | None, accepted_after: float = 1.6) -> None:
    """An EMS parcel to Karaganda: in Almaty at `arrived`, packed a day later, sent at 1.5, accepted at 1.6."""
    number = f"P-D{i}"
    writes.upsert_parcel(session, number, ParcelIn(
        customer_id="c-door", delivery_method="kazakhstan", ems_track_number=track(i),
        recipient=Recipient(name="Айгерим", city="Караганда", address="ул. Абая, 1")))
    writes.upsert_order(session, f"M-D{i}", OrderIn(customer_id="c-door", parcel_number=number, title="x",
                                                    marketplace="taobao", status=S.SHIPPED_FROM_CHINA,
                                                    status_at=arrived - timedelta(days=9)))
    for status, after in ((S.AT_ALMATY_WAREHOUSE, 0), (S.PACKED, 1.0), (S.SENT_TO_RECIPIENT, 1.5)):
        writes.add_order_event(session, f"M-D{i}", OrderEventIn(status=status, at=arrived + timedelta(days=after)))
    accepted = arrived + timedelta(days=accepted_after)
    # As the poller stores Kazpost's events: accepted, sorted, and (for the finished ones) delivered.
    session.add(EmsEvent(track_number=track(i), code="RCPOPS", at=accepted, place="Алматы"))
    session.add(EmsEvent(track_number=track(i), code="SRTSND", at=accepted + timedelta(hours=5), place="Алматы"))
    if transit is not None:
        session.add(EmsEvent(track_number=track(i), code="ISSPAY", at=accepted + timedelta(days=transit),
                             place="Караганда"))


@pytest.fixture
def filled(any_engine):
    now = utcnow()
    with Session(any_engine) as session:
        writes.upsert_customer(session, "c-door", CustomerIn(name="Door", phone="+77015550199",
                                                              password="door-password-1"))
        for i in range(30):
            _parcel(session, i, now - timedelta(days=40 + i), TRANSIT_DAYS[i % 3])
        _parcel(session, 100, now - timedelta(days=3.6), None)  # EMS accepted it 2 days ago
        session.commit()
    return any_engine, now


def test_refresh_learns_the_last_leg_by_destination_from_ems_histories(filled):
    engine, now = filled
    eta_source.refresh_stats(engine, now=now)
    summary = eta_source.current_door_stats().summary()
    source, n, median = summary["transit:karaganda"]
    assert (source, n, median) == ("transit:karaganda", 30, pytest.approx(8.0, abs=0.01))
    assert summary["pack"][1] == 31 and summary["pack"][2] == pytest.approx(1.0, abs=0.01)


def test_read_back_gives_the_door_date_of_the_remaining_leg(filled, monkeypatch):
    engine, now = filled
    eta_source.refresh_stats(engine, now=now)
    use_database(monkeypatch, engine)
    monkeypatch.setenv("MARKETU_OPERATOR_TOKEN", TOKEN)
    get_settings.cache_clear()
    with serve(create_api()) as url:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as api:
            body = api.get("/api/v1/parcels/P-D100").json()
            done = api.get("/api/v1/parcels/P-D3").json()
    get_settings.cache_clear()
    door = body["door"]
    accepted = now - timedelta(days=2)
    # Accepted two days ago, 7-9 days in transit: the rest is 5-7 days; the prior (4-5) no longer rules.
    assert door["method"] == "kazakhstan" and door["destination"] == "karaganda"
    assert door["earliest"] >= almaty_date(accepted + timedelta(days=7)).isoformat()
    assert door["latest"] <= almaty_date(accepted + timedelta(days=9)).isoformat()
    assert door["earliest"] <= door["expected"] <= door["latest"] and door["late_days"] == 0
    assert body["eta"]["arrived"] is not None  # the existing fields are unchanged
    assert done["door"]["delivered"] == almaty_date(now - timedelta(days=43 - 1.6 - 7)).isoformat()
