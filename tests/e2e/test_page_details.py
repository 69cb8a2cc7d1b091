"""What a customer sees on the pages (issue 13): titles, toast, expired session, navigation, search hint,
numbers with their words, page language and title, skip link, logo, at desktop and phone widths."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import Session, create_engine

from marketu_app.auth.sessions import hash_token
from marketu_app.db.models import CustomerSession
from marketu_app.domain.timeutil import utcnow
from tests.e2e.conftest import (
    DESKTOP,
    OPERATOR_TOKEN,
    PHONE,
    demo_copy,
    new_context,
    no_horizontal_scroll,
    sign_in,
    wait_for_cards,
)
from tests.notify_standins import wait_for

PHONE_360 = {"width": 360, "height": 740}
VIEWPORTS = {"desktop": DESKTOP, "phone-390": PHONE, "phone-360": PHONE_360}
# 300 characters: emoji, Kazakh letters and a 60-letter word without spaces.
_WORDS = ("Қазақстандық 🎁 жиынтық: " + "Суперқұрылғыларжинағыжәнеқосалқыбөлшектерменкерек-жарақтар" + "өнімі "
              + "сүйкімді 😀 ойыншық, көк түсті, үлкен өлшемді, балаларға арналған, сапалы " * 4)
LONG_TITLE = _WORDS[:299].rstrip() + "!" * (300 - len(_WORDS[:299].rstrip()))
TITLES_CUSTOMER = ("c-e2e-pages", "+77010000031", "pages password 1")
TITLES_PARCEL = "P-E2E-PAGES"


def _api(base: str, method: str, path: str, body: dict) -> dict:
    r = httpx.request(method, f"{base}/api/v1{path}", json=body, headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert r.status_code in (200, 201), r.text
    return r.json()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _customer(base: str, cid: str, phone: str, password: str) -> None:
    _api(base, "PUT", f"/customers/{cid}", {"name": "Тест Страниц", "phone": phone, "password": password,
                                             "locale": "ru"})


@pytest.fixture(scope="module")
def titles_customer(app_server):
    """A customer of their own with one parcel: a 300-character title and a plain one."""
    cid, phone, password = TITLES_CUSTOMER
    _customer(app_server.url, cid, phone, password)
    _api(app_server.url, "PUT", f"/parcels/{TITLES_PARCEL}", {"customer_id": cid, "delivery_method": "pickup"})
    _api(app_server.url, "PUT", "/orders/M-E2E-PAGES-1", {
        "customer_id": cid, "parcel_number": TITLES_PARCEL, "title": LONG_TITLE, "marketplace": "taobao",
        "status": "paid", "status_at": _now()})
    _api(app_server.url, "PUT", "/orders/M-E2E-PAGES-2", {
        "customer_id": cid, "parcel_number": TITLES_PARCEL, "title": "Кружка 350 мл", "marketplace": "1688",
        "status": "paid", "status_at": _now()})
    return phone, password


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy)."""
    return demo_copy(db_url, __name__)


def _signed_in(browser, app_server, viewport: dict, who: tuple[str, str], path: str = "/", **kw) -> Page:
    page = new_context(browser, viewport, **kw).new_page()
    sign_in(page, app_server.url, who[0], who[1], path=path)
    return page


def _choose_language(page: Page, label: str) -> None:
    page.locator("header select").select_option(label=label)


# Any CSS colour -> [r, g, b, a] through a canvas (Chromium may compute colours in other spaces than rgb()).
RGBA = """(css) => { const c = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
  c.clearRect(0, 0, 1, 1); c.fillStyle = css; c.fillRect(0, 0, 1, 1); return [...c.getImageData(0, 0, 1, 1).data]; }"""


def _contrast(fg: list[int], bg: list[int]) -> float:
    def lum(rgb):
        def ch(v):
            v = v / 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b = (ch(v) for v in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Item 3 ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", ["phone-360", "phone-390"])
def test_long_product_title_wraps_inside_the_card_and_can_be_read_whole(browser, app_server, titles_customer, width):
    page = _signed_in(browser, app_server, VIEWPORTS[width], titles_customer, path=f"/parcel/{TITLES_PARCEL}")
    card = page.locator(".order-card").filter(has_text="taobao")
    title = card.locator("h3")
    expect(title).to_be_visible(timeout=30_000)
    assert title.text_content() == LONG_TITLE  # the whole title is in the page (screen readers read it all)
    box, card_box = title.bounding_box(), card.bounding_box()
    assert box["x"] + box["width"] <= card_box["x"] + card_box["width"], "the title runs past the card"
    assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth", title.element_handle())
    assert no_horizontal_scroll(page)
    line = float(title.evaluate("(el) => parseFloat(getComputedStyle(el).lineHeight)"))
    assert box["height"] <= 3 * line + 2, "clamped to three lines"
    assert title.evaluate("(el) => el.scrollHeight > el.clientHeight + 1"), "the rest is hidden until asked for"
    card.locator(".title-toggle").click()
    # Polled with evaluate: wait_for_function's eval is refused by the app's Content-Security-Policy.
    wait_for(lambda: title.evaluate("(el) => el.scrollHeight <= el.clientHeight + 1"), what="the whole title")
    assert title.bounding_box()["height"] > 3 * line + 2
    assert no_horizontal_scroll(page)
    # A short title has no switch.
    assert page.locator(".order-card").filter(has_text="Кружка 350").locator(".title-toggle").count() == 0
    page.context.close()


# Item 4 ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("scheme", "status"), [("light", "processing"), ("dark", "to_china_warehouse")])
def test_live_toast_is_opaque_readable_and_announced(browser, app_server, titles_customer, scheme, status):
    page = _signed_in(browser, app_server, PHONE, titles_customer, color_scheme=scheme)
    wait_for_cards(page)
    region = page.locator("[role=status].live-toast-region")
    expect(region).to_have_count(1)  # in the page before any message, so the message is announced
    at = datetime.now(timezone.utc).isoformat()
    _api(app_server.url, "POST", "/orders/M-E2E-PAGES-2/events", {"status": status, "at": at})
    toast = region.locator(".live-toast")
    expect(toast).to_contain_text("Кружка 350 мл", timeout=10_000)
    assert page.evaluate("document.documentElement.classList.contains('dark')") == (scheme == "dark")
    bg = page.evaluate(RGBA, toast.evaluate("(el) => getComputedStyle(el).backgroundColor"))
    fg = page.evaluate(RGBA, toast.evaluate("(el) => getComputedStyle(el).color"))
    assert bg[3] == 255, f"toast background is see-through: {bg}"
    assert _contrast(fg, bg) >= 4.5, (fg, bg)
    page.context.close()


# Item 5 ----------------------------------------------------------------------------------------------------
def test_expired_session_shows_only_the_session_message_and_the_way_to_sign_in(browser, app_server, db_url):
    _customer(app_server.url, "c-e2e-pages-expiry", "+77010000032", "expiry password 2")
    page = _signed_in(browser, app_server, PHONE, ("+77010000032", "expiry password 2"))
    expect(page.get_by_text("У вас пока нет посылок")).to_be_visible(timeout=30_000)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "marketu_session")
    engine = create_engine(db_url)
    with Session(engine) as s:
        s.exec(update(CustomerSession).where(CustomerSession.token_hash == hash_token(token))
               .values(expires_at=utcnow() + timedelta(seconds=1)))
        s.commit()
    engine.dispose()
    notice = page.locator(".session-ended")
    expect(notice).to_be_visible(timeout=15_000)
    expect(notice.get_by_role("link", name="Войти")).to_be_visible()
    expect(page.get_by_text("У вас пока нет посылок")).to_have_count(0)
    expect(page.locator("main input[type=search]")).to_have_count(0)
    expect(page.locator("main h1")).to_have_count(0)
    expect(page.locator("header .account-menu")).to_be_hidden()  # nothing of the account is offered
    page.context.close()


# Items 6 and 9 ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", ["desktop", "phone-390"])
def test_statuses_page_keeps_the_account_menu_for_a_signed_in_customer(browser, app_server, width, demo):
    page = _signed_in(browser, app_server, VIEWPORTS[width], (demo.phone, demo.password))
    wait_for_cards(page)
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    menu = page.locator("header .account-menu")
    expect(menu).to_be_visible(timeout=10_000)
    menu.locator("summary").click()
    expect(menu.get_by_role("link", name="Пароль")).to_be_visible()
    expect(menu.get_by_role("button", name="Выйти")).to_be_visible()
    places = page.locator("header nav" if width == "desktop" else "nav.bottom-nav")
    expect(places.get_by_role("link", name="Посылки")).to_be_visible()
    menu.get_by_role("link", name="Пароль").click()
    page.wait_for_url(re.compile(r".*/password/?$"))
    page.context.close()
    # Signed out, the statuses page is still open to anyone, without an account menu.
    anon = new_context(browser, VIEWPORTS[width]).new_page()
    anon.goto(app_server.url + "/statuses")
    anon.wait_for_selector("tbody tr")
    expect(anon.locator("header .account-menu")).to_be_hidden()
    anon.context.close()


BAR = {"Русский": ["Посылки", "Статусы", "Уведомления", "Поддержка"],
       "Қазақша": ["Сәлемдемелер", "Мәртебелер", "Хабарламалар", "Қолдау"],
       "English": ["Parcels", "Statuses", "Notifications", "Support"]}
ACCOUNT = {"Русский": ("Пароль", "Выйти"), "Қазақша": ("Құпиясөз", "Шығу"), "English": ("Password", "Sign out")}


@pytest.mark.parametrize("language", list(BAR))
def test_phone_bottom_bar_has_the_main_places_and_fits_at_360(browser, app_server, language, demo):
    page = _signed_in(browser, app_server, PHONE_360, (demo.phone, demo.password))
    wait_for_cards(page)
    _choose_language(page, language)
    bar = page.locator("nav.bottom-nav")
    expect(bar.locator(".bottom-nav-item")).to_have_text(BAR[language])
    # The text itself (a Range over it), not its box: where the letters are, and on how many lines.
    boxes = bar.locator(".bottom-nav-item span").evaluate_all(
        "(els) => els.map((el) => { const range = document.createRange(); range.selectNodeContents(el);"
        " const r = range.getBoundingClientRect(); const lines = new Set([...range.getClientRects()]"
        ".map((x) => Math.round(x.top))).size; return {l: r.left, r: r.right, lines}; })")
    assert all(b["lines"] == 1 for b in boxes), f"a label is broken over lines: {boxes}"
    assert boxes[0]["l"] >= 4 and boxes[-1]["r"] <= 360 - 4, "a label touches the screen's edge"
    assert all(a["r"] + 4 <= b["l"] for a, b in zip(boxes, boxes[1:])), f"labels run into each other: {boxes}"
    for word in ACCOUNT[language]:
        assert word not in bar.inner_text()
    # The account actions are in the header's account menu, which fits the phone too.
    menu = page.locator("header .account-menu")
    menu.locator("summary").click()
    password, sign_out = ACCOUNT[language]
    expect(menu.get_by_role("link", name=password)).to_be_in_viewport()
    expect(menu.get_by_role("button", name=sign_out)).to_be_in_viewport()
    assert no_horizontal_scroll(page)
    header = page.locator("header .header-inner > *").evaluate_all(
        "(els) => els.map((el) => el.getBoundingClientRect().right)")
    assert max(header) <= 360
    page.context.close()


# Item 10 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_search_hint_fits_and_the_full_list_is_visible_help(browser, app_server, width, demo):
    page = _signed_in(browser, app_server, VIEWPORTS[width], (demo.phone, demo.password))
    wait_for_cards(page)
    search = page.locator("input[type=search]")
    spare = search.evaluate("""(el) => { const s = getComputedStyle(el);
        const c = document.createElement('canvas').getContext('2d'); c.font = s.font;
        return el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)
               - c.measureText(el.placeholder).width; }""")
    assert spare >= 0, f"the hint is cut off by {-spare:.0f} px"
    help_id = search.get_attribute("aria-describedby")
    assert help_id
    help_text = page.locator(f"#{help_id}")
    expect(help_text).to_be_visible()
    expect(help_text).to_contain_text("трек-номер")
    expect(help_text).to_contain_text("товара")
    page.context.close()


# Item 11 ---------------------------------------------------------------------------------------------------
NUMBER_THEN_WORD = re.compile(r"\d[ \t\n]+[^\W\d_]", re.UNICODE)
# The app's own words with numbers (Kazpost's place names and the products' titles are their own text).
OURS = ".pc-meta, .progress-text, .eta, .pc-updated, .order-status"


def _split_numbers(page: Page) -> list[str]:
    texts = page.locator(OURS).evaluate_all("(els) => els.map((el) => el.textContent)")
    assert texts
    return [m.group(0) for t in texts for m in NUMBER_THEN_WORD.finditer(t)]


def test_numbers_stay_with_their_words_in_every_language(browser, app_server, demo):
    page = _signed_in(browser, app_server, PHONE_360, (demo.phone, demo.password))
    wait_for_cards(page)
    for language, orders in (("Русский", "заказ"), ("Қазақша", "тапсырыс"), ("English", "order")):
        _choose_language(page, language)
        expect(page.locator(".pc-meta").first).to_contain_text(orders)
        metas = page.locator(".pc-meta").all_text_contents()
        assert all("\u00a0" + orders in t for t in metas), metas[:3]
        assert _split_numbers(page) == [], f"{language}: a line may break between a number and its word"
    page.goto(app_server.url + f"/parcel/{demo['P-240101']}")
    page.wait_for_selector(".order-card")
    assert _split_numbers(page) == []
    page.context.close()


# Item 14 ---------------------------------------------------------------------------------------------------
def test_page_language_is_the_customers_and_the_title_names_the_parcel(browser, app_server, demo):
    number = demo["P-240101"]
    page = _signed_in(browser, app_server, DESKTOP, (demo.phone, demo.password), path=f"/parcel/{number}")
    page.wait_for_selector(".order-card", timeout=30_000)
    # Opened directly: the prerendered shell (marketu_app/first_paint.py) hydrates without a mismatch.
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_server.url + f"/parcel/{number}")
    page.wait_for_selector(".order-card", timeout=30_000)
    assert errors == []
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_title(re.compile(re.escape(number)))
    _choose_language(page, "Қазақша")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page).to_have_title(re.compile("Сәлемдеме " + re.escape(number)))
    page.reload()
    page.wait_for_selector(".order-card")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    _choose_language(page, "English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.context.close()


# Item 15 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", ["desktop", "phone-390"])
def test_skip_link_is_the_first_tab_stop_and_goes_to_the_content(browser, app_server, width, demo):
    page = _signed_in(browser, app_server, VIEWPORTS[width], (demo.phone, demo.password))
    wait_for_cards(page)
    page.locator("body").focus()
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Перейти к содержимому")
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
    wait_for_cards(page)  # still the same page, nothing reloaded
    page.context.close()


# Item 17 ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", ["desktop", "phone-360"])
def test_logo_is_a_44px_touch_target(browser, app_server, width):
    page = new_context(browser, VIEWPORTS[width]).new_page()
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    box = page.locator("header a.brand").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    page.context.close()
