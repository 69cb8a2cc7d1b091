"""Changing the password: the form posts to /auth/password (marketu_app/web/auth_routes.py), which
ends every other session and gives this browser a new one; this state shows the answer."""

from __future__ import annotations

import reflex as rx

from marketu_app.auth.sessions import PasswordChangeError
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
    "pw_mismatch": ("Новые пароли не совпадают", "Жаңа құпиясөздер сәйкес емес", "The new passwords differ"),
    "pw_wrong_password": ("Текущий пароль неверен", "Қазіргі құпиясөз қате", "The current password is wrong"),
    "pw_too_short": ("Новый пароль должен быть не короче 10 символов", "Жаңа құпиясөз кемінде 10 таңба болуы керек",
                     "The new password needs at least 10 characters"),
    "pw_too_long": ("Новый пароль слишком длинный", "Жаңа құпиясөз тым ұзын", "The new password is too long"),
    "pw_rate_limited": ("Слишком много попыток. Попробуйте позже.", "Тым көп әрекет. Кейінірек қайталаңыз.",
                        "Too many attempts. Try again later."),
    "pw_not_signed_in": ("Войдите снова", "Қайта кіріңіз", "Please sign in again"),
    "pw_forbidden": ("Форма отправлена с другого сайта. Попробуйте снова.",
                     "Пішін басқа сайттан жіберілді. Қайталаңыз.", "The form came from another site. Try again."),
})

ERRORS = {"mismatch", "forbidden", PasswordChangeError.WRONG_PASSWORD, PasswordChangeError.TOO_SHORT,
          PasswordChangeError.TOO_LONG, PasswordChangeError.RATE_LIMITED, PasswordChangeError.NOT_SIGNED_IN}


class PasswordState(SessionState):
    error: str = ""
    done: bool = False

    @rx.event
    def on_load(self):
        customer = self._current_customer()
        if customer is None:
            return self._to_sign_in()
        self.customer_name = customer.name
        query = self.router.url.query_parameters
        code = str(query.get("error", ""))
        self.error = text(f"pw_{code}", self.lang) if code in ERRORS else ""
        self.done = not self.error and query.get("done") == "1"
        return None
