"""Interface texts in Russian (first), Kazakh and English."""

from marketu_app.i18n.texts import LOCALES, TEXTS, text

__all__ = ["LOCALES", "TEXTS", "text"]
