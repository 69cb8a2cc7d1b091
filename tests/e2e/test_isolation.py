"""A customer never sees another's data: not on the page, not in the state sent to the browser.
On this module's own copy of the two demo customers (conftest.demo_copy)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from marketu_app.db.engine import make_engine
from marketu_app.db.models import EmsTrack, Parcel
from tests.e2e.conftest import demo_copy, sign_in, wait_for_cards


@pytest.fixture(scope="module")
def demo(db_url):
    d = demo_copy(db_url, __name__)
    # What the second customer has: parcel and order numbers, titles, city, track; and what the first has.
    d.second_secrets = [d["P-250201"], d["P-250202"], d["M-250201-1"], d["M-250202-1"], "Робот-пылесос",
                        "Куртка демисезонная", "Павлодар", d["EE600000174KZ"][:8], "Данияр"]
    d.first_secrets = [d["P-240101"], "Li-Ning", "Караганда", "Айгерим"]
    return d


def _record_frames(page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_foreign_parcel_reads_exactly_like_a_missing_one(app_server, page, demo):
    frames = _record_frames(page)
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    page.goto(app_server.url + f"/parcel/{demo['P-250201']}")
    page.wait_for_selector(".not-found")
    foreign = _main_text(page)
    page.goto(app_server.url + "/parcel/P-999999")
    page.wait_for_selector(".not-found")
    assert _main_text(page) == foreign
    page.goto(app_server.url + "/")
    wait_for_cards(page)
    typed = (demo["P-250201"], demo["M-250202-1"], "Робот", demo["EE600000174KZ"][:8])
    for number in typed:
        page.get_by_role("searchbox").fill(number)
        page.get_by_text("Ничего не найдено").wait_for()  # that answer's frames have arrived
    seen = "\n".join(frames) + page.content()
    leaked = [s for s in demo.second_secrets if s in seen and s not in typed]
    assert leaked == []
    # The searched-for strings appear only as the customer's own input, never as data.
    assert "Робот-пылесос" not in seen and "Павлодар" not in seen


def test_second_customer_sees_only_their_parcels(app_server, page, demo):
    frames = _record_frames(page)
    sign_in(page, app_server.url, demo.second_phone, demo.second_password)
    wait_for_cards(page)
    assert sorted(page.locator(".parcel-number").all_inner_texts()) == [demo["P-250201"], demo["P-250202"]]
    page.goto(app_server.url + f"/parcel/{demo['P-240101']}")
    page.wait_for_selector(".not-found")
    seen = "\n".join(frames) + page.content()
    assert [s for s in demo.first_secrets if s in seen] == [demo["P-240101"]] and seen.count("Li-Ning") == 0


def _refresh_requested_at(db_url: str, parcel_number: str):
    engine = make_engine(db_url)
    try:
        with Session(engine) as s:
            parcel = s.exec(select(Parcel).where(Parcel.number == parcel_number)).one()
            track = s.get(EmsTrack, parcel.ems_track_number) if parcel.ems_track_number else None
            return track.refresh_requested_at if track else None
    finally:
        engine.dispose()


def test_crafted_websocket_events_with_foreign_numbers_do_nothing_visible(app_server, db_url, page, demo):
    """The page's first `toggle_history` and `refresh_tracking` are rewritten on the wire to name the
    other customer's order and parcel; the same clicks sent again untouched show when those are through."""
    sent: list[str] = []
    crafted = {"toggle_history": 0, "refresh_tracking": 0}

    def tamper(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if isinstance(message, str) and "toggle_history" in message and not crafted["toggle_history"]:
                crafted["toggle_history"] += 1
                message = message.replace(demo["M-240101-1"], demo["M-250201-1"])
            if isinstance(message, str) and "refresh_tracking" in message and not crafted["refresh_tracking"]:
                crafted["refresh_tracking"] += 1
                message = message.replace(f"/parcel/{demo['P-240101']}", f"/parcel/{demo['P-250202']}")
            sent.append(message if isinstance(message, str) else "")
            server.send(message)

        ws.on_message(to_server)
        server.on_message(lambda message: ws.send(message))

    foreign_before = _refresh_requested_at(db_url, demo["P-250202"])
    page.route_web_socket("**/_event/**", tamper)
    frames = _record_frames(page)
    sign_in(page, app_server.url, demo.phone, demo.password, path=f"/parcel/{demo['P-240101']}")
    page.wait_for_url(f"**/parcel/{demo['P-240101']}")
    card = page.locator(".order-card").filter(has_text="Li-Ning")
    card.wait_for()
    card.get_by_role("button", name="История").click()  # crafted: the foreign order
    card.get_by_role("button", name="История").click()  # the customer's own, handled after it
    expect(card.get_by_role("button", name="Скрыть историю")).to_be_visible()  # opened once: by the second
    assert any(demo["M-250201-1"] in m for m in sent)  # the crafted event did go out
    refresh = page.get_by_role("button", name="Обновить")
    too_soon = page.get_by_text("Можно обновлять раз в минуту")
    refresh.click()  # crafted: the foreign parcel
    for _ in range(5):  # then the customer's own, until one is answered "once a minute" (the one before went through)
        refresh.click()
        try:
            expect(too_soon).to_be_visible(timeout=3_000)
            break
        except AssertionError:
            continue
    expect(too_soon).to_be_visible()
    assert any(f"/parcel/{demo['P-250202']}" in m for m in sent)
    assert _refresh_requested_at(db_url, demo["P-250202"]) == foreign_before  # the foreign track was not touched
    seen = "\n".join(frames) + page.content()
    # Only the numbers the attacker typed come back (as their own router data), never the data behind them.
    assert not [s for s in demo.second_secrets if s in seen and s not in (demo["M-250201-1"], demo["P-250202"])]
