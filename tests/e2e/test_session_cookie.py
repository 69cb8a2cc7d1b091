"""The session lives in an HttpOnly cookie set over HTTP; the server learns who is signed in from the
websocket's handshake, so a tab id alone gets nothing (issue 12 §1)."""

from __future__ import annotations

import json
import re
import time

import pytest
import websocket
from playwright.sync_api import expect

from tests.e2e.conftest import demo_copy, new_context, sign_in, wait_for_cards

DEMO_NAME = "Айгерим"


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy)."""
    return demo_copy(db_url, __name__)


def test_sign_in_form_posts_without_scripts_and_the_password_never_reaches_a_url(app_server, browser, demo):
    """A slow phone submits before the scripts are ready: here they never load at all."""
    ctx = new_context(browser, java_script_enabled=False)
    page = ctx.new_page()
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    page.goto(app_server.url + "/login?next=%2Fstatuses")
    p = demo.phone  # as people type it: "8 701 501 00 01"
    page.fill("#identifier", f"8 {p[2:5]} {p[5:8]} {p[8:10]} {p[10:]}")
    page.fill("#password", demo.password)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.rstrip("/") == app_server.url + "/statuses"
    squeezed = demo.password.replace(" ", "")
    assert not [u for u in urls if squeezed in u.replace("+", "").replace("%20", "") or "password=" in u]
    cookies = {c["name"]: c for c in ctx.cookies()}
    session = cookies["marketu_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax" and session["path"] == "/"
    assert not cookies["marketu_signed_in"]["httpOnly"]
    ctx.close()


def test_page_scripts_cannot_read_the_session_token(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "marketu_session")
    assert token not in page.evaluate("document.cookie")
    assert "marketu_signed_in=" in page.evaluate("document.cookie")
    assert token not in page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")


def test_wrong_password_comes_back_on_the_form_with_the_wait_when_locked(app_server, browser):
    ctx = new_context(browser)
    page = ctx.new_page()
    page.goto(app_server.url + "/login")
    for attempt in range(6):
        page.fill("#identifier", "+7 700 000 00 99")
        page.fill("#password", f"wrong password {attempt}")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert re.search(r"/login/?\?error=", page.url)
        if attempt < 5:
            expect(page.locator(".login-error")).to_have_text("Неверный телефон, email или пароль")
    expect(page.locator(".login-error")).to_contain_text("Слишком много попыток. Попробуйте снова через")
    assert "wrong" not in page.url
    ctx.close()


def _drop_session_vars(value):
    """The CONNECT payload without anything named after the session (the attacker has no cookie)."""
    if isinstance(value, dict):
        return {k: _drop_session_vars(v) for k, v in value.items() if "session_token" not in k}
    if isinstance(value, list):
        return [_drop_session_vars(v) for v in value]
    return value


def replay(base: str, tab_token: str, ns: str, auth: dict, cookie: str | None = None, seconds: float = 8) -> str:
    """Connects a plain websocket as the tab `tab_token`, sends the hydrate, returns all it received."""
    url = base.replace("http://", "ws://") + f"/_event/?token={tab_token}&EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=2, cookie=cookie, header=["X-Forwarded-For: 10.99.0.1"])
    received: list[str] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                msg = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not isinstance(msg, str):
                continue
            received.append(msg)
            if msg == "2":
                ws.send("3")
            elif msg.startswith("0"):
                ws.send(f"40{ns}," + json.dumps(auth))
            # Hydrated and the page's on_load answered (a redirect or its data): nothing more will come.
            if received and '"is_hydrated' in "".join(received) and ("_redirect" in msg or "cards" in msg):
                deadline = min(deadline, time.monotonic() + 1.5)
    finally:
        ws.close()
    return "\n".join(received)


def capture_tab(page) -> tuple[str, str, dict]:
    """(tab token, namespace, CONNECT auth) of the page's socket.io connection."""
    sent: list[str] = []
    urls: list[str] = []

    def on_ws(ws):
        if "/_event" in ws.url:
            urls.append(ws.url)
            ws.on("framesent", lambda payload: sent.append(payload))

    page.on("websocket", on_ws)
    return sent, urls  # filled as the page runs


def parse_connect(sent: list[str], urls: list[str]) -> tuple[str, str, dict]:
    token = re.search(r"token=([^&]+)", urls[-1]).group(1)
    for frame in sent:
        if isinstance(frame, str) and frame.startswith("40"):
            body = frame[2:]
            ns, body = body.split(",", 1) if body.startswith("/") else ("/", body)
            return token, ns, json.loads(body)
    raise AssertionError("no CONNECT packet")


def test_a_stale_tab_id_replayed_without_the_cookie_gets_no_customer_data(app_server, browser, demo):
    ctx = new_context(browser)
    page = ctx.new_page()
    sent, urls = capture_tab(page)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    assert page.locator("main").inner_text().count(demo["P-240101"]) >= 1
    token, ns, auth = parse_connect(sent, urls)
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in ctx.cookies())
    ctx.close()  # the tab is gone; its id stays in the server's state store

    stolen = replay(app_server.url, token, ns, _drop_session_vars(auth))
    assert "is_hydrated" in stolen  # the hydrate was answered
    secrets = [demo["P-240101"], "Li-Ning", "Караганда", DEMO_NAME]
    assert [s for s in secrets + [json.dumps(s)[1:-1] for s in secrets] if s in stolen] == []
    # The same replay with the session's cookie is the customer's own tab: the check above is not vacuous.
    own = replay(app_server.url, token, ns, _drop_session_vars(auth), cookie=cookie)
    assert demo["P-240101"] in own
