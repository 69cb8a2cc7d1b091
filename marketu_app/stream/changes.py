"""The one way to record a change: a `change_log` row in the writer's transaction, and a wake-up at commit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, text
from sqlmodel import Session

from marketu_app.db.models import ChangeLog
from marketu_app.domain.timeutil import utcnow
from marketu_app.stream import signal

_LOG = ChangeLog.__table__
SUMMARY_MAX = 500  # the column's length


@dataclass(frozen=True)
class Change:
    """One committed change as a consumer receives it."""

    id: int
    customer_id: int
    kind: str  # "order", "order_status", "courier", "ems", "parcel", "sessions_revoked", ...
    parcel_id: int | None = None
    summary: dict = field(default_factory=dict)  # what the change says (titles, statuses, numbers)
    at: datetime | None = None

    @property
    def position(self) -> int:
        """Where it stands in the stream: consumers receive changes in this order."""
        return self.id


def record_change(session: Session, customer_id: int, kind: str, parcel_id: int | None = None,
                  at: datetime | None = None, **summary) -> None:
    """Adds a change to the caller's transaction; the consumers are woken when it commits.

    Every writer (operator API, EMS poller, sessions, demo data) goes through here, so that
    no change escapes the stream nor waits for a consumer's fallback tick.
    """
    record_changes(session, [NewChange(customer_id, kind, parcel_id, summary, at)])


@dataclass(frozen=True)
class NewChange:
    """One change to record (`record_changes`): the arguments of `record_change`."""

    customer_id: int
    kind: str
    parcel_id: int | None = None
    summary: dict = field(default_factory=dict)
    at: datetime | None = None


def _body(summary: dict) -> str:
    body = json.dumps(summary, ensure_ascii=False, default=str)
    if len(body) > SUMMARY_MAX:  # long titles: shortened in the summary, whole in their tables
        summary = {k: (v[:100] if isinstance(v, str) else v) for k, v in summary.items()}
        body = json.dumps(summary, ensure_ascii=False, default=str)
    return body


def record_changes(session: Session, changes: list[NewChange]) -> None:
    """`record_change` for many changes at once (a batch of events): one insert, one wake-up,
    positions in the list's order."""
    if not changes:
        return
    if session.get_bind().dialect.name == "postgresql":
        _hold_writer_lock(session)
    now = utcnow()
    rows = [dict(customer_id=c.customer_id, parcel_id=c.parcel_id, kind=c.kind, summary=_body(c.summary),
                 at=c.at or now) for c in changes]
    if len(rows) == 1:
        session.execute(insert(_LOG).values(**rows[0]))
    else:  # one statement; ids are taken in the rows' order
        session.execute(insert(_LOG).values(rows))
    signal.announce(session)


# The writers' side of the consumers' barrier (stream/cursor.py): held from a transaction's first
# change until its end. Two-key advisory locks: class 1 is "change writers", per schema.
WRITER_LOCK = "pg_advisory_xact_lock_shared(1, hashtext(current_schema()))"


def _hold_writer_lock(session: Session) -> None:
    session.connection()  # begins the transaction if need be
    # Once per (sub)transaction: a rolled-back savepoint releases what was taken inside it.
    innermost = session.get_nested_transaction() or session.get_transaction()
    if session.info.get("change_writer_lock") is not innermost:
        session.execute(text(f"SELECT {WRITER_LOCK}"))
        session.info["change_writer_lock"] = innermost


def change_from_row(row) -> Change:
    try:
        summary = json.loads(row.summary or "{}")
    except ValueError:
        summary = {}
    return Change(id=row.id, customer_id=row.customer_id, kind=row.kind,
                  parcel_id=row.parcel_id, summary=summary if isinstance(summary, dict) else {}, at=row.at)
