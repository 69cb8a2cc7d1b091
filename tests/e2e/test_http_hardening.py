"""Security headers on every response, no CORS for any other site, a cap on sockets per client
(issue 12 §4), and secrets out of the app's log (§3): against the prod app over real HTTP and websockets."""

from __future__ import annotations

import json

import httpx
import pytest
import websocket

from tests.e2e.conftest import DESKTOP, PHONE, demo_copy, new_context, sign_in, wait_for_cards

# Each page and what shows that it works (a signed-in customer is sent on from /login).
PAGES = [("/parcel/P-240101", ".order-card"), ("/password", "#current_password"), ("/statuses", "main h1"),
         ("/login", ".parcel-card"), ("/", ".parcel-card")]


@pytest.fixture(scope="module")
def demo(db_url):
    """This module's own copy of the demo customers (conftest.demo_copy)."""
    return demo_copy(db_url, __name__)
VIOLATIONS = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"""


def test_every_response_carries_the_security_headers(app_server):
    for path in ["/login", "/statuses", "/", "/offline.js", "/manifest.json", "/api/v1/openapi.json",
                 "/api/v1/orders/M-1"]:
        r = httpx.get(app_server.url + path)
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, path
        assert "'unsafe-eval'" not in csp and "script-src 'self' 'sha256-" in csp, path
        assert r.headers["x-content-type-options"] == "nosniff", path
        assert r.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in r.headers, path  # plain http
    https = httpx.get(app_server.url + "/login", headers={"X-Forwarded-Proto": "https"})
    assert https.headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_pages_work_under_the_policy_with_no_violation(app_server, browser, viewport, demo):
    ctx = new_context(browser, viewport)
    ctx.add_init_script(VIOLATIONS)
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    for path, sign in PAGES:
        page.goto(app_server.url + path.replace("P-240101", demo["P-240101"]))
        page.wait_for_selector(sign, timeout=30_000)
        # (No wait_for_function here: Playwright evaluates its predicate with eval, which the policy forbids.)
        assert page.evaluate("window.__cspViolations") == [], path
    page.goto(app_server.url + f"/parcel/{demo['P-240101']}")
    page.wait_for_selector(".order-card")
    page.get_by_role("button", name="История").first.click()
    assert page.evaluate("window.__cspViolations") == []
    assert not [m for m in console if "Content Security Policy" in m or "Refused" in m]
    ctx.close()


@pytest.mark.parametrize("path", ["/api/v1/orders/M-240101-1", "/login", "/_health"])
def test_no_other_site_gets_cors_access(app_server, path):
    evil = {"Origin": "https://evil.example", "Cookie": "marketu_session=x"}
    r = httpx.get(app_server.url + path, headers={**evil, "Authorization": "Bearer e2e-operator-token-0123456789"})
    # Without Access-Control-Allow-Origin the browser shows the other site nothing (credentials or not).
    assert "access-control-allow-origin" not in r.headers
    pre = httpx.options(app_server.url + path, headers={**evil, "Access-Control-Request-Method": "PUT"})
    # Starlette refuses the preflight (400 "Disallowed CORS origin"); the Allow-Methods it still lists grant
    # nothing without an Allow-Origin (the browser's CORS check fails on that first).
    assert pre.status_code == 400 and "access-control-allow-origin" not in pre.headers


def _ws(base: str, ip: str, origin: str | None = None) -> websocket.WebSocket:
    url = base.replace("http://", "ws://") + "/_event/?token=cap-test&EIO=4&transport=websocket"
    headers = [f"X-Forwarded-For: {ip}"]
    return websocket.create_connection(url, timeout=10, header=headers, origin=origin,
                                       suppress_origin=origin is None)


def _closed_with(ws: websocket.WebSocket) -> tuple[int, str]:
    opcode, frame = ws.recv_data_frame(True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE, opcode
    data = frame.data
    return int.from_bytes(data[:2], "big"), data[2:].decode()


def test_sockets_per_client_address_are_capped_with_a_clear_reason(app_server):
    limit = int(app_server.env.get("MARKETU_MAX_SOCKETS_PER_CLIENT", "50"))
    opened = [_ws(app_server.url, "10.77.0.1") for _ in range(limit)]
    try:
        for ws in opened:
            assert ws.recv().startswith("0")  # each got the Engine.IO open packet
        extra = _ws(app_server.url, "10.77.0.1")
        code, reason = _closed_with(extra)
        assert code == 1008 and "too many open connections" in reason
        other = _ws(app_server.url, "10.77.0.2")  # another address is not affected
        assert other.recv().startswith("0")
        other.close()
    finally:
        for ws in opened:
            ws.close()


def test_a_websocket_from_another_site_is_refused(app_server):
    code, reason = _closed_with(_ws(app_server.url, "10.77.1.1", origin="https://evil.example"))
    assert code == 1008 and "this site" in reason
    own = _ws(app_server.url, "10.77.1.2", origin=app_server.url)
    assert own.recv().startswith("0")
    own.close()


def test_unknown_events_log_no_secret_and_little_at_all(app_server, browser, demo):
    """An attacker's socket sends 2,000 events with an unknown handler, its handshake carrying a cookie."""
    ctx = new_context(browser)
    page = ctx.new_page()
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    token = next(c["value"] for c in ctx.cookies() if c["name"] == "marketu_session")
    ctx.close()
    before = app_server.log_path.stat().st_size
    url = app_server.url.replace("http://", "ws://") + "/_event/?token=log-test-tab&EIO=4&transport=websocket"
    ws = websocket.create_connection(url, timeout=10, cookie=f"marketu_session={token}",
                                     header=["X-Forwarded-For: 10.78.0.1", "Authorization: Bearer sekrit-bearer"])
    assert ws.recv().startswith("0")
    ws.send("40/_event,{}")
    event = {"name": "reflex___state____state.no_such_state.no_such_handler",
             "payload": {"password": "hunter2-secret"}, "router_data": {"pathname": "/"}}
    for _ in range(2000):
        ws.send("42/_event," + json.dumps(["event", event]))
    ws.send("42/_event," + json.dumps(["event", {**event, "name": "x.last_one_marker"}]))
    # The server logs as it processes: wait until the last event was handled (or nothing more comes).
    import time
    deadline, size = time.monotonic() + 30, -1
    while time.monotonic() < deadline:
        time.sleep(1)
        now = app_server.log_path.stat().st_size
        if now == size:
            break
        size = now
    ws.close()
    added = app_server.log_path.read_bytes()[before:].decode(errors="replace")
    assert token not in added and "hunter2-secret" not in added and "sekrit-bearer" not in added
    assert len(added.encode()) < 200_000, len(added.encode())
