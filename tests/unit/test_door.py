"""The door-delivery estimate: milestones, learning by destination, conditioning, lateness."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from marketu_app.domain import door
from marketu_app.domain.destinations import destination, road_days
from marketu_app.domain.door import DoorStats, estimate_door, learn_door_stats, parcel_facts
from marketu_app.domain.eta import Journey, default_stats, estimate
from marketu_app.domain.timeutil import almaty_date

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 11:00 in Almaty
DAY = timedelta(days=1)


def ago(days: float) -> datetime:
    return NOW - days * DAY


def in_almaty(at: datetime, packed: float | None = None, sent: float | None = None) -> Journey:
    """An order that reached Almaty at `at`, then packed/sent so many days later."""
    events = [("shipped_from_china", at - 9 * DAY), ("at_almaty_warehouse", at)]
    if packed is not None:
        events.append(("packed", at + packed * DAY))
    if sent is not None:
        events.append(("sent_to_recipient", at + sent * DAY))
    return Journey("taobao", tuple(events))


def ems_parcel(start: datetime, transit: float | None, city: str = "Караганда"):
    """A parcel in Almaty at `start`, packed after a day, sent after 1.5, EMS transit of `transit` days."""
    j = in_almaty(start, 1.0, 1.5)
    accepted = start + 1.6 * DAY
    ems = [("accepted", accepted)]
    if transit is not None:
        ems.append(("delivered", accepted + transit * DAY))
    return parcel_facts("kazakhstan", city, [j], ems=ems)


def test_destinations_fold_spelling_and_prefixes():
    assert destination("г. Караганда") == "karaganda"
    assert destination("  Қарағанды ") == "karaganda"
    assert destination("Нур-Султан") == destination("Астана") == "astana"
    assert destination("Кокшетау қаласы") == "kokshetau"
    assert destination("Жезказган") == "жезказган"  # unknown places still group by name
    assert destination(None) == ""
    assert road_days("aktau") == (6, 8) and road_days("taldykorgan") == (2, 3)


def test_milestones_from_statuses_courier_and_ems():
    j1, j2 = in_almaty(ago(5), 1.0, 2.0), in_almaty(ago(4), 0.5, 1.0)
    cancelled = Journey("taobao", (("paid", ago(20)), ("cancelled", ago(19))))
    f = parcel_facts("kazakhstan", "Шымкент", [j1, j2, cancelled], ems=[("accepted", ago(2.5))])
    assert len(f.journeys) == 2  # the cancelled order does not hold the parcel back
    assert f.arrived == pytest.approx(door.to_days(ago(4)))  # the last order in
    assert f.packed == pytest.approx(door.to_days(ago(3.5)))
    assert f.sent == pytest.approx(door.to_days(ago(3.0)))
    assert f.leg_start == pytest.approx(door.to_days(ago(2.5))) and f.delivered is None
    # A courier event shows the parcel left even when the orders' statuses lag behind.
    f = parcel_facts("almaty", "Алматы", [in_almaty(ago(3))], courier=[("handed_to_courier", ago(1))])
    assert f.packed == f.sent == f.leg_start == pytest.approx(door.to_days(ago(1)))
    f = parcel_facts("almaty", "Алматы", [in_almaty(ago(3))], courier=[("delivered", ago(0.5))])
    assert f.delivered == pytest.approx(door.to_days(ago(0.5)))


def test_transit_is_learned_per_destination_and_the_prior_fills_in():
    history = [ems_parcel(ago(20 + i * 0.5), 9.0 + (i % 3)) for i in range(40)]  # Karaganda: 9-11 days
    history += [ems_parcel(ago(20 + i), 4.0, "Актау") for i in range(2)]  # two fast ones to Aktau
    stats = learn_door_stats(history, NOW)
    kar = stats.stage("transit:karaganda")
    assert kar.n == 40 and kar.quantile(0.5) == pytest.approx(10.0, abs=0.01)
    aktau = stats.stage("transit:aktau")
    assert aktau.source == "mixed" and aktau.n == 2  # two parcels against a prior of 5-10 days
    assert 4.0 < aktau.quantile(0.5) < 7.5
    shymkent = stats.stage("transit:shymkent")
    assert shymkent.source == "prior"
    assert (shymkent.values[0], shymkent.values[-1]) == pytest.approx((3.1, 6.9), abs=0.2)
    # Somewhere with no prior: how EMS does on average.
    assert stats.stage("transit:жезказган").source == "transit:*"
    assert stats.stage("pack").n == 42 and stats.stage("pack").quantile(0.5) == pytest.approx(1.0)


def test_door_date_follows_the_almaty_arrival_and_the_stages_after_it():
    almaty, stats = default_stats(), DoorStats({})
    on_the_way = Journey("taobao", (("shipped_from_china", ago(3)),))
    arrival = estimate(almaty, on_the_way, NOW)
    near = estimate_door(stats, almaty, parcel_facts("kazakhstan", "Талдыкорган", [on_the_way]), NOW)
    far = estimate_door(stats, almaty, parcel_facts("kazakhstan", "Актау", [on_the_way]), NOW)
    assert arrival.earliest < near.earliest and arrival.latest < near.latest
    assert near.expected < far.expected and far.latest - far.earliest >= near.latest - near.earliest
    # The parcel waits for its slowest order.
    slow = Journey("taobao", (("paid", ago(0.2)),))
    both = estimate_door(stats, almaty, parcel_facts("kazakhstan", "Талдыкорган", [on_the_way, slow]), NOW)
    assert both.earliest > near.latest


def test_once_ems_has_it_only_the_remaining_leg_counts():
    stats = learn_door_stats([ems_parcel(ago(30 + i * 0.3), 6.0 + (i % 5)) for i in range(60)], NOW)
    almaty = default_stats()
    # Accepted 2 days ago (transit 6-10 days): 4-8 days left, whatever happened before.
    fast = parcel_facts("kazakhstan", "Караганда", [in_almaty(ago(10), 1.0, 7.0)], ems=[("accepted", ago(2))])
    slow = parcel_facts("kazakhstan", "Караганда", [in_almaty(ago(30), 20.0, 27.0)], ems=[("accepted", ago(2))])
    a, b = estimate_door(stats, almaty, fast, NOW), estimate_door(stats, almaty, slow, NOW)
    assert a == b
    assert almaty_date(ago(-4)) <= a.expected <= almaty_date(ago(-8)) and a.late_days == 0
    # The longer it has been in transit, the sooner (and the narrower) the rest.
    later = estimate_door(stats, almaty, parcel_facts("kazakhstan", "Караганда", [in_almaty(ago(10), 1.0, 7.0)],
                                                      ems=[("accepted", ago(7))]), NOW)
    assert later.latest < a.latest and (later.latest - later.earliest) < (a.latest - a.earliest)


def test_past_its_p90_a_parcel_is_late_by_days_and_never_shows_a_past_range():
    stats = learn_door_stats([ems_parcel(ago(30 + i * 0.3), 6.0 + (i % 5)) for i in range(60)], NOW)
    stuck = parcel_facts("kazakhstan", "Караганда", [in_almaty(ago(20), 1.0, 2.0)], ems=[("accepted", ago(16))])
    e = estimate_door(stats, default_stats(), stuck, NOW)
    today = almaty_date(NOW)
    assert e.earliest >= today and e.expected >= today and e.latest >= today
    promised = almaty_date(ago(16 - 10))  # accepted + the longest transit seen (10 days)
    assert e.late_days == (today - promised).days >= 5


def test_pickup_is_ready_when_packed_and_delivered_parcels_have_a_day():
    almaty, stats = default_stats(), DoorStats({})
    ready = estimate_door(stats, almaty, parcel_facts("pickup", None, [in_almaty(ago(2), 0.5)]), NOW)
    assert ready.ready == almaty_date(ago(1.5)) and ready.expected == ready.ready
    waiting = estimate_door(stats, almaty, parcel_facts("pickup", None, [in_almaty(ago(0.5))]), NOW)
    assert waiting.ready is None and almaty_date(NOW) <= waiting.earliest <= waiting.latest <= date(2026, 11, 28)
    f = parcel_facts("kazakhstan", "Астана", [in_almaty(ago(9), 1.0, 1.5)],
                     ems=[("accepted", ago(7)), ("delivered", ago(2))])
    assert estimate_door(stats, almaty, f, NOW).delivered == almaty_date(ago(2))
    returned = parcel_facts("kazakhstan", "Астана", [in_almaty(ago(9), 1.0, 1.5)],
                            ems=[("accepted", ago(7)), ("returned", ago(2))])
    assert estimate_door(stats, almaty, returned, NOW) is None


def test_learning_sees_only_the_past_of_now():
    history = [ems_parcel(ago(20 + i * 0.5), 9.0) for i in range(30)]
    past = NOW - 15 * DAY  # the deliveries (accepted at 18.4 days ago and earlier + 9) are mostly later
    stats = learn_door_stats([parcel_facts(f.method, "Караганда", f.journeys, ems=[("accepted", door.from_days(
        f.leg_start)), ("delivered", door.from_days(f.delivered))], now=past) for f in history], past)
    kar = stats.dists.get("transit:karaganda")
    assert kar is None or kar.n < 30
