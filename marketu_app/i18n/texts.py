"""Every interface text, keyed, in ru / kk / en. Russian is the reference."""

from __future__ import annotations

from marketu_app.i18n.shared import shared

LOCALES = ("ru", "kk", "en")
LOCALE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}

_T: dict[str, tuple[str, str, str]] = {
    # key: (ru, kk, en)
    "app_name": ("Marketu: отслеживание", "Marketu: бақылау", "Marketu: tracking"),
    "nav_parcels": ("Посылки", "Сәлемдемелер", "Parcels"),
    "nav_statuses": ("Статусы", "Мәртебелер", "Statuses"),
    "nav_support": ("Поддержка", "Қолдау", "Support"),
    "nav_sign_out": ("Выйти", "Шығу", "Sign out"),
    "nav_password": ("Пароль", "Құпиясөз", "Password"),
    "nav_account": ("Аккаунт", "Аккаунт", "Account"),
    "nav_main": ("Разделы", "Бөлімдер", "Sections"),
    "skip_to_content": ("Перейти к содержимому", "Мазмұнға өту", "Skip to content"),
    "language": ("Язык", "Тіл", "Language"),
    "theme_toggle": ("Светлая или тёмная тема", "Жарық немесе қараңғы тақырып", "Light or dark theme"),
    "statuses_title": ("Статусы заказов", "Тапсырыс мәртебелері", "Order statuses"),
    "statuses_intro": (
        "Какие бывают статусы заказов и что они означают",
        "Тапсырыс мәртебелері және олардың мағынасы",
        "What each order status means",
    ),
    "status_col": ("Статус заказа", "Тапсырыс мәртебесі", "Order status"),
    "description_col": ("Описание статуса заказа", "Мәртебе сипаттамасы", "What it means"),
    "delivery_methods_title": ("Способы доставки", "Жеткізу тәсілдері", "Delivery methods"),
    "footer": (
        "Marketu LTD: выкуп и доставка товаров из Китая в Казахстан",
        "Marketu LTD: Қытайдан Қазақстанға тауарларды сатып алу және жеткізу",
        "Marketu LTD: buying and shipping goods from China to Kazakhstan",
    ),
}

# Shared (i18n/shared.py): every tab's state holds its language's texts, pickled as the name only.
TEXTS: dict[str, dict[str, str]] = {
    locale: shared(f"texts:{locale}", {key: values[i] for key, values in _T.items()})
    for i, locale in enumerate(LOCALES)
}


def text(key: str, locale: str = "ru") -> str:
    return TEXTS.get(locale, TEXTS["ru"]).get(key) or TEXTS["ru"][key]


def register(extra: dict[str, tuple[str, str, str]]) -> None:
    """Adds texts of a feature module (kept beside the feature)."""
    for key, values in extra.items():
        for i, locale in enumerate(LOCALES):
            TEXTS[locale][key] = values[i]
