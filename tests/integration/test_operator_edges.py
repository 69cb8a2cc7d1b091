"""Edges of the operator API found by the security review (issue 12 §5), over real HTTP on SQLite and
on the real PostgreSQL: extreme timestamps, one track number on two parcels, identical writes at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.integration import test_operator_api as base
from tests.integration.conftest import TOKEN
from tests.integration.test_operator_api import OTHER, PAID_AT, RECIPIENT, order_body

seeded = base.seeded  # the same two customers, parcels and order as the API's own tests

TRACK = "EE123456785KZ"


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                   "1999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00"])
@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/orders/M-1/events", lambda v: {"status": "paid", "at": v}, "at"),
    ("/api/v1/orders/M-9", lambda v: order_body(status_at=v), "status_at"),
    ("/api/v1/parcels/P-9", lambda v: {"customer_id": "c-1", "delivery_method": "pickup", "created_at": v},
     "created_at"),
])
def test_timestamps_outside_the_window_get_422_naming_the_field(seeded, value, path, body, field):
    method = seeded.post if path.endswith("/events") else seeded.put
    r = method(path, json=body(value))
    assert r.status_code == 422, r.text
    assert any(e["loc"][-1] == field and "time window" in e["msg"] for e in r.json()["detail"]), r.text


def test_the_courier_event_time_is_checked_too(seeded):
    r = seeded.put("/api/v1/parcels/P-3", json={"customer_id": "c-1", "delivery_method": "almaty",
                                                "recipient": RECIPIENT})
    assert r.status_code == 201, r.text
    r = seeded.post("/api/v1/parcels/P-3/events", json={"code": "out_for_delivery",
                                                        "at": "9999-12-31T23:59:59-12:00"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "at"


def test_one_track_number_cannot_go_to_two_parcels(seeded):
    kz = {"delivery_method": "kazakhstan", "recipient": RECIPIENT, "ems_track_number": TRACK}
    assert seeded.put("/api/v1/parcels/P-1", json={"customer_id": "c-1", **kz}).status_code == 200
    # The same number again for the same parcel changes nothing.
    again = seeded.put("/api/v1/parcels/P-1", json={"customer_id": "c-1", **kz})
    assert again.status_code == 200 and again.json()["ems_track_number"] == TRACK
    # Another customer's parcel (new or existing) with that number is refused, naming the field.
    for number, customer in (("P-7", "c-2"), ("P-2", "c-2"), ("P-8", "c-1")):
        r = seeded.put(f"/api/v1/parcels/{number}", json={"customer_id": customer, **kz})
        assert r.status_code == 409, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "ems_track_number"]
    assert seeded.get("/api/v1/parcels/P-7").status_code == 404
    assert seeded.get("/api/v1/parcels/P-2").json()["ems_track_number"] is None


def _at_once(url: str, path: str, body: dict, n: int = 20) -> list[int]:
    def one(_):
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60) as c:
            return c.put(path, json=body).status_code

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


def test_identical_writes_sent_at_once_all_succeed(api_url, seeded):
    customer = {**OTHER, "phone": "+77015550000"}
    assert _at_once(api_url, "/api/v1/customers/c-new", customer) == [200] * 19 + [201]
    order = order_body(status_at=PAID_AT)
    assert _at_once(api_url, "/api/v1/orders/M-new", order) == [200] * 19 + [201]
    parcel = {"customer_id": "c-1", "delivery_method": "pickup"}
    assert _at_once(api_url, "/api/v1/parcels/P-new", parcel) == [200] * 19 + [201]
    assert seeded.get("/api/v1/orders/M-new").status_code == 200
