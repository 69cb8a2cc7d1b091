"""Changes posted to the operator API reach open pages without a reload, with a toast."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
from playwright.sync_api import expect

from tests.e2e.conftest import OPERATOR_TOKEN, sign_in, wait_for_cards


def post_status(base: str, order: str, status: str, minutes_ago: float = 0) -> None:
    at = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()
    r = httpx.post(f"{base}/api/v1/orders/{order}/events", json={"status": status, "at": at},
                   headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert r.status_code == 201, r.text


def test_status_posted_to_the_api_appears_on_the_open_parcels_page(app_server, page):
    sign_in(page, app_server.url)
    wait_for_cards(page)
    card = page.locator(".parcel-card").filter(has_text="P-240108")
    expect(card).to_contain_text("1 из 2 заказов оплачены")
    post_status(app_server.url, "M-240108-1", "paid")
    expect(card).to_contain_text("2 из 2 заказов оплачены", timeout=5_000)
    expect(page.locator(".live-toast")).to_contain_text("Заказ «Электрический чайник Deerma, 1.7 л»: Оплачен")
    # It moved to the top: most recent activity first.
    expect(page.locator(".parcel-number").first).to_have_text("P-240108")


def test_status_posted_to_the_api_appears_on_the_open_parcel_page(app_server, page):
    sign_in(page, app_server.url, path="/parcel/P-240106")
    page.wait_for_url("**/parcel/P-240106")
    order = page.locator(".order-card").filter(has_text="Игровая мышь Logitech G102")
    expect(order.locator(".order-status")).to_contain_text("На складе в Китае")
    post_status(app_server.url, "M-240106-1", "shipped_from_china")
    expect(order.locator(".order-status")).to_contain_text("Отправлен со склада из Китая", timeout=5_000)
    expect(page.locator(".live-toast")).to_contain_text("Игровая мышь Logitech G102")
    # A change to another parcel does not disturb this page.
    post_status(app_server.url, "M-240105-3", "processing")
    page.wait_for_timeout(1500)
    expect(order.locator(".order-status")).to_contain_text("Отправлен со склада из Китая")
