""""Забыли пароль?": ask for a reset link, then set a new password with it."""

from __future__ import annotations

import asyncio

import reflex as rx

from marketu_app import routes
from marketu_app.db.engine import session_scope
from marketu_app.i18n.texts import register, text
from marketu_app.notify import reset
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
    "reset_done": ("Пароль изменён. Войдите с новым паролем.", "Құпиясөз өзгертілді. Жаңа құпиясөзбен кіріңіз.",
                   "Password changed. Sign in with the new password."),
    "reset_bad_code": ("Ссылка устарела или уже использована. Запросите новую.",
                       "Сілтеменің мерзімі өтті немесе пайдаланылған. Жаңасын сұраңыз.",
                       "This link has expired or was used. Ask for a new one."),
})


class ForgotState(LocaleState):
    sent: bool = False

    @rx.event
    def on_load(self):
        self.sent = False

    @rx.event
    async def submit(self, form: dict):
        identifier = str(form.get("identifier", ""))[:254]

        def ask():
            with session_scope() as db:
                reset.request_reset(db, identifier)

        await asyncio.to_thread(ask)
        self.sent = True  # the same answer whether the account exists or not


class ResetState(LocaleState):
    error: str = ""
    done: bool = False

    @rx.event
    def on_load(self):
        self.error, self.done = "", False

    @rx.event
    async def submit(self, form: dict):
        new = str(form.get("new_password", ""))
        if new != str(form.get("repeat_password", "")):
            self.error = text("password_mismatch", self.lang)
            return
        code = str(self.router.url.query_parameters.get("code", ""))[:64]

        def apply():
            with session_scope() as db:
                return reset.reset_password(db, code, new)

        problem = await asyncio.to_thread(apply)
        if problem is None:
            self.error, self.done = "", True
            return rx.redirect(f"{routes.LOGIN}?reset=1", replace=True)
        self.error = text("reset_bad_code" if problem == "bad_code" else f"pw_{problem}", self.lang)
