"""The operator API's batch of events (POST /api/v1/events) over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import Session, select

from marketu_app.db import writes
from marketu_app.db.engine import session_scope
from marketu_app.db.inputs import CourierEventItem, OrderEventItem
from marketu_app.db.models import ChangeLog, CourierEvent, OrderStatusEvent
from tests.integration.test_operator_api import RECIPIENT, at, order_body

BATCH = "/api/v1/events"


@pytest.fixture
def shop(api):
    """Customer c-1 with order M-1 (paid) in parcel P-1 (Almaty courier) and M-2 in P-2 (pickup)."""
    assert api.put("/api/v1/customers/c-1", json={"name": "Айгерим", "phone": "+77011234567",
                                                  "password": "at least 10 chars"}).status_code == 201
    for number, method in (("P-1", "almaty"), ("P-2", "pickup")):
        body = {"customer_id": "c-1", "delivery_method": method}
        if method == "almaty":
            body["recipient"] = RECIPIENT
        assert api.put(f"/api/v1/parcels/{number}", json=body).status_code == 201
    assert api.put("/api/v1/orders/M-1", json=order_body()).status_code == 201
    assert api.put("/api/v1/orders/M-2", json=order_body(parcel_number="P-2")).status_code == 201
    return api


def order_event(number: str, status: str, days_ago: float, **extra) -> dict:
    return {"type": "order_event", "order_number": number, "status": status, "at": at(days_ago), **extra}


def courier_event(number: str, code: str, days_ago: float) -> dict:
    return {"type": "courier_event", "parcel_number": number, "code": code, "at": at(days_ago)}


def test_each_item_gets_its_result_in_order_and_bad_items_write_nothing(shop):
    api = shop
    events = [
        order_event("M-1", "processing", 9),
        courier_event("P-1", "handed_to_courier", 1),
        order_event("M-1", "lost_in_space", 8),  # unknown status
        order_event("NOPE", "processing", 8),  # unknown order
        courier_event("P-2", "delivered", 1),  # pickup parcel: no courier
        order_event("M-1", "processing", -2),  # two days ahead
        {"type": "order_event", "order_number": "M-2", "status": "processing", "at": at(8), "colour": "red"},
        {"type": "parcel_event", "parcel_number": "P-1"},
        "not even an object",
        order_event("M-2", "processing", 8),
    ]
    before = api.get("/api/v1/parcels/P-2").json()
    r = api.post(BATCH, json={"events": events})
    assert r.status_code == 200, r.text
    body = r.json()
    results = body["results"]
    assert [x["index"] for x in results] == list(range(len(events)))
    assert [x["result"] for x in results] == ["recorded", "recorded"] + ["rejected"] * 7 + ["recorded"]
    assert (body["recorded"], body["already_there"], body["rejected"]) == (3, 0, 7)
    fields = [[p["field"] for p in x["problems"]] for x in results[2:9]]
    assert fields[0] == ["status"] and fields[1] == ["order_number"] and fields[2] == ["code"]
    assert fields[3] == ["at"] and fields[4] == ["colour"] and fields[5] == ["type"] and fields[6] == [None]
    assert all(p["message"] for x in results[2:9] for p in x["problems"])
    assert results[0]["current_status"] == "processing" and results[0]["order_number"] == "M-1"
    assert results[1]["parcel_number"] == "P-1" and results[3]["order_number"] == "NOPE"
    after = api.get("/api/v1/parcels/P-2").json()
    assert after["courier_events"] == before["courier_events"] == []
    assert [h["status"] for h in after["orders"][0]["history"]] == ["paid", "processing"]
    assert [h["status"] for h in api.get("/api/v1/orders/M-1").json()["history"]] == ["paid", "processing"]


def test_a_batch_sent_twice_records_nothing_the_second_time(shop):
    events = [order_event("M-1", s, d) for s, d in (("processing", 9), ("to_china_warehouse", 7))]
    events += [courier_event("P-1", "handed_to_courier", 1), courier_event("P-1", "out_for_delivery", 0.5)]
    first = shop.post(BATCH, json={"events": events}).json()
    again = shop.post(BATCH, json={"events": events}).json()
    assert [x["result"] for x in first["results"]] == ["recorded"] * 4
    assert [x["result"] for x in again["results"]] == ["already_there"] * 4
    assert again["results"][1]["current_status"] == "to_china_warehouse"
    # The same events through the single endpoints: already there too (same idempotency key).
    single = shop.post("/api/v1/orders/M-1/events", json={"status": "processing", "at": events[0]["at"]})
    assert single.status_code == 200


def test_the_envelope_is_checked_as_a_whole(shop):
    too_many = [order_event("M-1", "processing", 9)] * 1001
    for body in ({"events": too_many}, {"events": []}, {}, {"events": [], "extra": 1}):
        r = shop.post(BATCH, json=body)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"][:2] == ["body", "events"] or "extra" in str(r.json())
    answer = shop.post(BATCH, json={"events": too_many[:1000]}, timeout=300).json()  # 1,000 is allowed
    assert (answer["recorded"], answer["already_there"]) == (1, 999)
    assert {r["current_status"] for r in answer["results"]} == {"processing"}


def test_the_batch_needs_the_token(api_url):
    import httpx

    assert httpx.post(f"{api_url}{BATCH}", json={"events": []}).status_code == 401


def test_the_batch_is_in_the_openapi_description(api):
    doc = api.get("/api/v1/openapi.json").json()
    post = doc["paths"][BATCH]["post"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    items = doc["components"]["schemas"][ref]["properties"]["events"]
    assert items["maxItems"] == 1000
    assert {"OrderEventItem", "CourierEventItem", "EventBatchOut"} <= set(doc["components"]["schemas"])


def test_an_item_that_fails_after_writing_leaves_nothing_of_it(shop, any_engine, monkeypatch):
    """The savepoint: a failure after the event row was flushed undoes that item only."""
    original = writes._touch_parcel
    calls = {"n": 0}

    def fail_on_second(session, parcel_id, when):
        calls["n"] += 1
        original(session, parcel_id, when)
        if calls["n"] == 2:
            raise writes.InputProblem("at", "simulated failure after the write")

    monkeypatch.setattr(writes, "_touch_parcel", fail_on_second)
    items = [CourierEventItem(type="courier_event", parcel_number="P-1", code="handed_to_courier", at=at(3)),
             CourierEventItem(type="courier_event", parcel_number="P-1", code="out_for_delivery", at=at(2)),
             OrderEventItem(type="order_event", order_number="M-1", status="processing", at=at(9))]
    with Session(any_engine) as session:
        changes_before = len(session.exec(select(ChangeLog.id)).all())
        outcomes = writes.record_event_items(session, items)
        session.commit()
    assert [o.result for o in outcomes] == ["recorded", "rejected", "recorded"]
    with Session(any_engine) as session:
        codes = session.exec(select(CourierEvent.code)).all()
        assert codes == ["handed_to_courier"]
        assert len(session.exec(select(OrderStatusEvent.id)).all()) == 3  # paid x2 orders + processing
        assert len(session.exec(select(ChangeLog.id)).all()) == changes_before + 2


def test_a_batch_waits_for_other_writers_instead_of_failing(shop, any_engine):
    """Other connections commit while a batch runs (tabs recorded, the watcher): on SQLite the batch's
    first read used to pin a snapshot, and its first write then failed with "database is locked"."""
    stop, errors = threading.Event(), []

    def other_writer():
        while not stop.is_set():
            try:
                with session_scope(any_engine) as s:
                    s.add(ChangeLog(customer_id=1, kind="test", summary="{}"))
            except Exception as error:  # noqa: BLE001
                errors.append(repr(error))

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        for round_ in range(3):
            items = [OrderEventItem(type="order_event", order_number=f"M-{1 + i % 2}", status="processing",
                                    at=at(5 - round_ - i / 1000)) for i in range(40)]
            with session_scope(any_engine) as session:
                outcomes = writes.record_event_items(session, items)
            assert {o.result for o in outcomes} == {"recorded"}
    finally:
        stop.set()
        thread.join()
    assert errors == []


def test_a_batch_of_order_events_goes_set_wise_with_the_one_by_one_results(shop, any_engine, monkeypatch):
    """A container's batch (order events only) takes a few statements whatever its size, and leaves
    exactly what the one-by-one path leaves: outcomes, events, current statuses, parcels, changes."""
    from sqlalchemy import event
    from sqlalchemy.exc import IntegrityError

    from marketu_app.db import event_batch
    from marketu_app.db.models import Order, Parcel

    same = at(6)
    raw = [("M-1", "processing", at(9)), ("M-1", "to_china_warehouse", at(7)), ("M-1", "processing", at(9)),
           ("NOPE", "processing", at(8)), ("M-2", "processing", at(-2)), ("M-2", "at_china_warehouse", same),
           ("M-2", "to_china_warehouse", at(8)), ("M-1", "at_china_warehouse", at(7)),
           ("M-2", "shipped_from_china", same)]  # the same time as the event before it: the later one wins
    raw += [(f"M-{1 + i % 2}", "processing", at(10 + i / 100)) for i in range(60)]
    items = [OrderEventItem(type="order_event", order_number=n, status=s, at=t) for n, s, t in raw]

    def run() -> tuple:
        count = {"n": 0}

        def counter(*_):
            count["n"] += 1

        with Session(any_engine) as s:
            mark = max(s.exec(select(ChangeLog.id)).all())
            event.listen(any_engine, "before_cursor_execute", counter)
            try:
                outcomes = writes.record_event_items(s, items)
                s.flush()
            finally:
                event.remove(any_engine, "before_cursor_execute", counter)
            left = (
                [(o.result, o.field, o.message, o.current_status) for o in outcomes],
                sorted((e.order_id, e.status, e.at) for e in s.exec(select(OrderStatusEvent))),
                sorted((o.number, o.status, o.status_at) for o in s.exec(select(Order))),
                sorted((p.number, p.last_activity_at) for p in s.exec(select(Parcel))),
                [(c.customer_id, c.kind, c.parcel_id, c.summary) for c in s.exec(
                    select(ChangeLog).where(ChangeLog.id > mark).order_by(ChangeLog.id))],
            )
            s.rollback()
        return left, count["n"]

    set_wise, statements = run()

    def refused(*_args, **_kw):
        raise IntegrityError("simulated", None, Exception())

    monkeypatch.setattr(event_batch, "record_order_events", refused)  # -> one by one
    one_by_one, statements_one_by_one = run()
    assert set_wise == one_by_one
    assert [r[0] for r in set_wise[0][:9]] == ["recorded", "recorded", "already_there", "rejected", "rejected",
                                               "recorded", "recorded", "recorded", "recorded"]
    if any_engine.dialect.name == "postgresql":  # SQLite inserts row by row (in process, cheap)
        assert statements <= 15 < 300 < statements_one_by_one, (statements, statements_one_by_one)
    assert statements * 5 < statements_one_by_one, (statements, statements_one_by_one)
