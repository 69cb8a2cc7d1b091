"""Changes posted to the operator API reach open pages without a reload, with a toast.

This module's own customer (conftest.fresh_customer): its tests change orders that no other module reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OPERATOR_TOKEN, assert_tab_stored_hashed, fresh_customer, sign_in, wait_for_cards

# Every toast text the page shows, in order (the toast element is reused).
RECORD_TOASTS = """() => {
  window.__toasts = [];
  new MutationObserver(() => {
    const t = document.querySelector('.live-toast');
    const last = window.__toasts[window.__toasts.length - 1];
    if (t && t.innerText && t.innerText !== last) window.__toasts.push(t.innerText);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def shop(app_server):
    return fresh_customer(app_server.url, "live", {
        "a": [("a1", "Электрический чайник Deerma, 1.7 л", "paid"), ("a2", "Фильтр для чайника", "not_paid")],
        "b": [("b1", "Игровая мышь Logitech G102", "at_china_warehouse"), ("b2", "Коврик для мыши", "paid")],
        "c": [("c1", "Настольная лампа Xiaomi", "paid")],
    })


def post_status(base: str, order: str, status: str, minutes_ago: float = 0) -> None:
    at = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()
    r = httpx.post(f"{base}/api/v1/orders/{order}/events", json={"status": status, "at": at},
                   headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert r.status_code == 201, r.text


def test_status_posted_to_the_api_appears_on_the_open_parcels_page(app_server, db_url, page, shop):
    sign_in(page, app_server.url, shop["email"], shop["password"])
    wait_for_cards(page)
    card = page.locator(".parcel-card").filter(has_text=shop["a"])
    expect(card).to_contain_text("1 из 2 заказов оплачены")
    post_status(app_server.url, shop["a2"], "paid")
    expect(card).to_contain_text("2 из 2 заказов оплачены", timeout=5_000)
    expect(page.locator(".live-toast")).to_contain_text("Заказ «Фильтр для чайника»: Оплачен")
    # It moved to the top: most recent activity first.
    expect(page.locator(".parcel-number").first).to_have_text(shop["a"])
    assert_tab_stored_hashed(page, db_url)  # the push found the tab from the hash alone


def test_status_posted_to_the_api_appears_on_the_open_parcel_page(app_server, page, shop):
    sign_in(page, app_server.url, shop["email"], shop["password"], path=f"/parcel/{shop['b']}")
    page.wait_for_url(f"**/parcel/{shop['b']}")
    order = page.locator(".order-card").filter(has_text="Игровая мышь Logitech G102")
    expect(order.locator(".order-status")).to_contain_text("На складе в Китае")
    page.evaluate(RECORD_TOASTS)
    post_status(app_server.url, shop["b1"], "shipped_from_china")
    expect(order.locator(".order-status")).to_contain_text("Отправлен со склада из Китая", timeout=5_000)
    expect(page.locator(".live-toast")).to_contain_text("Игровая мышь Logitech G102")
    # A change to another parcel does not disturb this page. Changes are delivered in order: once a
    # later change of this parcel shows, the other one has been through and left no trace.
    post_status(app_server.url, shop["c1"], "processing")
    post_status(app_server.url, shop["b2"], "processing")
    mat = page.locator(".order-card").filter(has_text="Коврик для мыши")
    expect(mat.locator(".order-status")).to_contain_text("В обработке", timeout=5_000)
    toasts = page.evaluate("window.__toasts")
    assert any("Коврик для мыши" in t for t in toasts), toasts
    assert not any("Настольная лампа" in t for t in toasts), toasts
    expect(order.locator(".order-status")).to_contain_text("Отправлен со склада из Китая")
