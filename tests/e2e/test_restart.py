"""The backend restarted under an open page: the page reconnects by itself and shows current data."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from playwright.sync_api import expect
from sqlmodel import Session

from marketu_app.db import writes
from marketu_app.db.engine import make_engine
from marketu_app.db.inputs import OrderEventIn
from tests.e2e.conftest import fresh_customer, sign_in, wait_for_cards
from tests.e2e.test_live_updates import post_status


def test_page_recovers_after_a_backend_restart_and_nothing_is_lost(app_server, page, db_url):
    shop = fresh_customer(app_server.url, "restart", {"p": [("o", "Платье летнее миди", "to_china_warehouse")]})
    sign_in(page, app_server.url, shop["email"], shop["password"], path=f"/parcel/{shop['p']}")
    page.wait_for_url(f"**/parcel/{shop['p']}")
    order = page.locator(".order-card").filter(has_text="Платье летнее миди")
    expect(order.locator(".order-status")).to_contain_text("Доставка на склад в Китае", timeout=20_000)
    post_status(app_server.url, shop["o"], "at_china_warehouse", minutes_ago=10)
    expect(order.locator(".order-status")).to_contain_text("На складе в Китае", timeout=5_000)

    app_server.stop()
    # Written while the backend is down (e.g. by another worker): must show after the restart.
    engine = make_engine(db_url)
    with Session(engine) as session:
        writes.add_order_event(session, shop["o"], OrderEventIn(
            status="shipped_from_china", at=datetime.now(timezone.utc) - timedelta(minutes=5)))
        session.commit()
    engine.dispose()
    app_server.start()

    # No reload: the page reconnects and its on_load runs again on the fresh backend.
    expect(order.locator(".order-status")).to_contain_text("Отправлен со склада из Китая", timeout=60_000)
    post_status(app_server.url, shop["o"], "at_almaty_warehouse")
    expect(order.locator(".order-status")).to_contain_text("На складе в Алматы", timeout=10_000)

    # The next page is a chunk the tab has not loaded yet: the restart rebuilt the frontend, and the
    # chunk must still have the name this tab knows (it used to 404, and the click was lost in a reload).
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status == 404 and "/assets/" in r.url else None)
    page.locator('a[href="/"]:visible').first.click()
    expect(page).to_have_url(app_server.url + "/", timeout=10_000)
    wait_for_cards(page)
    assert failed == []
