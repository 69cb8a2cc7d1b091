"""Nothing of one customer is left on the device once their session ends, however it ends (issue 12 §2).

Each test saves an offline snapshot of a customer's parcels (its own, or this module's copy of the second
demo customer), ends the session one way, then goes
offline on "/" and checks that nothing of the customer is shown or kept in localStorage.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import update
from sqlmodel import Session, create_engine

from marketu_app.auth.sessions import hash_token
from marketu_app.db.models import CustomerSession
from marketu_app.domain.timeutil import utcnow
from tests.e2e import test_pwa
from tests.e2e.conftest import (
    OPERATOR_TOKEN,
    demo_copy,
    new_context,
    sign_in,
    wait_for_cards,
    wait_until,
)
from tests.e2e.test_pwa import SNAPSHOT_KEYS, first_page, wait_for_worker

persistent = test_pwa.persistent  # a persistent profile per test (service workers need one)

STORAGE = "JSON.stringify(localStorage)"


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy): the second one's is used here."""
    return demo_copy(db_url, __name__)


def _customer(base: str, cid: str, phone: str, password: str) -> None:
    r = httpx.put(f"{base}/api/v1/customers/{cid}", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Тест Снимка", "phone": phone, "password": password, "locale": "ru"})
    assert r.status_code in (200, 201), r.text
    r = httpx.put(f"{base}/api/v1/parcels/P-SNAP-{cid[-1]}", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"customer_id": cid, "delivery_method": "pickup"})
    assert r.status_code in (200, 201), r.text


def with_snapshot(persistent, base: str, phone: str, password: str) -> tuple[BrowserContext, Page]:
    ctx = persistent()
    page = first_page(ctx)
    sign_in(page, base, phone, password)
    wait_for_cards(page)
    wait_until(page, f"{SNAPSHOT_KEYS}.some(k => k.endsWith(':/'))", timeout=15_000)
    wait_for_worker(page)
    return ctx, page


def nothing_left_offline(ctx: BrowserContext, page: Page, base: str, secret: str) -> None:
    wait_until(page, f"{SNAPSHOT_KEYS}.length === 0", timeout=15_000)
    ctx.set_offline(True)
    page.goto(base + "/")
    expect(page.locator(".marketu-offline-banner")).to_have_text("Нет соединения", timeout=20_000)
    expect(page.locator("#marketu-snapshot")).to_have_count(0)
    assert secret not in page.content() and secret not in page.evaluate(STORAGE)
    ctx.set_offline(False)


def _session_token(ctx: BrowserContext) -> str:
    return next(c["value"] for c in ctx.cookies() if c["name"] == "marketu_session")


def test_expiry_seen_by_the_open_page_wipes_the_snapshot(app_server, persistent, db_url):
    _customer(app_server.url, "c-snap-1", "+77010000131", "snapshot password 1")
    ctx, page = with_snapshot(persistent, app_server.url, "+77010000131", "snapshot password 1")
    engine = create_engine(db_url)
    with Session(engine) as s:
        s.exec(update(CustomerSession).where(CustomerSession.token_hash == hash_token(_session_token(ctx)))
               .values(expires_at=utcnow() + timedelta(seconds=1)))
        s.commit()
    engine.dispose()
    expect(page.locator(".session-ended")).to_be_visible(timeout=15_000)
    nothing_left_offline(ctx, page, app_server.url, "P-SNAP-1")


def test_expired_cookie_means_no_snapshot_is_shown(app_server, persistent, demo):
    """The marker cookie expires with the session: without it the snapshot is never rendered, and goes."""
    ctx, page = with_snapshot(persistent, app_server.url, demo.second_phone, demo.second_password)
    ctx.clear_cookies(name="marketu_signed_in")
    ctx.set_offline(True)
    page.reload()
    expect(page.locator(".marketu-offline-banner")).to_have_text("Нет соединения", timeout=20_000)
    expect(page.locator("#marketu-snapshot")).to_have_count(0)
    wait_until(page, f"{SNAPSHOT_KEYS}.length === 0", timeout=10_000)
    assert demo["P-250201"] not in page.evaluate(STORAGE)


def test_session_ended_elsewhere_wipes_the_snapshot(app_server, persistent, browser):
    _customer(app_server.url, "c-snap-2", "+77010000132", "snapshot password 2")
    ctx, page = with_snapshot(persistent, app_server.url, "+77010000132", "snapshot password 2")
    other = new_context(browser)
    changer = other.new_page()
    sign_in(changer, app_server.url, "+77010000132", "snapshot password 2", path="/password")
    changer.wait_for_url(re.compile(r".*/password/?$"))
    changer.fill("#current_password", "snapshot password 2")
    changer.fill("#new_password", "snapshot password 22")
    changer.fill("#repeat_password", "snapshot password 22")
    changer.click("main button[type=submit]")
    expect(changer.locator(".password-done")).to_be_visible(timeout=15_000)
    other.close()
    expect(page.locator(".session-ended")).to_be_visible(timeout=15_000)
    nothing_left_offline(ctx, page, app_server.url, "P-SNAP-2")


def test_password_change_on_this_device_wipes_the_old_sessions_snapshot(app_server, persistent):
    _customer(app_server.url, "c-snap-3", "+77010000133", "snapshot password 3")
    ctx, page = with_snapshot(persistent, app_server.url, "+77010000133", "snapshot password 3")
    old = page.evaluate(SNAPSHOT_KEYS)
    page.goto(app_server.url + "/password")
    page.fill("#current_password", "snapshot password 3")
    page.fill("#new_password", "snapshot password 33")
    page.fill("#repeat_password", "snapshot password 33")
    page.click("main button[type=submit]")
    expect(page.locator(".password-done")).to_be_visible(timeout=15_000)
    # A new session (and marker) here: the old session's snapshots are gone.
    wait_until(page, f"{SNAPSHOT_KEYS}.every(k => !{old!r}.includes(k))", timeout=10_000)


def test_sign_out_leaves_nothing_to_show_offline(app_server, persistent, demo):
    ctx, page = with_snapshot(persistent, app_server.url, demo.second_phone, demo.second_password)
    page.goto(app_server.url + "/password")
    page.locator("header .account-menu summary").click()  # sign-out is in the account menu
    page.locator("header .sign-out").click()
    page.wait_for_url("**/login**")
    assert "marketu_signed_in" not in {c["name"] for c in ctx.cookies()}
    nothing_left_offline(ctx, page, app_server.url, demo["P-250201"])


def test_another_customer_signing_in_finds_nothing_of_the_first(app_server, persistent, demo):
    _customer(app_server.url, "c-snap-4", "+77010000134", "snapshot password 4")
    ctx, page = with_snapshot(persistent, app_server.url, "+77010000134", "snapshot password 4")
    # B signs in on the same browser (the form posts while A's cookie is still there).
    page.evaluate("""([phone, password]) => {
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/auth/login';
        for (const [name, value] of [['identifier', phone], ['password', password]]) {
            const input = document.createElement('input');
            input.name = name; input.value = value; form.appendChild(input);
        }
        document.body.appendChild(form); form.submit();
    }""", [demo.second_phone, demo.second_password])
    page.wait_for_url(app_server.url + "/")
    second = re.compile(re.escape(demo["P-250201"][:-2]))  # either of B's parcels
    expect(page.locator("main .parcel-number").first).to_have_text(second, timeout=20_000)
    wait_until(page, "!JSON.stringify(localStorage).includes('P-SNAP-4')", timeout=10_000)
    assert "P-SNAP-4" not in page.content()
