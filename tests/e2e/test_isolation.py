"""A customer never sees another's data: not on the page, not in the state sent to the browser."""

from __future__ import annotations

from tests.e2e.conftest import SECOND_PASSWORD, SECOND_PHONE, sign_in, wait_for_cards

# What the second demo customer has: parcel and order numbers, titles, city, track.
SECOND_SECRETS = ["P-250201", "P-250202", "M-250201-1", "M-250202-1", "Робот-пылесос", "Куртка демисезонная",
                  "Павлодар", "EE600000", "Данияр"]
FIRST_SECRETS = ["P-240101", "Li-Ning", "Караганда", "Айгерим"]


def _record_frames(page) -> list[str]:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    return frames


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_foreign_parcel_reads_exactly_like_a_missing_one(app_server, page):
    frames = _record_frames(page)
    sign_in(page, app_server.url)
    wait_for_cards(page)
    page.goto(app_server.url + "/parcel/P-250201")
    page.wait_for_selector(".not-found")
    foreign = _main_text(page)
    page.goto(app_server.url + "/parcel/P-999999")
    page.wait_for_selector(".not-found")
    assert _main_text(page) == foreign
    page.goto(app_server.url + "/")
    wait_for_cards(page)
    for number in ("P-250201", "M-250202-1", "Робот", "EE600000"):
        page.get_by_role("searchbox").fill(number)
        page.get_by_text("Ничего не найдено").wait_for()
    page.wait_for_timeout(300)
    seen = "\n".join(frames) + page.content()
    leaked = [s for s in SECOND_SECRETS if s in seen and s not in ("P-250201", "M-250202-1", "Робот", "EE600000")]
    assert leaked == []
    # The searched-for strings appear only as the customer's own input, never as data.
    assert "Робот-пылесос" not in seen and "Павлодар" not in seen


def test_second_customer_sees_only_their_parcels(app_server, page):
    frames = _record_frames(page)
    sign_in(page, app_server.url, SECOND_PHONE, SECOND_PASSWORD)
    wait_for_cards(page)
    assert sorted(page.locator(".parcel-number").all_inner_texts()) == ["P-250201", "P-250202"]
    page.goto(app_server.url + "/parcel/P-240101")
    page.wait_for_selector(".not-found")
    seen = "\n".join(frames) + page.content()
    assert [s for s in FIRST_SECRETS if s in seen] == ["P-240101"] and seen.count("Li-Ning") == 0
