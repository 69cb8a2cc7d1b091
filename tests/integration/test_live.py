"""The pieces of live updates that need no browser: the watcher's lease, tab records, toast texts."""

from __future__ import annotations

import json

from sqlmodel import Session

from marketu_app.api.schemas import CustomerIn
from marketu_app.db import writes
from marketu_app.live import lease
from marketu_app.live.messages import toast_text
from marketu_app.live.tabs import customers_with_tabs, forget_tabs, remember_tab, tabs_of


def test_only_one_process_holds_the_watcher_lease(any_engine):
    assert lease.hold(any_engine, "live-watcher", "worker-1", 30)
    assert not lease.hold(any_engine, "live-watcher", "worker-2", 30)
    assert lease.hold(any_engine, "live-watcher", "worker-1", 30)  # renewal
    lease.release(any_engine, "live-watcher", "worker-1")
    assert lease.hold(any_engine, "live-watcher", "worker-2", 30)


def test_an_expired_lease_passes_to_another_process(any_engine):
    assert lease.hold(any_engine, "live-watcher", "worker-1", -1)  # already lapsed
    assert lease.hold(any_engine, "live-watcher", "worker-2", 30)


def test_tabs_are_recorded_per_customer_and_forgotten(any_engine):
    with Session(any_engine) as s:
        a, _ = writes.upsert_customer(s, "c-a", CustomerIn(name="A", phone="+77010000011", password="long password"))
        b, _ = writes.upsert_customer(s, "c-b", CustomerIn(name="B", phone="+77010000012", password="long password"))
        remember_tab(s, "tab-1", a.id, "parcels")
        remember_tab(s, "tab-2", a.id, "parcel:P-1")
        remember_tab(s, "tab-3", b.id, "parcels")
        remember_tab(s, "tab-1", a.id, "parcel:P-2")  # the same tab moved on
        s.commit()
        assert sorted((t.client_token, t.page) for t in tabs_of(s, {a.id})) == [
            ("tab-1", "parcel:P-2"), ("tab-2", "parcel:P-1")]
        assert customers_with_tabs(s) == {a.id, b.id}
        forget_tabs(s, ["tab-1", "tab-3"])
        s.commit()
        assert [t.client_token for t in tabs_of(s, {a.id, b.id})] == ["tab-2"]


def test_toasts_speak_the_customers_language():
    summary = json.dumps({"title": "Кроссовки Li-Ning", "status": "at_almaty_warehouse"}, ensure_ascii=False)
    assert toast_text("order_status", summary, "ru") == "Заказ «Кроссовки Li-Ning»: На складе в Алматы"
    assert toast_text("order_status", summary, "en") == "Order “Кроссовки Li-Ning”: At the Almaty warehouse"
    assert "Алматыдағы қоймада" in toast_text("order_status", summary, "kk")
    courier = json.dumps({"parcel_number": "P-1", "code": "out_for_delivery"})
    assert toast_text("courier", courier, "ru") == "Посылка P-1: Курьер в пути"
    assert toast_text("day_changed", "{}", "ru") == ""
    assert toast_text("order_status", "not json", "ru") == ""
