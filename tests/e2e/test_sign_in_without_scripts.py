"""A sign-in form sent before the scripts run (slow phone) or without them: a refusal shows in the very
HTML the server answers, in the browser's language, and neither the identifier nor the password is in
any URL. The same for "forgot password" and the reset link's form. Its own customer
(conftest.fresh_customer): the wrong passwords lock no other module's account."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, fresh_customer, new_context, no_horizontal_scroll
from tests.notify_standins import wait_for

WRONG = "not-the-password-42"


@pytest.fixture(scope="module")
def customer(app_server):
    return fresh_customer(app_server.url, "nojs", {"p": [("o", "Термос", "paid")]})


@pytest.mark.parametrize("locale,message", [
    ("ru-RU", "Неверный телефон, email или пароль"),
    ("en-US", "Wrong phone, email or password"),
], ids=["ru", "en"])
def test_wrong_password_without_scripts_shows_the_error_in_the_servers_answer(browser, app_server, customer,
                                                                                locale, message):
    ctx = new_context(browser, PHONE, java_script_enabled=False, locale=locale)
    page = ctx.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(app_server.url + "/login/")
    page.fill("#identifier", customer["email"])
    page.fill("#password", WRONG)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login" in page.url and "error=invalid" in page.url
    alert = page.locator(".nojs-alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(message)
    box = alert.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert no_horizontal_scroll(page)
    assert not [u for u in urls if WRONG in u or customer["email"] in u or "password=" in u], urls
    assert "marketu_session" not in {c["name"] for c in ctx.cookies()}
    ctx.close()


def test_with_scripts_the_page_shows_the_error_once(browser, app_server):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(app_server.url + "/login/?error=invalid")
    expect(page.locator(".login-error:visible")).to_have_count(1, timeout=15_000)
    expect(page.locator(".login-error:visible")).to_have_text("Неверный телефон, email или пароль")
    expect(page.locator(".nojs-alert")).not_to_be_visible()
    assert not [e for e in errors if "ydrat" in e], errors
    ctx.close()


def test_forgot_password_and_the_reset_link_work_without_scripts(browser, app_server, notify_standins):
    import httpx

    from tests.e2e.conftest import OPERATOR_TOKEN

    email, new = "reset-nojs@example.kz", "brand new pass 7"
    r = httpx.put(f"{app_server.url}/api/v1/customers/c-reset-nojs",
                  headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Reset", "email": email, "password": "old password 11"})
    assert r.status_code in (200, 201), r.text
    ctx = new_context(browser, PHONE, java_script_enabled=False)
    page = ctx.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(app_server.url + "/forgot")
    page.fill("#identifier", email)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/forgot?sent=1")
    expect(page.locator(".nojs-notice")).to_contain_text("мы отправили туда ссылку")
    mail = wait_for(lambda: [m for m in notify_standins.smtp.messages if m["To"] == email],
                    timeout=30, what="the reset email")[0]
    link = re.search(r"/reset\?code=[A-Za-z0-9_-]+", mail.get_body(("plain",)).get_content()).group(0)
    page.goto(app_server.url + link)
    page.fill("#new_password", new)
    page.fill("#repeat_password", new)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/login?reset=1")
    expect(page.locator(".nojs-notice")).to_have_text("Пароль изменён. Войдите с новым паролем.")
    page.fill("#identifier", email)
    page.fill("#password", new)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.rstrip("/") == app_server.url
    assert "marketu_session" in {c["name"] for c in ctx.cookies()}
    assert not [u for u in urls if email.split("@")[0] in u or new.split()[0] in u or "password=" in u], urls
    ctx.close()
