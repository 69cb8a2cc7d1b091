"""The Almaty ETA estimator: learning, conditioning, fallbacks, days in Almaty, parcels."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from marketu_app.db import eta_source
from marketu_app.db.models import Order, OrderStatusEvent
from marketu_app.domain import eta
from marketu_app.domain.eta import Eta, Journey, default_stats, estimate, kaplan_meier, learn_stats, parcel_eta
from marketu_app.domain.timeutil import ALMATY, almaty_date

pytestmark = pytest.mark.usefixtures("empty_eta_cache")

UTC = timezone.utc
NOW = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 11:00 in Almaty, no Chinese holiday near
# Known stage durations (days): paid, processing, to_china, at_china, shipped.
KNOWN = (0.5, 1.0, 3.0, 2.0, 9.0)
STATUSES = [s.value for s in eta.STAGES] + ["at_almaty_warehouse"]


def journey(marketplace: str, start: datetime, durations=KNOWN, stop: int | None = None,
            cancelled_at: datetime | None = None) -> Journey:
    """Events of an order that entered `paid` at `start`; `stop`: the last stage reached."""
    events, t = [], start
    last = len(durations) if stop is None else stop
    for k in range(last + 1):
        events.append((STATUSES[k], t))
        if k < len(durations):
            t += timedelta(days=durations[k])
    if cancelled_at is not None:
        events.append(("cancelled", cancelled_at))
    return Journey(marketplace, tuple(events))


def varied(i: int) -> tuple[float, ...]:
    """Durations that vary around KNOWN (shipping 7, 9 or 15 days)."""
    return (0.3 + 0.1 * (i % 5), 0.8 + 0.1 * (i % 5), 2.5 + 0.25 * (i % 5), 1.5 + 0.25 * (i % 5),
            (7.0, 9.0, 9.0, 15.0)[i % 4])


@pytest.fixture
def history() -> list[Journey]:
    """60 completed taobao orders, 10 poizon ones, over the last months."""
    out = [journey("taobao", NOW - timedelta(days=30 + i), varied(i)) for i in range(60)]
    out += [journey("poizon", NOW - timedelta(days=30 + 2 * i), KNOWN) for i in range(10)]
    return out


@pytest.fixture
def stats(history):
    return learn_stats(history, NOW)


def test_statistics_learned_from_a_small_known_history():
    exact = [journey("taobao", NOW - timedelta(days=40 + i)) for i in range(30)]
    stats = learn_stats(exact, NOW, min_marketplace=25, min_pooled=10)
    summary = stats.summary()
    for k, stage in enumerate(eta.STAGES):
        source, n, median = summary["taobao"][stage.value]
        assert source == "taobao" and n == 30
        assert median == pytest.approx(KNOWN[k])


def test_marketplace_with_enough_data_has_its_own_else_pooled(stats):
    summary = stats.summary()
    assert summary["taobao"]["shipped_from_china"][0] == "taobao"
    assert "poizon" not in summary  # 10 orders: below MIN_MARKETPLACE_SAMPLES, so pooled
    assert summary["*"]["shipped_from_china"][1] == 70
    assert stats.profile("Poizon") is stats.profile("*")
    assert stats.profile("TaoBao") is stats.profile("taobao")


def test_kaplan_meier_counts_running_stages_as_censored():
    # Two done at 1 and 3 days, one still running after 2: the 3-day one carries the rest.
    d = kaplan_meier([(1.0, True), (2.0, False), (3.0, True)], "x")
    assert d.values == (1.0, 3.0)
    assert d.weights == pytest.approx((1 / 3, 2 / 3))
    assert d.n == 2


def test_stages_in_progress_are_learned_as_censored_not_dropped():
    done = [journey("taobao", NOW - timedelta(days=40 + i)) for i in range(30)]
    # 30 orders in transit for 12 days already: longer than every completed one.
    running = [journey("taobao", NOW - timedelta(days=12 + 15.5), stop=4) for _ in range(30)]
    naive = learn_stats(done, NOW).summary()["*"]["shipped_from_china"][2]
    with_running = learn_stats(done + running, NOW).profile("*").stages[eta.SHIP]
    assert naive == pytest.approx(9.0)
    assert with_running.quantile(0.9) > 12.0


def test_a_skipped_stage_counts_as_zero_so_sums_stay_right():
    events = (("paid", NOW - timedelta(days=20)), ("to_china_warehouse", NOW - timedelta(days=18)),
              ("at_china_warehouse", NOW - timedelta(days=15)))
    obs = {k: d for k, d, done in eta.stage_observations(Journey("x", events), eta.to_days(NOW),
                                                         eta.to_days(NOW) - 100) if done}
    assert obs[0] == pytest.approx(2.0) and obs[1] == 0.0 and obs[2] == pytest.approx(3.0)


def test_thin_history_falls_back_to_the_defaults():
    thin = [journey("1688", NOW - timedelta(days=40 + i)) for i in range(5)]
    stats = learn_stats(thin, NOW)
    assert {source for stages in stats.summary().values() for source, _, _ in stages.values()} == {"default"}
    e = estimate(stats, journey("1688", NOW - timedelta(hours=1), stop=0), NOW)
    assert e == estimate(default_stats(), journey("1688", NOW - timedelta(hours=1), stop=0), NOW)
    # Defaults: 0.2-1 + 0.8-2 + 2-7 + 1-5 + 6-18 days: about 18 days in the middle.
    assert 14 <= (e.expected - almaty_date(NOW)).days <= 22
    assert e.earliest < e.expected < e.latest


def test_history_outside_the_window_is_not_learned():
    old = [journey("taobao", NOW - timedelta(days=300 + i)) for i in range(50)]
    assert learn_stats(old, NOW).summary()["*"]["paid"][0] == "default"


def test_estimate_uses_the_learned_durations(stats):
    # Shipped an hour ago: 7, 9, 9 or 15 more days (weights 1/4, 1/2, 1/4).
    shipped = Journey("taobao", (("paid", NOW - timedelta(days=6)), ("shipped_from_china", NOW - timedelta(hours=1))))
    e = estimate(stats, shipped, NOW)
    today = almaty_date(NOW)
    assert e.expected == today + timedelta(days=9)
    assert e.earliest == today + timedelta(days=7)
    assert e.latest == today + timedelta(days=15)
    assert not e.late and e.arrived is None


def test_time_spent_in_a_stage_conditions_the_estimate(stats):
    # 10 days in transit: the 7- and 9-day trips would have arrived; the 15-day ones are left.
    start = NOW - timedelta(days=10)
    shipped = Journey("taobao", (("paid", start - timedelta(days=6)), ("shipped_from_china", start)))
    e = estimate(stats, shipped, NOW)
    assert e.expected == almaty_date(NOW + timedelta(days=5))
    assert e.earliest == e.expected == e.latest


def test_an_overdue_order_moves_forward_and_never_shows_a_past_date(stats):
    start = NOW - timedelta(days=40)  # 40 days in transit: more than history ever showed
    shipped = Journey("taobao", (("paid", start - timedelta(days=6)), ("shipped_from_china", start)))
    previous = None
    for day in range(0, 10):
        now = NOW + timedelta(days=day)
        e = estimate(stats, shipped, now)
        assert e.earliest >= almaty_date(now)
        assert e.earliest <= e.expected <= e.latest
        assert e.late
        if previous is not None:
            assert e.expected > previous.expected
        previous = e


def test_overdue_in_an_early_stage_also_moves_forward(stats):
    j = Journey("taobao", (("paid", NOW - timedelta(days=30)), ("processing", NOW - timedelta(days=29))))
    a, b = estimate(stats, j, NOW), estimate(stats, j, NOW + timedelta(days=3))
    assert a.late and b.late
    assert a.earliest >= almaty_date(NOW) and b.earliest >= almaty_date(NOW + timedelta(days=3))
    assert (b.expected - a.expected).days == 3


def test_late_only_past_the_range_promised_at_the_stage_start(stats):
    fresh = journey("taobao", NOW - timedelta(days=1), stop=1)
    assert not estimate(stats, fresh, NOW).late
    promised = estimate(stats, fresh, NOW - timedelta(days=1) + timedelta(minutes=1)).latest
    j_now = datetime(promised.year, promised.month, promised.day, 12, tzinfo=ALMATY)
    assert not estimate(stats, fresh, j_now).late
    assert estimate(stats, fresh, j_now + timedelta(days=1)).late


def test_days_are_almaty_calendar_days():
    evening = datetime(2026, 11, 20, 23, 30, tzinfo=ALMATY)
    night = datetime(2026, 11, 21, 0, 30, tzinfo=ALMATY)
    for at, day in ((evening, date(2026, 11, 20)), (night, date(2026, 11, 21))):
        j = Journey("taobao", (("shipped_from_china", at - timedelta(days=9)), ("at_almaty_warehouse", at)))
        assert estimate(default_stats(), j, NOW).arrived == day
    # A stage that began at 23:30 ends 9 days later on another day than one begun at 00:30.
    stats = learn_stats([journey("taobao", NOW - timedelta(days=40 + i)) for i in range(30)], NOW)
    now = night + timedelta(hours=1)
    expected = [estimate(stats, Journey("taobao", (("paid", at - timedelta(days=6)), ("shipped_from_china", at))),
                         now).expected for at in (evening, night)]
    assert expected == [date(2026, 11, 29), date(2026, 11, 30)]
    # "Today" is Almaty's: an hour apart, either side of midnight, the earliest possible date differs.
    overdue = Journey("taobao", (("shipped_from_china", evening - timedelta(days=30)),))
    assert estimate(stats, overdue, evening).earliest >= date(2026, 11, 20)
    assert estimate(stats, overdue, night).earliest >= date(2026, 11, 21)
    assert almaty_date(datetime(2026, 11, 20, 19, 30, tzinfo=UTC)) == date(2026, 11, 21)  # 00:30 there


def test_orders_in_almaty_have_arrived(stats):
    at = NOW - timedelta(days=2)
    for status in ("at_almaty_warehouse", "packed", "delivered"):
        events = (("shipped_from_china", at - timedelta(days=9)), ("at_almaty_warehouse", at))
        if status != "at_almaty_warehouse":
            events += ((status, at + timedelta(days=1)),)
        e = estimate(stats, Journey("taobao", events), NOW)
        assert e.arrived == almaty_date(at)
        assert e.expected == e.earliest == e.latest == e.arrived and not e.late


def test_cancelled_orders_have_no_eta_and_are_not_learned():
    done = [journey("taobao", NOW - timedelta(days=40 + i)) for i in range(30)]
    slow = (5.0, 5.0, 10.0, 10.0, 30.0)
    cancelled = [journey("taobao", NOW - timedelta(days=80 + i), slow, stop=4,
                         cancelled_at=NOW - timedelta(days=1)) for i in range(30)]
    stats = learn_stats(done + cancelled, NOW)
    assert stats.summary() == learn_stats(done, NOW).summary()
    assert estimate(stats, cancelled[0], NOW) is None


def test_not_paid_orders_get_the_estimate_as_if_paid_now(stats):
    unpaid = Journey("taobao", (("not_paid", NOW - timedelta(days=20)),))
    paid_now = Journey("taobao", (("paid", NOW),))
    e = estimate(stats, unpaid, NOW)
    assert e == estimate(stats, paid_now, NOW)
    assert not e.late


def test_chinese_holidays_push_the_estimate_back(stats):
    before_golden_week = datetime(2026, 9, 29, 4, tzinfo=UTC)
    november = datetime(2026, 11, 10, 4, tzinfo=UTC)
    delays = []
    for now in (before_golden_week, november):
        e = estimate(stats, journey("taobao", now, stop=1), now)
        delays.append((e.expected - almaty_date(now)).days)
    assert delays[0] - delays[1] >= 6  # the week of National Day stops buying and shipping in China


def test_working_days_skip_holidays():
    start = eta.to_days(datetime(2026, 9, 30, 4, tzinfo=UTC))  # noon in China, the eve of the holiday
    end = eta.advance_working(start, 1.0)
    assert eta.from_days(end).astimezone(eta.timezone(timedelta(hours=8))).date() == date(2026, 10, 8)
    assert eta.working_days(start, end) == pytest.approx(1.0)


def test_parcel_eta_is_the_latest_of_its_orders():
    a = Eta(date(2026, 12, 5), date(2026, 12, 1), date(2026, 12, 9), False)
    b = Eta(date(2026, 12, 7), date(2026, 11, 30), date(2026, 12, 8), True)
    arrived = Eta(date(2026, 11, 20), date(2026, 11, 20), date(2026, 11, 20), False, arrived=date(2026, 11, 20))
    p = parcel_eta([a, None, b, arrived])  # None: a cancelled order
    assert p == Eta(date(2026, 12, 7), date(2026, 12, 1), date(2026, 12, 9), True)
    both = Eta(date(2026, 11, 22), date(2026, 11, 22), date(2026, 11, 22), False, arrived=date(2026, 11, 22))
    assert parcel_eta([arrived, None, both]).arrived == date(2026, 11, 22)
    assert parcel_eta([None, None]) is None
    assert parcel_eta([]) is None


def _order(status: str, events: list[tuple[str, datetime]], marketplace="taobao", oid=1):
    order = Order(id=oid, number=f"O-{oid}", customer_id=1, title="t", marketplace=marketplace,
                  status=status, status_at=events[-1][1])
    return order, [OrderStatusEvent(order_id=oid, status=s, at=at) for s, at in events]


def test_eta_source_uses_defaults_while_nothing_is_learned():
    order, history = _order("processing", [("paid", NOW - timedelta(days=2)), ("processing", NOW - timedelta(days=1))])
    e = eta_source.order_eta(None, order, history, now=NOW)
    assert e == estimate(default_stats(), eta_source.journey_of(order, history), NOW)


def test_eta_source_many_orders_and_parcel(history):
    eta_source._stats = learn_stats(history, NOW)  # as the refresher would leave it
    cancelled = _order("cancelled", [("paid", NOW - timedelta(days=3)), ("cancelled", NOW - timedelta(days=1))], oid=2)
    arrived = _order("at_almaty_warehouse", [("shipped_from_china", NOW - timedelta(days=12)),
                                             ("at_almaty_warehouse", NOW - timedelta(days=2))], oid=3)
    going = _order("shipped_from_china", [("shipped_from_china", NOW - timedelta(days=1))], oid=4)
    etas = eta_source.etas_for_orders([cancelled, arrived, going], now=NOW)
    assert etas[0] is None and etas[1].arrived == almaty_date(NOW - timedelta(days=2))
    assert etas[2] == eta_source.order_eta(None, *going, now=NOW)
    parcel = eta_source.parcel_eta(etas)
    assert parcel.arrived is None and parcel.expected == etas[2].expected


def test_dates_do_not_flicker_between_reads_seconds_apart(stats):
    start = NOW - timedelta(days=2)
    j = Journey("taobao", (("paid", start - timedelta(days=1)), ("to_china_warehouse", start)))
    reads = {estimate(stats, j, NOW + timedelta(seconds=s)) for s in (0, 1, 7, 60, 600, 3600, 2 * 3600)}
    assert len(reads) == 1


def test_a_change_of_regime_is_learned_from_the_recent_period_within_days():
    """Customs adds 4 days from 10 days ago: the recent period sees it, the 120-day window alone would not."""
    change = NOW - timedelta(days=10)
    history = []
    for i in range(1200):  # ten a day over 120 days, shipped from China 9 days before arrival (13 lately)
        shipped = NOW - timedelta(days=120 - i / 10)
        transit = 13.0 if shipped + timedelta(days=8) >= change else 9.0
        history.append(Journey("taobao", (("shipped_from_china", shipped),
                                          ("at_almaty_warehouse", shipped + timedelta(days=transit)))))
    visible = [Journey(j.marketplace, tuple(e for e in j.events if e[1] <= NOW)) for j in history]
    window_only = learn_stats(visible, NOW, recent_days=None).profile("*").stages[eta.SHIP]
    recent = learn_stats(visible, NOW, recent_days=14, recent_weight=1.0)
    lately = recent.profile("*").stages[eta.SHIP]
    assert window_only.quantile(0.5) == pytest.approx(9.0)
    assert lately.quantile(0.5) == pytest.approx(13.0)
    # An order two days into its transit now expects the new 13 days.
    order = Journey("taobao", (("shipped_from_china", NOW - timedelta(days=2)),))
    assert estimate(recent, order, NOW).expected == almaty_date(NOW + timedelta(days=11))
