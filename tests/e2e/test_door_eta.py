"""The expected delivery to the door, next to the Almaty date, on a desktop and a phone, live."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, SECOND_PASSWORD, SECOND_PHONE, new_context, sign_in, wait_for_cards
from tests.e2e.test_live_updates import post_status

RU_DAYS = r"\d{1,2}\s[а-я]+\.?(\s–\s\d{1,2}\s[а-я]+\.?)?\s*"  # \s: the numbers keep their month (no-break space)


def test_door_date_on_cards_and_the_parcel_page_in_three_languages(app_server, page):
    sign_in(page, app_server.url)
    wait_for_cards(page)
    card = page.locator(".parcel-card")

    def door(number: str):
        return card.filter(has_text=number).locator(".door")

    # Still in China, by EMS to Shymkent; in Almaty for pickup, not all packed yet.
    expect(door("P-240104")).to_have_text(re.compile(f"^доставка в Шымкент: {RU_DAYS}$"))
    expect(door("P-240103")).to_have_text(re.compile(f"^выдача в Алматы: {RU_DAYS}$"))
    expect(door("P-240102")).to_have_count(0)  # delivered: nothing to expect
    # The door comes after the Almaty date, never before it.
    page.goto(app_server.url + "/parcel/P-240104")
    page.wait_for_selector(".order-card")
    line = page.locator(".door")
    expect(line).to_have_text(re.compile(f"^доставка в Шымкент: {RU_DAYS}$"))
    page.get_by_role("combobox", name="Язык").select_option(label="Қазақша")
    expect(line).to_contain_text("Шымкентке жеткізу")
    page.get_by_role("combobox", name="Тіл").select_option(label="English")
    expect(line).to_contain_text("delivery to Shymkent")
    page.get_by_role("combobox", name="Language").select_option(label="Русский")
    expect(line).to_contain_text("доставка в Шымкент")


def test_door_date_on_a_phone_follows_the_parcel_live(browser, app_server):
    ctx = new_context(browser, PHONE)
    page = ctx.new_page()
    sign_in(page, app_server.url, SECOND_PHONE, SECOND_PASSWORD)
    wait_for_cards(page)
    card = page.locator(".parcel-card").filter(has_text="P-250201")  # Almaty courier, still on the line from China
    door = card.locator(".door")
    expect(door).to_have_text(re.compile(f"^доставка по Алматы: {RU_DAYS}$"))
    expect(door).to_be_visible()
    before = door.inner_text()
    # The warehouse posts the arrival, the packing and the hand-over: the door date moves with them.
    post_status(app_server.url, "M-250201-1", "at_almaty_warehouse", minutes_ago=30)
    post_status(app_server.url, "M-250201-1", "packed", minutes_ago=20)
    post_status(app_server.url, "M-250201-1", "sent_to_recipient", minutes_ago=10)
    expect(card.locator(".eta")).to_contain_text("прибыл", timeout=5_000)
    expect(door).not_to_have_text(before, timeout=5_000)
    expect(door).to_have_text(re.compile(f"^доставка по Алматы: {RU_DAYS}$"))
    ctx.close()
