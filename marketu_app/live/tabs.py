"""The open tabs of signed-in customers, recorded at page load (one row per tab)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from marketu_app.db.models import LiveTab
from marketu_app.domain.timeutil import utcnow


def remember_tab(session: Session, client_token: str, customer_id: int, page: str) -> None:
    if not client_token:
        return
    tab = session.get(LiveTab, client_token)
    if tab is None:
        tab = LiveTab(client_token=client_token, customer_id=customer_id, page=page)
    tab.customer_id, tab.page, tab.seen_at = customer_id, page, utcnow()
    session.add(tab)


def tabs_of(session: Session, customer_ids: set[int]) -> list[LiveTab]:
    if not customer_ids:
        return []
    return list(session.exec(select(LiveTab).where(LiveTab.customer_id.in_(customer_ids))))


def forget_tabs(session: Session, client_tokens: list[str]) -> None:
    if client_tokens:
        session.exec(delete(LiveTab).where(LiveTab.client_token.in_(client_tokens)))


def customers_with_tabs(session: Session) -> set[int]:
    return set(session.exec(select(LiveTab.customer_id).distinct()).all())
