"""Who is signed in. The browser keeps only a random session token; the server decides."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import reflex as rx

from marketu_app import routes
from marketu_app.auth import sessions
from marketu_app.db.engine import session_scope
from marketu_app.db.models import Customer
from marketu_app.live.messages import toast_text
from marketu_app.live.tabs import remember_tab
from marketu_app.settings import get_settings
from marketu_app.state.base import LocaleState

SESSION_COOKIE = "marketu_session"


class SessionState(LocaleState):
    live_toast: str = ""
    live_toast_seq: int = 0
    session_ended: bool = False
    session_token: str = rx.Cookie("", name=SESSION_COOKIE, same_site="strict", path="/",
                                   max_age=get_settings().session_days * 86400)
    customer_name: str = ""
    _live_seen: int = 0  # the last change stream id applied to this tab (a backend var: never sent)

    def _session_token(self) -> str:
        return self.session_token

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
        url = self.router.url
        path = (url.path + (f"?{url.query}" if url.query else "")) or routes.PARCELS
        return rx.redirect(f"{routes.LOGIN}?next={quote(path, safe='')}", replace=True)

    def _remember_tab(self, customer_id: int, page: str) -> None:
        """Records this tab so that changes to the customer's data are pushed to it."""
        with session_scope() as db:
            remember_tab(db, self.router.session.client_token, customer_id, page)

    def _unseen(self, changes: list) -> list:
        """The pushed changes this tab has not applied yet: a push repeated after a failover, or by two
        watchers at once, changes nothing twice. Changes with no id (a new day, an expired session) pass."""
        fresh = [c for c in changes if not c.id or c.id > self._live_seen]
        self._live_seen = max([self._live_seen] + [c.id for c in fresh if c.id])
        return fresh

    def _show_live(self, changes: list) -> None:
        toasts = [m for m in (toast_text(c.kind, c.summary, self.lang) for c in changes) if m]
        if toasts:
            self.live_toast = toasts[-1] if len(toasts) == 1 else f"{toasts[-1]} (+{len(toasts) - 1})"
            self.live_toast_seq += 1

    def _end_session_here(self) -> None:
        """The session ended elsewhere (expired, revoked): hide the data, offer to sign in."""
        self.session_token = ""
        self.customer_name = ""
        self.session_ended = True

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.customer_name)

    @rx.var(deps=["session_token"], auto_deps=False)
    def customer_key(self) -> str:
        """Names this customer's offline snapshot in the browser (assets/offline.js); empty when signed out."""
        customer = self._current_customer()
        return hashlib.sha256(f"marketu-snapshot:{customer.id}".encode()).hexdigest()[:16] if customer else ""

    @rx.event
    def sign_out(self):
        if self.session_token:
            with session_scope() as db:
                sessions.end_session(db, self.session_token)
        self.session_token = ""
        self.customer_name = ""
        return [rx.call_script("window.marketuSnapshot && window.marketuSnapshot.wipe()"),
                rx.redirect(routes.LOGIN, replace=True)]
