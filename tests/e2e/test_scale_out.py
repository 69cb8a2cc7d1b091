"""Scale-out on the real PostgreSQL and Redis: two backends, a change through one seen by a page on the other.

Runs from a copy of the project (its own .web build), so the session's SQLite app is untouched.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from marketu_app.web.cookies import SESSION_COOKIE
from tests.app_process import RunningApp, project_copy
from tests.conftest import REDIS_URL, need_service
from tests.databases import POSTGRES_URL
from tests.e2e.conftest import (
    OPERATOR_TOKEN,
    assert_tab_stored_hashed,
    e2e_env,
    new_context,
    sign_in,
    tab_token,
    wait_for_cards,
)

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def pg_database():
    need_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"marketu_scale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def two_backends(pg_database, simulator, tmp_path_factory):
    need_service("Redis", "127.0.0.1", 6379)
    logs = tmp_path_factory.mktemp("scale-logs")
    copy = project_copy(tmp_path_factory.mktemp("scale") / "project")
    env = e2e_env(pg_database, simulator[1], copy, REFLEX_REDIS_URL=REDIS_URL, MARKETU_EMS_POLLER="0")
    first = RunningApp(env, logs / "first.log", cwd=copy).start()
    second = RunningApp(env, logs / "second.log", cwd=copy, extra_args=["--backend-only"]).start(ready_path="/ping")
    yield first, second
    second.stop()
    first.stop()


def test_migrations_ran_once_and_both_backends_serve_the_same_data(two_backends, pg_database):
    first, second = two_backends
    engine = create_engine(pg_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM customer")).scalar() == 2  # demo loaded once
    engine.dispose()
    auth = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    a = httpx.get(f"{first.url}/api/v1/parcels/P-240101", headers=auth).json()
    b = httpx.get(f"{second.url}/api/v1/parcels/P-240101", headers=auth).json()
    assert a == b


def test_change_through_one_backend_reaches_a_page_served_by_the_other(two_backends, browser, pg_database):
    first, second = two_backends
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, first.url)
    wait_for_cards(page)
    card = page.locator(".parcel-card").filter(has_text="P-240108")
    expect(card).to_contain_text("1 из 2 заказов оплачены")
    r = httpx.post(f"{second.url}/api/v1/orders/M-240108-1/events",
                   json={"status": "paid", "at": datetime.now(timezone.utc).isoformat()},
                   headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})
    assert r.status_code == 201
    expect(card).to_contain_text("2 из 2 заказов оплачены", timeout=10_000)
    expect(page.locator(".live-toast")).to_contain_text("Оплачен")
    assert_tab_stored_hashed(page, pg_database)  # the push found the tab from the hash alone
    ctx.close()


def _redis_values(client, key: bytes) -> list[bytes]:
    kind = client.type(key).decode()
    if kind == "string":
        return [client.get(key) or b""]
    if kind == "hash":
        return [k + b"=" + v for k, v in client.hgetall(key).items()]
    if kind == "list":
        return client.lrange(key, 0, -1)
    if kind == "set":
        return list(client.smembers(key))
    if kind == "zset":
        return client.zrange(key, 0, -1)
    return []


def test_the_session_cookie_is_kept_nowhere_in_redis_and_never_sent_to_the_page(two_backends, browser):
    """Reflex keeps its socket handshake's headers in each tab's state, stored in Redis: the session
    token must not be among them (nor in anything sent to the page)."""
    import redis

    first, _ = two_backends
    ctx = new_context(browser)
    page = ctx.new_page()
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda data: frames.append(
        data if isinstance(data, str) else data.decode("utf-8", "replace"))))
    sign_in(page, first.url)
    wait_for_cards(page)
    page.locator(".parcel-card").first.locator(".parcel-number").click()
    page.wait_for_url("**/parcel/**")
    expect(page.locator(".order-card").first).to_be_visible(timeout=20_000)
    token = next(c["value"] for c in ctx.cookies() if c["name"] == SESSION_COOKIE)
    tab = tab_token(page).encode()
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(count=1000))
        assert [k for k in keys if tab in k], "this tab's states are not in Redis: nothing was checked"
        leaks = [k for k in keys if token.encode() in k or any(token.encode() in v for v in _redis_values(client, k))]
    finally:
        client.close()
    assert not leaks, f"the session token is stored in Redis under {leaks[:3]}"
    assert frames and not [f for f in frames if token in f], "the session token was sent to the page"
    ctx.close()
