"""The base state every page shares: the interface language."""

from __future__ import annotations

import reflex as rx

from marketu_app.i18n.texts import LOCALES, TEXTS


class LocaleState(rx.State):
    """The chosen language, remembered in the browser."""

    locale: str = rx.LocalStorage("ru", name="marketu_locale", sync=True)

    @rx.var
    def lang(self) -> str:
        return self.locale if self.locale in LOCALES else "ru"

    @rx.var
    def t(self) -> dict[str, str]:
        return TEXTS[self.lang]

    @rx.event
    def set_locale(self, locale: str):
        if locale in LOCALES:
            self.locale = locale
