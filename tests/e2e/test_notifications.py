"""The settings page "Уведомления" and the service worker's push handler, in Chromium."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    DESKTOP,
    PHONE,
    demo_copy,
    new_context,
    no_horizontal_scroll,
    sign_in,
    wait_until,
)
from tests.e2e.test_live_updates import post_status
from tests.e2e.test_pwa import first_page, persistent, wait_for_worker  # noqa: F401 (fixture)
from tests.notify_standins import wait_for


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy)."""
    return demo_copy(db_url, __name__)


@pytest.mark.parametrize("viewport,chat", [(DESKTOP, 880001), (PHONE, 880002)], ids=["desktop", "phone"])
def test_link_telegram_choose_kinds_quiet_hours_and_see_the_messages(app_server, browser, notify_standins, demo,
                                                                      viewport, chat):
    bot = notify_standins.bot
    ctx = new_context(browser, viewport)
    page = ctx.new_page()
    try:
        sign_in(page, app_server.url, demo.second_phone, demo.second_password, path="/notifications")
        page.wait_for_url(re.compile(r"/notifications/?$"))
        telegram = page.locator(".nf-channel-telegram")
        expect(telegram.locator(".nf-state")).to_have_text("не привязан", timeout=20_000)
        expect(page.locator(".nf-channel-push .nf-push-subscribe")).to_be_visible()
        expect(page.locator(".nf-channel-push")).to_contain_text("только в установленном приложении")
        if viewport is PHONE:
            assert no_horizontal_scroll(page)
            page.locator(".account-summary").click()  # the account menu in the header, phone or desktop
            expect(page.locator(".account-menu-list").get_by_text("Уведомления")).to_be_visible()

        # Linking: the button opens t.me with a one-time code; /start <code> in the chat links it.
        page.route(re.compile(r"^https://t\.me/.*"),
                   lambda route: route.fulfill(body="Telegram", content_type="text/plain"))
        telegram.locator(".nf-telegram-link").click()
        page.wait_for_url(re.compile(r"^https://t\.me/marketu_e2e_bot\?start="))
        code = page.url.split("start=", 1)[1]
        bot.add_update(chat, f"/start {code}")
        wait_for(lambda: any(t.startswith("Готово") for t in bot.messages_to(chat)), what="the bot's reply")
        page.goto(app_server.url + "/notifications")
        expect(telegram.locator(".nf-state")).to_have_text("подключено", timeout=20_000)

        # Kinds and quiet hours.
        other = page.locator('.nf-kind[data-kind="other_status"]')
        expect(other).not_to_be_checked()
        other.click()
        expect(other).to_be_checked()
        page.fill("#quiet_hours", "25:00-07:00")
        page.locator(".nf-quiet-save").click()
        expect(page.locator(".nf-quiet-error")).to_be_visible()
        page.fill("#quiet_hours", "off")
        page.locator(".nf-quiet-save").click()
        expect(page.locator(".nf-quiet-saved")).to_be_visible()
        other.click()  # back to the defaults for the next run
        expect(other).not_to_be_checked()

        # A status from the back office reaches the linked chat and the page's history.
        before = len(bot.messages_to(chat))
        if viewport is DESKTOP:
            post_status(app_server.url, demo["M-250201-1"], "at_almaty_warehouse")
            wait_for(lambda: len(bot.messages_to(chat)) > before, timeout=30, what="the Telegram message")
            assert bot.messages_to(chat)[-1].startswith("1 заказ прибыл на склад в Алматы: «Робот-пылесос")
            page.reload()
            expect(page.locator(".nf-history .nf-message").first).to_contain_text("прибыл на склад", timeout=20_000)
            expect(page.locator(".nf-history .nf-message").first).to_contain_text("Telegram")

        telegram.locator(".nf-telegram-unlink").click()
        expect(telegram.locator(".nf-state")).to_have_text("не привязан")
    finally:
        ctx.close()


def test_the_service_worker_shows_a_push_and_its_click_opens_the_parcel(app_server, persistent):  # noqa: F811
    base = app_server.url
    ctx = persistent(DESKTOP)
    ctx.grant_permissions(["notifications"], origin=base)
    page = first_page(ctx)
    page.goto(base + "/statuses")
    wait_for_worker(page)
    wait_until(page, "navigator.serviceWorker.controller !== null", timeout=20_000)
    cdp = ctx.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: registrations.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    # Sync Playwright delivers CDP events only while it is called: poll through a cheap call.
    wait_for(lambda: page.evaluate("1") and [r for r in registrations if r["scopeURL"].startswith(base)],
             what="the registration")
    reg = [r for r in registrations if r["scopeURL"].startswith(base) and not r.get("isDeleted")][-1]
    payload = {"title": "1 заказ прибыл на склад в Алматы: «Рюкзак»", "body": "Посылка P-240103",
               "url": f"{base}/parcel/P-240103", "tag": "parcel-P-240103"}
    shown = "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => ns.map(n => " \
            "({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))"
    # CDP drops a push that reaches the worker while Chromium is still starting it (seen on a loaded CI
    # machine): delivered again then; the same tag means one notification however many arrive.
    for attempt in range(3):
        cdp.send("ServiceWorker.deliverPushMessage",
                 {"origin": base, "registrationId": reg["registrationId"], "data": json.dumps(payload)})
        try:
            wait_until(page, f"(async () => (await {shown}).length > 0)()", timeout=10_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    assert page.evaluate(shown) == [{"title": payload["title"], "body": payload["body"], "tag": payload["tag"],
                                     "url": payload["url"]}]
    # A newer push about the same parcel replaces the older notification (same tag).
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": base, "registrationId": reg["registrationId"],
                                                  "data": json.dumps({**payload, "title": "newer"})})
    newer = f"async () => {{ const ns = await {shown}; return ns.length === 1 && ns[0].title === 'newer'; }}"
    wait_until(page, f"({newer})()", timeout=15_000)
    # The click, as the browser would dispatch it, opens the parcel in the open tab.
    worker = ctx.service_workers[0]
    worker.evaluate("self.registration.getNotifications().then(ns => "
                    "self.dispatchEvent(new NotificationEvent('notificationclick', {notification: ns[0]})))")
    page.wait_for_url(f"{base}/parcel/P-240103", timeout=15_000)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_push_subscribe_offline_says_so_and_completes_when_back_online(app_server, persistent, viewport):  # noqa: F811
    """Offline at the click: the page says so at once (the app's socket is down, so the page does it
    itself) and sends nothing; back online, the subscription completes without another click.

    This machine reaches no push service (shared/notes/web-push.md: `pushManager.subscribe()` never
    settles here), so the browser's subscribe answers with a subscription made from a real P-256 key
    pair; the permission, the service worker, the key and subscription requests, the session cookie
    and the server are the real ones."""
    import uuid

    import httpx

    from tests.e2e.conftest import OPERATOR_TOKEN
    from tests.notify_standins import Device

    base = app_server.url
    phone, password = "+77050001405", "offline push 1405"
    r = httpx.put(f"{base}/api/v1/customers/c-push-offline-e2e", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Offline", "phone": phone, "password": password})
    assert r.status_code in (200, 201), r.text
    device = Device(f"https://push.invalid/e2e-offline/{uuid.uuid4().hex}")
    ctx = persistent(viewport)
    ctx.grant_permissions(["notifications"], origin=base)
    ctx.add_init_script("PushManager.prototype.subscribe = async function () { "
                        f"const json = {json.dumps(device.subscription)}; return {{ toJSON: () => json }}; }};")
    page = first_page(ctx)
    sign_in(page, base, phone, password, path="/notifications")
    page.wait_for_url(re.compile(r"/notifications/?$"))
    wait_for_worker(page)
    push = page.locator(".nf-channel-push")
    expect(push.locator(".nf-state")).to_have_text("не привязан", timeout=20_000)
    posted: list[str] = []
    page.on("request", lambda req: posted.append(req.method) if req.url.endswith("/api/push/subscriptions") else None)

    ctx.set_offline(True)
    push.locator(".nf-push-subscribe").click()
    note = page.locator("#nf-push-note")
    expect(note).to_have_text("Нет соединения. Подписка завершится сама, когда связь вернётся.", timeout=10_000)
    expect(note).to_have_attribute("role", "status")
    assert posted == []

    ctx.set_offline(False)
    expect(push.locator(".nf-state")).to_have_text("подключено", timeout=60_000)
    expect(note).to_have_text("")
    assert posted == ["POST"]  # completed once, without another click
    assert page.evaluate("localStorage.getItem('marketu-push-pending')") is None
    gone = page.evaluate("(e) => fetch('/api/push/subscriptions', {method: 'DELETE', credentials: 'same-origin', "
                         "headers: {'Content-Type': 'application/json'}, body: JSON.stringify({endpoint: e})})"
                         ".then(r => r.status)", device.endpoint)
    assert gone in (200, 204)


def test_forgot_password_sends_a_one_time_link_that_sets_a_new_password(app_server, browser, notify_standins):
    import httpx

    from tests.e2e.conftest import OPERATOR_TOKEN

    base = app_server.url
    r = httpx.put(f"{base}/api/v1/customers/c-reset-e2e", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
                  json={"name": "Reset", "email": "reset-e2e@example.kz", "password": "old password 11"})
    assert r.status_code in (200, 201), r.text
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    try:
        page.goto(base + "/login")
        page.get_by_text("Забыли пароль?").click()
        page.wait_for_url(re.compile(r"/forgot/?$"))
        page.fill("#identifier", "nobody-here@example.kz")
        page.click("main button[type=submit]")
        answer = page.locator(".forgot-sent")
        expect(answer).to_be_visible(timeout=30_000)
        unknown_text = answer.inner_text()
        page.goto(base + "/forgot")
        expect(answer).to_have_count(0)
        page.fill("#identifier", "Reset-E2E@example.kz")
        page.click("main button[type=submit]")
        expect(answer).to_have_text(unknown_text, timeout=30_000)  # the same answer whether the account exists or not
        mail = wait_for(lambda: [m for m in notify_standins.smtp.messages if m["To"] == "reset-e2e@example.kz"],
                        timeout=30, what="the reset email")[0]
        link = re.search(r"/reset\?code=[A-Za-z0-9_-]+", mail.get_body(("plain",)).get_content()).group(0)
        page.goto(base + link)
        page.fill("#new_password", "brand new pass 7")
        page.fill("#repeat_password", "brand new pass 7")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/login/?\?reset=1"), timeout=30_000)
        expect(page.locator(".login-notice")).to_have_text("Пароль изменён. Войдите с новым паролем.",
                                                           timeout=30_000)
        page.fill("#identifier", "reset-e2e@example.kz")
        page.fill("#password", "brand new pass 7")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(rf"^{re.escape(base)}/?$"), timeout=30_000)
        page.goto(base + link)  # a used link sets nothing
        page.fill("#new_password", "another pass 88")
        page.fill("#repeat_password", "another pass 88")
        page.click("main button[type=submit]")
        expect(page.locator(".reset-error")).to_contain_text("устарела или уже использована", timeout=30_000)
    finally:
        ctx.close()
