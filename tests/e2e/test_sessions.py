"""Sessions end on an open page: by a password change elsewhere, and by expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import Session, create_engine

from marketu_app.auth.sessions import hash_token
from marketu_app.db.models import CustomerSession
from marketu_app.domain.timeutil import utcnow
from tests.e2e.conftest import OPERATOR_TOKEN, new_context, sign_in


def _customer(base: str, cid: str, phone: str, password: str) -> None:
    r = httpx.put(f"{base}/api/v1/customers/{cid}", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Тест Сеансов", "phone": phone, "password": password, "locale": "ru"})
    assert r.status_code in (200, 201), r.text


def test_password_change_ends_the_other_sessions_on_their_open_pages(app_server, browser):
    _customer(app_server.url, "c-e2e-sessions", "+77010000001", "first password 1")
    here, there = new_context(browser), new_context(browser)
    open_page, changer = here.new_page(), there.new_page()
    sign_in(open_page, app_server.url, "+77010000001", "first password 1")
    expect(open_page.get_by_text("У вас пока нет посылок")).to_be_visible(timeout=20_000)
    sign_in(changer, app_server.url, "+77010000001", "first password 1", path="/password")
    changer.wait_for_url(re.compile(r".*/password/?$"))
    changer.fill("#current_password", "first password 1")
    changer.fill("#new_password", "second password 2")
    changer.fill("#repeat_password", "second password 2")
    changer.click("main button[type=submit]")
    expect(changer.locator(".password-done")).to_be_visible(timeout=10_000)
    # The other tab learns it without a reload.
    expect(open_page.locator(".session-ended")).to_be_visible(timeout=10_000)
    open_page.reload()
    open_page.wait_for_url("**/login**")
    # The changer's own session goes on; the old password is gone.
    changer.goto(app_server.url + "/")
    expect(changer.get_by_text("У вас пока нет посылок")).to_be_visible(timeout=20_000)
    here.close(), there.close()


def test_expired_session_takes_effect_on_the_open_page(app_server, browser, db_url):
    _customer(app_server.url, "c-e2e-expiry", "+77010000002", "expiry password 1")
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, app_server.url, "+77010000002", "expiry password 1")
    expect(page.get_by_text("У вас пока нет посылок")).to_be_visible(timeout=20_000)
    token = next(c["value"] for c in ctx.cookies() if c["name"] == "marketu_session")
    engine = create_engine(db_url)
    with Session(engine) as s:
        s.exec(update(CustomerSession).where(CustomerSession.token_hash == hash_token(token))
               .values(expires_at=utcnow() + timedelta(seconds=1)))
        s.commit()
    engine.dispose()
    expect(page.locator(".session-ended")).to_be_visible(timeout=15_000)
    ctx.close()
