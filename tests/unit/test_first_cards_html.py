"""The server's first cards (marketu_app/first_cards.py)."""

from marketu_app import first_cards as fc
from marketu_app.views import ParcelCardView

CARD = ParcelCardView(number="P-1", url="/parcel/P-1", method="Самовывоз", method_code="pickup",
                      city='<img src=x onerror="alert(1)">', orders_count="2 заказа", progress="1 из 2",
                      progress_pct=50, stage_label="Оплачен", stage_color="blue", eta="в Алматы ожидается",
                      eta_kind="expected", tracking="", updated="Обновлено")


def test_a_card_escapes_what_it_shows():
    html = fc.parcels_html([CARD], fc.texts("ru"))
    assert '<img src=x' not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert html.count('class="parcel-card"') == 1 and 'href="/parcel/P-1"' in html
    assert fc.parcels_html([], fc.texts("ru")) is None  # the skeleton stays


def test_the_request_needs_a_session_cookie_and_takes_only_known_languages():
    assert fc.request_of("") is None and fc.request_of("marketu_lang=kk") is None
    assert fc.request_of("marketu_session=abc; marketu_lang=kk") == fc.Request("abc", "kk")
    assert fc.request_of("marketu_session=abc; marketu_lang=xx") == fc.Request("abc", "")


def test_the_slot_is_filled_only_where_the_skeleton_is():
    page = f'<main><div class="first-cards">{fc.PARCELS_SKELETON}</div></main>'
    assert fc.fill_slot(page, fc.PARCELS_SKELETON, "CARDS") == '<main><div class="first-cards">CARDS</div></main>'
    assert fc.fill_slot("<main></main>", fc.PARCELS_SKELETON, "CARDS") is None
