"""EMS timeline of a parcel read from the database (interim until issue 5's normaliser)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class TimelineEvent:
    code: str
    group: str
    text_ru: str
    at: datetime
    place: str


@dataclass
class EmsTimeline:
    events: list[TimelineEvent] = field(default_factory=list)
    last_checked_at: datetime | None = None
    last_error: str | None = None


def ems_timeline(session, parcel) -> EmsTimeline:
    return EmsTimeline()
