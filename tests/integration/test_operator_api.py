"""The operator API over real HTTP, as the back office uses it (shared/spec/operator-api.md)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from marketu_app.api.router import create_api
from marketu_app.settings import get_settings
from tests.servers import serve

CUSTOMER = {"name": "Айгерим С.", "phone": "+77011234567", "email": "a@example.kz", "locale": "ru",
            "password": "at least 10 chars"}
OTHER = {"name": "Данияр А.", "phone": "+77771234567", "password": "another password"}
RECIPIENT = {"name": "Айгерим", "phone": "+77011234567", "city": "Караганда", "address": "ул. Абая, 1"}


def at(days_ago: float = 0) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days_ago)).astimezone(
        timezone(timedelta(hours=5))).isoformat(timespec="seconds")


PAID_AT = at(10)  # fixed once: repeating a request must repeat its time exactly


def order_body(**over):
    body = {"customer_id": "c-1", "parcel_number": "P-1", "title": "Кроссовки Li-Ning, 42", "marketplace": "taobao",
            "quantity": 1, "price": {"amount": "389.00", "currency": "CNY"}, "status": "paid", "status_at": PAID_AT}
    body.update(over)
    return body


@pytest.fixture
def seeded(api):
    assert api.put("/api/v1/customers/c-1", json=CUSTOMER).status_code == 201
    assert api.put("/api/v1/customers/c-2", json=OTHER).status_code == 201
    r = api.put("/api/v1/parcels/P-1", json={"customer_id": "c-1", "delivery_method": "kazakhstan",
                                             "recipient": RECIPIENT, "weight_kg": 2.4})
    assert r.status_code == 201, r.text
    r = api.put("/api/v1/parcels/P-2", json={"customer_id": "c-2", "delivery_method": "pickup"})
    assert r.status_code == 201, r.text
    r = api.put("/api/v1/orders/M-1", json=order_body())
    assert r.status_code == 201, r.text
    return api


def test_no_token_and_wrong_token_get_401(api_url):
    assert httpx.get(f"{api_url}/api/v1/orders/M-1").status_code == 401
    wrong = httpx.put(f"{api_url}/api/v1/customers/c-1", json=CUSTOMER, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert httpx.get(f"{api_url}/api/v1/orders/M-1", headers={"Authorization": "Basic abc"}).status_code == 401


def test_api_is_closed_with_503_when_no_token_is_configured(monkeypatch, sqlite_engine):
    monkeypatch.delenv("MARKETU_OPERATOR_TOKEN", raising=False)
    get_settings.cache_clear()
    with serve(create_api()) as url:
        r = httpx.put(f"{url}/api/v1/customers/c-1", json=CUSTOMER, headers={"Authorization": "Bearer x"})
        assert r.status_code == 503
        assert httpx.get(f"{url}/api/v1/parcels/P-1").status_code == 503
        assert httpx.get(f"{url}/api/v1/openapi.json").status_code == 200  # the description stays readable
    get_settings.cache_clear()


def test_customer_is_created_then_updated_and_never_returns_secrets(api):
    first = api.put("/api/v1/customers/c-9", json=CUSTOMER)
    assert first.status_code == 201
    body = first.json()
    assert body["customer_id"] == "c-9" and body["phone"] == "+77011234567"
    assert "password" not in first.text and "hash" not in first.text
    again = api.put("/api/v1/customers/c-9", json=CUSTOMER)
    assert again.status_code == 200
    assert again.json() == body  # same request twice: same state


def test_same_requests_twice_give_201_then_200_and_change_nothing(seeded):
    api = seeded
    event = {"status": "processing", "at": at(9), "note": "выкуплен"}
    assert api.post("/api/v1/orders/M-1/events", json=event).status_code == 201
    before = api.get("/api/v1/parcels/P-1").json()
    r = api.post("/api/v1/orders/M-1/events", json=event)
    assert r.status_code == 200 and r.json()["recorded"] is False
    assert api.put("/api/v1/orders/M-1", json=order_body()).status_code == 200
    assert api.put("/api/v1/parcels/P-1", json={"customer_id": "c-1", "delivery_method": "kazakhstan",
                                                "recipient": RECIPIENT, "weight_kg": 2.4}).status_code == 200
    after = api.get("/api/v1/parcels/P-1").json()
    assert after == before
    assert [h["status"] for h in after["orders"][0]["history"]] == ["paid", "processing"]


def test_courier_event_is_idempotent(api):
    api.put("/api/v1/customers/c-1", json=CUSTOMER)
    api.put("/api/v1/parcels/P-3", json={"customer_id": "c-1", "delivery_method": "almaty", "recipient": RECIPIENT})
    event = {"code": "out_for_delivery", "at": at(0.1), "note": "Курьер Ерлан"}
    assert api.post("/api/v1/parcels/P-3/events", json=event).status_code == 201
    assert api.post("/api/v1/parcels/P-3/events", json=event).status_code == 200
    assert len(api.get("/api/v1/parcels/P-3").json()["courier_events"]) == 1


def test_late_event_lands_in_its_place_and_does_not_become_current(seeded):
    api = seeded
    api.post("/api/v1/orders/M-1/events", json={"status": "to_china_warehouse", "at": at(5)})
    late = api.post("/api/v1/orders/M-1/events", json={"status": "processing", "at": at(8)})
    assert late.status_code == 201
    order = api.get("/api/v1/orders/M-1").json()
    assert order["status"] == "to_china_warehouse"
    assert [h["status"] for h in order["history"]] == ["paid", "processing", "to_china_warehouse"]
    assert order["history"][1]["at"] < order["history"][2]["at"]


def test_times_come_back_with_an_offset(seeded):
    order = seeded.get("/api/v1/orders/M-1").json()
    assert datetime.fromisoformat(order["status_at"]).tzinfo is not None


def _field_error(response, field):
    assert response.status_code == 422, response.text
    locs = [e["loc"] for e in response.json()["detail"]]
    assert any(loc and loc[-1] == field or field in loc for loc in locs), locs
    assert all(e["msg"] for e in response.json()["detail"])


@pytest.mark.parametrize("path, body, field", [
    ("/api/v1/orders/M-1/events", {"status": "lost_in_space", "at": at(1)}, "status"),
    ("/api/v1/orders/M-1/events", {"status": "paid", "at": "2026-11-20T14:00:00"}, "at"),
    ("/api/v1/orders/M-1/events", {"status": "paid", "at": at(1), "colour": "red"}, "colour"),
    ("/api/v1/orders/M-1/events", {"status": "paid", "at": at(-2)}, "at"),
    ("/api/v1/parcels/P-1", {"customer_id": "c-1", "delivery_method": "kazakhstan", "recipient": RECIPIENT,
                             "ems_track_number": "EE471108152KZ"}, "ems_track_number"),
    ("/api/v1/parcels/P-4", {"customer_id": "c-1", "delivery_method": "pickup",
                             "ems_track_number": "EE471108151KZ"}, "ems_track_number"),
    ("/api/v1/parcels/P-4", {"customer_id": "c-1", "delivery_method": "by_camel"}, "delivery_method"),
    ("/api/v1/orders/M-5", order_body(parcel_number="P-2"), "parcel_number"),
    ("/api/v1/orders/M-5", order_body(status_at="2026-11-20 14:00"), "status_at"),
    ("/api/v1/orders/M-5", order_body(price={"amount": "abc", "currency": "CNY"}), "amount"),
    ("/api/v1/customers/c-7", {"name": "X", "phone": "12", "password": "long enough pw"}, "phone"),
    ("/api/v1/customers/c-7", {"name": "X", "phone": "+77001112233", "password": "short"}, "password"),
    # Right length and prefix, but no Kazakh operator has 799 (phonenumbers' metadata).
    ("/api/v1/customers/c-7", {"name": "X", "phone": "+7 799 123 45 67", "password": "long enough pw"}, "phone"),
    ("/api/v1/parcels/P-4", {"customer_id": "c-1", "delivery_method": "almaty",
                             "recipient": {**RECIPIENT, "phone": "87991234567"}}, "phone"),
])
def test_bad_fields_get_422_naming_the_field_and_write_nothing(seeded, path, body, field):
    api = seeded
    before = api.get("/api/v1/parcels/P-1").json()
    method = api.post if path.endswith("/events") else api.put
    _field_error(method(path, json=body), field)
    assert api.get("/api/v1/parcels/P-1").json() == before
    if path.startswith("/api/v1/orders/M-5"):
        assert api.get("/api/v1/orders/M-5").status_code == 404


def test_phones_are_stored_in_e164_however_typed(api):
    r = api.put("/api/v1/customers/c-6", json={"name": "X", "phone": "8 (705) 111-22-33", "password": "long enough pw"})
    assert r.status_code == 201, r.text
    assert r.json()["phone"] == "+77051112233"


def test_rejected_password_is_never_echoed(api):
    r = api.put("/api/v1/customers/c-8", json={"name": "X", "phone": "+77001112233", "password": "s3cr3t"})
    assert r.status_code == 422 and "s3cr3t" not in r.text


def test_phone_taken_by_another_customer_is_a_conflict(seeded):
    r = seeded.put("/api/v1/customers/c-2", json={**OTHER, "phone": CUSTOMER["phone"]})
    assert r.status_code == 409
    assert r.json()["detail"][0]["loc"][-1] == "phone"


def test_valid_track_number_is_accepted_for_kazakhstan(seeded):
    r = seeded.put("/api/v1/parcels/P-1", json={"customer_id": "c-1", "delivery_method": "kazakhstan",
                                                "recipient": RECIPIENT, "ems_track_number": "ee 471108151 kz"})
    assert r.status_code == 200
    assert r.json()["ems_track_number"] == "EE471108151KZ"


def test_unknown_numbers_give_404(api):
    assert api.get("/api/v1/orders/NOPE").status_code == 404
    assert api.post("/api/v1/orders/NOPE/events", json={"status": "paid", "at": at(1)}).status_code == 404
    assert api.get("/api/v1/parcels/bad%20number").status_code == 422


def test_openapi_describes_every_route(api):
    doc = api.get("/api/v1/openapi.json").json()
    assert {"/api/v1/customers/{customer_id}", "/api/v1/parcels/{parcel_number}",
            "/api/v1/parcels/{parcel_number}/events", "/api/v1/orders/{order_number}",
            "/api/v1/orders/{order_number}/events"} <= set(doc["paths"])


def test_nul_characters_are_refused_with_422(seeded):
    r = seeded.put("/api/v1/orders/M-1", json=order_body(title="Кроссовки\x00"))
    _field_error(r, "title")
    r = seeded.put("/api/v1/customers/c-1", json={**CUSTOMER, "name": "A\x00"})
    _field_error(r, "name")
