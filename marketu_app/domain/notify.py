"""What is worth a message, when a customer's burst goes out, and quiet hours.

Pure: no Reflex, no SQL. The rules are shared/spec/notifications.md's.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from marketu_app.domain.timeutil import ALMATY, to_almaty, to_utc

# The kinds a customer turns on or off, in the settings page's order.
KINDS = ("almaty_warehouse", "parcel_sent", "ems", "courier", "delay", "cancelled", "other_status")
DEFAULT_KINDS = frozenset(KINDS) - {"other_status"}  # "все статусы" is off until chosen

EMS_GROUPS = frozenset({"at_delivery_office", "with_courier", "parcel_locker", "delivery_failed",
                        "returned", "delivered"})
COURIER_CODES = frozenset({"out_for_delivery", "delivery_failed", "delivered"})

# A burst ends when QUIET_GAP passes without another change, or BURST_MAX after its first change
# (the spec's rule, ../shared/spec/notifications.md: "a single change goes out within about 5 s").
QUIET_GAP = timedelta(seconds=5)
BURST_MAX = timedelta(seconds=60)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Item:
    """One thing a message tells: a kind and the parcel/order it is about."""

    kind: str
    parcel_number: str | None = None
    order_number: str | None = None
    title: str | None = None
    detail: str | None = None  # the status, EMS group or courier code

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


def milestone(change_kind: str, summary: dict, parcel_number: str | None = None,
              first_sent_in_parcel: bool = True) -> Item | None:
    """The message-worthy news in one change-log row, or None.

    `first_sent_in_parcel`: for an order now sent to the recipient, whether no other order of its
    parcel was sent before (the parcel is announced once, with its first order)."""
    if change_kind == "order_status":
        status, event = summary.get("status"), summary.get("event_status")
        if not status or status != event:  # a late, older event does not change where the order is
            return None
        base = dict(parcel_number=parcel_number, order_number=summary.get("order_number"),
                    title=summary.get("title"), detail=status)
        if status == "at_almaty_warehouse":
            return Item("almaty_warehouse", **base)
        if status == "sent_to_recipient":
            return Item("parcel_sent", **base) if (parcel_number and first_sent_in_parcel) else None
        if status == "cancelled":
            return Item("cancelled", **base)
        return Item("other_status", **base)
    if change_kind == "ems" and summary.get("group") in EMS_GROUPS:
        return Item("ems", parcel_number=summary.get("parcel_number") or parcel_number,
                    detail=summary["group"])
    if change_kind == "courier" and summary.get("code") in COURIER_CODES:
        return Item("courier", parcel_number=summary.get("parcel_number") or parcel_number,
                    detail=summary["code"])
    if change_kind == "delay":
        return Item("delay", parcel_number=summary.get("parcel_number") or parcel_number,
                    detail=summary.get("until"))
    return None


def wanted(item: Item, kinds: frozenset[str] | None) -> bool:
    return item.kind in (DEFAULT_KINDS if kinds is None else kinds)


# --- quiet hours ---

QuietHours = tuple[time, time] | None


def parse_quiet_hours(text: str | None) -> QuietHours:
    """"22:00-09:00" -> (22:00, 09:00); "off" -> None. Raises ValueError on anything else."""
    text = (text or "").strip().lower()
    if text in {"off", "none", "нет"}:
        return None
    start, sep, end = text.replace("–", "-").partition("-")
    a, b = _HHMM.match(start.strip()), _HHMM.match(end.strip())
    if not sep or not a or not b:
        raise ValueError("quiet hours are HH:MM-HH:MM or off")
    begin, finish = time(int(a[1]), int(a[2])), time(int(b[1]), int(b[2]))
    if begin == finish:
        return None
    return begin, finish


def format_quiet_hours(quiet: QuietHours) -> str:
    return "off" if quiet is None else f"{quiet[0]:%H:%M}-{quiet[1]:%H:%M}"


def quiet_until(now: datetime, quiet: QuietHours) -> datetime | None:
    """When the quiet hours around `now` end (Almaty time), or None when `now` is not in them."""
    if quiet is None:
        return None
    begin, end = quiet
    local = to_almaty(now)
    t = local.time()
    inside = (begin <= t < end) if begin < end else (t >= begin or t < end)
    if not inside:
        return None
    day = local.date() if t < end else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, end, tzinfo=ALMATY))


def send_at(first_at: datetime, last_at: datetime, quiet: QuietHours) -> datetime:
    """When a burst whose changes came at first_at..last_at goes out: QUIET_GAP (5 s) after the
    last one, at most 60 s after the first, and not before the quiet hours end."""
    due = min(last_at + QUIET_GAP, first_at + BURST_MAX)
    return quiet_until(due, quiet) or due


# --- delays ---

def delay_is_news(promised: date | None, reported: date | None, reported_on: date | None, today: date) -> bool:
    """Whether a parcel's delay is worth recording now.

    `promised`: the end of the range the parcel has outlived (None: not late); `reported`,
    `reported_on`: the range end last reported for it and the (Almaty) day it was. A range is reported
    once; a later range (a new stage, a new promise) once it too is outlived; never twice a day."""
    if promised is None:
        return False
    if reported is not None and promised <= reported:
        return False
    return reported_on is None or reported_on < today

