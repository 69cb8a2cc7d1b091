"""EMS or the Almaty courier says delivered/returned: the parcels page's filters follow (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from marketu_app.api.schemas import CourierEventIn, CustomerIn, OrderIn, ParcelIn, Recipient
from marketu_app.db import queries, writes
from marketu_app.db.models import Customer, EmsTrack
from marketu_app.domain.s10 import check_digit
from marketu_app.domain.timeutil import utcnow


def _track(n: int) -> str:
    serial = f"{n:08d}"
    return f"EE{serial}{check_digit(serial)}KZ"


def _numbers(session: Session, customer_id: int, filter_: str) -> list[str]:
    return sorted(r.parcel.number for r in queries.parcel_page(session, customer_id, filter_).rows)


def test_filters_follow_what_ems_or_the_courier_says(any_engine):
    now = utcnow()
    with Session(any_engine) as s:
        writes.upsert_customer(s, "C-1", CustomerIn(name="Айгерим", phone="+77011234567", password="correct horse 1"))
        recipient = Recipient(name="Айгерим", phone="+77011234567", city="Караганда", address="ул. Абая 1")
        for number, method, track in (("P-EMS-DONE", "kazakhstan", _track(1)), ("P-EMS-BACK", "kazakhstan", _track(2)),
                                      ("P-EMS-MOVING", "kazakhstan", _track(3)), ("P-COURIER", "almaty", None)):
            writes.upsert_parcel(s, number, ParcelIn(customer_id="C-1", delivery_method=method, recipient=recipient,
                                                     ems_track_number=track))
            writes.upsert_order(s, number.replace("P-", "M-"), OrderIn(
                customer_id="C-1", parcel_number=number, title="Товар", marketplace="taobao",
                status="sent_to_recipient", status_at=now - timedelta(days=2)))
        for track, final in ((_track(1), "delivered"), (_track(2), "returned"), (_track(3), None)):
            row = s.get(EmsTrack, track) or EmsTrack(track_number=track)
            row.final_status = final
            s.add(row)
        writes.add_courier_event(s, "P-COURIER", CourierEventIn(code="out_for_delivery", at=now - timedelta(hours=3)))
        writes.add_courier_event(s, "P-COURIER", CourierEventIn(code="delivered", at=now - timedelta(hours=1)))
        s.commit()
        customer = s.exec(select(Customer)).one().id
        assert _numbers(s, customer, "delivered") == ["P-COURIER", "P-EMS-DONE"]
        assert _numbers(s, customer, "active") == ["P-EMS-MOVING"]  # returned is not "on the way" either
        assert len(_numbers(s, customer, "all")) == 4
        # A later courier event (out again) puts it back on the way.
        writes.add_courier_event(s, "P-COURIER", CourierEventIn(code="out_for_delivery", at=now))
        s.commit()
        assert _numbers(s, customer, "active") == ["P-COURIER", "P-EMS-MOVING"]
