"""The open tabs of signed-in customers, recorded at page load (one row per tab).

A tab's Reflex client token addresses its state, so only its hash is stored; a push maps the hashes
back to tokens from those Reflex knows to be connected (live/reflex_adapter.py, `connected_by_hash`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from marketu_app.db.models import LiveTab
from marketu_app.domain.timeutil import utcnow

_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def tab_hash(client_token: str) -> str:
    return hashlib.sha256(client_token.encode("utf-8")).hexdigest()


def by_hash(client_tokens: Iterable[str]) -> dict[str, str]:
    """Hash -> token for a push batch: the connected tokens are hashed once per batch, not per tab."""
    return {tab_hash(token): token for token in client_tokens}


def remember_tab(session: Session, client_token: str, customer_id: int, page: str) -> None:
    """One statement per page load (insert, or update the row of a tab that reloaded)."""
    if not client_token:
        return
    key = tab_hash(client_token)
    insert = _UPSERTS.get(session.get_bind().dialect.name)
    if insert is not None:
        stmt = insert(LiveTab).values(tab_hash=key, customer_id=customer_id, page=page, seen_at=utcnow())
        session.exec(stmt.on_conflict_do_update(
            index_elements=[LiveTab.tab_hash],
            set_={"customer_id": stmt.excluded.customer_id, "page": stmt.excluded.page,
                  "seen_at": stmt.excluded.seen_at}))
        return
    tab = session.get(LiveTab, key)
    if tab is None:
        tab = LiveTab(tab_hash=key, customer_id=customer_id, page=page)
    tab.customer_id, tab.page, tab.seen_at = customer_id, page, utcnow()
    session.add(tab)


def tabs_of(session: Session, customer_ids: set[int]) -> list[LiveTab]:
    if not customer_ids:
        return []
    return list(session.exec(select(LiveTab).where(LiveTab.customer_id.in_(customer_ids))))


def forget_tabs(session: Session, tab_hashes: list[str]) -> None:
    if tab_hashes:
        session.exec(delete(LiveTab).where(LiveTab.tab_hash.in_(tab_hashes)))


def customers_with_tabs(session: Session) -> set[int]:
    return set(session.exec(select(LiveTab.customer_id).distinct()).all())
