"""The status reference page in the prod build."""

import httpx

from tests.e2e.conftest import no_horizontal_scroll
from tests.unit.test_catalogue import FAQ_TABLE


def test_statuses_page_shows_marketus_table(app_server, page):
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("table")
    rows = page.locator("tbody tr")
    assert rows.count() == 11
    for i, (label, description) in enumerate(FAQ_TABLE):
        cells = rows.nth(i).locator("td")
        assert cells.nth(0).inner_text().strip() == label
        assert cells.nth(1).inner_text().strip() == description
    assert page.locator("h1").count() == 1
    assert "Marketu" in page.locator("header").inner_text()
    assert no_horizontal_scroll(page)


def test_language_switch_changes_the_page_and_is_remembered(app_server, page):
    page.goto(app_server.url + "/statuses")
    page.wait_for_selector("tbody tr")
    page.get_by_role("combobox", name="Язык").select_option(label="English")
    page.wait_for_selector("text=Order statuses")
    assert page.locator("tbody tr").nth(0).locator("td").nth(0).inner_text().strip() == "Not paid"
    page.reload()
    page.wait_for_selector("text=Order statuses")
    assert page.locator("[lang=en]").count() >= 1


def test_operator_api_is_mounted_in_the_prod_app(app_server):
    assert httpx.get(app_server.url + "/api/v1/openapi.json").json()["info"]["title"].startswith("Marketu")
    assert httpx.get(app_server.url + "/api/v1/parcels/P-240101").status_code == 401
