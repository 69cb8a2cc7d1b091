"""From changes to queued messages, and the outbox's claim/finish (callers commit).

Exactly once per (change, channel):
- `ingest` takes a change at most once (`notify_pending.change_id` is unique), so a replayed
  change adds nothing;
- `flush_due` turns a customer's open burst into messages in one transaction that also stamps
  the burst's rows with its batch id; the rows are locked (`FOR UPDATE SKIP LOCKED` on PostgreSQL)
  and `uq_notify_message (batch_id, channel, target)` refuses a second copy;
- `claim` hands due messages to one worker (PostgreSQL: `SKIP LOCKED`; conditional updates on
  both) as `claimed`; a claim not finished in time (the worker died) lapses and is taken again;
- `start` marks the Telegram message about to go out as `sending` just before its request, `finish`
  records the answer right after. A worker dying between the two leaves it `sending`: Telegram has no
  idempotency key (a repeat would be a second message in the chat), so it is marked `unknown`
  instead, never repeated. That window is one request long: the worker waits out Telegram's pacing
  before `start` (notify/worker.py). Telegram is therefore at most once. Email and Web Push go out
  straight from `claimed`: a worker dying before `finish` lets the claim lapse and they are sent
  again (the same Message-ID; the same Topic replaces the older push): at least once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, select

from marketu_app.db.models import (
    Customer,
    NotifyMessage,
    NotifyPending,
    Order,
    OrderStatusEvent,
    Parcel,
)
from marketu_app.domain.notify import Item, milestone, send_at, wanted
from marketu_app.domain.timeutil import utcnow
from marketu_app.notify.prefs import channels_of, kinds_of, prefs_for, quiet_of
from marketu_app.notify.render import render
from marketu_app.settings import get_settings
from marketu_app.stream import Change

CLAIM_FOR = timedelta(seconds=60)  # a claimed message not finished by then is claimed again
BACKOFF = (5, 30, 120, 600, 1800)  # seconds before the next attempt after a transient failure


class FlushRace(Exception):
    """Another worker flushed the same burst meanwhile: roll back, the next pass sees it done."""


def _first_sent(session: Session, parcel_id: int, order_number: str | None) -> bool:
    """No other order of the parcel was sent to the recipient before."""
    others = session.exec(select(func.count()).select_from(OrderStatusEvent).join(
        Order, Order.id == OrderStatusEvent.order_id).where(
        Order.parcel_id == parcel_id, Order.number != (order_number or ""),
        OrderStatusEvent.status == "sent_to_recipient")).one()
    return others == 0


def ingest(session: Session, changes: list[Change]) -> int:
    """Adds the changes worth a message (for their customers' choices); returns how many."""
    ids = [c.id for c in changes if c.id is not None]
    if not ids:
        return 0
    seen = set(session.exec(select(NotifyPending.change_id).where(NotifyPending.change_id.in_(ids))))
    parcel_ids = {c.parcel_id for c in changes if c.parcel_id}
    numbers = dict(session.exec(select(Parcel.id, Parcel.number).where(Parcel.id.in_(parcel_ids))).all()) \
        if parcel_ids else {}
    prefs = prefs_for(session, {c.customer_id for c in changes if c.id not in seen})
    kinds = {cid: kinds_of(p) for cid, p in prefs.items()}
    added = 0
    for change in changes:
        if change.id in seen or change.id is None:
            continue
        summary = change.summary  # a dict (marketu_app.stream.Change)
        number = numbers.get(change.parcel_id)
        first = True
        if summary.get("status") == "sent_to_recipient" and change.parcel_id:
            first = _first_sent(session, change.parcel_id, summary.get("order_number"))
        item = milestone(change.kind, summary, number, first)
        if item is None:
            continue
        if not wanted(item, kinds[change.customer_id]):
            continue
        session.add(NotifyPending(change_id=change.id, customer_id=change.customer_id, kind=item.kind,
                                  item=json.dumps(item.as_dict(), ensure_ascii=False)[:1000], at=change.at))
        seen.add(change.id)
        added += 1
    return added


def next_due(session: Session) -> datetime | None:
    """The earliest moment an open burst goes out (None: nothing open)."""
    rows = session.exec(select(NotifyPending.customer_id, func.min(NotifyPending.at), func.max(NotifyPending.at))
                        .where(NotifyPending.batch_id.is_(None)).group_by(NotifyPending.customer_id)).all()
    if not rows:
        return None
    quiet = {cid: quiet_of(p) for cid, p in prefs_for(session, [cid for cid, _, _ in rows]).items()}
    return min(send_at(first, last, quiet[cid]) for cid, first, last in rows)


def flush_due(session: Session, now: datetime | None = None, limit: int = 200) -> int:
    """Turns every burst that is due into queued messages; returns the number of messages."""
    now = now or utcnow()
    rows = session.exec(select(NotifyPending.customer_id, func.min(NotifyPending.at), func.max(NotifyPending.at))
                        .where(NotifyPending.batch_id.is_(None)).group_by(NotifyPending.customer_id)
                        .limit(5000)).all()
    settings = get_settings()
    all_prefs = prefs_for(session, [cid for cid, _, _ in rows])
    made = 0
    for customer_id, first, last in rows:
        prefs = all_prefs[customer_id]
        if send_at(first, last, quiet_of(prefs)) > now:
            continue
        pending = list(session.exec(select(NotifyPending).where(
            NotifyPending.customer_id == customer_id, NotifyPending.batch_id.is_(None))
            .order_by(NotifyPending.id).with_for_update(skip_locked=True)))
        if not pending:
            continue  # another worker is flushing this customer
        batch_id = pending[0].id
        stamped = session.exec(update(NotifyPending).where(
            NotifyPending.id.in_([p.id for p in pending]), NotifyPending.batch_id.is_(None))
            .values(batch_id=batch_id)).rowcount
        if stamped != len(pending):
            raise FlushRace(customer_id)  # SQLite has no row locks: another flush got there first
        customer = session.get(Customer, customer_id)
        items = [Item(**json.loads(p.item)) for p in pending]
        message = render(items, customer.locale, settings.public_url)
        ch = channels_of(session, customer, prefs)
        targets = ([("email", "")] if ch.email else []) + ([("telegram", "")] if ch.telegram_chat else []) \
            + [("push", str(s.id)) for s in ch.push]
        for channel, target in targets:
            session.add(NotifyMessage(batch_id=batch_id, customer_id=customer_id, channel=channel, target=target,
                                      title=message.title, body=message.body, url=message.url, tag=message.tag,
                                      locale=customer.locale, next_at=utcnow(), created_at=utcnow()))
            made += 1
        session.flush()
        if made >= limit:
            break
    return made


def claim(session: Session, owner: str, channels: tuple[str, ...], limit: int = 50,
          now: datetime | None = None) -> list[NotifyMessage]:
    """Takes up to `limit` due messages for `owner` (commit right after, before sending)."""
    now = now or utcnow()
    # A lapsed `sending` Telegram message may have been delivered: it is never taken again.
    session.exec(update(NotifyMessage).where(
        NotifyMessage.channel == "telegram", NotifyMessage.state == "sending", NotifyMessage.next_at <= now)
        .values(state="unknown", claimed_by=None, result="the sender stopped during the request; not repeated"))
    due = (or_(NotifyMessage.state.in_(("queued", "claimed")),
               and_(NotifyMessage.state == "sending", NotifyMessage.channel != "telegram")),
           NotifyMessage.next_at <= now)
    rows = list(session.exec(select(NotifyMessage).where(NotifyMessage.channel.in_(channels), *due)
                             .order_by(NotifyMessage.next_at, NotifyMessage.id)
                             .limit(limit).with_for_update(skip_locked=True)))
    taken = []
    for row in rows:
        # Conditional, so that two SQLite workers (no row locks there) never both take one message.
        if session.exec(update(NotifyMessage).where(NotifyMessage.id == row.id, *due).values(
                state="claimed", claimed_by=owner, next_at=now + CLAIM_FOR,
                attempts=NotifyMessage.attempts + 1)).rowcount:
            taken.append(row)
    for row in taken:
        session.refresh(row)
    return taken


def start(session: Session, message_id: int, owner: str, now: datetime | None = None) -> bool:
    """Marks a claimed message as going out now (commit before the request); False: the claim lapsed."""
    now = now or utcnow()
    return bool(session.exec(update(NotifyMessage).where(
        NotifyMessage.id == message_id, NotifyMessage.claimed_by == owner,
        NotifyMessage.state.in_(("claimed", "sending"))).values(state="sending", next_at=now + CLAIM_FOR)).rowcount)


@dataclass(frozen=True)
class Outcome:
    state: str  # sent, retry, failed, dropped
    result: str = "ok"
    retry_in: float | None = None  # seconds, for "retry" (None: the backoff by attempts)


def finish(session: Session, message_id: int, owner: str, attempts: int, outcome: Outcome,
           now: datetime | None = None) -> bool:
    """Records what happened; False when the claim had lapsed and another worker took it."""
    now = now or utcnow()
    values: dict = {"result": outcome.result[:300], "claimed_by": None}
    if outcome.state == "retry":
        delay = outcome.retry_in if outcome.retry_in is not None else BACKOFF[min(attempts, len(BACKOFF)) - 1]
        values.update(state="queued", next_at=now + timedelta(seconds=delay))
    else:
        values.update(state=outcome.state, sent_at=now if outcome.state == "sent" else None)
    done = session.exec(update(NotifyMessage).where(
        NotifyMessage.id == message_id, NotifyMessage.claimed_by == owner,
        NotifyMessage.state.in_(("claimed", "sending"))).values(**values))
    return bool(done.rowcount)


def history(session: Session, customer_id: int, limit: int = 20) -> list[NotifyMessage]:
    return list(session.exec(select(NotifyMessage).where(NotifyMessage.customer_id == customer_id)
                             .order_by(NotifyMessage.id.desc()).limit(limit)))


def counts_by_state(session: Session) -> dict[str, int]:
    return dict(session.exec(select(NotifyMessage.state, func.count()).group_by(NotifyMessage.state)).all())


def burst_open(session: Session, customer_id: int) -> bool:
    return session.exec(select(NotifyPending.id).where(
        NotifyPending.customer_id == customer_id, NotifyPending.batch_id.is_(None))).first() is not None


