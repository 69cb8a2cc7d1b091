"""What one parcels page load costs the database (issue 16 §1): the customer looked up once, a bounded
number of statements, counted with an SQLAlchemy listener on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session, select

from marketu_app.auth import sessions
from marketu_app.db import writes
from marketu_app.db.engine import get_engine, reset_engine
from marketu_app.db.inputs import CustomerIn, OrderIn, ParcelIn
from marketu_app.db.models import LiveTab
from marketu_app.live.tabs import tab_hash
from marketu_app.state.parcels import LoadedCards, _fetch_cards
from tests.integration.conftest import use_database

# The session (1), the tab recorded for live pushes (1), the customer's parcel count (1), the page (1),
# its orders, their histories and courier events (3); no EMS query without tracks. Before: 9.
MAX_STATEMENTS = 7


def _seed(engine) -> str:
    with Session(engine) as s:
        writes.upsert_customer(s, "q-1", CustomerIn(name="Q", phone="+77010000071", password="long password"))
        for k in range(2):
            writes.upsert_parcel(s, f"QP-{k}", ParcelIn(customer_id="q-1", delivery_method="pickup"))
            for j in range(2):
                writes.upsert_order(s, f"QO-{k}-{j}", OrderIn(
                    customer_id="q-1", title=f"Товар {k}.{j}", marketplace="taobao", status="shipped_from_china",
                    status_at="2026-11-20T10:00:00+05:00", parcel_number=f"QP-{k}"))
        s.commit()
        token = sessions.create_session(s, writes.customer_by_external_id(s, "q-1").id)
        s.commit()
    return sessions.hash_token(token)  # the pages know the session by its hash (state/session.py)


def test_a_page_load_looks_the_customer_up_once_in_a_few_statements(any_engine, monkeypatch, empty_eta_cache):
    """(The ETA statistics come from their cache, refreshed apart from page loads: kept out of the count.)"""
    use_database(monkeypatch, any_engine)
    token = _seed(any_engine)
    statements: list[str] = []
    engine = get_engine()
    try:
        event.listen(engine, "before_cursor_execute", lambda conn, cur, sql, *a: statements.append(sql))
        loaded = _fetch_cards(token, "tab-q", "all", "", 0, 12, "ru")
        first = list(statements)
        statements.clear()
        again = _fetch_cards(token, "tab-q", "all", "", 0, 12, "en")  # the same tab loads again
    finally:
        reset_engine()

    assert isinstance(loaded, LoadedCards) and isinstance(again, LoadedCards)
    assert [c.number for c in loaded.cards] == [c.number for c in again.cards] and len(loaded.cards) == 2
    assert loaded.total == loaded.account_total == 2
    for run in (first, statements):
        assert sum("customer_session" in sql for sql in run) == 1, run
        assert len(run) <= MAX_STATEMENTS, "\n".join(run)
    with Session(any_engine) as s:
        assert [(t.tab_hash, t.page) for t in s.exec(select(LiveTab)).all()] == [(tab_hash("tab-q"), "parcels")]


def test_a_filtered_page_still_counts_what_matches(any_engine, monkeypatch):
    use_database(monkeypatch, any_engine)
    token = _seed(any_engine)
    try:
        found = _fetch_cards(token, None, "all", "QO-1-", 0, 12, "ru")
        none = _fetch_cards(token, None, "cancelled", "", 0, 12, "ru")
    finally:
        reset_engine()
    assert (found.total, found.account_total, [c.number for c in found.cards]) == (1, 2, ["QP-1"])
    assert (none.total, none.account_total, none.cards) == (0, 2, [])
