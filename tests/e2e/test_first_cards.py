"""A signed-in customer's first cards come in the HTML itself (issue 13 item 18, marketu_app/first_cards.py).

Without JavaScript the page as the server sent it is all there is: the customer's cards on `/`, the parcel's
number and header card on their own `/parcel/<number>`, the not-found block for anyone else's number, and
nothing of anyone without a valid session. With JavaScript, React takes the cards over when the page's
state arrives: one set of cards at any moment, no skeleton after them, no hydration error.
"""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from marketu_app.auth.sessions import create_session, end_session
from marketu_app.db.engine import make_engine
from marketu_app.db.models import Customer, Parcel
from tests.e2e.conftest import DEMO_PHONE, DESKTOP, PHONE, REACT_CARD, new_context, sign_in, wait_for_cards
from tests.e2e.test_pwa import first_page, persistent, wait_for_worker  # noqa: F401,F811  (persistent: a fixture)

VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
SECOND_SECRETS = ["P-250201", "P-250202", "Павлодар", "EE600000", "Данияр"]

# From the document's start: whether the parsed HTML (readyState "interactive", before any deferred or module
# script runs) held cards, the most cards at any moment, a skeleton seen after a card, the server's first card.
WATCH = """
(() => {
  const w = (window.__firstCards = {atParse: null, max: 0, skeletonAfterCard: false, seenCard: false});
  const look = () => {
    const n = document.querySelectorAll('.parcel-card').length;
    w.max = Math.max(w.max, n);
    if (n) w.seenCard = true;
    if (w.seenCard && document.querySelector('.pc-skeleton')) w.skeletonAfterCard = true;
  };
  document.addEventListener('readystatechange', () => {
    if (document.readyState !== 'interactive') return;
    look();
    w.atParse = document.querySelectorAll('.first-cards .parcel-card, .first-cards .parcel-header').length;
    w.serverCard = document.querySelector('.first-cards .parcel-card, .first-cards .parcel-header');
    new MutationObserver(look).observe(document.documentElement, {childList: true, subtree: true});
  });
})();
"""
READ_WATCH = """(() => { const w = window.__firstCards; return {atParse: w.atParse, max: w.max,
  skeletonAfterCard: w.skeletonAfterCard, serverCardGone: !!w.serverCard && !w.serverCard.isConnected}; })()"""


def _session(db_url: str, phone: str) -> str:
    engine = make_engine(db_url)
    with Session(engine) as db:
        customer = db.exec(select(Customer).where(Customer.phone == phone)).one()
        token = create_session(db, customer.id)
        db.commit()
    engine.dispose()
    return token


def _numbers(db_url: str, phone: str) -> set[str]:
    engine = make_engine(db_url)
    with Session(engine) as db:
        customer = db.exec(select(Customer).where(Customer.phone == phone)).one()
        numbers = set(db.exec(select(Parcel.number).where(Parcel.customer_id == customer.id)).all())
    engine.dispose()
    return numbers


def _page(browser, base: str, viewport: dict, token: str | None, js: bool) -> Page:
    ctx = new_context(browser, viewport, java_script_enabled=js)
    if token is not None:
        ctx.add_cookies([{"name": "marketu_session", "value": token, "url": base, "httpOnly": True,
                          "sameSite": "Lax"}])
    return ctx.new_page()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_without_javascript_the_parcels_page_shows_the_customers_own_cards(browser, app_server, db_url, width):
    page = _page(browser, app_server.url, VIEWPORTS[width], _session(db_url, DEMO_PHONE), js=False)
    page.goto(app_server.url + "/")
    cards = page.locator(".parcel-card")
    expect(cards.first).to_be_visible()
    shown = set(page.locator(".parcel-card .parcel-number h2").all_text_contents())
    own = _numbers(db_url, DEMO_PHONE)
    assert shown and shown <= own and len(shown) == min(len(own), 12), (shown, own)
    assert page.locator(".pc-skeleton").count() == 0
    first = cards.filter(has_text="P-240101")
    expect(first.locator(".eta")).to_be_visible()
    expect(first.get_by_role("link", name=re.compile("Подробнее"))).to_have_attribute("href", "/parcel/P-240101")
    text = page.locator("main").inner_text()
    assert not [s for s in SECOND_SECRETS if s in text]
    page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_without_javascript_an_own_parcel_shows_its_number_and_header_card(browser, app_server, db_url, width):
    page = _page(browser, app_server.url, VIEWPORTS[width], _session(db_url, DEMO_PHONE), js=False)
    page.goto(app_server.url + "/parcel/P-240101")
    header = page.locator(".parcel-header")
    expect(header).to_be_visible()
    expect(header.locator("h1")).to_have_text("Посылка P-240101")
    expect(header.locator(".eta")).to_be_visible()
    expect(header.locator(".track-number")).to_be_visible()
    # One visible title: the loading title steps aside for the card's.
    expect(page.locator("h1:visible")).to_have_count(1)
    page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_without_javascript_another_customers_parcel_reads_as_missing(browser, app_server, db_url, width):
    page = _page(browser, app_server.url, VIEWPORTS[width], _session(db_url, DEMO_PHONE), js=False)
    page.goto(app_server.url + "/parcel/P-250201")
    expect(page.locator(".not-found")).to_be_visible()
    assert page.locator(".parcel-header").count() == 0
    foreign = page.locator(".first-cards").inner_html()
    text = page.locator("main").inner_text()
    assert not [s for s in SECOND_SECRETS[2:] if s in text]
    page.goto(app_server.url + "/parcel/P-999999")
    expect(page.locator(".not-found")).to_be_visible()
    assert page.locator(".first-cards").inner_html() == foreign
    page.context.close()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_without_a_valid_session_the_pages_hold_no_customer_data(browser, app_server, db_url, width):
    ended = _session(db_url, DEMO_PHONE)
    engine = make_engine(db_url)
    with Session(engine) as db:
        end_session(db, ended)
        db.commit()
    engine.dispose()
    for token in (None, "not-a-session-token", ended):
        page = _page(browser, app_server.url, VIEWPORTS[width], token, js=False)
        for path in ("/", "/parcel/P-240101"):
            page.goto(app_server.url + path)
            expect(page.locator(".pc-skeleton").first).to_be_attached()
            assert page.locator(".parcel-card, .parcel-header, .not-found").count() == 0, (token, path)
            html = page.content()
            assert not [s for s in ("P-240102", "Айгерим", "Караганда", "EE471108151KZ") if s in html], (token, path)
        page.context.close()


def test_a_customers_page_is_never_cached_for_anyone_else(app_server, db_url):
    token = _session(db_url, DEMO_PHONE)
    for path in ("/", "/parcel/P-240101", "/parcel/P-250201"):
        r = httpx.get(app_server.url + path, headers={"Cookie": f"marketu_session={token}"})
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-store", path
        assert "Cookie" in r.headers["vary"], path
        assert "first-cards" in r.text and ("parcel-card" in r.text or "parcel-header" in r.text
                                           or "not-found" in r.text), path


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_react_takes_the_cards_over_once_without_a_hydration_error(browser, app_server, db_url, width):
    token = _session(db_url, DEMO_PHONE)
    page = _page(browser, app_server.url, VIEWPORTS[width], token, js=True)
    page.context.add_init_script(WATCH)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_server.url + "/")
    page.wait_for_selector(REACT_CARD, timeout=40_000)
    expect(page.locator(".first-cards")).to_have_count(0)
    watch = page.evaluate(READ_WATCH)
    own = _numbers(db_url, DEMO_PHONE)
    assert watch["atParse"] == min(len(own), 12), watch  # the cards were in the HTML
    assert watch["serverCardGone"], watch  # ...and are React's now
    assert watch["max"] == min(len(own), 12), watch  # one set at any moment
    assert not watch["skeletonAfterCard"], watch
    expect(page.locator(".parcel-card")).to_have_count(min(len(own), 12))

    page.goto(app_server.url + "/parcel/P-240101")
    page.wait_for_selector(".order-card", timeout=40_000)
    expect(page.locator(".first-cards")).to_have_count(0)
    watch = page.evaluate(READ_WATCH)
    assert watch["atParse"] == 1 and watch["serverCardGone"], watch
    expect(page.locator(".parcel-header")).to_have_count(1)
    expect(page.locator(".parcel-header h1")).to_have_text("Посылка P-240101")
    assert not watch["skeletonAfterCard"], watch
    assert errors == [], errors
    page.context.close()


def test_the_server_cards_are_the_react_cards(browser, app_server, db_url):
    """Same markup (attributes compared as sets): the hand-over changes nothing on screen."""
    token = _session(db_url, DEMO_PHONE)
    normalize = """(root) => {
      const walk = (n) => n.nodeType === 3 ? n.textContent : n.nodeType !== 1 ? '' :
        '<' + n.tagName.toLowerCase() + [...n.attributes].map(a => ' ' + a.name + '=' + JSON.stringify(a.value))
          .sort().join('') + '>' + [...n.childNodes].map(walk).join('') + '</' + n.tagName.toLowerCase() + '>';
      return walk(root);
    }"""
    got = {}
    for js in (False, True):
        page = _page(browser, app_server.url, DESKTOP, token, js=js)
        page.goto(app_server.url + "/")
        if js:
            page.wait_for_selector(REACT_CARD, timeout=40_000)
        got[js] = page.locator(".parcel-grid").evaluate(normalize)
        page.goto(app_server.url + "/parcel/P-240101")
        if js:
            page.wait_for_selector(".order-card", timeout=40_000)
        got[(js, "header")] = page.locator(".parcel-header").evaluate(normalize)
        page.context.close()
    assert got[False] == got[True]
    assert got[(False, "header")] == got[(True, "header")]


CACHED_BODIES = """async () => {
    const out = [];
    for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const request of await cache.keys()) {
            const body = await (await cache.match(request)).text();
            out.push([new URL(request.url).pathname, body]);
        }
    }
    return out;
}"""


def test_the_service_worker_keeps_nothing_of_a_customers_pages(app_server, persistent):  # noqa: F811
    """Issue 12 §2: nothing of a customer stays on the device after the session, so the worker caches
    none of the per-customer documents (it serves its own customer-free shell offline)."""
    ctx = persistent(DESKTOP)
    page = first_page(ctx)
    sign_in(page, app_server.url)
    wait_for_cards(page)
    wait_for_worker(page)
    for path in ("/", "/parcel/P-240101", "/"):
        page.goto(app_server.url + path)
        page.wait_for_selector(REACT_CARD if path == "/" else ".order-card", timeout=40_000)
    assert page.evaluate("!!navigator.serviceWorker.controller")
    cached = page.evaluate(CACHED_BODIES)
    assert any(path == "/" for path, _ in cached)  # the shell is there, for offline
    pages = [(path, body) for path, body in cached if "<html" in body[:500].lower()]
    assert pages
    # The customer's data (their parcels' numbers, the recipient) or the server's cards: in no cached page.
    leaks = [path for path, body in pages
             if re.search(r'P-2401\d\d|Айгерим|<article class="parcel-card"|parcel-header"', body)]
    assert leaks == [], leaks


def test_without_javascript_the_cards_speak_the_customers_language(browser, app_server, db_url):
    """The language the page remembered (its `marketu_lang` cookie, components/document.py), else Russian."""
    token = _session(db_url, DEMO_PHONE)
    for lang, details in (("kk", "Толығырақ"), ("en", "Details"), (None, "Подробнее")):
        page = _page(browser, app_server.url, PHONE, token, js=False)
        if lang:
            page.context.add_cookies([{"name": "marketu_lang", "value": lang, "url": app_server.url}])
        page.goto(app_server.url + "/")
        expect(page.locator(".parcel-card .details").first).to_contain_text(details)
        page.context.close()
