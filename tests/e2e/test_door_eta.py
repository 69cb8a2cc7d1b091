"""The expected delivery to the door, next to the Almaty date, on a desktop and a phone, live (on this
module's own copy of the demo data)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, demo_copy, new_context, sign_in, wait_for_cards
from tests.e2e.test_live_updates import post_status

RU_DAYS = r"\d{1,2}\s[а-я]+\.?(\s–\s\d{1,2}\s[а-я]+\.?)?\s*"  # \s: the numbers keep their month (no-break space)


@pytest.fixture(scope="module")
def demo(db_url):
    return demo_copy(db_url, __name__)


def test_door_date_on_cards_and_the_parcel_page_in_three_languages(app_server, page, demo):
    sign_in(page, app_server.url, demo.phone, demo.password)
    wait_for_cards(page)
    card = page.locator(".parcel-card")

    def door(number: str):
        return card.filter(has_text=demo[number]).locator(".door")

    # Still in China, by EMS to Shymkent; in Almaty for pickup, not all packed yet.
    expect(door("P-240104")).to_have_text(re.compile(f"^доставка в Шымкент: {RU_DAYS}$"))
    expect(door("P-240103")).to_have_text(re.compile(f"^выдача в Алматы: {RU_DAYS}$"))
    expect(door("P-240102")).to_have_count(0)  # delivered: nothing to expect
    # The door comes after the Almaty date, never before it.
    page.goto(app_server.url + f"/parcel/{demo['P-240104']}")
    page.wait_for_selector(".order-card")
    line = page.locator(".door")
    expect(line).to_have_text(re.compile(f"^доставка в Шымкент: {RU_DAYS}$"))
    page.get_by_role("combobox", name="Язык").select_option(label="Қазақша")
    expect(line).to_contain_text("Шымкентке жеткізу")
    page.get_by_role("combobox", name="Тіл").select_option(label="English")
    expect(line).to_contain_text("delivery to Shymkent")
    page.get_by_role("combobox", name="Language").select_option(label="Русский")
    expect(line).to_contain_text("доставка в Шымкент")


def test_door_date_on_a_phone_follows_the_parcel_live(browser, app_server, demo):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    sign_in(page, app_server.url, demo.second_phone, demo.second_password)
    wait_for_cards(page)
    # Almaty courier, still on the line from China.
    card = page.locator(".parcel-card").filter(has_text=demo["P-250201"])
    door = card.locator(".door")
    expect(door).to_have_text(re.compile(f"^доставка по Алматы: {RU_DAYS}$"))
    expect(door).to_be_visible()
    before = door.inner_text()
    # The warehouse posts the arrival, the packing and the hand-over: the door date moves with them.
    order = demo["M-250201-1"]
    post_status(app_server.url, order, "at_almaty_warehouse", minutes_ago=30)
    post_status(app_server.url, order, "packed", minutes_ago=20)
    post_status(app_server.url, order, "sent_to_recipient", minutes_ago=10)
    expect(card.locator(".eta")).to_contain_text("прибыл", timeout=5_000)
    expect(door).not_to_have_text(before, timeout=5_000)
    expect(door).to_have_text(re.compile(f"^доставка по Алматы: {RU_DAYS}$"))
    ctx.close()
