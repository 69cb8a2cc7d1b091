"""What the pages do with a pushed change, without a browser: the registry, the per-tab watermark,
and the parcels page updating only the changed cards (equal to recomputing the page)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from sqlmodel import Session

from marketu_app.db import queries, writes
from marketu_app.db.engine import reset_engine
from marketu_app.db.inputs import CustomerIn, OrderEventIn, OrderIn, ParcelIn
from marketu_app.domain.timeutil import utcnow
from marketu_app.live import registry
from marketu_app.live.batch import PushBatch
from marketu_app.state.parcel import ParcelState
from marketu_app.state.parcels import ParcelsState
from marketu_app.state.session import SessionState
from marketu_app.stream import Change, consume
from marketu_app.views import parcel_card
from tests.integration.conftest import use_database


def test_pages_register_what_they_do_with_a_change():
    assert registry.page_for("parcels").state_cls is ParcelsState
    assert registry.page_for("parcel:P-1").state_cls is ParcelState
    assert registry.page_for("statuses") is None


def test_a_tab_applies_each_change_once_however_often_it_is_pushed():
    tab = SimpleNamespace(_live_seen=0)
    first = [Change(id=3, customer_id=1, kind="order_status"), Change(id=4, customer_id=1, kind="courier")]
    assert SessionState._unseen(tab, first) == first
    assert SessionState._unseen(tab, first) == []  # the same batch again (a failover, two watchers)
    again = [Change(id=4, customer_id=1, kind="courier"), Change(id=5, customer_id=1, kind="ems"),
             Change(id=0, customer_id=1, kind="day_changed")]
    assert [c.id for c in SessionState._unseen(tab, again)] == [5, 0]
    assert tab._live_seen == 5


def _setup(engine):
    base = utcnow() - timedelta(days=5)
    with Session(engine) as s:
        for ext, phone in (("c-a", "+77010000031"), ("c-b", "+77010000032")):
            writes.upsert_customer(s, ext, CustomerIn(name=ext, phone=phone, password="long password"))
        for i in range(3):
            writes.upsert_parcel(s, f"PA-{i}", ParcelIn(customer_id="c-a", delivery_method="pickup",
                                                        created_at=base + timedelta(hours=i)))
            writes.upsert_order(s, f"MA-{i}", OrderIn(customer_id="c-a", title=f"Товар {i}", marketplace="taobao",
                                                      status="paid", status_at=base + timedelta(hours=i),
                                                      parcel_number=f"PA-{i}"))
        writes.upsert_parcel(s, "PB-0", ParcelIn(customer_id="c-b", delivery_method="pickup"))
        writes.upsert_order(s, "MB-0", OrderIn(customer_id="c-b", title="Чужой товар", marketplace="taobao",
                                               status="paid", status_at=base, parcel_number="PB-0"))
        s.commit()
        return writes.customer_by_external_id(s, "c-a").id


def _page(engine, customer_id: int, lang: str = "ru"):
    with Session(engine) as s:
        return [parcel_card(r, lang) for r in queries.parcel_page(s, customer_id).rows]


def test_only_the_changed_cards_are_recomputed_and_the_page_equals_a_full_one(any_engine, monkeypatch):
    use_database(monkeypatch, any_engine)
    try:
        cid = _setup(any_engine)
        tab = SimpleNamespace(filter_value="all", search="", lang="ru", cards=_page(any_engine, cid))
        assert [c.number for c in tab.cards] == ["PA-2", "PA-1", "PA-0"]
        consume(any_engine, "t", lambda s, ch: None, start="beginning")  # past the set-up
        with Session(any_engine) as s:  # the oldest parcel moves, and another customer's too
            writes.add_order_event(s, "MA-0", OrderEventIn(status="at_almaty_warehouse", at=utcnow()))
            writes.add_order_event(s, "MB-0", OrderEventIn(status="at_almaty_warehouse", at=utcnow()))
            s.commit()
        changes = []
        consume(any_engine, "t", lambda s, ch: changes.extend(ch))
        batch = PushBatch({}, changes)
        mine = [c for c in changes if c.customer_id == cid]
        assert ParcelsState._patch_cards(tab, cid, mine, batch)
        assert tab.cards == _page(any_engine, cid)  # as if the whole page had been recomputed
        assert [c.number for c in tab.cards] == ["PA-0", "PA-2", "PA-1"] and "PB-0" not in str(tab.cards)
        filtered = SimpleNamespace(filter_value="active", search="", lang="ru", cards=list(tab.cards))
        assert not ParcelsState._patch_cards(filtered, cid, mine, batch)  # may leave the filter: full page
        new_parcel = [Change(id=99, customer_id=cid, kind="parcel", parcel_id=1)]
        assert not ParcelsState._patch_cards(tab, cid, new_parcel, PushBatch({}, new_parcel))
    finally:
        reset_engine()
