"""The pure pieces of the web layer: log redaction and throttling, `next` paths, cookie parsing, CSP."""

from __future__ import annotations

import logging

import pytest

from marketu_app import routes
from marketu_app.web import logs
from marketu_app.web.cookies import marker_of, parse_cookie_header, session_token_from
from marketu_app.web.headers import content_security_policy

TOKEN = "Ab3_" + "x" * 39


@pytest.mark.parametrize("line", [
    f"Event data: {{'headers': {{'cookie': 'marketu_session={TOKEN}; a=b', 'authorization': 'Bearer sk-1'}}}}",
    f'{{"cookie": "marketu_session={TOKEN}", "payload": {{"password": "hunter2"}}}}',
    f"Cookie: marketu_session={TOKEN}\nAuthorization: Bearer sk-1",
    f"Event(name='x', payload={{'password': 'hunter2'}}, router_data={{'headers': {{'cookie': '{TOKEN}'}}}})",
])
def test_secrets_never_survive_redaction(line):
    out = logs.redact_text(line)
    assert TOKEN not in out and "hunter2" not in out and "sk-1" not in out and "[redacted]" in out


def test_a_long_line_is_cut():
    assert len(logs.redact_text("x" * 100_000)) < logs.MAX_LINE + 100


def test_the_throttle_lets_a_burst_through_then_stops():
    throttle = logs.Throttle()
    record = logging.LogRecord("reflex", logging.ERROR, __file__, 1, "unknown handler %s", ("a",), None)
    passed = sum(throttle.filter(record) for _ in range(2000))
    assert passed == logs.BURST


def test_records_are_redacted_whatever_logger_made_them(caplog):
    logs.install()
    with caplog.at_level(logging.INFO):
        logging.getLogger("some.library").warning("headers=%s", {"cookie": f"marketu_session={TOKEN}"})
    assert TOKEN not in caplog.text and "[redacted]" in caplog.text


@pytest.mark.parametrize("raw, expected", [
    ("/parcel/P-1", "/parcel/P-1"), ("%2Fparcel%2FP-1", "/parcel/P-1"), ("/?filter=transit", "/?filter=transit"),
    ("/%5Cevil.example", "/"), ("/\\evil", "/"), ("//evil", "/"), ("https://evil", "/"), ("/a%0d%0ab", "/"),
    ("/\x7f", "/"), ("/login", "/"), ("/login/?next=/", "/"), ("", "/"), (None, "/"), ("/" + "a" * 3000, "/"),
])
def test_next_is_a_plain_local_path_or_the_parcels(raw, expected):
    assert routes.safe_next(raw) == expected


def test_cookie_parsing_and_the_marker():
    header = f'theme=dark; marketu_session={TOKEN}; marketu_session=other; x="q"'
    assert parse_cookie_header(header)["x"] == "q"
    assert session_token_from(header) == TOKEN and session_token_from(None) == ""
    assert marker_of(TOKEN) != marker_of(TOKEN[:-1] + "y") and TOKEN not in marker_of(TOKEN)
    assert marker_of("") == ""


def test_the_policy_allows_no_eval_no_frames_and_no_foreign_scripts():
    csp = content_security_policy(["'sha256-abc'"])
    assert "script-src 'self' 'sha256-abc'" in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "form-action 'self'" in csp


def test_the_event_socket_gets_the_session_hash_and_no_browser_cookie():
    import asyncio
    import hashlib

    from marketu_app.web.cookies import marker_from, session_hash_from, socket_cookie_header
    from marketu_app.web.sockets import SocketLimits

    browser = f"other=secret-1; marketu_session={TOKEN}; marketu_session_hash={'0' * 64}"
    own = socket_cookie_header(browser)
    assert TOKEN not in own and "secret-1" not in own
    assert session_hash_from(own) == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert marker_from(own) == marker_of(TOKEN)
    assert socket_cookie_header("marketu_session_hash=" + "0" * 64) == ""  # a forged hash is dropped
    assert session_hash_from("marketu_session_hash=nothex") == ""

    seen = []

    async def reflex(scope, receive, send):
        seen.append(scope)

    scope = {"type": "websocket", "path": "/_event/", "client": ("127.0.0.1", 1),
             "headers": [(b"host", b"a"), (b"cookie", browser.encode())]}
    asyncio.run(SocketLimits(reflex)(scope, None, None))
    cookies = [v.decode() for k, v in seen[0]["headers"] if k == b"cookie"]
    assert cookies == [own] and (b"host", b"a") in seen[0]["headers"]
