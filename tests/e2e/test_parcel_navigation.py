"""Client-side navigation between parcels (Chromium, desktop and phone): the parcel page never shows the
previous parcel's header or orders on another parcel's address, not even for one frame, before
ParcelState.on_load's first step; it shows the loading skeleton with the address's number instead.
A customer of its own (conftest.fresh_customer)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, fresh_customer, new_context, sign_in, wait_for_cards, wait_until


@pytest.fixture(scope="module")
def customer(app_server):
    return fresh_customer(app_server.url, "nav", {
        "a": [("a1", "Первый заказ посылки А", "shipped_from_china"), ("a2", "Второй заказ посылки А", "paid")],
        "b": [("b1", "Единственный заказ посылки Б", "at_almaty_warehouse")],
    })


# Installed before the navigation: every DOM change once React has rendered the new parcel's route is checked
# for the old parcel's number or its orders' numbers (a MutationObserver's callback runs before the frame is
# painted). React's render of the route is told by the tab title, which names the address's number and
# changes in the same commit as the page: a back/forward changes the address first, and until React has
# rendered, the DOM is still the previous page (any single-page app's), not a stale state rendered anew.
WATCH = """([path, number, stale]) => {
  window.__stale = [];
  window.__checked = 0;
  const check = () => {
    if (location.pathname !== path || !document.title.includes(number)) return;
    window.__checked += 1;
    const text = document.body.textContent;
    for (const s of stale) {
      if (text.includes(s)) window.__stale.push(s + ' in: ' + (document.querySelector('h1') || {}).textContent);
    }
  };
  new MutationObserver(check).observe(document.documentElement,
    {childList: true, subtree: true, characterData: true, attributes: true});
}"""


def _watch(page, number: str, stale: list[str]) -> None:
    page.evaluate(WATCH, [f"/parcel/{number}", number, stale])


def _settled_on(page, number: str, orders: int) -> None:
    """The parcel's own header and orders are shown (React's, after on_load)."""
    expect(page.locator(".parcel-header h1")).to_have_text(f"Посылка {number}", timeout=30_000)
    expect(page.locator(".order-card")).to_have_count(orders)


def _assert_never_stale(page) -> None:
    wait_until(page, "window.__checked > 0")
    stale = page.evaluate("window.__stale")
    assert stale == [], "the previous parcel was shown on the new parcel's address: " + json.dumps(
        stale[:3], ensure_ascii=False)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_parcel_page_never_shows_the_previous_parcel(browser, app_server, customer, width):
    a, b = customer["a"], customer["b"]
    ctx = new_context(browser, DESKTOP if width == "desktop" else PHONE)
    page = ctx.new_page()
    try:
        sign_in(page, app_server.url, customer["email"], customer["password"])
        wait_for_cards(page)
        page.locator(f'.parcel-card a[href="/parcel/{a}"]').first.click()
        _settled_on(page, a, 2)

        # The parcels list, then another parcel: the page must not start with parcel A's state.
        page.locator('main a[href="/"]').first.click()
        page.wait_for_url(app_server.url + "/")
        wait_for_cards(page)
        _watch(page, b, [a, customer["a1"], customer["a2"]])
        page.locator(f'.parcel-card a[href="/parcel/{b}"]').first.click()
        _settled_on(page, b, 1)
        _assert_never_stale(page)

        # From parcel B straight to parcel A (history: A, list, B): the same page with another number.
        _watch(page, a, [b, customer["b1"]])
        page.evaluate("history.go(-2)")
        _settled_on(page, a, 2)
        _assert_never_stale(page)
    finally:
        ctx.close()
