"""Kazpost's status dictionary: parsing it, naming codes by it, hiding what Kazpost hides (pure)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marketu_app.domain.ems import RawEvent, StatusTitle, customer_events, normalise, parse_status_dictionary

T0 = datetime(2026, 11, 20, 5, 0, tzinfo=timezone.utc)
DICTIONARY = {
    "TRNRPO": StatusTitle("TRNRPO", "Прибыло в отделение доставки", "Жеткізу бөлімшесіне келді", True),
    "ZZZNEW": StatusTitle("ZZZNEW", "Передано партнёру для доставки", "Жеткізу үшін серіктеске берілді", True),
    "TRANSITSND": StatusTitle("TRANSITSND", "Отправлено из транзитного пункта", "Транзиттік пункттен жіберілді",
                              False),
    "BAT": StatusTitle("BAT", "Включено в партию", "Топтамаға енгізілді", False),
    "SRTSND": StatusTitle("SRTSND", "Отправлено из сортировочного центра", "", True),
}


def raw(*codes: str, text: str | None = None) -> list[RawEvent]:
    return [RawEvent(code=c, at=T0 + timedelta(hours=i), place="Астана", text=text) for i, c in enumerate(codes)]


def test_the_dictionary_parses_from_either_shape_and_skips_bad_entries():
    by_code = {"RCPOPS": {"title_ru": " Принято  в отделении ", "title_kz": "Қабылданды", "onsite": 1,
                          "group": "accepted"},
               "TRANSITSND": {"title_ru": "Транзит", "onsite": "0"},
               "bad code!": {"title_ru": "x"}, "NOTITLE": {"title_kz": "y"}, "NOTDICT": "z"}
    parsed = parse_status_dictionary(by_code)
    assert set(parsed) == {"RCPOPS", "TRANSITSND"}
    assert parsed["RCPOPS"] == StatusTitle("RCPOPS", "Принято в отделении", "Қабылданды", True, "accepted")
    assert parsed["TRANSITSND"].onsite is False and parsed["TRANSITSND"].title_kz == ""
    listed = parse_status_dictionary({"data": [{"code": "dpay", "title_ru": "Вручено", "onsite": 0},
                                               {"title_ru": "no code"}, 7]})
    assert list(listed) == ["DPAY"] and listed["DPAY"].onsite is False
    assert parse_status_dictionary("<html>") == {} and parse_status_dictionary(None) == {}


def test_codes_are_named_by_kazpost_in_russian_and_kazakh_and_by_us_in_english():
    trnrpo, novel, sorted_ = normalise(raw("TRNRPO", "ZZZNEW", "SRTSND"), DICTIONARY)
    assert trnrpo.text("ru") == "Прибыло в отделение доставки" and trnrpo.text("kk") == "Жеткізу бөлімшесіне келді"
    assert trnrpo.text("en") == "Arrived at the delivery office"
    assert novel.text("ru") == "Передано партнёру для доставки" and novel.text("en") == "Kazpost event"
    assert sorted_.text("kk") == "Жолда, сұрыптау"  # no Kazakh title: our words, never empty


def test_a_code_nobody_named_gets_a_generic_phrase_never_the_bare_code():
    (event,) = normalise(raw("ZZZNEW"))  # no dictionary yet
    assert {event.text(loc) for loc in ("ru", "kk", "en")} == {"Событие Kazpost", "Kazpost оқиғасы", "Kazpost event"}
    (with_reason,) = normalise(raw("QQQ", text="Задержка рейса"), DICTIONARY)
    assert with_reason.text("ru") == "Задержка рейса"  # Kazpost's own words for it
    for e in normalise(raw("ZZZNEW", "QQQ", "TRNRPO")):
        assert all(e.code not in e.text(loc) for loc in ("ru", "kk", "en"))


def test_codes_kazpost_hides_are_hidden_unless_milestones():
    events = normalise(raw("TRNRPO", "TRANSITSND", "BAT", "ZZZNEW"), DICTIONARY)
    assert [e.code for e in customer_events(events)] == ["TRNRPO", "BAT", "ZZZNEW"]
    assert len(events) == 4  # kept for the poller's own logic (delivered, undo)


def test_the_live_toast_names_the_event_in_the_customers_language():
    import json

    from marketu_app.live.messages import toast_text

    summary = json.dumps({"parcel_number": "P-1", "text": "Вручено адресату",
                          "texts": {"kk": "Алушыға табыс етілді", "en": "Delivered"}}, ensure_ascii=False)
    assert "Алушыға табыс етілді" in toast_text("ems", summary, "kk")
    assert "Delivered" in toast_text("ems", summary, "en") and "Вручено адресату" in toast_text("ems", summary, "ru")
    old_row = json.dumps({"parcel_number": "P-1", "text": "Вручено"}, ensure_ascii=False)
    assert "Вручено" in toast_text("ems", old_row, "en")
