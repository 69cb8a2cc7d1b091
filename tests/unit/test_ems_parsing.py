"""Kazpost events JSON -> raw events -> the normalised timeline (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from marketu_app.domain.ems import (
    CODE_GROUPS,
    GROUP_TEXTS,
    GROUPS,
    RawEvent,
    final_group,
    group_of,
    is_final,
    is_not_found,
    normalise,
    parse_events,
)
from marketu_app.ems.client import retry_after_seconds


def act(time, *codes, name="ПСЦ Алматы", city="г. Алматы", **extra):
    return {"time": time, "zip": "050000", "city": city, "name": name, "x_dep_id": "000000",
            "status": list(codes), "dep_code": "059900", "nondlv_reason": None, "return_reason": None,
            "forward_reason": None, **extra}


def payload(*days):
    return {"trackid": "EE123456785KZ", "timestamp": "14:15:36 14.04.2024",
            "events": [{"date": d, "activity": list(acts)} for d, acts in days]}


def utc(*a):
    return datetime(*a, tzinfo=timezone.utc)


def test_days_newest_first_become_chronological():
    parsed = parse_events(payload(
        ("03.04.2024", [act("18:59", "ISSPAY"), act("09:10", "DLV")]),
        ("01.04.2024", [act("12:00", "SRTSND"), act("08:30", "RCPOPS")]),
    ))
    assert parsed.registered and parsed.skipped == 0
    assert [e.code for e in parsed.events] == ["RCPOPS", "SRTSND", "DLV", "ISSPAY"]
    assert parsed.events[0].at == utc(2024, 4, 1, 3, 30)  # 08:30 at UTC+5
    assert parsed.events[0].place == "ПСЦ Алматы, г. Алматы"


def test_offset_switch_on_2024_03_01():
    parsed = parse_events(payload(
        ("01.03.2024", [act("12:00", "TRNRPO")]),
        ("29.02.2024", [act("12:00", "SRTSND")]),
    ))
    before, after = parsed.events
    assert before.at == utc(2024, 2, 29, 6, 0)  # UTC+6 until the switch
    assert after.at == utc(2024, 3, 1, 7, 0)  # UTC+5 since 2024-03-01
    assert before.at.utcoffset().total_seconds() == 6 * 3600
    assert after.at.utcoffset().total_seconds() == 5 * 3600


def test_status_array_gives_one_event_per_code_in_order():
    parsed = parse_events(payload(("05.05.2024", [act("10:00", "TRNRPO", "DLV")])))
    assert [e.code for e in parsed.events] == ["TRNRPO", "DLV"]
    assert parsed.events[0].at == parsed.events[1].at


def test_same_minute_keeps_kazpost_order():
    parsed = parse_events(payload(("05.05.2024", [act("10:00", "SRTSND"), act("10:00", "SRTRPOREG")])))
    assert [e.code for e in parsed.events] == ["SRTRPOREG", "SRTSND"]


def test_undo_cancels_the_latest_earlier_event_of_the_same_code():
    parsed = parse_events(payload(("05.05.2024", [
        act("15:00", "DLV"), act("12:00", "DLV_UNDO"), act("11:00", "DLV"), act("10:00", "DLV"),
        act("09:00", "TRNRPO")])))
    timeline = normalise(parsed.events)
    assert [(e.code, e.at.astimezone(timezone.utc).hour) for e in timeline] == [
        ("TRNRPO", 4), ("DLV", 5), ("DLV", 10)]  # the 11:00 DLV is undone, 10:00 and 15:00 stay


def test_undo_without_target_is_dropped():
    timeline = normalise([RawEvent("ISSPAY_UNDO", utc(2024, 5, 5, 5))])
    assert timeline == []


def test_undo_of_delivery_makes_the_timeline_not_final():
    parsed = parse_events(payload(("05.05.2024", [act("11:00", "ISSPAY_UNDO"), act("10:00", "ISSPAY"),
                                                  act("09:00", "DLV")])))
    timeline = normalise(parsed.events)
    assert [e.code for e in timeline] == ["DLV"]
    assert not is_final(timeline)


def test_unknown_code_is_kept_as_other_with_its_text():
    parsed = parse_events(payload(("05.05.2024", [
        act("10:00", "XNEWCODE", forward_reason="Задержка рейса"), act("09:00", "ZZTOP")])))
    timeline = normalise(parsed.events)
    assert [(e.code, e.group) for e in timeline] == [("ZZTOP", "other"), ("XNEWCODE", "other")]
    assert timeline[1].text("ru") == "Задержка рейса"
    assert timeline[0].text("ru") == "Событие Kazpost"  # a generic phrase, never the bare code
    assert "ZZTOP" not in timeline[0].text("en")


def test_known_code_texts_in_three_languages_with_reason():
    parsed = parse_events(payload(("05.05.2024", [act("10:00", "NONDLV", nondlv_reason="Адресат отсутствует")])))
    e = normalise(parsed.events)[0]
    assert e.group == "delivery_failed"
    assert e.text("ru") == "Не удалось вручить: Адресат отсутствует"
    assert e.text("kk").startswith(GROUP_TEXTS["delivery_failed"]["kk"])
    assert e.text("en").startswith("Delivery attempt failed")


def test_every_group_has_three_texts_and_codes_map_to_groups():
    assert set(GROUP_TEXTS) == set(GROUPS)
    for texts in GROUP_TEXTS.values():
        assert set(texts) == {"ru", "kk", "en"} and all(texts.values())
    assert set(CODE_GROUPS.values()) <= set(GROUPS)
    assert group_of("DLV") == "with_courier" and group_of("STRPST") == "parcel_locker"
    assert group_of("EMI") == "delivered" and group_of("RETSCSTR") == "returned"
    assert group_of("NOPE") == "other"


@pytest.mark.parametrize("codes, final", [
    (["RCPOPS", "ISSPAY"], "delivered"),
    (["RCPOPS", "NONDLV", "RET"], "returned"),
    (["RCPOPS", "DPAY", "XUNKNOWN"], "delivered"),  # an unknown code after delivery does not reopen it
    (["RCPOPS", "DLV"], None),
    ([], None),
])
def test_final(codes, final):
    events = normalise([RawEvent(c, utc(2024, 5, 5, i)) for i, c in enumerate(codes)])
    assert final_group(events) == final
    assert is_final(events) == (final is not None)


def test_not_found_payload_means_not_registered():
    body = {"trackid": "EE123456785KZ", "timestamp": "x", "exectime": 0.1, "api": "main",
            "error": "Информация о почтовом отправлении EE123456785KZ не найдена"}
    assert is_not_found(body)
    parsed = parse_events(body)
    assert parsed.registered is False and parsed.events == []


@pytest.mark.parametrize("bad", [
    None, [], "text", 42, {"events": "nope"}, {"events": [None, 1, "x"]},
    {"events": [{"date": "31.02.2024", "activity": [act("10:00", "DLV")]}]},
    {"events": [{"date": "2024-02-01", "activity": [act("10:00", "DLV")]}]},
    {"events": [{"date": "01.02.2024", "activity": "x"}]},
    {"events": [{"date": "01.02.2024"}]},
    {"events": [{"activity": [act("10:00", "DLV")]}]},
])
def test_garbage_never_crashes(bad):
    parsed = parse_events(bad)
    assert parsed.events == []
    assert normalise(parsed.events) == []


def test_bad_activities_are_skipped_and_the_rest_kept():
    parsed = parse_events(payload(("05.05.2024", [
        act("25:00", "DLV"), act("10:61", "DLV"), act(None, "DLV"), {"time": "10:00"},
        act("10:00", None), act("10:00"), act("10:00", 5, None), "not a dict", None,
        {"time": "11:00", "status": "TRNRPO", "name": ["weird"], "city": 12345},
        act("12:00", "dlv", "ISSPAY", "x" * 40, "bad code!"),
    ])))
    assert [e.code for e in parsed.events] == ["TRNRPO", "DLV", "ISSPAY"]
    assert parsed.events[0].place == "12345"
    assert parsed.skipped == 9


def test_long_fields_are_cut_to_the_column_sizes():
    parsed = parse_events(payload(("05.05.2024", [act("10:00", "DLV", name="Н" * 400, city="",
                                                       nondlv_reason="Т" * 900)])))
    e = parsed.events[0]
    assert len(e.place) == 300 and len(e.text) == 500


def test_missing_events_key_is_an_empty_history():
    parsed = parse_events({"trackid": "EE123456785KZ", "events": []})
    assert parsed.registered and parsed.events == []


def test_retry_after_parsing():
    now = utc(2026, 11, 26, 12, 0)
    assert retry_after_seconds("7") == 7
    assert retry_after_seconds(None) == 60
    assert retry_after_seconds("soon") == 60
    assert retry_after_seconds("Thu, 26 Nov 2026 12:02:00 GMT", now) == 120
    assert retry_after_seconds("999999") == 6 * 3600
    assert retry_after_seconds("-5") == 1
