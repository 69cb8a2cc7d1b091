"""Issue 13, data side, as a customer sees it (Chromium, desktop 1280×800 and phones 390×844 / 360×740):
the Almaty ETA, EMS's final word leading the parcel, the EMS summary near the top on phones, the refresh
button's busy state and "только что", a 40-order parcel grouped by status, one timeline row for several
orders, and tap-to-call phone numbers. A customer of its own, fed through the operator API."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import expect

from marketu_app.demo.seed import ems_track
from marketu_app.domain.timeutil import utcnow
from tests.e2e.conftest import DESKTOP, OPERATOR_TOKEN, PHONE, new_context, sign_in, wait_for_cards

PHONE_NUMBER, PASSWORD = "+77051112233", "newcomer-pass-3"
SMALL_PHONE = {"width": 360, "height": 740}
TRACK = ems_track(70000001)
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE, "small": SMALL_PHONE}


@pytest.fixture(scope="module")
def customer(app_server):
    """Three parcels: EMS-delivered while Marketu still says "Упакован", a courier's, and 40 orders."""
    api = httpx.Client(base_url=app_server.url + "/api/v1", timeout=30,
                       headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    put = lambda path, body: api.put(path, json=body).raise_for_status()  # noqa: E731
    put("/customers/C-NEWCOMER", {"name": "Алия Нурланова", "phone": PHONE_NUMBER, "password": PASSWORD})
    recipient = {"name": "Алия Нурланова", "phone": PHONE_NUMBER, "city": "Караганда", "address": "ул. Ерубаева 5"}
    put("/parcels/P-NC-EMS", {"customer_id": "C-NEWCOMER", "delivery_method": "kazakhstan", "recipient": recipient,
                              "ems_track_number": TRACK})
    put("/parcels/P-NC-COURIER", {"customer_id": "C-NEWCOMER", "delivery_method": "almaty",
                                  "recipient": {**recipient, "city": "Алматы"}})
    put("/parcels/P-NC-40", {"customer_id": "C-NEWCOMER", "delivery_method": "pickup"})
    t0 = utcnow() - timedelta(days=20)
    for i in (1, 2, 3):  # three orders, the same statuses minutes apart
        number = f"M-NC-EMS-{i}"
        put(f"/orders/{number}", {"customer_id": "C-NEWCOMER", "parcel_number": "P-NC-EMS",
                                  "title": f"Товар номер {i}", "marketplace": "taobao", "status": "paid",
                                  "status_at": (t0 + timedelta(minutes=i)).isoformat()})
        for status, days in (("at_china_warehouse", 4), ("packed", 15)):
            api.post(f"/orders/{number}/events", json={
                "status": status, "at": (t0 + timedelta(days=days, minutes=i)).isoformat()}).raise_for_status()
    put("/orders/M-NC-C-1", {"customer_id": "C-NEWCOMER", "parcel_number": "P-NC-COURIER", "title": "Чайник",
                             "marketplace": "1688", "status": "sent_to_recipient",
                             "status_at": (utcnow() - timedelta(hours=3)).isoformat()})
    api.post("/parcels/P-NC-COURIER/events", json={
        "code": "out_for_delivery", "at": (utcnow() - timedelta(hours=1)).isoformat(),
        "note": "Курьер Ерлан, тел. +7 701 555 66 77"}).raise_for_status()
    for i in range(1, 41):
        put(f"/orders/M-NC-40-{i}", {"customer_id": "C-NEWCOMER", "parcel_number": "P-NC-40",
                                     "title": f"Заказ из сорока, позиция {i}", "marketplace": "pinduoduo",
                                     "status": "at_almaty_warehouse" if i <= 12 else "shipped_from_china",
                                     "status_at": (utcnow() - timedelta(days=2)).isoformat()})
    api.close()
    return app_server


@pytest.fixture(params=list(VIEWPORTS))
def viewer(request, browser, customer):
    ctx = new_context(browser, VIEWPORTS[request.param])
    page = ctx.new_page()
    sign_in(page, customer.url, PHONE_NUMBER, PASSWORD)
    wait_for_cards(page)
    yield request.param, page
    ctx.close()


def _open(page, base: str, number: str) -> None:
    page.goto(f"{base}/parcel/{number}")
    page.wait_for_selector(".order-card")


def _until_ems_delivered(page, base: str) -> None:
    """The poller fetches the new track within a cycle or two; the page is pushed or reloaded."""
    card = page.locator(".parcel-card").filter(has_text="P-NC-EMS")
    for _ in range(30):
        if "Вручено" in (card.locator(".pc-head").inner_text() or ""):  # the number itself has "EMS" in it
            return
        page.wait_for_timeout(2000)
        page.reload()
        wait_for_cards(page)
    raise AssertionError("EMS never said delivered")


def test_ems_delivered_leads_the_card_filter_and_progress_while_orders_keep_marketus_status(viewer, customer):
    kind, page = viewer
    _until_ems_delivered(page, customer.url)
    card = page.locator(".parcel-card").filter(has_text="P-NC-EMS")
    expect(card.locator(".pc-head")).to_contain_text("Вручено · EMS Казпочта")
    expect(card.locator(".progress-text")).to_contain_text("по данным EMS Казпочты")
    assert card.locator("progress").get_attribute("value") == "100"
    if kind == "desktop":
        page.locator(".filters").get_by_role("radio", name="Доставлены").click()
    else:
        page.locator(".filters-mobile").get_by_role("combobox").select_option(label="Доставлены")
    expect(page.locator(".parcel-card").filter(has_text="P-NC-EMS")).to_have_count(1)
    if kind == "desktop":
        page.locator(".filters").get_by_role("radio", name="В пути").click()
    else:
        page.locator(".filters-mobile").get_by_role("combobox").select_option(label="В пути")
    expect(page.locator(".parcel-card").filter(has_text="P-NC-COURIER")).to_have_count(1)
    expect(page.locator(".parcel-card").filter(has_text="P-NC-EMS")).to_have_count(0)
    _open(page, customer.url, "P-NC-EMS")
    badges = page.locator(".order-card .order-status .rt-Badge").all_inner_texts()
    assert [b.strip() for b in badges] == ["Упакован"] * 3


def test_the_eta_says_it_is_the_arrival_in_almaty(viewer, customer):
    _, page = viewer
    expect(page.locator(".parcel-card").filter(has_text="P-NC-40").locator(".eta")).to_contain_text(
        "в Алматы ожидается")
    _open(page, customer.url, "P-NC-40")
    page.locator(".order-group details summary").first.click()  # the folded ones too
    etas = page.locator(".order-card .eta").all_inner_texts()
    assert sum("прибыл в Алматы" in e for e in etas) == 12
    assert sum("в Алматы ожидается" in e or "задерживается" in e for e in etas) >= 3
    page.get_by_role("combobox", name="Язык").select_option(label="English")
    expect(page.locator(".order-card .eta").first).to_contain_text("in Almaty")
    page.get_by_role("combobox", name="Language").select_option(label="Қазақша")
    expect(page.locator(".order-card .eta").first).to_contain_text("Алматы")
    page.get_by_role("combobox", name="Тіл").select_option(label="Русский")


def test_forty_orders_are_summarised_grouped_and_folded(viewer, customer):
    kind, page = viewer
    _open(page, customer.url, "P-NC-40")
    summary = page.locator(".status-summary")
    expect(summary).to_contain_text("12 · На складе в Алматы")
    expect(summary).to_contain_text("28 · Отправлен со склада из Китая")
    assert summary.bounding_box()["y"] < page.locator(".order-card").first.bounding_box()["y"]
    groups = page.locator(".order-group")
    expect(groups).to_have_count(2)
    expect(groups.nth(0).locator(".order-group-title")).to_contain_text("12 заказов")
    visible = [c for c in page.locator(".order-card").all() if c.is_visible()]
    assert len(visible) == 6  # three of each status, the rest folded
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, height  # was about 16,000 px on a phone
    groups.nth(1).locator("summary").click()
    expect(groups.nth(1).locator(".order-card").nth(27)).to_be_visible()


def test_the_timeline_has_one_row_per_status_for_the_three_orders(viewer, customer):
    _, page = viewer
    _open(page, customer.url, "P-NC-EMS")
    rows = page.locator(".timeline-item:not(.ems)")
    expect(rows).to_have_count(3)
    assert [t.split("\n")[0].replace("\u00a0", " ") for t in rows.all_inner_texts()] == [
        "3 заказа: Упакован", "3 заказа: На складе в Китае", "3 заказа: Оплачен"]


def test_the_ems_summary_sits_near_the_top_on_phones(viewer, customer):
    kind, page = viewer
    _until_ems_delivered(page, customer.url)
    _open(page, customer.url, "P-NC-EMS")
    summary = page.locator(".ems-summary")
    if kind == "desktop":
        expect(summary).to_be_hidden()  # the timeline is beside the orders there
        expect(page.locator(".timeline-item.ems").first).to_be_in_viewport()
        return
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("EMS Казпочта: Вручено")
    assert summary.get_by_role("link").get_attribute("href").endswith(TRACK)
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= VIEWPORTS[kind]["height"] * 1.5  # within the first screen and a half
    assert box["y"] < page.locator(".order-card").first.bounding_box()["y"]


def test_phone_numbers_are_tap_to_call_links(viewer, customer):
    _, page = viewer
    _open(page, customer.url, "P-NC-COURIER")
    recipient = page.locator(".recipient a[href^='tel:']")
    expect(recipient).to_have_attribute("href", "tel:" + PHONE_NUMBER)
    courier = page.locator(".timeline-item a[href^='tel:']")
    expect(courier).to_have_attribute("href", "tel:+77015556677")
    expect(courier).to_have_text("+7 701 555 66 77")
    box = recipient.bounding_box()
    assert box["height"] >= 44  # a touch target


def test_refresh_shows_it_is_busy_then_just_now(browser, customer):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    sign_in(page, customer.url, PHONE_NUMBER, PASSWORD)
    wait_for_cards(page)
    _open(page, customer.url, "P-NC-EMS")
    button = page.locator(".refresh-button")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_contain_text("Проверяем")
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "false", timeout=60_000)
    expect(page.locator(".ems-checked")).to_have_text("проверено только что")
    ctx.close()
