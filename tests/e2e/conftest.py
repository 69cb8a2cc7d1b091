"""End-to-end: the prod build served by `reflex run --env prod`, driven in Debian Chromium.

One app per test session (the build takes ~30 s), demo data in a fresh SQLite file, EMS from
the Kazpost simulator on loopback.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from marketu_app.db.engine import make_engine
from marketu_app.demo.ems_stories import stories_from_database
from marketu_app.ems.simulator import KazpostSimulator
from tests.app_process import CHROMIUM, CHROMIUM_ARGS, RunningApp, app_env
from tests.servers import serve

OPERATOR_TOKEN = "e2e-operator-token-0123456789"
DEMO_PHONE, DEMO_PASSWORD = "+77011234567", "marketu-demo"
SECOND_PHONE, SECOND_PASSWORD = "+77771234567", "marketu-demo2"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
E2E_BOT_TOKEN = "4242:e2e-bot-token"


def e2e_env(db_url: str, ems_url: str, copy: Path | None = None, **extra: str) -> dict[str, str]:
    """Demo data, the simulator for EMS, a known operator token, a fast session sweep."""
    return app_env(db_url, copy, MARKETU_DEMO="1", MARKETU_OPERATOR_TOKEN=OPERATOR_TOKEN,
                   MARKETU_EMS_API_URL=ems_url, MARKETU_SESSION_SWEEP_SECONDS="2", **extra)


@pytest.fixture(scope="session")
def simulator():
    sim = KazpostSimulator(step_seconds=0, not_found=False)
    with serve(sim.app) as url:
        yield sim, f"{url}/api/v2"


@pytest.fixture(scope="session")
def notify_standins():
    """The notification channels' local counterparts: the Bot-API stand-in and a real SMTP server."""
    from marketu_app.notify.standin import BotApi
    from tests.notify_standins import smtp_server, vapid_pem

    bot = BotApi(E2E_BOT_TOKEN)
    with serve(bot.app()) as bot_url, smtp_server() as (smtp_url, smtp):
        env = {"MARKETU_TELEGRAM_BOT_TOKEN": E2E_BOT_TOKEN, "MARKETU_TELEGRAM_BOT_NAME": "marketu_e2e_bot",
               "MARKETU_TELEGRAM_API_URL": bot_url, "MARKETU_SMTP_URL": smtp_url,
               "MARKETU_VAPID_PRIVATE_KEY": vapid_pem(), "MARKETU_VAPID_SUBJECT": "mailto:ops@marketu.kz",
               "MARKETU_QUIET_HOURS": "off"}
        yield SimpleNamespace(bot=bot, bot_url=bot_url, smtp=smtp, env=env)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, simulator, notify_standins):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing at /usr/bin/chromium (scripts/test.sh installs it)")
    data = tmp_path_factory.mktemp("app")
    db_url = f"sqlite:///{data / 'e2e.db'}"
    simulator[0].stories = stories_from_database(make_engine(db_url))  # as run.sh's --demo-stories
    env = e2e_env(db_url, simulator[1], **notify_standins.env)
    app = RunningApp(env, data / "app.log").start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def db_url(app_server) -> str:
    return app_server.env["REFLEX_DB_URL"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


_client_seq = iter(range(1, 10_000))


def new_context(browser: Browser, viewport: dict | None = None, **kw) -> BrowserContext:
    # Each context looks like its own client to the sign-in rate limit (the app trusts X-Forwarded-For here).
    ip = f"10.{next(_client_seq) // 250}.{next(_client_seq) % 250}.7"
    kw.setdefault("locale", "ru-RU")
    return browser.new_context(viewport=viewport or DESKTOP, extra_http_headers={"X-Forwarded-For": ip}, **kw)


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


def sign_in(page: Page, base: str, identifier: str = DEMO_PHONE, password: str = DEMO_PASSWORD,
            path: str = "/") -> None:
    page.goto(base + path)
    page.wait_for_url("**/login**")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def wait_until(page: Page, expression: str, timeout: float = 10_000) -> None:
    """Polls a JS expression until it is truthy. Not `page.wait_for_function`: that evaluates its
    predicate with eval in the page, which the app's Content-Security-Policy (rightly) forbids."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(expression):
                return
        except PlaywrightError as error:  # a navigation replaced the context: try again
            if "context was destroyed" not in str(error) and "navigat" not in str(error):
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout / 1000:.0f} s: {expression}")
        time.sleep(0.1)


# React's cards: the first cards the server put in the page (marketu_app/first_cards.py) come before the
# page's state, and a test that waits for the cards means the page is live.
REACT_CARD = ".parcel-card:not(.first-cards .parcel-card)"


def wait_for_cards(page: Page) -> None:
    page.wait_for_selector(REACT_CARD, timeout=40_000)


def tab_token(page: Page) -> str:
    """The Reflex client token (tab id) of this page, which addresses its state on the server."""
    token = page.evaluate("window.sessionStorage.getItem('token')")
    assert token, "the page has no Reflex tab id"
    return token


def assert_tab_stored_hashed(page: Page, db_url: str) -> None:
    """live_tab holds the hash of this page's tab id and never the tab id itself."""
    import hashlib

    from sqlalchemy import text

    token = tab_token(page)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            stored = {str(v) for row in conn.execute(text("SELECT * FROM live_tab")) for v in row}
    finally:
        engine.dispose()
    assert token not in stored, "a raw tab id is stored in live_tab"
    assert hashlib.sha256(token.encode()).hexdigest() in stored, "this tab is not recorded for live pushes"


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


# Each module's own data, so that the modules pass in any order (issue 16 §4): no module reads or changes
# the demo customers' data or another module's. Phones are unique per app (the operator API answers 409
# to a phone another customer has), so every module that creates customers with phones uses its own range:
#   +7 701 000 00 01-02 test_sessions, +7 701 000 00 31-32 test_page_details,
#   +7 701 000 00 41 test_sign_in, +7 701 000 01 31-34 test_snapshot_wipe, +7 705 111 22 33 test_parcel_story,
#   +7 701 5BB 00 NN: `demo_copy` for the module given block BB in DEMO_COPY_BLOCKS (NN: 01 the copy of the
#   demo customer, 02 of the second one). A new module takes the next free block here.
# `fresh_customer` customers have no phone (a unique email each).
DEMO_COPY_BLOCKS = {
    "test_parcels": 1, "test_tracking_and_eta": 2, "test_door_eta": 3, "test_isolation": 4,
    "test_http_hardening": 5, "test_sign_in": 6, "test_session_cookie": 7, "test_pwa": 8,
    "test_notifications": 9, "test_snapshot_wipe": 10, "test_page_details": 11,
}


class DemoCopy(SimpleNamespace):
    """A module's own copy of the demo customers: `d["P-240104"]` is that parcel's number in the copy
    (orders and EMS tracks alike); `d.phone`/`d.password` sign in as the demo customer's copy,
    `d.second_phone`/`d.second_password` as the second one's."""

    def __getitem__(self, demo_name: str) -> str:
        return self.names[demo_name]


def demo_copy(db_url: str, module: str) -> DemoCopy:
    """Loads both demo customers again through the write path (as the demo itself is loaded), under this
    module's numbers, phones and EMS tracks; the simulator's EMS stories follow the copy's own dates."""
    from sqlmodel import Session

    from marketu_app.demo import seed

    block = DEMO_COPY_BLOCKS[module.rsplit(".", 1)[-1]]
    tag = f"e{block:02d}"
    phone, second_phone = f"+77015{block:02d}0001", f"+77015{block:02d}0002"
    password, second_password = f"demo copy {tag} 1", f"demo copy {tag} 2"
    first, names = seed.renumbered(seed.DEMO_PARCELS, tag, block * 1_000_000 + 500_000)
    second, second_names = seed.renumbered(seed.SECOND_PARCELS, tag, block * 1_000_000 + 500_000)
    from sqlalchemy.exc import OperationalError

    engine = make_engine(db_url)
    try:
        for attempt in range(5):
            try:
                with Session(engine) as s:
                    seed.load_copy(s, f"c-1001-{tag}", "Айгерим Сапарова",
                                   (phone, f"{tag}-demo@example.kz", password), first)
                    seed.load_copy(s, f"c-1002-{tag}", "Данияр Ахметов",
                                   (second_phone, f"{tag}-second@example.kz", second_password), second)
                    s.commit()
                break
            except OperationalError:  # SQLite: the app committed between a read and a write; all idempotent
                if attempt == 4:
                    raise
                time.sleep(0.5)
        _settled(engine, (f"c-1001-{tag}", f"c-1002-{tag}"))
    finally:
        engine.dispose()
    return DemoCopy(names={**names, **second_names}, phone=phone, password=password,
                    email=f"{tag}-demo@example.kz", second_phone=second_phone, second_password=second_password,
                    customer=f"c-1001-{tag}", second_customer=f"c-1002-{tag}")


def _settled(engine, external_ids: tuple[str, ...], timeout: float = 120) -> None:
    """Waits until the app has taken in what loading a copy recorded: the EMS poller's first look at the
    copy's tracks (their Kazpost histories arrive as changes), then the live pushes and the notifications
    of all of it (a copy is loaded while the app runs, unlike the demo), so that none of them reaches a
    page, a toast or a chat during the module's tests (a card growing under a click opened another parcel)."""
    from sqlalchemy import bindparam, text

    deadline = time.monotonic() + timeout
    while True:
        with engine.connect() as conn:
            ids = conn.execute(text("SELECT id FROM customer WHERE external_id IN :ids").bindparams(
                bindparam("ids", expanding=True)), {"ids": list(external_ids)}).scalars().all()
            # First (the poll's changes are committed by the time it shows as done): tracks not yet polled.
            unpolled = conn.execute(text(
                "SELECT count(*) FROM ems_track t JOIN parcel p ON p.ems_track_number = t.track_number "
                "WHERE p.customer_id IN :c AND t.active AND t.last_checked_at IS NULL"
            ).bindparams(bindparam("c", expanding=True)), {"c": list(ids)}).scalar()
            last = conn.execute(text("SELECT max(id) FROM change_log")).scalar() or 0
            behind = conn.execute(text("SELECT consumer FROM change_cursor WHERE (consumer = 'notify' OR consumer "
                                       "LIKE 'live%') AND last_id < :last"), {"last": last}).scalars().all()
            waiting = conn.execute(text(
                "SELECT (SELECT count(*) FROM notify_pending WHERE batch_id IS NULL AND customer_id IN :c) + "
                "(SELECT count(*) FROM notify_message WHERE state IN ('queued', 'sending') AND customer_id IN :c)"
            ).bindparams(bindparam("c", expanding=True)), {"c": list(ids)}).scalar()
        if not unpolled and not behind and not waiting:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the copy's changes are not through: {unpolled} EMS tracks not polled, "
                                 f"cursors behind {behind}, {waiting} waiting")
        time.sleep(0.5)


def fresh_customer(base: str, tag: str, parcels: dict[str, list[tuple[str, str, str]]]) -> dict:
    """A new customer of this test module alone, through the operator API: `parcels` maps a parcel
    suffix to its orders (order suffix, title, status). Returns the sign-in and the numbers it got, so
    that a module's tests neither read nor change the demo data or another module's."""
    import uuid
    from datetime import datetime, timedelta, timezone

    import httpx

    key = f"{tag}-{uuid.uuid4().hex[:6]}"
    email, password = f"{key}@example.kz", "e2e-password-0123"
    at = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
    numbers: dict[str, str] = {}
    with httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                      timeout=60) as api:
        def put(path: str, body: dict) -> None:
            r = api.put(path, json=body)
            assert r.status_code == 201, r.text

        put(f"/customers/{key}", {"name": f"E2E {tag}", "email": email, "password": password})
        for p, orders in parcels.items():
            numbers[p] = f"P-{key}-{p}"
            put(f"/parcels/{numbers[p]}", {"customer_id": key, "delivery_method": "pickup"})
            for o, title, status in orders:
                numbers[o] = f"M-{key}-{o}"
                put(f"/orders/{numbers[o]}", {"customer_id": key, "parcel_number": numbers[p], "title": title,
                                              "marketplace": "taobao", "status": status, "status_at": at})
    return {"email": email, "password": password, **numbers}
