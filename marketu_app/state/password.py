"""Changing the password: every other session ends, this one stays."""

from __future__ import annotations

import reflex as rx

from marketu_app.auth import sessions
from marketu_app.db.engine import session_scope
from marketu_app.i18n.texts import register, text
from marketu_app.state.session import SessionState

register({
    "password_title": ("Смена пароля", "Құпиясөзді өзгерту", "Change password"),
    "current_password": ("Текущий пароль", "Қазіргі құпиясөз", "Current password"),
    "new_password": ("Новый пароль", "Жаңа құпиясөз", "New password"),
    "repeat_password": ("Повторите новый пароль", "Жаңа құпиясөзді қайталаңыз", "Repeat the new password"),
    "save_password": ("Сменить пароль", "Құпиясөзді өзгерту", "Change password"),
    "password_changed": ("Пароль изменён. Другие устройства вышли из кабинета.",
                         "Құпиясөз өзгертілді. Басқа құрылғылар кабинеттен шықты.",
                         "Password changed. Other devices have been signed out."),
    "password_mismatch": ("Новые пароли не совпадают", "Жаңа құпиясөздер сәйкес емес", "The new passwords differ"),
    "pw_wrong_password": ("Текущий пароль неверен", "Қазіргі құпиясөз қате", "The current password is wrong"),
    "pw_too_short": ("Новый пароль должен быть не короче 10 символов", "Жаңа құпиясөз кемінде 10 таңба болуы керек",
                     "The new password needs at least 10 characters"),
    "pw_too_long": ("Новый пароль слишком длинный", "Жаңа құпиясөз тым ұзын", "The new password is too long"),
    "pw_rate_limited": ("Слишком много попыток. Попробуйте позже.", "Тым көп әрекет. Кейінірек қайталаңыз.",
                        "Too many attempts. Try again later."),
    "pw_not_signed_in": ("Войдите снова", "Қайта кіріңіз", "Please sign in again"),
})


class PasswordState(SessionState):
    error: str = ""
    done: bool = False

    @rx.event
    def on_load(self):
        self.error, self.done = "", False
        customer = self._current_customer()
        if customer is None:
            return self._to_sign_in()
        self.customer_name = customer.name

    @rx.event
    def submit(self, form: dict):
        customer = self._current_customer()
        if customer is None:
            return self._to_sign_in()
        new = str(form.get("new_password", ""))
        if new != str(form.get("repeat_password", "")):
            self.error, self.done = text("password_mismatch", self.lang), False
            return None
        try:
            with session_scope() as db:
                sessions.change_password(db, customer.id, str(form.get("current_password", "")), new,
                                         self.session_token)
        except sessions.PasswordChangeError as problem:
            self.error, self.done = text(f"pw_{problem.reason}", self.lang), False
            return None
        self.error, self.done = "", True
        return rx.set_value("current_password", "")
