"""A sign-in form sent before the scripts run (slow phone) or without them: a refusal shows in the very
HTML the server answers, in the browser's language, and neither the identifier nor the password is in
any URL. Its own customer (conftest.fresh_customer): the wrong passwords lock no other module's account."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, fresh_customer, new_context, no_horizontal_scroll

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
