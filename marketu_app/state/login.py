"""The sign-in page. The form posts to the HTTP endpoint (marketu_app/web/auth_routes.py); this state
only shows its answer (an error code in the query) and sends a signed-in customer on."""

from __future__ import annotations

from collections.abc import Mapping

import reflex as rx

from marketu_app import routes
from marketu_app.i18n.texts import register, text
from marketu_app.state.session import SessionState

register({
    "sign_in_title": ("Вход в личный кабинет", "Жеке кабинетке кіру", "Sign in"),
    "identifier": ("Телефон или email", "Телефон немесе email", "Phone or email"),
    "password": ("Пароль", "Құпиясөз", "Password"),
    "sign_in": ("Войти", "Кіру", "Sign in"),
    "invalid_credentials": ("Неверный телефон, email или пароль", "Телефон, email немесе құпиясөз қате",
                            "Wrong phone, email or password"),
    "rate_limited": ("Слишком много попыток. Попробуйте снова через {minutes} мин.",
                     "Тым көп әрекет. {minutes} минуттан кейін қайталаңыз.",
                     "Too many attempts. Try again in {minutes} min."),
    "fill_both": ("Введите телефон или email и пароль", "Телефон немесе email және құпиясөзді енгізіңіз",
                  "Enter your phone or email and password"),
    "forbidden": ("Форма отправлена с другого сайта. Откройте страницу входа и попробуйте снова.",
                  "Пішін басқа сайттан жіберілді. Кіру бетін ашып, қайталаңыз.",
                  "The form came from another site. Open the sign-in page and try again."),
    "sign_in_hint": ("Например: 8 701 123 45 67", "Мысалы: 8 701 123 45 67", "For example: 8 701 123 45 67"),
    "reset_done": ("Пароль изменён. Войдите с новым паролем.", "Құпиясөз өзгертілді. Жаңа құпиясөзбен кіріңіз.",
                   "Password changed. Sign in with the new password."),
})

ERRORS = {"invalid": "invalid_credentials", "rate_limited": "rate_limited", "fill_both": "fill_both",
          "forbidden": "forbidden"}


def error_text(code: str, wait: str, lang: str) -> str:
    """The message for an error code of the sign-in endpoint ("" for none or an unknown one)."""
    if code not in ERRORS:
        return ""
    message = text(ERRORS[code], lang)
    if code == "rate_limited":
        seconds = int(wait) if wait.isdigit() else 60
        message = message.format(minutes=max(1, -(-min(seconds, 86400) // 60)))
    return message


def login_answer(query: Mapping[str, str], lang: str) -> tuple[str, str]:
    """(notice, error) that /login's query asks to show ("" for none)."""
    error = error_text(str(query.get("error", "")), str(query.get("wait", "")), lang)
    return text("reset_done", lang) if query.get("reset") == "1" and not error else "", error


class LoginState(SessionState):
    error: str = ""
    notice: str = ""  # after a password reset: sign in with the new one
    next_path: str = ""  # posted back with the form (hidden field)
    stale_session: bool = False  # the browser's session cookie names an ended session

    @rx.event
    def on_load(self):
        """A signed-in customer does not need this page."""
        query = self.router.url.query_parameters
        target = routes.safe_next(query.get("next"))
        self.next_path = target if target != routes.PARCELS else ""
        token_hash = self._session_hash()
        customer = self._current_customer() if token_hash else None
        if customer is not None:
            self.error = ""
            return rx.redirect(target, replace=True)
        # Makes assets/offline.js wipe what the ended session left on this device (pages/login.py).
        self.stale_session = bool(token_hash)
        self.notice, self.error = login_answer(query, self.lang)
        return None
