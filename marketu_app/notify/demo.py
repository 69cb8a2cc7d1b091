"""Demo mode: the demo customer's Telegram is linked to a chat of the local Bot-API stand-in,
so that a newcomer sees at http://127.0.0.1:8702/ what the customer would receive."""

from __future__ import annotations

from sqlmodel import Session

from marketu_app.db.models import TelegramLink
from marketu_app.db.writes import customer_by_external_id
from marketu_app.demo.seed import DEMO_CUSTOMER
from marketu_app.notify.prefs import link_chat

DEMO_CHAT = 700_000_001


def link_demo_chat(session: Session) -> None:
    customer = customer_by_external_id(session, DEMO_CUSTOMER)
    if customer is not None and session.get(TelegramLink, customer.id) is None:
        link_chat(session, customer.id, DEMO_CHAT)
