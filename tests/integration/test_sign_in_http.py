"""Sign-in, sign-out and password change as HTTP form posts, over real HTTP (issue 12 §1, §5)."""

from __future__ import annotations

import threading

import httpx
import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from marketu_app.api.schemas import CustomerIn
from marketu_app.auth import passwords
from marketu_app.auth.sessions import create_session, resolve_session
from marketu_app.db.engine import get_engine, reset_engine, session_scope
from marketu_app.db.writes import upsert_customer
from marketu_app.settings import get_settings
from marketu_app.web.cookies import MARKER_COOKIE, SESSION_COOKIE, marker_of
from marketu_app.web.site import guarded_site_api as site_api
from tests.integration.conftest import use_database
from tests.servers import serve

PHONE, PASSWORD = "+77011234567", "correct horse 42"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", None)


@pytest.fixture
def site(any_engine, monkeypatch):
    use_database(monkeypatch, any_engine)
    monkeypatch.setenv("MARKETU_TRUST_PROXY", "1")
    get_settings.cache_clear()
    with session_scope(any_engine) as s:
        upsert_customer(s, "c-1", CustomerIn(name="Айгерим", phone=PHONE, password=PASSWORD))
    with serve(site_api()) as url:
        yield url, any_engine
    reset_engine()
    get_settings.cache_clear()


def client(url: str, **headers) -> httpx.Client:
    host = url.removeprefix("http://")
    return httpx.Client(base_url=url, timeout=30, follow_redirects=False,
                        headers={"Origin": f"http://{host}", **headers})


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the whole Set-Cookie line, lowercased."""
    return {line.split("=", 1)[0]: line.lower() for line in response.headers.get_list("set-cookie")}


def sign_in(c: httpx.Client, password: str = PASSWORD, next: str = "", **extra) -> httpx.Response:
    return c.post("/auth/login", data={"identifier": "8 701 123 45 67", "password": password, "next": next},
                  **extra)


def test_sign_in_sets_an_httponly_lax_cookie_and_a_script_readable_marker(site):
    url, engine = site
    with client(url) as c:
        r = sign_in(c, next="/parcel/P-1")
    assert r.status_code == 303 and r.headers["location"] == "/parcel/P-1"
    cookies = set_cookies(r)
    session, marker = cookies[SESSION_COOKIE], cookies[MARKER_COOKIE]
    for line in (session, marker):
        assert "path=/" in line and "samesite=lax" in line and "max-age=2592000" in line
        assert "secure" not in line  # plain http here
    assert "httponly" in session and "httponly" not in marker
    token = r.cookies[SESSION_COOKIE]
    assert r.cookies[MARKER_COOKIE] == marker_of(token) and token not in marker
    with session_scope(engine) as s:
        assert resolve_session(s, token).name == "Айгерим"


def test_cookies_are_secure_behind_an_https_proxy(site):
    url, _ = site
    with client(url, **{"X-Forwarded-Proto": "https"}) as c:
        r = sign_in(c)
    assert r.status_code == 303
    assert all("; secure" in line for line in set_cookies(r).values())


def test_a_wrong_password_goes_back_to_the_form_with_a_code_and_never_the_password(site):
    url, _ = site
    with client(url) as c:
        r = sign_in(c, password="wrong password 1", next="/parcel/P-1")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?error=invalid&next=%2Fparcel%2FP-1"
    assert "wrong" not in r.headers["location"] and "set-cookie" not in r.headers


def test_a_locked_out_client_is_told_the_wait(site):
    url, _ = site
    with client(url, **{"X-Forwarded-For": "203.0.113.50"}) as c:
        for _ in range(5):
            assert "error=invalid" in sign_in(c, password="wrong password 1").headers["location"]
        r = sign_in(c)  # the right password, but locked out
    assert r.headers["location"].startswith("/login?error=rate_limited&wait=")
    assert int(r.headers["location"].split("wait=")[1].split("&")[0]) > 0


@pytest.mark.parametrize("origin", ["https://evil.example", "null"])
def test_a_post_from_another_site_signs_nobody_in(site, origin):
    url, _ = site
    with client(url, Origin=origin) as c:
        r = sign_in(c)
    assert r.headers["location"].startswith("/login?error=forbidden") and "set-cookie" not in r.headers
    with httpx.Client(base_url=url, follow_redirects=False,
                      headers={"Referer": "https://evil.example/page"}) as c:  # no Origin: the Referer counts
        assert sign_in(c).headers["location"].startswith("/login?error=forbidden")


@pytest.mark.parametrize("next_", ["/%5Cevil.example", "/\\evil.example", "//evil.example", "https://evil.example",
                                   "/parcel/P-1%0d%0aSet-Cookie:x=1", "/login?next=/", "/\x07"])
def test_next_never_leaves_the_site_nor_sticks_on_sign_in(site, next_):
    url, _ = site
    with client(url) as c:
        r = sign_in(c, next=next_)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_without_scripts_the_next_of_the_sign_in_page_is_kept(site):
    """The page's hidden field is empty before hydration: the page's own URL (Referer) names the target."""
    url, _ = site
    with client(url, Referer=f"{url}/login?next=%2Fparcel%2FP-1") as c:
        assert sign_in(c).headers["location"] == "/parcel/P-1"


def test_the_password_is_never_accepted_in_the_url(site):
    url, _ = site
    with client(url) as c:
        r = c.get("/auth/login", params={"identifier": PHONE, "password": PASSWORD})
        assert r.status_code == 405 and "set-cookie" not in r.headers


def test_sign_out_ends_the_session_and_clears_both_cookies(site):
    url, engine = site
    with client(url) as c:
        token = sign_in(c).cookies[SESSION_COOKIE]
        r = c.post("/auth/logout", cookies={SESSION_COOKIE: token})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    cleared = set_cookies(r)
    assert 'max-age=0' in cleared[SESSION_COOKIE] and 'max-age=0' in cleared[MARKER_COOKIE]
    with session_scope(engine) as s:
        assert resolve_session(s, token) is None


def test_a_new_sign_in_on_the_same_browser_ends_the_previous_session(site):
    url, engine = site
    with client(url) as c:
        first = sign_in(c).cookies[SESSION_COOKIE]
        second = c.post(
            "/auth/login", data={"identifier": PHONE, "password": PASSWORD},
            cookies={SESSION_COOKIE: first}).cookies[SESSION_COOKIE]
    with session_scope(engine) as s:
        assert resolve_session(s, first) is None and resolve_session(s, second) is not None


def test_password_change_ends_every_session_and_gives_this_browser_a_new_one(site):
    url, engine = site
    with session_scope(engine) as s:
        other = create_session(s, 1)  # another device
    with client(url) as c:
        mine = sign_in(c).cookies[SESSION_COOKIE]
        form = {"current_password": PASSWORD, "new_password": "a new password 2", "repeat_password": "nope"}
        r = c.post("/auth/password", data=form, cookies={SESSION_COOKIE: mine})
        assert r.headers["location"] == "/password?error=mismatch"
        form["repeat_password"] = form["new_password"]
        r = c.post("/auth/password", data=form, cookies={SESSION_COOKIE: mine})
    assert r.status_code == 303 and r.headers["location"] == "/password?done=1"
    new = r.cookies[SESSION_COOKIE]
    assert new != mine and r.cookies[MARKER_COOKIE] == marker_of(new)
    with session_scope(engine) as s:
        assert resolve_session(s, mine) is None and resolve_session(s, other) is None
        assert resolve_session(s, new) is not None


def test_password_change_without_a_session_or_from_another_site_changes_nothing(site):
    url, _ = site
    form = {"current_password": PASSWORD, "new_password": "a new password 2", "repeat_password": "a new password 2"}
    with client(url) as c:
        assert c.post("/auth/password", data=form).headers["location"] == "/login?next=%2Fpassword"
        token = sign_in(c).cookies[SESSION_COOKIE]
    with client(url, Origin="https://evil.example") as c:
        r = c.post("/auth/password", data=form, cookies={SESSION_COOKIE: token})
        assert r.headers["location"] == "/password?error=forbidden"
    with client(url) as c:  # the old password still works
        assert sign_in(c).headers["location"] == "/"


def _reset_code(engine) -> str:
    from marketu_app.notify.prefs import new_code
    from marketu_app.notify.reset import RESET_TTL

    with session_scope(engine) as s:
        return new_code(s, 1, "password_reset", RESET_TTL)


def test_forgot_password_posts_answer_the_same_whether_the_account_exists_or_not(site, monkeypatch):
    from sqlmodel import select

    from marketu_app.db.models import NotifyMessage
    from marketu_app.notify.prefs import code_hash

    url, engine = site
    monkeypatch.setenv("MARKETU_SMTP_URL", "smtp://127.0.0.1:1")  # a channel, so a link is queued
    get_settings.cache_clear()
    with session_scope(engine) as s:
        upsert_customer(s, "c-1", CustomerIn(name="Айгерим", phone=PHONE, email="aigerim@example.kz"))
    with client(url) as c:
        unknown = c.post("/auth/forgot", data={"identifier": "nobody@example.kz"})
        known = c.post("/auth/forgot", data={"identifier": " Aigerim@Example.kz "})
        empty = c.post("/auth/forgot", data={"identifier": "  "})
    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["location"] == known.headers["location"] == "/forgot?sent=1"
    assert empty.headers["location"] == "/forgot?error=empty"
    with session_scope(engine) as s:
        sent = s.exec(select(NotifyMessage).where(NotifyMessage.tag == "password-reset")).all()
    assert [m.customer_id for m in sent] == [1] and "/reset?code=" in sent[0].url
    assert sent[0].target == f"reset-{code_hash(sent[0].url.rsplit('=', 1)[1])[:16]}"
    with client(url, Origin="https://evil.example") as c:
        r = c.post("/auth/forgot", data={"identifier": PHONE})
    assert r.headers["location"] == "/forgot?error=forbidden"


def test_a_reset_post_sets_the_password_once_and_never_puts_it_in_a_url(site):
    url, engine = site
    code = _reset_code(engine)
    new = "brand new pass 7"
    with client(url) as c:
        r = c.post("/auth/reset", data={"code": code, "new_password": new, "repeat_password": "other pass 77"})
        assert r.headers["location"] == f"/reset?code={code}&error=mismatch"
        r = c.post("/auth/reset", data={"code": code, "new_password": "short", "repeat_password": "short"})
        assert r.headers["location"] == f"/reset?code={code}&error=too_short"  # the link still works
        r = c.post("/auth/reset", data={"code": code, "new_password": new, "repeat_password": new})
        assert r.status_code == 303 and r.headers["location"] == "/login?reset=1"
        again = c.post("/auth/reset", data={"code": code, "new_password": "another pass 88",
                                            "repeat_password": "another pass 88"})
        assert again.headers["location"] == "/reset?error=bad_code"  # single use
        assert sign_in(c).headers["location"].startswith("/login?error=invalid")  # the old one is gone
        assert sign_in(c, password=new).headers["location"] == "/"
    for response in (r, again):
        assert new not in response.headers["location"] and "password" not in response.headers["location"]


def test_without_scripts_the_reset_code_comes_from_the_pages_address(site):
    url, engine = site
    code = _reset_code(engine)
    new = "brand new pass 7"
    with client(url, Referer=f"{url}/reset?code={code}") as c:
        r = c.post("/auth/reset", data={"new_password": new, "repeat_password": new})
        assert r.headers["location"] == "/login?reset=1"
        assert sign_in(c, password=new).headers["location"] == "/"
    with client(url, Origin="https://evil.example") as c:
        r = c.post("/auth/reset", data={"code": _reset_code(engine), "new_password": "x" * 12,
                                        "repeat_password": "x" * 12})
        assert r.headers["location"].endswith("&error=forbidden")


class _CountingTurns:
    """passwords' turns (a semaphore), telling the test when a sign-in waits for one."""

    def __init__(self, n: int):
        self._turns, self.waiting = threading.BoundedSemaphore(n), threading.Semaphore(0)

    def __enter__(self):
        if not self._turns.acquire(blocking=False):
            self.waiting.release()
            self._turns.acquire()
        return self

    def __exit__(self, *exc):
        self._turns.release()


def test_sign_ins_waiting_for_the_hashing_threads_hold_no_database_connection(pg_engine, monkeypatch):
    """Four sign-ins at once with two hashing threads: the two waiting for a thread hold no pooled connection
    (they used to, for as long as the queue was: a burst of sign-ins held the whole pool, page loads waited)."""
    use_database(monkeypatch, pg_engine)
    monkeypatch.setenv("MARKETU_TRUST_PROXY", "1")
    get_settings.cache_clear()
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    gate, inside = threading.Event(), threading.Semaphore(0)

    class GatedHasher:
        def verify(self, password, password_hash):
            inside.release()
            gate.wait(30)
            return cheap.verify(password, password_hash)

        def hash(self, password):
            return cheap.hash(password)

    phones = [f"+7701123450{i}" for i in range(4)]
    with session_scope(pg_engine) as s:
        for i, phone in enumerate(phones):
            upsert_customer(s, f"c-{i}", CustomerIn(name=f"Клиент {i}", phone=phone, password=PASSWORD))
    turns = _CountingTurns(passwords.HASHING_THREADS)
    monkeypatch.setattr(passwords, "_turns", turns)
    monkeypatch.setattr(passwords, "_hasher", lambda: GatedHasher())
    results: list[int] = []
    try:
        with serve(site_api()) as url:
            def one(i: int) -> None:
                with client(url, **{"X-Forwarded-For": f"203.0.113.{10 + i}"}) as c:
                    results.append(c.post("/auth/login", data={"identifier": phones[i], "password": PASSWORD}
                                          ).status_code)

            threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
            for t in threads:
                t.start()
            try:
                for _ in range(2):  # two checking passwords, two waiting for their turn
                    assert inside.acquire(timeout=30) and turns.waiting.acquire(timeout=30)
                assert get_engine().pool.checkedout() == 2  # the app's engine: only the two checking
            finally:
                gate.set()
                for t in threads:
                    t.join(30)
        assert results == [303] * 4
    finally:
        reset_engine()
        get_settings.cache_clear()
