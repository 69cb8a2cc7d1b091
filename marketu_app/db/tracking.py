"""EMS timelines read from the database: raw Kazpost events normalised on read (domain.ems)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from marketu_app.db.models import EmsEvent, EmsStatusTitle, EmsTrack, Parcel
from marketu_app.domain.ems import (
    GROUP_TEXTS,
    Event,
    RawEvent,
    StatusTitle,
    customer_events,
    is_final,
    normalise,
)
from marketu_app.domain.statuses import DeliveryMethod

REFRESH_MIN_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class TimelineEvent:
    code: str
    group: str
    text_ru: str
    at: datetime
    place: str
    text_kk: str = ""
    text_en: str = ""

    def text(self, locale: str = "ru") -> str:
        return {"kk": self.text_kk, "en": self.text_en}.get(locale) or self.text_ru

    def group_label(self, locale: str = "ru") -> str:
        return GROUP_TEXTS.get(self.group, GROUP_TEXTS["other"])[locale if locale in ("ru", "kk", "en") else "ru"]


@dataclass
class EmsTimeline:
    events: list[TimelineEvent] = field(default_factory=list)
    last_checked_at: datetime | None = None
    last_error: str | None = None
    track_number: str | None = None
    registered: bool = False  # False: Kazpost does not know the item yet (normal at first)
    final: bool = False  # delivered or returned


def _view(e: Event) -> TimelineEvent:
    return TimelineEvent(code=e.code, group=e.group, text_ru=e.text("ru"), at=e.at, place=e.place,
                         text_kk=e.text("kk"), text_en=e.text("en"))


def _raw(row: EmsEvent) -> RawEvent:
    return RawEvent(code=row.code, at=row.at, place=row.place, text=row.text)


def status_dictionary(session: Session) -> dict[str, StatusTitle]:
    """Kazpost's names of its codes as last fetched (empty before the first refresh)."""
    return {r.code: StatusTitle(code=r.code, title_ru=r.title_ru, title_kz=r.title_kz, onsite=r.onsite,
                                group=r.kazpost_group)
            for r in session.exec(select(EmsStatusTitle)).all()}


def save_status_dictionary(engine: Engine, titles: dict[str, StatusTitle], now: datetime) -> int:
    """Inserts or updates every entry (a code Kazpost drops keeps its last name); returns how many."""
    if not titles:
        return 0
    table = EmsStatusTitle.__table__
    rows = [dict(code=t.code, title_ru=t.title_ru, title_kz=t.title_kz, onsite=t.onsite, kazpost_group=t.group,
                 updated_at=now) for t in titles.values()]
    with engine.begin() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(table)
        conn.execute(stmt.on_conflict_do_update(index_elements=[table.c.code], set_={
            c: stmt.excluded[c] for c in ("title_ru", "title_kz", "onsite", "kazpost_group", "updated_at")}), rows)
    return len(rows)


def _shows_ems(parcel: Parcel) -> bool:
    return bool(parcel.ems_track_number) and parcel.delivery_method == DeliveryMethod.KAZAKHSTAN.value


def ems_timeline(session: Session, parcel: Parcel) -> EmsTimeline:
    """The parcel's CURRENT track: chronological, undo applied (an old number is not shown)."""
    if not _shows_ems(parcel):
        return EmsTimeline()
    track = parcel.ems_track_number
    rows = session.exec(select(EmsEvent).where(EmsEvent.track_number == track)
                        .order_by(EmsEvent.at, EmsEvent.id)).all()
    events = normalise((_raw(r) for r in rows), status_dictionary(session))
    state = session.get(EmsTrack, track)
    return EmsTimeline(events=[_view(e) for e in customer_events(events)], track_number=track,
                       final=is_final(events),
                       last_checked_at=state.last_checked_at if state else None,
                       last_error=state.last_error if state else None,
                       registered=bool(state and state.registered) or bool(rows))


def ems_events_by_parcel(session: Session, parcel_ids: list[int]) -> dict[int, list[TimelineEvent]]:
    """Each parcel's current EMS timeline (after undo), in one query."""
    if not parcel_ids:
        return {}
    rows = session.exec(
        select(Parcel.id, EmsEvent)
        .join(EmsEvent, EmsEvent.track_number == Parcel.ems_track_number)
        .where(Parcel.id.in_(parcel_ids), Parcel.delivery_method == DeliveryMethod.KAZAKHSTAN.value)
        .order_by(Parcel.id, EmsEvent.at, EmsEvent.id)).all()
    by_parcel: dict[int, list[RawEvent]] = {}
    for pid, ev in rows:
        by_parcel.setdefault(pid, []).append(_raw(ev))
    dictionary = status_dictionary(session) if by_parcel else {}
    return {pid: [_view(e) for e in customer_events(normalise(raw, dictionary))] for pid, raw in by_parcel.items()}


def latest_ems_events(session: Session, parcel_ids: list[int]) -> dict[int, TimelineEvent]:
    """For parcel cards: each parcel's latest EMS event (after undo), in one query."""
    return {pid: events[-1] for pid, events in ems_events_by_parcel(session, parcel_ids).items() if events}


def checked_since(session: Session, track: str, since: datetime) -> bool:
    """Whether the poller has looked at the track since `since` (a refresh asked for then is done)."""
    row = session.get(EmsTrack, track)
    return bool(row and row.last_checked_at and row.last_checked_at >= since)


def request_refresh(session: Session, parcel: Parcel, now: datetime) -> bool:
    """Makes the parcel's track due now (the poller picks it up within seconds).

    At most once a minute per parcel: False when asked too soon or there is nothing to track.
    The caller commits.
    """
    if not _shows_ems(parcel):
        return False
    row = session.get(EmsTrack, parcel.ems_track_number)
    if row is None:
        row = EmsTrack(track_number=parcel.ems_track_number, next_poll_at=now)
    elif row.refresh_requested_at and now - row.refresh_requested_at < REFRESH_MIN_INTERVAL:
        return False
    row.refresh_requested_at = now
    row.active = True  # a delivered track gets one more look, then stops again
    if row.next_poll_at > now:
        row.next_poll_at = now
    session.add(row)
    session.flush()
    return True
