"""Who is signed in. The browser keeps only a random session token; the server decides."""

from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from marketu_app import routes
from marketu_app.auth import sessions
from marketu_app.db.engine import session_scope
from marketu_app.db.models import Customer
from marketu_app.settings import get_settings
from marketu_app.state.base import LocaleState

SESSION_COOKIE = "marketu_session"


class SessionState(LocaleState):
    session_token: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict", path="/",
                                   max_age=get_settings().session_days * 86400)
    customer_name: str = ""

    def _current_customer(self) -> Customer | None:
        """The signed-in customer, checked against the database on every call."""
        if not self.session_token:
            return None
        with session_scope() as db:
            return sessions.resolve_session(db, self.session_token)

    def _customer_id(self) -> int | None:
        customer = self._current_customer()
        return customer.id if customer else None

    def _to_sign_in(self):
        """Forgets the session and sends the browser to sign-in, returning here afterwards."""
        self.session_token = ""
        self.customer_name = ""
        path = self.router.page.raw_path or routes.PARCELS
        return rx.redirect(f"{routes.LOGIN}?next={quote(path, safe='')}", replace=True)

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.customer_name)

    @rx.event
    def sign_out(self):
        if self.session_token:
            with session_scope() as db:
                sessions.end_session(db, self.session_token)
        self.session_token = ""
        self.customer_name = ""
        return [rx.call_script("window.marketuSnapshot && window.marketuSnapshot.wipe()"),
                rx.redirect(routes.LOGIN, replace=True)]
