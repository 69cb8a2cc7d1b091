"""Signing in and out in the browser, as a customer does (this module's own copy of the demo customers)."""

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import OPERATOR_TOKEN, demo_copy, new_context, sign_in, wait_for_cards


@pytest.fixture(scope="module")
def demo(db_url):
    return demo_copy(db_url, __name__)


@pytest.mark.parametrize("form", ["8 {a} {b} {c} {d}", "+7 ({a}) {b}-{c}-{d}", "8{a}{b}{c}{d}", "EMAIL"])
def test_sign_in_with_each_phone_form_and_email(app_server, page, demo, form):
    p = demo.phone
    identifier = demo.email.upper() if form == "EMAIL" else form.format(a=p[2:5], b=p[5:8], c=p[8:10], d=p[10:])
    sign_in(page, app_server.url, identifier, demo.password)
    wait_for_cards(page)
    assert page.locator(".parcel-card").count() >= 8


def test_wrong_password_says_so_without_telling_if_the_account_exists(app_server, page, demo):
    p = demo.phone
    sign_in(page, app_server.url, f"8 {p[2:5]} {p[5:8]} {p[8:10]} {p[10:]}", "wrong password!")
    expect(page.locator(".login-error")).to_be_visible(timeout=15_000)
    wrong = page.locator(".login-error").inner_text()
    assert "wrong" not in page.url  # the form posts: the password is in no URL
    page.goto(app_server.url + "/login")
    expect(page.locator(".login-error")).to_have_count(0)
    page.fill("#identifier", "+7 700 000 00 00")
    page.fill("#password", "wrong password!")
    page.click("main button[type=submit]")
    expect(page.locator(".login-error")).to_be_visible(timeout=15_000)
    assert page.locator(".login-error").inner_text() == wrong == "Неверный телефон, email или пароль"
    assert page.locator(".parcel-card").count() == 0


def test_reload_keeps_the_session_and_sign_out_ends_it(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    page.reload()
    wait_for_cards(page)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "marketu_session")
    page.locator("header .account-menu summary").click()  # sign-out is in the account menu
    page.get_by_role("button", name="Выйти").first.click()
    page.wait_for_url("**/login**")
    page.goto(app_server.url + "/")
    page.wait_for_url("**/login**")
    # The old token is dead on the server too: putting it back does not sign in.
    page.context.add_cookies([{"name": "marketu_session", "value": token, "url": app_server.url}])
    page.goto(app_server.url + f"/parcel/{demo['P-240101']}")
    page.wait_for_url("**/login**")


def test_protected_url_redirects_to_sign_in_and_comes_back(app_server, page, demo):
    number = demo["P-240103"]
    page.goto(app_server.url + f"/parcel/{number}")
    page.wait_for_url(f"**/login?next=%2Fparcel%2F{number}")
    page.fill("#identifier", demo.email)
    page.fill("#password", demo.password)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/parcel/{number}")
    page.wait_for_selector(".order-card")
    # Signed in, the sign-in page sends the customer on.
    page.goto(app_server.url + "/login")
    page.wait_for_url(lambda url: "/login" not in url)
    # A `next` that browsers would read as another host (backslash, control character) sends them home.
    for bad in ("/%5Cevil.example", "/%5C%5Cevil.example", "/%07x"):
        page.goto(f"{app_server.url}/login?next={bad}")
        page.wait_for_url(app_server.url + "/")
        wait_for_cards(page)


def test_sixth_wrong_password_is_refused_even_when_right(app_server, browser):
    # Its own customer: the lock-out holds for the whole account (phone and email alike).
    r = httpx.put(f"{app_server.url}/api/v1/customers/c-e2e-lockout",
                  headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Тест Блокировки", "email": "lockout@marketu.kz", "phone": "+77010000041",
                        "password": "lockout password 1"})
    assert r.status_code in (200, 201), r.text
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, app_server.url, "lockout@marketu.kz", "not the password")
    for _ in range(4):
        expect(page.locator(".login-error")).to_have_text("Неверный телефон, email или пароль", timeout=15_000)
        page.fill("#identifier", "lockout@marketu.kz")
        page.fill("#password", "still not it")
        with page.expect_navigation():
            page.click("main button[type=submit]")
    page.fill("#identifier", "+7 701 000 00 41")  # the same account through its phone
    page.fill("#password", "lockout password 1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    # The right password, sent sixth, is answered with the wait.
    expect(page.locator(".login-error")).to_contain_text("Попробуйте снова через", timeout=15_000)
    assert "/login" in page.url
    assert "marketu_session" not in {c["name"] for c in ctx.cookies()}
    ctx.close()
