""""Забыли пароль?": ask for a reset link, then set a new password with it.

Both forms post to HTTP endpoints (/auth/forgot, /auth/reset in marketu_app/web/auth_routes.py), so they
work before the scripts have loaded and the new password never goes into a URL; the answer comes back
in the page's query, and these states (or, without scripts, first_paint.serve_form_answer) show it."""

from __future__ import annotations

from collections.abc import Mapping

import reflex as rx

import marketu_app.state.password  # noqa: F401  (registers the pw_* texts the reset page shares)
from marketu_app.i18n.texts import register, text
from marketu_app.state.base import LocaleState

register({
    "forgot_link": ("Забыли пароль?", "Құпиясөзді ұмыттыңыз ба?", "Forgot your password?"),
    "forgot_title": ("Восстановление пароля", "Құпиясөзді қалпына келтіру", "Reset your password"),
    "forgot_send": ("Прислать ссылку", "Сілтеме жіберу", "Send me a link"),
    "forgot_sent": ("Если такой кабинет есть и к нему привязан Telegram или email, мы отправили туда ссылку "
                    "для нового пароля. Она действует 30 минут.",
                    "Егер мұндай кабинет болса және оған Telegram немесе email байланыстырылса, жаңа құпиясөзге "
                    "сілтеме жібердік. Ол 30 минут жарамды.",
                    "If this account exists and has Telegram or email linked, we have sent a link for a new "
                    "password there. It works for 30 minutes."),
    "reset_title_page": ("Новый пароль", "Жаңа құпиясөз", "New password"),
    "reset_save": ("Сохранить пароль", "Құпиясөзді сақтау", "Save the password"),
    "forgot_empty": ("Введите телефон или email", "Телефон немесе email енгізіңіз", "Enter your phone or email"),
    "reset_bad_code": ("Ссылка устарела или уже использована. Запросите новую.",
                       "Сілтеменің мерзімі өтті немесе пайдаланылған. Жаңасын сұраңыз.",
                       "This link has expired or was used. Ask for a new one."),
})


FORGOT_ERRORS = {"empty": "forgot_empty", "forbidden": "pw_forbidden"}
RESET_ERRORS = {"mismatch": "pw_mismatch", "too_short": "pw_too_short", "too_long": "pw_too_long",
                "bad_code": "reset_bad_code", "forbidden": "pw_forbidden"}


def forgot_answer(query: Mapping[str, str], lang: str) -> tuple[str, str]:
    """(notice, error) that /forgot's query asks to show ("" for none)."""
    error = FORGOT_ERRORS.get(str(query.get("error", "")))
    return (text("forgot_sent", lang) if query.get("sent") == "1" and not error else "",
            text(error, lang) if error else "")


def reset_answer(query: Mapping[str, str], lang: str) -> tuple[str, str]:
    """(notice, error) that /reset's query asks to show: only errors (success goes to the sign-in page)."""
    error = RESET_ERRORS.get(str(query.get("error", "")))
    return "", text(error, lang) if error else ""


class ForgotState(LocaleState):
    sent: bool = False
    error: str = ""

    @rx.event
    def on_load(self):
        notice, self.error = forgot_answer(self.router.url.query_parameters, self.lang)
        self.sent = bool(notice)


class ResetState(LocaleState):
    error: str = ""
    code: str = ""  # the link's one-time code, posted back in a hidden field (it is in the address anyway)

    @rx.event
    def on_load(self):
        query = self.router.url.query_parameters
        self.code = str(query.get("code", ""))[:64]
        _, self.error = reset_answer(query, self.lang)
