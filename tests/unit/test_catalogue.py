"""The status catalogue carries Marketu's own words, exactly as in the FAQ."""

import pytest

from marketu_app.domain.statuses import CATALOGUE, JOURNEY, OrderStatus, journey_index, status_info

# Copied from shared/seed/marketu-tracking-faq.ru.txt, the table "Какие бывают статусы заказов".
FAQ_TABLE = [
    ("Не оплачен", "Заказ ещё не оплачен покупателем"),
    ("Оплачен", "Заказ оплачен покупателем и находится в очереди на обработку/выкуп"),
    ("В обработке", "Заказ в процессе обработки/выкупа у продавца"),
    ("Доставка на склад в Китае", "Заказ успешно обработан/выкуплен и отправлен продавцом на склад Marketu LTD"),
    ("На складе в Китае", "Заказ успешно получен/проверен/взвешен на складе Marketu LTD"),
    ("Отправлен со склада из Китая", "Заказ отправлен со склада Marketu LTD в отдел выдачи и пересылки в г.Алматы"),
    ("На складе в Алматы", "Заказ успешно получен в отдел выдачи и пересылки Marketu LTD в Алматы"),
    ("Упакован", "Заказ упакован и подготовлен для дальнейшей отправки по Алматы или Казахстану"),
    ("Отправлен получателю", "Заказ успешно отправлен получателю"),
    ("Доставлен", "Заказ успешно получен получателем"),
    ("Отменен", "Заказ отменён"),
]


def test_eleven_statuses_in_faq_order_with_marketus_words():
    assert [(s.label["ru"], s.description["ru"]) for s in CATALOGUE.values()] == FAQ_TABLE


def test_codes_are_the_fixed_machine_codes():
    assert [s.value for s in OrderStatus] == [
        "not_paid", "paid", "processing", "to_china_warehouse", "at_china_warehouse", "shipped_from_china",
        "at_almaty_warehouse", "packed", "sent_to_recipient", "delivered", "cancelled",
    ]


@pytest.mark.parametrize("locale", ["kk", "en"])
def test_every_status_has_its_own_text_in_kazakh_and_english(locale):
    labels = [s.label_in(locale) for s in CATALOGUE.values()]
    assert len(set(labels)) == 11
    assert all(s.label_in(locale) != s.label["ru"] for s in CATALOGUE.values())
    assert all(s.description_in(locale) for s in CATALOGUE.values())


def test_journey_is_ten_stages_and_cancelled_stands_apart():
    assert len(JOURNEY) == 10
    assert JOURNEY[0] is OrderStatus.NOT_PAID and JOURNEY[-1] is OrderStatus.DELIVERED
    assert journey_index("cancelled") == -1
    assert journey_index("at_almaty_warehouse") == 6


def test_unknown_code_is_refused():
    with pytest.raises(ValueError):
        status_info("lost")


def test_faq_file_if_present_has_the_same_table():
    from pathlib import Path

    faq = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "marketu-tracking-faq.ru.txt"
    if not faq.exists():
        pytest.skip("shared/ is not beside the project")
    rows = [line.strip("| \n").split(" | ") for line in faq.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and "Статус заказа" not in line]
    assert [tuple(r) for r in rows] == FAQ_TABLE
