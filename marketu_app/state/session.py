"""Who is signed in: decided on the server from the websocket's handshake cookie, never from state.

The session token lives only in the HttpOnly cookie set by the sign-in endpoint (marketu_app/web);
the browser sends it with the websocket's handshake, and Reflex hands the handshake's headers to every
event as `self.router.headers`. No state var holds it, so no event the browser sends can claim it.
Reflex also stores those headers with the state (Redis, disk): the socket guard (web/sockets.py) gives
it a Cookie header with the token's hash instead of the token, and the session is looked up by hash.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

import reflex as rx
from reflex.middleware import Middleware

from marketu_app import routes
from marketu_app.auth import sessions
from marketu_app.db.engine import session_scope
from marketu_app.db.models import Customer
from marketu_app.live.messages import toast_text
from marketu_app.live.tabs import remember_tab
from marketu_app.state.base import LocaleState
from marketu_app.state.offloop import run_blocking
from marketu_app.web.cookies import marker_from, session_hash_from


class SessionState(LocaleState):
    live_toast: str = ""
    live_toast_seq: int = 0
    session_ended: bool = False
    customer_name: str = ""
    _live_seen: int = 0  # the last change stream id applied to this tab (a backend var: never sent)
    # Per state of this family: the session hash its data belongs to (see SessionGuard).
    _owners: dict[str, str] = {}

    def _session_hash(self) -> str:
        """The hash of the handshake's session token ("" when none)."""
        return session_hash_from(self.router.headers.cookie)

    def _current_customer(self) -> Customer | None:
        """The signed-in customer, checked against the database on every call."""
        token_hash = self._session_hash()
        if not token_hash:
            return None
        with session_scope() as db:
            return sessions.resolve_session_hash(db, token_hash)

    def _customer_id(self) -> int | None:
        customer = self._current_customer()
        return customer.id if customer else None

    def _to_sign_in(self):
        """Forgets the session and sends the browser to sign-in, returning here afterwards."""
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
        """The session ended elsewhere (expired, revoked): hide the data, offer to sign in.
        The page's `.session-ended` notice makes assets/offline.js wipe the snapshot."""
        self.customer_name = ""
        self.session_ended = True

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.customer_name)

    @rx.var(deps=["customer_name"], auto_deps=False)
    def customer_key(self) -> str:
        """Names this session's offline snapshot (assets/offline.js): the same marker as the
        `marketu_signed_in` cookie; empty when signed out."""
        return marker_from(self.router.headers.cookie) if self.customer_name else ""


def _family(state: rx.State) -> list[rx.State]:
    """SessionState and its loaded substates, parents first."""
    found, todo = [], [state]
    while todo:
        st = todo.pop(0)
        if isinstance(st, SessionState):
            found.append(st)
        todo.extend(st.substates.values())
    return found


def _is_live(token_hash: str) -> bool:
    with session_scope() as db:
        return sessions.resolve_session_hash(db, token_hash) is not None


@dataclasses.dataclass
class SessionGuard(Middleware):
    """Before any event: data kept in a tab's states for another (or no, or an ended) session is dropped.

    A tab id is not a credential: a socket that replays an old tab id without that session's cookie
    finds states reset to their defaults, before the hydrate snapshot is sent to it.
    """

    async def preprocess(self, app, state, event):
        root = state._get_root_state()
        owner = session_hash_from(root.router.headers.cookie)
        if owner and event.name.rsplit(".", 1)[-1] in ("hydrate", "hydrate_and_load"):
            # The full state goes out with this event: the session must still be live, not just present.
            if not await run_blocking(_is_live, owner):  # in the page-work threads, as the page load's own
                owner = "ended:" + owner
        family = _family(root)
        if not family:
            return None
        owners = family[0]._owners
        stale = [st for st in family if owners.get(st.get_full_name()) != owner]
        if stale:
            # A tab's first event finds no owners: its states are fresh defaults (nothing changes one before
            # this guard has run), so there is nothing to drop; only later events reset.
            for st in stale if owners else ():
                st.reset()
            family[0]._owners = {**owners, **{st.get_full_name(): owner for st in family}}
        return None
