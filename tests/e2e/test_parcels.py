"""The parcels and parcel pages as the demo customer sees them, on a desktop and on a phone: on this module's
own copy of the demo data (conftest.demo_copy), except the README's screenshots, taken of the demo itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, create_engine, select

from marketu_app.db.models import Customer, Order, Parcel
from marketu_app.domain.statuses import CATALOGUE
from tests.e2e.conftest import DESKTOP, PHONE, demo_copy, new_context, no_horizontal_scroll, sign_in, wait_for_cards

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RU_LABELS = {s.code.value: s.label["ru"] for s in CATALOGUE.values()}


@pytest.fixture(scope="module")
def demo(db_url):
    return demo_copy(db_url, __name__)


@pytest.fixture(scope="module")
def demo_orders(db_url, demo):
    """The demo customer's parcels and orders (this module's copy), read from the app's own database."""
    engine = create_engine(db_url)
    with Session(engine) as s:
        customer = s.exec(select(Customer).where(Customer.external_id == demo.customer)).one()
        parcels = {p.id: p.number for p in s.exec(select(Parcel).where(Parcel.customer_id == customer.id))}
        orders = [(parcels[o.parcel_id], o.number, o.status)
                  for o in s.exec(select(Order).where(Order.customer_id == customer.id))]
    engine.dispose()
    return parcels, orders


@pytest.fixture(params=["desktop", "phone"])
def viewport_page(request, browser, app_server, demo):
    ctx = new_context(browser, DESKTOP if request.param == "desktop" else PHONE)
    page = ctx.new_page()
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    yield request.param, page
    ctx.close()


def test_demo_parcels_appear_most_recent_first(viewport_page, demo_orders, demo):
    _, page = viewport_page
    numbers = page.locator(".parcel-card .parcel-number").all_inner_texts()
    assert sorted(numbers) == sorted(demo_orders[0].values())
    assert demo["P-250201"] not in page.content()  # the other customer's parcel


def test_parcel_number_and_details_button_both_open_the_parcel(viewport_page, app_server, demo):
    _, page = viewport_page
    page.locator(".parcel-card").filter(has_text=demo["P-240104"]).locator(".parcel-number").click()
    page.wait_for_url(f"**/parcel/{demo['P-240104']}")
    expect(page.locator(".order-card")).to_have_count(4)
    page.go_back()
    wait_for_cards(page)
    page.locator(".parcel-card").filter(has_text=demo["P-240103"]).get_by_role("link", name="Подробнее").click()
    page.wait_for_url(f"**/parcel/{demo['P-240103']}")
    expect(page.locator(".order-card")).to_have_count(3)


def test_every_order_shows_its_russian_status_label_exactly(viewport_page, app_server, demo_orders):
    _, page = viewport_page
    by_parcel: dict[str, list[str]] = {}
    for parcel, _number, status in demo_orders[1]:
        by_parcel.setdefault(parcel, []).append(RU_LABELS[status])
    for parcel, labels in by_parcel.items():
        page.goto(f"{app_server.url}/parcel/{parcel}")
        page.wait_for_selector(".order-card")
        shown = page.locator(".order-card .order-status .rt-Badge").all_inner_texts()
        assert sorted(s.strip() for s in shown) == sorted(labels), parcel


def test_history_opens_on_demand(viewport_page, app_server, demo):
    _, page = viewport_page
    page.goto(f"{app_server.url}/parcel/{demo['P-240101']}")
    card = page.locator(".order-card").first
    card.wait_for()
    assert "Оплачен" not in card.inner_text().split("История")[-1]
    card.get_by_role("button", name="История").click()
    expect(card).to_contain_text("В обработке")
    expect(card.get_by_role("button", name="Скрыть историю")).to_be_visible()


def test_filters_and_search_narrow_the_list(viewport_page, demo):
    kind, page = viewport_page
    cards = page.locator(".parcel-card")
    expect(cards).to_have_count(8)
    if kind == "desktop":
        page.locator(".filters").get_by_role("radio", name="Доставлены").click()
    else:
        page.locator(".filters-mobile").get_by_role("combobox").select_option(label="Доставлены")
    expect(cards).to_have_count(2)  # P-240102 and P-240107
    assert sorted(cards.locator(".parcel-number").all_inner_texts()) == [demo["P-240102"], demo["P-240107"]]
    if kind == "desktop":
        page.locator(".filters").get_by_role("radio", name="Все").click()
    else:
        page.locator(".filters-mobile").get_by_role("combobox").select_option(label="Все")
    expect(cards).to_have_count(8)
    page.get_by_role("searchbox").fill("кроссовки")  # product titles, any case
    expect(cards).to_have_count(2)
    page.get_by_role("searchbox").fill(demo["M-240105-2"])  # an order number
    expect(cards).to_have_count(1)
    page.get_by_role("searchbox").fill(demo["EE471108151KZ"])  # a track number
    expect(cards).to_have_count(1)
    page.get_by_role("searchbox").fill("нет такого товара")
    expect(page.get_by_text("Ничего не найдено")).to_be_visible()


@pytest.mark.parametrize("width", [360, 390, 1280])
def test_no_page_scrolls_sideways(browser, app_server, width, demo):
    ctx = new_context(browser, {"width": width, "height": 800})
    page = ctx.new_page()
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    assert no_horizontal_scroll(page), "statuses"
    sign_in(page, app_server.url, demo.phone, demo.password)
    assert no_horizontal_scroll(page), "login"
    wait_for_cards(page)
    assert no_horizontal_scroll(page), "parcels"
    for number in (demo["P-240101"], demo["P-240102"], demo["P-240104"], "NO-SUCH"):
        page.goto(f"{app_server.url}/parcel/{number}")
        page.wait_for_selector(".order-card, .not-found")
        assert no_horizontal_scroll(page), number
    ctx.close()


A11Y_CHECK = """() => {
  const problems = [];
  const name = el => (el.getAttribute('aria-label') || el.innerText || el.getAttribute('title') ||
                      (el.labels && el.labels[0] && el.labels[0].innerText) ||
                      el.getAttribute('placeholder') || '').trim();
  const targets = 'a[href], button, input, select, textarea, [role=button], [role=combobox]';
  for (const el of document.querySelectorAll(targets)) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || el.closest('[aria-hidden=true]')) continue;
    // The inside of a closed <details> (the account menu) is not rendered until it is opened.
    if (el.closest('details:not([open])') && !el.matches('summary')) continue;
    if (!name(el)) problems.push('unnamed ' + el.outerHTML.slice(0, 120));
  }
  for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('no alt ' + img.src);
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push('h1 count ' + h1);
  return problems;
}"""


def test_accessibility_basics_on_every_page(browser, app_server, demo):
    ctx = new_context(browser)
    page = ctx.new_page()
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    assert page.evaluate(A11Y_CHECK) == []
    page.goto(app_server.url + "/login")  # the sign-in page itself (not mid-way through the sign-in's redirect)
    page.wait_for_selector("main button[type=submit]")
    assert page.evaluate(A11Y_CHECK) == []
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    assert page.evaluate(A11Y_CHECK) == []
    page.goto(app_server.url + f"/parcel/{demo['P-240101']}")
    page.wait_for_selector(".order-card")
    assert page.evaluate(A11Y_CHECK) == []
    ctx.close()


def test_screenshots_for_the_readme(browser, app_server):
    """Of the demo customer itself (the README shows the demo's numbers); it only looks, and no module
    changes the demo customers' data."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for kind, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        ctx = new_context(browser, viewport)
        page = ctx.new_page()
        sign_in(page, app_server.url)
        wait_for_cards(page)
        page.wait_for_timeout(300)
        page.screenshot(path=SCREENSHOTS / f"parcels-{kind}.png")
        page.goto(app_server.url + "/parcel/P-240101")
        page.wait_for_selector(".order-card")
        page.wait_for_timeout(300)
        page.screenshot(path=SCREENSHOTS / f"parcel-{kind}.png")
        ctx.close()
        assert (SCREENSHOTS / f"parcel-{kind}.png").stat().st_size > 10_000
