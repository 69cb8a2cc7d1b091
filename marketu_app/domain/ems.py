"""Kazpost EMS events: parsing the API's JSON and normalising it into a customer timeline.

Pure: no Reflex, no SQL, no HTTP. Every field of the payload is optional and untrusted;
a bad activity is skipped, never raised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from marketu_app.domain.timeutil import kazakhstan_local

UNDO_SUFFIX = "_UNDO"
MAX_CODE, MAX_PLACE, MAX_TEXT = 30, 300, 500  # the EmsEvent column sizes
_CODE = re.compile(r"^[A-Z0-9_]{1,30}$")
_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::\d{2})?\s*$")

GROUPS = ("accepted", "in_transit", "customs", "at_delivery_office", "with_courier", "in_storage",
          "parcel_locker", "delivered", "delivery_failed", "returned", "other")
FINAL_GROUPS = frozenset({"delivered", "returned"})
# Shown to the customer even when Kazpost hides the code on its own site (onsite: 0).
MILESTONE_GROUPS = frozenset({"accepted", "at_delivery_office", "with_courier", "parcel_locker", "delivered",
                              "delivery_failed", "returned"})

GROUP_TEXTS: dict[str, dict[str, str]] = {
    "accepted": {"ru": "Принято к отправке", "kk": "Жөнелтуге қабылданды", "en": "Accepted for shipping"},
    "in_transit": {"ru": "В пути, сортировка", "kk": "Жолда, сұрыптау", "en": "In transit, sorting"},
    "customs": {"ru": "Таможенное оформление", "kk": "Кедендік ресімдеу", "en": "Customs clearance"},
    "at_delivery_office": {"ru": "Прибыло в отделение доставки", "kk": "Жеткізу бөлімшесіне келді",
                           "en": "Arrived at the delivery office"},
    "with_courier": {"ru": "У курьера, ожидает получателя", "kk": "Курьерде, алушыны күтуде",
                     "en": "Out for delivery, awaiting the recipient"},
    "in_storage": {"ru": "На хранении в отделении", "kk": "Бөлімшеде сақтауда", "en": "Held at the post office"},
    "parcel_locker": {"ru": "В постамате", "kk": "Постаматта", "en": "In a parcel locker"},
    "delivered": {"ru": "Вручено", "kk": "Табыс етілді", "en": "Delivered"},
    "delivery_failed": {"ru": "Не удалось вручить", "kk": "Табыс ету мүмкін болмады",
                        "en": "Delivery attempt failed"},
    "returned": {"ru": "Возвращено отправителю", "kk": "Жіберушіге қайтарылды", "en": "Returned to sender"},
    "other": {"ru": "Событие Kazpost", "kk": "Kazpost оқиғасы", "en": "Kazpost event"},
}

_GROUP_CODES = {
    "accepted": "RCPOPS RCP BAT EMA",
    "in_transit": "SRTRPOREG SRTSND TRNSRT TRANSITRCV TRANSITSND AVIASND SNDZONE EMB EMC EMD EMF EMJ EMK EDA EDD EDE",
    "customs": "SRT_CUSTOM SNDZONE_T RPODELAY EME EDB EDC",
    "at_delivery_office": "TRNRPO EMG EDH EDF",
    "with_courier": "DLV EDG",
    "in_storage": "STR NONDLV_Z",
    "parcel_locker": "TRNPST STRPST",
    "delivered": "DPAY ISSPAY ISSSC EMI",
    "delivery_failed": "NONDLV NON EMH",
    "returned": "RET RETSC RETSCSTR",
}
CODE_GROUPS: dict[str, str] = {c: g for g, codes in _GROUP_CODES.items() for c in codes.split()}


@dataclass(frozen=True)
class StatusTitle:
    """One entry of Kazpost's status dictionary (`status_mappings/index.json`)."""

    code: str
    title_ru: str
    title_kz: str = ""
    onsite: bool = True  # False: Kazpost hides the code on its own site
    group: str = ""  # Kazpost's own group name, kept as given


@dataclass(frozen=True)
class RawEvent:
    """One code of one Kazpost activity, as received (what the database stores)."""

    code: str
    at: datetime
    place: str = ""
    text: str | None = None  # Kazpost's own words for it (reasons), if any


@dataclass(frozen=True)
class Event:
    """One event of the normalised timeline."""

    code: str
    group: str
    at: datetime
    place: str
    texts: dict[str, str] = field(default_factory=dict, compare=False)  # locale -> text
    shown: bool = field(default=True, compare=False)  # False: Kazpost hides it and it is no milestone

    def text(self, locale: str = "ru") -> str:
        return self.texts.get(locale) or self.texts.get("ru", "")


@dataclass(frozen=True)
class ParsedEvents:
    registered: bool  # False: Kazpost answered "not found" (normal for a fresh item)
    events: list[RawEvent]
    skipped: int = 0  # activities or codes dropped as malformed


def group_of(code: str) -> str:
    return CODE_GROUPS.get(code, "other")


def _str(value: Any, limit: int) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:limit]


def _parse_date(value: Any) -> date | None:
    m = _DATE.match(value) if isinstance(value, str) else None
    if not m:
        return None
    try:
        return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def _parse_at(day: date, value: Any) -> datetime | None:
    m = _TIME.match(value) if isinstance(value, str) else None
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        return None
    return kazakhstan_local(day, int(m[1]), int(m[2]))


def _codes(value: Any) -> list[str] | None:
    if isinstance(value, str):  # seen as a bare string in some answers
        value = [value]
    if not isinstance(value, list):
        return None
    codes = [v.strip().upper() for v in value if isinstance(v, str)]
    return [c for c in codes if _CODE.match(c)]


def _place(activity: dict) -> str:
    parts = [_str(activity.get("name"), MAX_PLACE), _str(activity.get("city"), MAX_PLACE)]
    return ", ".join(p for p in parts if p)[:MAX_PLACE]


def _reason(activity: dict) -> str | None:
    parts = [_str(activity.get(k), MAX_TEXT) for k in ("nondlv_reason", "return_reason", "forward_reason")]
    text = "; ".join(p for p in parts if p)[:MAX_TEXT]
    return text or None


def is_not_found(payload: Any) -> bool:
    """Kazpost's answer for an item it does not know (yet): an `error` field instead of data."""
    return isinstance(payload, dict) and bool(payload.get("error")) and not payload.get("events")


def parse_events(payload: Any) -> ParsedEvents:
    """The `/events` answer as chronological raw events (oldest first)."""
    if is_not_found(payload):
        return ParsedEvents(registered=False, events=[])
    if not isinstance(payload, dict):
        return ParsedEvents(registered=True, events=[], skipped=1)
    days = payload.get("events")
    if not isinstance(days, list):
        return ParsedEvents(registered=True, events=[], skipped=0 if days is None else 1)
    activities: list[tuple[datetime, str, str | None, list[str]]] = []
    skipped = 0
    for day_entry in days:
        day = _parse_date(day_entry.get("date")) if isinstance(day_entry, dict) else None
        acts = day_entry.get("activity") if isinstance(day_entry, dict) else None
        if day is None or not isinstance(acts, list):
            skipped += 1
            continue
        for act in acts:
            at = _parse_at(day, act.get("time")) if isinstance(act, dict) else None
            codes = _codes(act.get("status")) if at is not None else None
            if at is None or not codes:
                skipped += 1
                continue
            activities.append((at, _place(act), _reason(act), codes))
    # The answer lists the newest first: reverse, then a stable sort keeps same-minute order.
    activities.reverse()
    activities.sort(key=lambda a: a[0])
    events = [RawEvent(code=c, at=at, place=place, text=text)
              for at, place, text, codes in activities for c in codes]
    return ParsedEvents(registered=True, events=events, skipped=skipped)


def _onsite(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in {"0", "false", "no", ""}
    return True  # absent: shown


def _entries(payload: Any) -> Iterable[tuple[Any, Any]]:
    """(code, entry) pairs from the shapes seen: {code: {...}}, [{code: ...}], or either under "data"."""
    if isinstance(payload, dict):
        for key in ("data", "items", "statuses", "status_mappings"):
            if isinstance(payload.get(key), (dict, list)):
                return _entries(payload[key])
        return payload.items()
    if isinstance(payload, list):
        return ((e.get("code") or e.get("status") or e.get("id"), e) for e in payload if isinstance(e, dict))
    return ()


def parse_status_dictionary(payload: Any) -> dict[str, StatusTitle]:
    """Kazpost's status dictionary; entries without a valid code or a Russian title are skipped."""
    out: dict[str, StatusTitle] = {}
    for code, entry in _entries(payload):
        code = code.strip().upper() if isinstance(code, str) else ""
        if not _CODE.match(code) or not isinstance(entry, dict):
            continue
        title_ru = _str(entry.get("title_ru"), MAX_PLACE)
        if not title_ru:
            continue
        out[code] = StatusTitle(code=code, title_ru=title_ru, title_kz=_str(entry.get("title_kz"), MAX_PLACE),
                                onsite=_onsite(entry.get("onsite")), group=_str(entry.get("group"), 100))
    return out


def _texts(group: str, raw_text: str | None, title: StatusTitle | None) -> dict[str, str]:
    """Kazpost's own words (ru, kk) where its dictionary has them, ours otherwise; never the bare code."""
    if title is None and group == "other" and raw_text:
        return {loc: raw_text for loc in GROUP_TEXTS[group]}  # Kazpost's own words for it, as they came
    base = GROUP_TEXTS[group]  # "other": a generic phrase for a code nobody has named yet
    texts = dict(base)
    if title is not None:
        texts["ru"] = title.title_ru
        texts["kk"] = title.title_kz or base["kk"]
    if raw_text:
        return {loc: f"{t}: {raw_text}" for loc, t in texts.items()}
    return texts


def is_shown(group: str, title: StatusTitle | None) -> bool:
    return title is None or title.onsite or group in MILESTONE_GROUPS


def normalise(raw: Iterable[RawEvent], dictionary: dict[str, StatusTitle] | None = None) -> list[Event]:
    """Chronological raw events -> the timeline: undo applied, groups and texts attached.

    `X_UNDO` removes the latest earlier event with code X; an undo with nothing to undo is dropped.
    Texts come from Kazpost's `dictionary` when given; events it hides are kept, marked `shown=False`.
    """
    dictionary = dictionary or {}
    kept: list[RawEvent] = []
    for e in raw:
        if e.code.endswith(UNDO_SUFFIX) and len(e.code) > len(UNDO_SUFFIX):
            target = e.code[: -len(UNDO_SUFFIX)]
            for i in range(len(kept) - 1, -1, -1):
                if kept[i].code == target and kept[i].at <= e.at:
                    del kept[i]
                    break
            continue
        kept.append(e)
    out = []
    for e in kept:
        group, title = group_of(e.code), dictionary.get(e.code)
        out.append(Event(code=e.code, group=group, at=e.at, place=e.place, texts=_texts(group, e.text, title),
                         shown=is_shown(group, title)))
    return out


def customer_events(events: list[Event]) -> list[Event]:
    """What a customer sees: the codes Kazpost hides are left out unless they are milestones."""
    return [e for e in events if e.shown]


def is_final(events: list[Event]) -> bool:
    """Delivered or returned: the latest event with a known meaning is in a final group."""
    for e in reversed(events):
        if e.group != "other":
            return e.group in FINAL_GROUPS
    return False


def final_group(events: list[Event]) -> str | None:
    for e in reversed(events):
        if e.group != "other":
            return e.group if e.group in FINAL_GROUPS else None
    return None
