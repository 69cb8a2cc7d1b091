"""The door-delivery line in ru / kk / en, with the city in the form the phrase needs.

"доставка в Караганду: 3 – 6 дек.", "Қарағандыға жеткізу: …", "delivery to Karaganda: …".
Russian takes the accusative after «в», Kazakh the dative ending; a city we have no forms for
is written as given after «г.» / before «қаласына», which needs no declension.
"""

from __future__ import annotations

from marketu_app.domain.destinations import ALMATY
from marketu_app.i18n import format as fmt

# destination key: (ru after «в», kk dative, en)
CITY_FORMS: dict[str, tuple[str, str, str]] = {
    "astana": ("Астану", "Астанаға", "Astana"),
    "shymkent": ("Шымкент", "Шымкентке", "Shymkent"),
    "aktau": ("Актау", "Ақтауға", "Aktau"),
    "taldykorgan": ("Талдыкорган", "Талдықорғанға", "Taldykorgan"),
    "karaganda": ("Караганду", "Қарағандыға", "Karaganda"),
    "taraz": ("Тараз", "Таразға", "Taraz"),
    "turkestan": ("Туркестан", "Түркістанға", "Turkestan"),
    "kyzylorda": ("Кызылорду", "Қызылордаға", "Kyzylorda"),
    "pavlodar": ("Павлодар", "Павлодарға", "Pavlodar"),
    "ust-kamenogorsk": ("Усть-Каменогорск", "Өскеменге", "Ust-Kamenogorsk"),
    "semey": ("Семей", "Семейге", "Semey"),
    "kokshetau": ("Кокшетау", "Көкшетауға", "Kokshetau"),
    "aktobe": ("Актобе", "Ақтөбеге", "Aktobe"),
    "atyrau": ("Атырау", "Атырауға", "Atyrau"),
    "uralsk": ("Уральск", "Оралға", "Uralsk"),
    "kostanay": ("Костанай", "Қостанайға", "Kostanay"),
    "petropavlovsk": ("Петропавловск", "Петропавлға", "Petropavl"),
}
_LOCALE_INDEX = {"ru": 0, "kk": 1, "en": 2}

_IN_ALMATY = ("доставка по Алматы", "Алматы бойынша жеткізу", "delivery in Almaty")
_PICKUP = ("выдача в Алматы", "Алматыда беру", "pickup in Almaty")
_READY = ("готова к выдаче с {date}", "{date} бастап беруге дайын", "ready for pickup since {date}")
_NO_CITY = ("доставка получателю", "алушыға жеткізу", "delivery to the recipient")
_TO = ("доставка в {city}", "{city} жеткізу", "delivery to {city}")
_TO_TOWN = ("доставка в г. {city}", "{city} қаласына жеткізу", "delivery to {city}")
_LATE = ("{what} задерживается на {days}, ожидается {range}", "{what} {days}ге кешігуде, күтіледі {range}",
         "{what} is {days} late, expected {range}")


def _pick(texts: tuple[str, str, str], locale: str) -> str:
    return texts[_LOCALE_INDEX.get(locale, 0)]


def phrase(method: str, dest: str, city: str | None, locale: str) -> str:
    """What is expected: "доставка в Караганду", "доставка по Алматы", "выдача в Алматы"."""
    if method == "pickup":
        return _pick(_PICKUP, locale)
    if method == "almaty" or dest == ALMATY:
        return _pick(_IN_ALMATY, locale)
    if dest in CITY_FORMS:
        return _pick(_TO, locale).format(city=_pick(CITY_FORMS[dest], locale))
    if city and city.strip():
        return _pick(_TO_TOWN, locale).format(city=city.strip())
    return _pick(_NO_CITY, locale)


def door_text(door, city: str | None, locale: str) -> tuple[str, str]:
    """(the line, its kind: expected | late | ready | none); delivered parcels show none."""
    if door is None or door.delivered is not None:
        return "", "none"
    if door.ready is not None:
        return _pick(_READY, locale).format(date=fmt.short_date(door.ready, locale)), "ready"
    what = phrase(door.method, door.dest, city, locale)
    span = fmt.date_range(door.earliest, door.latest, locale)
    if door.late_days > 0:
        days = fmt.count(door.late_days, "day", locale)
        return _pick(_LATE, locale).format(what=what, days=days, range=span), "late"
    return f"{what}: {span}", "expected"
