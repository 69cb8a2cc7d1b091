"""Installable app: manifest and service worker, the offline view from the local snapshot, wipe on sign-out.

Service workers and installability need a persistent profile (a normal context is incognito-like), so
each test launches its own persistent context on the session's Playwright (one sync_playwright per thread).
"""

from __future__ import annotations

import json
import re

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    demo_copy,
    sign_in,
    wait_for_cards,
    wait_until,
)

SNAPSHOT_KEYS = "Object.keys(localStorage).filter(k => k.startsWith('marketu:snap:'))"
_ip_seq = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy)."""
    return demo_copy(db_url, __name__)


@pytest.fixture
def persistent(browser, tmp_path):
    def launch(viewport: dict = PHONE) -> BrowserContext:
        n = next(_ip_seq)
        ctx = browser.browser_type.launch_persistent_context(
            str(tmp_path / f"profile-{n}"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, viewport=viewport,
            locale="ru-RU", extra_http_headers={"X-Forwarded-For": f"10.88.{n // 250}.{n % 250 + 1}"})
        opened.append(ctx)
        return ctx

    opened: list[BrowserContext] = []
    yield launch
    for ctx in opened:
        ctx.close()


def first_page(ctx: BrowserContext) -> Page:
    return ctx.pages[0] if ctx.pages else ctx.new_page()


def wait_for_worker(page: Page) -> None:
    ready = "navigator.serviceWorker && Promise.race([navigator.serviceWorker.ready.then(() => true), " \
            "new Promise(r => setTimeout(() => r(false), 1000))])"
    wait_until(page, ready, timeout=20_000)


def test_head_and_static_files(app_server):
    html = httpx.get(app_server.url + "/statuses", follow_redirects=True).text
    for needle in ('rel="manifest"', 'name="theme-color"', 'content="#ea580c"', 'rel="apple-touch-icon"',
                   'rel="icon"', "/offline.js", "/sw.js?v="):
        assert needle in html, needle
    for path in ("/manifest.json", "/sw.js", "/offline.js", "/favicon.ico", "/apple-touch-icon.png",
                 "/icon-192.png", "/icon-512.png", "/icon-maskable-192.png", "/icon-maskable-512.png"):
        assert httpx.get(app_server.url + path).status_code == 200, path


def test_installable_with_a_clean_manifest(app_server, persistent):
    ctx = persistent()
    page = first_page(ctx)
    page.goto(app_server.url + "/statuses")
    wait_for_worker(page)
    cdp = ctx.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    assert manifest["url"].endswith("/manifest.json")
    data = json.loads(manifest["data"])
    assert (data["name"], data["short_name"], data["display"], data["lang"]) == (
        "Marketu: отслеживание", "Marketu", "standalone", "ru")
    assert data["theme_color"] == "#ea580c" and data["start_url"] == "/" and data["scope"] == "/"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes


def test_service_worker_controls_the_page_after_a_reload(app_server, persistent):
    ctx = persistent()
    page = first_page(ctx)
    page.goto(app_server.url + "/statuses")
    wait_for_worker(page)
    page.reload()
    assert page.evaluate("!!navigator.serviceWorker.controller")
    caches = page.evaluate("""async () => {
        const out = {};
        for (const name of await caches.keys()) {
            out[name] = (await (await caches.open(name)).keys()).map(r => new URL(r.url).pathname);
        }
        return out;
    }""")
    assert any(n.startswith("marketu-shell-") for n in caches) and any(n.startswith("marketu-assets-") for n in caches)
    urls = [u for names in caches.values() for u in names]
    assert "/" in urls and any(u.startswith("/assets/") for u in urls)
    assert not [u for u in urls if re.match(r"^/(_event|_upload|api|ping|_health)(/|$)", u)]


def test_offline_reload_shows_the_last_known_parcels_and_recovers(app_server, persistent, demo):
    ctx = persistent()
    page = first_page(ctx)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    numbers = page.locator("main .parcel-card .parcel-number").all_inner_texts()
    assert numbers
    wait_until(page, f"{SNAPSHOT_KEYS}.some(k => k.endsWith(':/'))", timeout=10_000)
    wait_for_worker(page)

    ctx.set_offline(True)
    page.reload()
    banner = page.locator(".marketu-offline-banner")
    expect(banner).to_have_text(re.compile(r"^Нет соединения: данные на \d\d:\d\d$"), timeout=20_000)
    snapshot = page.locator("#marketu-snapshot")
    expect(snapshot.locator(".parcel-card").first).to_be_visible(timeout=20_000)
    expect(snapshot).to_contain_text(numbers[0])
    assert snapshot.locator(".parcel-card").count() == len(numbers)

    ctx.set_offline(False)
    expect(banner).to_have_count(0, timeout=20_000)
    expect(page.locator("main .parcel-card").first).to_be_visible(timeout=20_000)
    expect(page.locator("#marketu-snapshot")).to_have_count(0)


def test_offline_parcel_page_from_its_snapshot(app_server, persistent, demo):
    ctx = persistent()
    page = first_page(ctx)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    wait_for_worker(page)
    number = page.locator("main .parcel-card .parcel-number").first.inner_text()
    page.goto(f"{app_server.url}/parcel/{number}")
    expect(page.locator("main h1:visible")).to_contain_text(number, timeout=20_000)
    wait_until(page, f"{SNAPSHOT_KEYS}.some(k => k.endsWith(':/parcel/{number}'))", timeout=10_000)

    ctx.set_offline(True)
    page.reload()
    expect(page.locator(".marketu-offline-banner")).to_contain_text("Нет соединения: данные на", timeout=20_000)
    expect(page.locator("#marketu-snapshot h1")).to_contain_text(number)
    ctx.set_offline(False)
    expect(page.locator("main h1:visible")).to_contain_text(number, timeout=20_000)


def test_sign_out_wipes_the_snapshot(app_server, persistent, demo):
    ctx = persistent(DESKTOP)
    page = first_page(ctx)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    wait_until(page, f"{SNAPSHOT_KEYS}.length > 0", timeout=10_000)
    page.locator("header .account-menu summary").click()  # sign-out is in the account menu
    page.locator("header .sign-out").click()
    page.wait_for_url("**/login**")
    wait_until(page, f"{SNAPSHOT_KEYS}.length === 0", timeout=5_000)
    page.wait_for_timeout(2_000)  # a pending save must not bring it back
    assert page.evaluate(SNAPSHOT_KEYS) == []
