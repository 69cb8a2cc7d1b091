"""EMS tracking and the Almaty ETA, as the customer sees them (on this module's own copy of the demo data)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import demo_copy, sign_in, wait_for_cards

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
RU_DATE_RANGE = re.compile(r"ожидается \d{1,2}\s[а-я]+\.?\s–\s\d{1,2}\s[а-я]+\.?")  # \s: no-break spaces too


@pytest.fixture(scope="module")
def demo(db_url):
    return demo_copy(db_url, __name__)


def test_ems_events_show_in_the_parcel_timeline_in_order_and_in_russian(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password, path=f"/parcel/{demo['P-240101']}")
    page.wait_for_url(f"**/parcel/{demo['P-240101']}")
    page.wait_for_selector(".order-card")
    ems = page.locator(".timeline-item.ems")
    # The poller fetches the track from the Kazpost-format simulator shortly after start.
    for _ in range(40):
        if ems.count() >= 3:
            break
        page.wait_for_timeout(1000)
        page.reload()
        page.wait_for_selector(".order-card")
    assert ems.count() >= 3
    titles = ems.locator(".rt-Text").all_inner_texts()
    assert all(CYRILLIC.search(t) for t in titles if t.strip())
    times = page.locator(".timeline-item time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert times == sorted(times, reverse=True)  # one merged story, newest first
    expect(page.locator(".ems-checked")).to_contain_text("проверено")
    # The card on the parcels page shows the latest EMS event.
    page.goto(app_server.url + "/")
    wait_for_cards(page)
    expect(page.locator(".parcel-card").filter(has_text=demo["P-240101"]).locator(".tracking")).to_contain_text("EMS")


def test_refresh_is_limited_to_once_a_minute(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password, path=f"/parcel/{demo['P-240107']}")
    page.wait_for_url(f"**/parcel/{demo['P-240107']}")
    page.wait_for_selector(".order-card")
    button = page.get_by_role("button", name="Обновить")
    button.click()
    page.wait_for_timeout(500)
    button.click()
    expect(page.get_by_role("status").filter(has_text="раз в минуту")).to_be_visible()


def test_eta_on_cards_and_orders_in_russian_and_english(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    on_the_way = page.locator(".parcel-card").filter(has_text=demo["P-240104"]).locator(".eta")
    expect(on_the_way).to_have_text(RU_DATE_RANGE)
    expect(page.locator(".parcel-card").filter(has_text=demo["P-240103"]).locator(".eta")).to_contain_text("прибыл")
    page.goto(app_server.url + f"/parcel/{demo['P-240104']}")
    page.wait_for_selector(".order-card")
    assert page.locator(".order-card .eta").count() == 4
    for text in page.locator(".order-card .eta").all_inner_texts():
        assert RU_DATE_RANGE.search(text) or "задерживается" in text
    page.get_by_role("combobox", name="Язык").select_option(label="English")
    expect(page.locator(".order-card .eta").first).to_contain_text("expected")
    page.get_by_role("combobox", name="Language").select_option(label="Русский")
    expect(page.locator(".order-card .eta").first).to_contain_text("ожидается")
