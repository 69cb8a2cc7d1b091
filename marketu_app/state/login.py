"""The sign-in page. The password goes from the form to the check and is never kept in state."""

from __future__ import annotations

from urllib.parse import unquote

import reflex as rx

from marketu_app import routes
from marketu_app.auth import login
from marketu_app.db.engine import session_scope
from marketu_app.i18n.texts import register, text
from marketu_app.settings import get_settings
from marketu_app.state.session import SessionState

register({
    "sign_in_title": ("Вход в личный кабинет", "Жеке кабинетке кіру", "Sign in"),
    "identifier": ("Телефон или email", "Телефон немесе email", "Phone or email"),
    "password": ("Пароль", "Құпиясөз", "Password"),
    "sign_in": ("Войти", "Кіру", "Sign in"),
    "signing_in": ("Входим…", "Кіруде…", "Signing in…"),
    "invalid_credentials": ("Неверный телефон, email или пароль", "Телефон, email немесе құпиясөз қате",
                            "Wrong phone, email or password"),
    "rate_limited": ("Слишком много попыток. Попробуйте снова через {minutes} мин.",
                     "Тым көп әрекет. {minutes} минуттан кейін қайталаңыз.",
                     "Too many attempts. Try again in {minutes} min."),
    "fill_both": ("Введите телефон или email и пароль", "Телефон немесе email және құпиясөзді енгізіңіз",
                  "Enter your phone or email and password"),
    "sign_in_hint": ("Например: 8 701 123 45 67", "Мысалы: 8 701 123 45 67", "For example: 8 701 123 45 67"),
})


def _safe_next(raw: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    path = unquote(raw or "")
    if not path.startswith("/") or path.startswith("//") or path.startswith(routes.LOGIN):
        return routes.PARCELS
    return path


def client_key(state: rx.State) -> str:
    """The client's address; X-Forwarded-For only behind our own proxy (else anyone could forge it)."""
    forwarded = ""
    if get_settings().trust_proxy:
        forwarded = state.router.headers.raw_headers.get("x-forwarded-for", "").split(",")[0].strip()
    return (forwarded or state.router.session.client_ip or "unknown")[:100]


class LoginState(SessionState):
    error: str = ""
    busy: bool = False

    @rx.event
    def on_load(self):
        """A signed-in customer does not need this page."""
        self.error = ""
        self.busy = False
        if self._current_customer() is not None:
            return rx.redirect(_safe_next(self.router.url.query_parameters.get("next")), replace=True)

    @rx.event
    def submit(self, form: dict):
        # NUL never belongs in either; PostgreSQL could not even look it up.
        identifier = str(form.get("identifier", "")).replace("\x00", "").strip()[:254]
        password = str(form.get("password", "")).replace("\x00", "")
        if not identifier or not password:
            self.error = text("fill_both", self.lang)
            return
        with session_scope() as db:
            result = login.sign_in(db, identifier, password, client_key(self))
        if result.customer is None:
            if result.reason == "rate_limited":
                minutes = max(1, -(-int(result.retry_after_seconds) // 60))
                self.error = text("rate_limited", self.lang).format(minutes=minutes)
            else:
                self.error = text("invalid_credentials", self.lang)
            return
        self.error = ""
        self.session_token = result.token
        self.customer_name = result.customer.name
        self.locale = result.customer.locale or self.lang
        return rx.redirect(_safe_next(self.router.url.query_parameters.get("next")), replace=True)
