"""Backtest of the Almaty and the door estimates in a synthetic world they were not written for.

    python bench/eta_backtest.py --seeds 1 2 3 [--write-docs]

The world (seeded): orders from four marketplaces with their own buying and seller speeds;
buyers work Monday to Saturday, sellers do not ship on Sunday; the China warehouse checks
parcels on working days and dispatches trucks on Tuesday, Thursday and Saturday evenings; a
quarter of the shipments take the slow line (14-18 days instead of 7-10). Unlike the old
backtest, its calendar is NOT the estimator's: its holidays are Qingming, Dragon Boat and
Mid-Autumn (which the estimator does not know) and a Golden Week one day longer; sellers and
couriers slow down by half after the 11.11 sale (Nov 8-22), and the line to Almaty takes 0.5-2
days more from Nov 10 (winter roads). In the held-out period, customs adds 4 days for two weeks
from SHIFT_START (every order reaching the border then), a regime shift nobody announced.

After Almaty: the office packs on working hours (Mon-Sat 9-18), EMS collects Mon-Fri at 17:00,
the courier leaves at 10:00 Mon-Sat; EMS transit by destination is NOT Kazpost's published
road time (the estimator's prior): some places are slower, some faster, with failed attempts.

Held-out: every day of TEST_DAYS, statistics are relearned from what was visible at the start
of the day (the app relearns every 30 minutes); every order is predicted once at a random moment
inside each of its stages that falls in the period (not only at a stage's start), for the Almaty
arrival (stages to Almaty) and the door (every stage). The oracle knows the world's mechanics and
its holiday calendar, and every change of regime that has begun by the moment of the prediction
(the sale, winter roads, the customs shift, with their ends), but not one still to come: nobody
announced them. It simulates the world forward from the same moment, conditioned on the time
already spent.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import platform
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from marketu_app.domain import door, eta  # noqa: E402
from marketu_app.domain.destinations import CITIES  # noqa: E402
from marketu_app.domain.timeutil import ALMATY, almaty_date  # noqa: E402

S = eta.S
CN = 8 / 24  # China local time offset, days
KZ = 5 / 24  # Almaty


def _d(y: int, m: int, d: int) -> float:
    return eta.to_days(datetime(y, m, d, tzinfo=timezone.utc))


START = _d(2026, 3, 1)
END = _d(2026, 11, 29)  # orders are created until then
TEST_FROM = _d(2026, 10, 11)  # a Sunday: weeks Sun-Sat
TEST_DAYS = 49  # 7 weeks, to Nov 28
SHIFT_START = _d(2026, 11, 1)
SHIFT_DAYS, SHIFT_ADD = 14, 4.0
ORDERS_PER_DAY = 28
ORACLE_DRAWS = 100

MARKETPLACES = {"taobao": 0.45, "1688": 0.20, "pinduoduo": 0.20, "poizon": 0.15}
BUY_HOURS = {"taobao": 5.0, "1688": 8.0, "pinduoduo": 4.0, "poizon": 6.0}
SELLER_DAYS = {"taobao": 1.0, "1688": 1.6, "pinduoduo": 1.2, "poizon": 1.4}
COURIER_DAYS = {"taobao": 3.0, "1688": 3.8, "pinduoduo": 3.4, "poizon": 4.6}
SLOW_LINE_SHARE = 0.25
# The world's holidays: not the estimator's calendar (eta.CHINA_HOLIDAYS).
TRUE_HOLIDAYS = eta.holiday_spans((
    (date(2026, 4, 4), date(2026, 4, 6)), (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 6, 19), date(2026, 6, 21)), (date(2026, 9, 25), date(2026, 9, 27)),
    (date(2026, 10, 1), date(2026, 10, 8)),
))
SALE_SLOWDOWN = (_d(2026, 11, 8), _d(2026, 11, 23), 1.5)  # sellers and couriers after 11.11
WINTER_ROADS = _d(2026, 11, 10)  # the line to Almaty: +0.5-2 days from then

METHODS = {"pickup": 0.30, "almaty": 0.25, "kazakhstan": 0.45}
# destination: (share of EMS parcels, true transit low-high days); Kazpost publishes other figures.
DESTS = {
    "astana": (0.25, 3.5, 6.5), "shymkent": (0.18, 3.0, 6.0), "karaganda": (0.14, 4.0, 7.0),
    "aktau": (0.05, 6.0, 10.0), "taldykorgan": (0.06, 1.5, 3.5), "pavlodar": (0.08, 5.0, 8.0),
    "aktobe": (0.07, 5.5, 9.0), "ust-kamenogorsk": (0.06, 4.5, 8.0), "kostanay": (0.04, 6.0, 9.5),
    "kokshetau": (0.03, 5.0, 8.0), "atyrau": (0.02, 6.0, 9.0), "kyzylorda": (0.02, 4.0, 7.0),
}
FAILED_ATTEMPT = 0.08  # EMS: the recipient was out; a second attempt 2-5 days later


# ---------------------------------------------------------------- the true world

def _holiday_at(t: float) -> tuple[float, float] | None:
    for hs, he in TRUE_HOLIDAYS:
        if hs <= t < he:
            return hs, he
    return None


def _weekday(local: float) -> int:
    return (math.floor(local) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _work_clock(t: float, hours: float, open_h: float, close_h: float, weekdays: frozenset[int],
                offset: float, holidays: bool = True) -> float:
    """Advance `hours` of working time (local opening hours on `weekdays`, closed on holidays)."""
    left = hours / 24.0
    local = t + offset
    for _ in range(400):
        span = _holiday_at(local - offset) if holidays else None
        if span:
            local = span[1] + offset
            continue
        day = math.floor(local)
        if _weekday(day) not in weekdays or local >= day + close_h / 24:
            local = day + 1 + open_h / 24
            continue
        local = max(local, day + open_h / 24)
        if local + left <= day + close_h / 24:
            return local + left - offset
        left -= day + close_h / 24 - local
        local = day + 1 + open_h / 24
    return local - offset


def _next_slot(t: float, hour: float, weekdays: frozenset[int], offset: float) -> float:
    """The next `hour` o'clock (local) on one of `weekdays`, after t."""
    day = math.floor(t + offset)
    while True:
        at = day + hour / 24 - offset
        if at > t and _weekday(day) in weekdays:
            return at
        day += 1


def _paused(t: float, days: float) -> float:
    return eta.advance_working(t, days, TRUE_HOLIDAYS)


MON_SAT = frozenset(range(0, 6))
MON_FRI = frozenset(range(0, 5))


def _sale(t: float, known: float) -> float:
    on = SALE_SLOWDOWN[0] <= known and SALE_SLOWDOWN[0] <= t < SALE_SLOWDOWN[1]
    return SALE_SLOWDOWN[2] if on else 1.0


def sample_stage(rng: random.Random, k: int, mp: str, t: float, shift: bool, known: float = math.inf) -> float:
    """When stage k (0-4: to Almaty), entered at t, ends.

    `known`: the changes of regime (the sale, winter roads, the customs shift) that had begun by
    then; the world itself knows them all (inf), the oracle only those begun by its moment.
    """
    if k == 0:  # queue to buy: buyers' working hours, Monday-Saturday 9-21 China time
        end = _work_clock(t, rng.lognormvariate(math.log(BUY_HOURS[mp]), 0.6), 9, 21, MON_SAT, CN)
    elif k == 1:  # the seller ships; not on Sundays
        end = _paused(t, _sale(t, known) * rng.lognormvariate(math.log(SELLER_DAYS[mp]), 0.5))
        if _weekday(end + CN) == 6:
            end = math.floor(end + CN) + 1 + (9 + rng.uniform(0, 8)) / 24 - CN
    elif k == 2:  # domestic courier to the warehouse
        end = _paused(t, _sale(t, known) * rng.lognormvariate(math.log(COURIER_DAYS[mp]), 0.35))
    elif k == 3:  # check and weigh, then the next truck (Tue, Thu, Sat 18:00) outside holidays
        ready = _work_clock(t, rng.uniform(3, 12), 9, 18, MON_SAT, CN)
        day = math.floor(ready + CN)
        while True:
            depart = day + 18 / 24 - CN
            if _weekday(day) in (1, 3, 5) and depart > ready and not _holiday_at(depart):
                end = depart
                break
            day += 1
    else:  # the line to Almaty: customs a day before the end; the office receives Mon-Sat 9-18
        days = rng.uniform(14, 18) if rng.random() < SLOW_LINE_SHARE else rng.uniform(7, 10)
        if t + days >= WINTER_ROADS and known >= WINTER_ROADS:
            days += rng.uniform(0.5, 2.0)
        border = t + days - 1.0
        if shift and known >= SHIFT_START and SHIFT_START <= border < SHIFT_START + SHIFT_DAYS:
            days += SHIFT_ADD
        end = _work_clock(t + days, rng.uniform(0, 3), 9, 18, MON_SAT, KZ, holidays=False)
    if k < 4 and any(hs < end and he > t for hs, he in TRUE_HOLIDAYS):
        end += rng.uniform(0, 1.5)  # the backlog after a holiday
    return end


def door_chain(method: str) -> tuple[str, ...]:
    return door.chain(method, "")


def sample_door(rng: random.Random, stage: str, method: str, dest: str, t: float) -> float:
    """When a door stage entered at t ends (stage names of marketu_app.domain.door)."""
    if stage == door.PACK:
        return _work_clock(t, rng.lognormvariate(math.log(4.0), 0.7), 9, 18, MON_SAT, KZ, holidays=False)
    if stage == door.SEND:
        if method == "kazakhstan":
            return _next_slot(t + 1 / 24, 17, MON_FRI, KZ)
        return _next_slot(t + 1 / 24, 10, MON_SAT, KZ)
    if stage == door.HANDOVER:
        return t + rng.uniform(0.05, 0.3)
    if stage == door.COURIER:
        return t + rng.uniform(0.1, 0.4) + (1.0 if rng.random() < 0.1 else 0.0)
    _, low, high = DESTS[dest]  # EMS transit
    end = t + low + (high - low) * rng.betavariate(2, 2.5)
    if rng.random() < FAILED_ATTEMPT:
        end += rng.uniform(2, 5)
    if _weekday(end + KZ) == 6:  # no deliveries on Sunday
        end = math.floor(end + KZ) + 1 + rng.uniform(10, 18) / 24 - KZ
    return end


@dataclass
class SynthOrder:
    mp: str
    method: str
    dest: str  # EMS destination key
    starts: list[float]  # stages 0..4, arrival in Almaty, then the door stages, then the door
    not_paid_at: float | None
    cancelled_at: float | None
    _final: dict = field(default_factory=dict)  # journey and facts once nothing more happens

    @property
    def chain(self) -> tuple[str, ...]:
        return door_chain(self.method)

    def arrival(self) -> float:
        return self.starts[5]

    def door_at(self) -> float:
        return self.starts[-1]

    def events(self, until: float) -> tuple[tuple[str, datetime], ...]:
        out = []
        if self.not_paid_at is not None:
            out.append((S.NOT_PAID.value, self.not_paid_at))
        for k, t in enumerate(self.starts[:6]):
            if self.cancelled_at is not None and t > self.cancelled_at:
                break
            out.append(((eta.STAGES + (eta.ARRIVAL,))[k].value, t))
        if self.cancelled_at is None:
            stages = self.chain
            milestones = {door.PACK: S.PACKED, door.SEND: S.SENT_TO_RECIPIENT}
            for i, stage in enumerate(stages):
                if stage in milestones:
                    out.append((milestones[stage].value, self.starts[6 + i]))
            if self.method != "pickup":
                out.append((S.DELIVERED.value, self.door_at() + 0.3))  # the office learns a little later
        else:
            out.append((S.CANCELLED.value, self.cancelled_at))
        return tuple((s, eta.from_days(t)) for s, t in out if t <= until)

    def last_event(self) -> float:
        return max(self.cancelled_at or 0.0, self.door_at() + 0.3)

    def journey(self, until: float) -> eta.Journey:
        if until > self.last_event() and "journey" in self._final:
            return self._final["journey"]
        j = eta.Journey(self.mp, self.events(until))
        if until > self.last_event():
            self._final["journey"] = j
        return j

    def final_facts(self, until: float) -> door.DoorFacts:
        if until > self.last_event() and "facts" in self._final:
            return self._final["facts"]
        f = self.facts(until)
        if until > self.last_event():
            self._final["facts"] = f
        return f

    def facts(self, until: float) -> door.DoorFacts:
        courier, ems = [], []
        if self.cancelled_at is None and self.method != "pickup":
            leg = self.starts[4 + len(self.chain)]  # the last leg's start
            if self.method == "kazakhstan":
                ems = [("accepted", leg), ("in_transit", leg + 0.2), ("delivered", self.door_at())]
            else:
                courier = [("handed_to_courier", leg), ("delivered", self.door_at())]
        city = CITIES[self.dest][0][0] if self.method == "kazakhstan" else None
        return door.parcel_facts(self.method, city, [eta.Journey(self.mp, self.events(until))],
                                 [(c, eta.from_days(t)) for c, t in courier if t <= until],
                                 [(g, eta.from_days(t)) for g, t in ems if t <= until], eta.from_days(until))


def _pick(rng: random.Random, table: dict) -> str:
    keys = list(table)
    weights = [v[0] if isinstance(v, tuple) else v for v in table.values()]
    return rng.choices(keys, weights=weights)[0]


def generate(rng: random.Random, shift: bool) -> list[SynthOrder]:
    orders = []
    day = START
    while day < END:
        weekday = _weekday(day)
        count = int(ORDERS_PER_DAY * (0.8 if weekday >= 5 else 1.08) * rng.uniform(0.8, 1.2))
        for _ in range(count):
            mp = _pick(rng, MARKETPLACES)
            method = _pick(rng, METHODS)
            dest = _pick(rng, DESTS) if method == "kazakhstan" else ""
            paid = day + rng.betavariate(3, 2) * 0.95 - CN  # mostly daytime in China
            not_paid = paid - rng.uniform(0.05, 2.0) if rng.random() < 0.1 else None
            starts = [paid]
            for k in range(5):
                starts.append(sample_stage(rng, k, mp, starts[-1], shift))
            for stage in door_chain(method):
                starts.append(sample_door(rng, stage, method, dest, starts[-1]))
            cancelled = rng.uniform(starts[0], starts[2]) if rng.random() < 0.03 else None
            orders.append(SynthOrder(mp, method, dest, starts, not_paid, cancelled))
        day += 1
    return orders


def _conditioned(rng: random.Random, draw, start: float, now: float) -> float:
    """A stage's end drawn from its start, given it has not ended by `now` (rejection; the latest if none)."""
    best = -math.inf
    for _ in range(60):
        end = draw(start)
        if end > now:
            return end
        best = max(best, end)
    return max(best, now)


def oracle(rng: random.Random, o: SynthOrder, stage: int, now: float, shift: bool) -> tuple[list[float], list[float]]:
    """Draws of (arrival in Almaty, door) from `now`, the order being in `stage` (0-4 to Almaty, 5+ door)."""
    arrivals, doors = [], []
    chain = o.chain
    s = stage
    for _ in range(ORACLE_DRAWS):
        if s < 5:
            x = _conditioned(rng, lambda t: sample_stage(rng, s, o.mp, t, shift, now), o.starts[s], now)  # noqa: B023
            for j in range(s + 1, 5):
                x = sample_stage(rng, j, o.mp, x, shift, now)
            arrivals.append(x)
            first_door = 0
        else:
            x = _conditioned(rng, lambda t: sample_door(rng, chain[s - 5], o.method, o.dest, t),  # noqa: B023
                             o.starts[s], now)
            first_door = s - 5 + 1
        for name in chain[first_door:]:
            x = sample_door(rng, name, o.method, o.dest, x)
        doors.append(x)
    return sorted(arrivals), sorted(doors)


def oracle_dates(draws: list[float]) -> tuple[date, date, date]:
    """Earliest, median, latest day of the draws, by the estimator's rule for the ends."""
    n = len(draws)
    day = lambda q: almaty_date(eta.from_days(draws[min(n - 1, int(q * n))]))  # noqa: E731
    before = lambda d: bisect.bisect_left(draws, eta.to_days(datetime(d.year, d.month, d.day, tzinfo=ALMATY))) / n  # noqa: E731
    one = timedelta(days=1)
    mid, low, high = day(eta.MID_Q), day(eta.LOW_Q), day(eta.HIGH_Q)
    if eta.LOW_Q - before(low) > before(low + one) - eta.LOW_Q:
        low += one
    if before(high + one) - eta.HIGH_Q > eta.HIGH_Q - before(high):
        high -= one
    return min(low, mid), mid, max(high, mid)


# ---------------------------------------------------------------- the backtest

@dataclass
class Prediction:
    kind: str  # almaty | door
    day: int  # held-out day index of the moment
    stage: str
    elapsed: float  # days already spent in the stage
    err: int
    oracle_err: int
    hit: bool
    oracle_hit: bool
    method: str = ""
    dest: str = ""


def _stage_name(o: SynthOrder, s: int) -> str:
    return eta.STAGES[s].value if s < 5 else o.chain[s - 5]


def run(seed: int, shift: bool = True, progress: bool = False, recent: tuple = (None, 0.5)) -> dict:
    rng = random.Random(seed)
    orders = generate(rng, shift)
    moment_rng = random.Random(seed + 17)
    oracle_rng = random.Random(seed + 1_000_003)
    test_to = TEST_FROM + TEST_DAYS
    # One moment per order and stage, uniformly inside the stage, kept if inside the held-out period.
    todo: dict[int, list[tuple[SynthOrder, int, float]]] = {}
    for o in orders:
        if o.cancelled_at is not None:
            continue
        for s in range(len(o.starts) - 1):
            a, b = o.starts[s], o.starts[s + 1]
            if b <= a:
                continue
            t = moment_rng.uniform(a, b)
            if TEST_FROM <= t < test_to:
                todo.setdefault(int(t - TEST_FROM), []).append((o, s, t))
    preds: list[Prediction] = []
    clock = {"learn": 0.0, "predict": 0.0, "oracle": 0.0}
    for d in range(TEST_DAYS):
        t0 = TEST_FROM + d
        c = time.perf_counter()
        # What the app's refresh reads: orders with events in the window and its look-back.
        seen = [o for o in orders if t0 - eta.DEFAULT_WINDOW_DAYS - 60 < o.starts[0] < t0]
        stats = eta.learn_stats([j for j in (o.journey(t0) for o in seen) if j.events], eta.from_days(t0),
                                recent_days=recent[0], recent_weight=recent[1])
        door_stats = door.learn_door_stats(
            [o.final_facts(t0) for o in seen if t0 - door.WINDOW_DAYS < o.starts[5] < t0], eta.from_days(t0))
        clock["learn"] += time.perf_counter() - c
        for o, s, t in todo.get(d, []):
            now = eta.from_days(t)
            c = time.perf_counter()
            almaty = eta.estimate(stats, eta.Journey(o.mp, o.events(t)), now) if s < 5 else None
            to_door = door.estimate_door(door_stats, stats, o.facts(t), now)
            clock["predict"] += time.perf_counter() - c
            c = time.perf_counter()
            arrivals, doors = oracle(oracle_rng, o, s, t, shift)
            clock["oracle"] += time.perf_counter() - c
            elapsed = t - o.starts[s]
            name = _stage_name(o, s)
            for kind, e, when, draws in (("almaty", almaty, o.arrival(), arrivals),
                                         ("door", to_door, o.door_at(), doors)):
                if e is None:
                    continue
                actual = almaty_date(eta.from_days(when))
                lo, mid, hi = oracle_dates(draws)
                preds.append(Prediction(kind, d, name, elapsed, abs((e.expected - actual).days),
                                        abs((mid - actual).days), e.earliest <= actual <= e.latest,
                                        lo <= actual <= hi, o.method, o.dest))
        if progress:
            print(f"  day {d + 1}/{TEST_DAYS}: {len(preds)} predictions", file=sys.stderr, flush=True)
    return {"seed": seed, "orders": len(orders), "preds": preds, "clock": clock}


def summary(preds: list[Prediction]) -> dict:
    n = len(preds)
    if not n:
        return {"n": 0, "mae": math.nan, "oracle_mae": math.nan, "ratio": math.nan, "coverage": math.nan,
                "oracle_coverage": math.nan}
    err = sum(p.err for p in preds)
    oerr = sum(p.oracle_err for p in preds)
    return {"n": n, "mae": err / n, "oracle_mae": oerr / n, "ratio": err / oerr if oerr else math.inf,
            "coverage": sum(p.hit for p in preds) / n, "oracle_coverage": sum(p.oracle_hit for p in preds) / n}


SHIFT_DAY = int(SHIFT_START - TEST_FROM)
RECOVERY_WINDOW = 3  # days: coverage of the predictions made in a sliding 3-day window
ELAPSED_BUCKETS = ((0, 0.5), (0.5, 2), (2, 5), (5, 10), (10, math.inf))


def recovery_days(preds: list[Prediction]) -> int | None:
    """Days from the shift's start until the coverage of the predictions made in each 3-day window
    from then on is back within 75-85% (up to 21 days after the start); None: not within the period."""
    by_day: dict[int, list[bool]] = {}
    for p in preds:
        by_day.setdefault(p.day, []).append(p.hit)

    def cov(first: int) -> float:
        hits = [h for d in range(first, first + RECOVERY_WINDOW) for h in by_day.get(d, [])]
        return sum(hits) / len(hits) if hits else math.nan

    last = min(TEST_DAYS - RECOVERY_WINDOW, SHIFT_DAY + 21)
    for k in range(0, last - SHIFT_DAY + 1):
        if all(0.75 <= cov(SHIFT_DAY + j) <= 0.85 or (j > k and cov(SHIFT_DAY + j) >= 0.70)
               for j in range(k, last - SHIFT_DAY + 1)):
            return k
    return None


def evaluate(r: dict) -> dict:
    out = {"seed": r["seed"], "orders": r["orders"], "clock": r["clock"]}
    for kind in ("almaty", "door"):
        preds = [p for p in r["preds"] if p.kind == kind]
        out[kind] = summary(preds)
        out[kind + "_weeks"] = [summary([p for p in preds if w * 7 <= p.day < (w + 1) * 7])
                                for w in range(TEST_DAYS // 7)]
        out[kind + "_recovery"] = recovery_days(preds)
        stages = []
        for p in preds:
            if p.stage not in stages:
                stages.append(p.stage)
        out[kind + "_stages"] = {s: summary([p for p in preds if p.stage == s]) for s in stages}
        out[kind + "_elapsed"] = {b: summary([p for p in preds if b[0] <= p.elapsed < b[1]]) for b in ELAPSED_BUCKETS}
    door_preds = [p for p in r["preds"] if p.kind == "door"]
    out["door_methods"] = {m: summary([p for p in door_preds if p.method == m]) for m in METHODS}
    last_leg = [p for p in door_preds if p.stage.startswith(door.TRANSIT)]
    out["door_dests"] = {d: summary([p for p in last_leg if p.dest == d]) for d in DESTS}
    return out


def goals(e: dict) -> list[str]:
    """The goals missed (empty: all met)."""
    missed = []
    for kind in ("almaty", "door"):
        s = e[kind]
        if not s["ratio"] <= 1.10:
            missed.append(f"{kind} MAE {s['ratio']:.3f}x the oracle's (goal <= 1.10)")
        if not 0.75 <= s["coverage"] <= 0.85:
            missed.append(f"{kind} coverage {100 * s['coverage']:.1f}% (goal 75-85%)")
        weeks = e[kind + "_weeks"][SHIFT_DAY // 7: SHIFT_DAY // 7 + 3]
        low = min(w["coverage"] for w in weeks)
        if low < 0.60:
            missed.append(f"{kind}: a week of the shift at {100 * low:.0f}% coverage (goal >= 60%)")
        rec = e[kind + "_recovery"]
        if rec is None or rec > 10:
            missed.append(f"{kind}: back within 75-85% {'never' if rec is None else f'after {rec} days'} (goal <= 10)")
    return missed


# ---------------------------------------------------------------- the report

def machine() -> str:
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    return f"nproc {os.cpu_count()}, Python {platform.python_version()}, {platform.machine()}\n```\n{mem}\n```"


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{100 * x:.0f}%"


def _row(label: str, s: dict) -> str:
    if not s["n"]:
        return f"| {label} | 0 | | | | |"
    return (f"| {label} | {s['n']} | {s['mae']:.2f} | {s['oracle_mae']:.2f} | {s['ratio']:.2f} | "
            f"{_pct(s['coverage'])} (oracle {_pct(s['oracle_coverage'])}) |")


HEAD = "| | n | MAE (days) | oracle MAE | ratio | P10-P90 coverage |\n|---|---|---|---|---|---|"


def report(evals: list[dict], argv: list[str], wall: float, loads: list[str]) -> str:
    lines = [
        "## ETA backtest (Almaty and door)",
        "",
        f"Command: `python bench/eta_backtest.py {' '.join(argv)}` (date {datetime.now(timezone.utc):%Y-%m-%d}, "
        f"{wall:.0f} s wall for {len(evals)} seeds; load average at the start of each seed: {', '.join(loads)}: "
        "the machine is shared with other engineers' builds and tests, which only slows it, not the figures).",
        f"Machine: {machine()}",
        "",
        "The world is not the estimator's (bench/eta_backtest.py's docstring): holidays it does not know "
        "(Qingming, Dragon Boat, Mid-Autumn, a longer Golden Week), sellers and couriers 1.5x slower after 11.11 "
        f"(Nov 8-22), winter roads (+0.5-2 days on the line from Nov 10), and **customs +{SHIFT_ADD:.0f} days for "
        f"{SHIFT_DAYS} days from {eta.from_days(SHIFT_START):%Y-%m-%d}** (every order reaching the border then). "
        "EMS transit by destination differs from Kazpost's published road times (the prior). Held-out: "
        f"{eta.from_days(TEST_FROM):%Y-%m-%d}..{eta.from_days(TEST_FROM + TEST_DAYS - 1):%Y-%m-%d} ({TEST_DAYS} days), "
        "statistics relearned every day from what was visible then, one prediction per order at a random moment "
        "inside each of its stages. The oracle knows the world's mechanics and holiday calendar and every change "
        "of regime begun by the moment of the prediction (not those still to come), and is conditioned like the "
        f"estimator ({ORACLE_DRAWS} draws). Goals: MAE <= 1.10x the oracle's and P10-P90 coverage 75-85% overall; "
        "no week of the shift below 60%, and back within 75-85% within 10 days of its start (recovery: the first "
        f"day from which every sliding {RECOVERY_WINDOW}-day window of predictions is within 75-85%, or at least 70% "
        "after that first one, up to 3 weeks after the start).",
        "",
        "### Overall, per seed",
        "",
        "| seed | orders | estimate | n | MAE | oracle MAE | ratio | coverage (oracle) | shift: weeks' coverage "
        "| recovered after | goals |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    w0 = SHIFT_DAY // 7
    for e in evals:
        missed = goals(e)
        for kind in ("almaty", "door"):
            s = e[kind]
            weeks = " / ".join(_pct(w["coverage"]) for w in e[kind + "_weeks"][w0 - 1: w0 + 3])
            rec = e[kind + "_recovery"]
            mine = [m for m in missed if m.startswith(kind)]
            lines.append(
                f"| {e['seed']} | {e['orders']} | {kind} | {s['n']} | {s['mae']:.3f} | {s['oracle_mae']:.3f} | "
                f"{s['ratio']:.3f} | {_pct(s['coverage'])} ({_pct(s['oracle_coverage'])}) | {weeks} | "
                f"{'not within 3 weeks' if rec is None else f'{rec} days'} | "
                f"{'met' if not mine else '; '.join(mine)} |")
    lines += ["", "Shift weeks: the week before the shift / its first / second week / the week after "
              "(predictions made in each week, Sun-Sat).", ""]
    e = evals[0]
    lines += [f"### Seed {e['seed']} in detail", "",
              "Per week of the held-out period (week 4 starts with the shift):", "",
              "| week from | Almaty n | Almaty coverage | Almaty MAE / oracle | door n | door coverage "
              "| door MAE / oracle |", "|---|---|---|---|---|---|---|"]
    for w, (a, d) in enumerate(zip(e["almaty_weeks"], e["door_weeks"])):
        lines.append(f"| {eta.from_days(TEST_FROM + 7 * w):%m-%d} | {a['n']} | {_pct(a['coverage'])} | "
                     f"{a['mae']:.2f} / {a['oracle_mae']:.2f} | {d['n']} | {_pct(d['coverage'])} | "
                     f"{d['mae']:.2f} / {d['oracle_mae']:.2f} |")
    for kind in ("almaty", "door"):
        lines += ["", f"{kind.capitalize()} estimate by the stage the order was in when predicted:", "", HEAD]
        lines += [_row(s, v) for s, v in e[kind + "_stages"].items()]
        lines += ["", f"{kind.capitalize()} estimate by the time already spent in that stage:", "", HEAD]
        lines += [_row(f"{a:g}-{b:g} days" if b != math.inf else f">= {a:g} days", v)
                  for (a, b), v in e[kind + "_elapsed"].items()]
    lines += ["", "Door estimate by delivery method, and the EMS last leg by destination (predictions made "
              "while in EMS transit; the destination's prior is Kazpost's road time unless learned):", "", HEAD]
    lines += [_row(m, v) for m, v in e["door_methods"].items()]
    lines += [_row(f"EMS transit to {d}", v) for d, v in e["door_dests"].items()]
    c = e["clock"]
    n = e["almaty"]["n"] + e["door"]["n"]
    lines += ["", f"Time (seed {e['seed']}): learning {c['learn']:.0f} s for {TEST_DAYS} days (both estimates), "
              f"estimating {1000 * c['predict'] / max(1, n):.2f} ms per prediction, oracle {c['oracle']:.0f} s.", ""]
    lines += [TRIED, ""]
    return "\n".join(lines)


TRIED = """What was tried, and why the estimator stays as it is (seed 1, same world, 2026-12-01, load 11-38):
- The first version of this backtest gave the oracle the future: it knew on Oct 20 that customs would slow down
  on Nov 1 and that the 11.11 backlog and winter roads would come. Against that oracle the estimator's MAE was
  1.23x (Almaty) and 1.19x (door), nearly all of it in predictions made before a change for orders it later hit
  (week of Oct 25: 4.17 vs 2.37 days). No estimator can learn what has not happened yet, so the oracle now knows
  only the changes begun by its moment; the world itself is unchanged.
- Learning from the recent period only ("period analysis": each stage's hazard as seen in the last 14 days,
  `learn_stats(recent_days=14, recent_weight=1)`) follows a change within days but overreacts: it keeps the
  Golden Week backlog and the shift for two weeks after they end. Almaty: MAE 1.19x, coverage 69%, the week
  after the shift at 55%, never back within 75-85%; door 1.16x. Worse on every goal.
- A mixture, 40% last 28 days + 60% the 120-day window (`--recent-days 28 --recent-weight 0.4`): Almaty MAE 1.059x
  (window only: 1.064x), coverage 79%; but the wider mixture over-covers after the shift (87-89%, above the
  75-85% band), so the door estimate is not "back within 75-85%" until day 19. Not adopted; the option stays in
  `learn_stats` (off) for the next look.
- Weak spot, not a goal: orders that have already waited 10 days or more in one stage (3% of predictions) are
  covered 59% of the time (oracle 81%): past a stage's P95 the estimator takes the order to be at its P95, and
  the slowest 5% of the window are faster than this autumn's slow line plus winter roads plus the shift."""


def write_section(text: str) -> None:
    """Replace this section (or the old Almaty-only one) of docs/benchmarks.md, leaving the others alone."""
    path = ROOT / "docs" / "benchmarks.md"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## (Almaty ETA backtest|ETA backtest \(Almaty and door\))\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old, count=1) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-shift", action="store_true", help="the same world without the customs shift")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--recent-days", type=float, default=None, help="learn_stats' recent period (default off)")
    parser.add_argument("--recent-weight", type=float, default=0.5)
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args()
    clock = time.perf_counter()
    evals, loads = [], []
    for seed in args.seeds:
        loads.append(f"{os.getloadavg()[0]:.1f}")
        e = evaluate(run(seed, shift=not args.no_shift, progress=args.progress,
                         recent=(args.recent_days, args.recent_weight)))
        evals.append(e)
        missed = goals(e)
        print(f"seed {seed}: almaty {e['almaty']['ratio']:.3f}x {100 * e['almaty']['coverage']:.1f}%, "
              f"door {e['door']['ratio']:.3f}x {100 * e['door']['coverage']:.1f}%, recovery "
              f"{e['almaty_recovery']}/{e['door_recovery']} days; "
              f"{'goals met' if not missed else 'MISSED: ' + '; '.join(missed)}", flush=True)
    argv = ["--seeds", *map(str, args.seeds)] + (["--no-shift"] if args.no_shift else [])
    if args.recent_days:
        argv += ["--recent-days", f"{args.recent_days:g}", "--recent-weight", f"{args.recent_weight:g}"]
    text = report(evals, argv, time.perf_counter() - clock, loads)
    print(text)
    if args.write_docs:
        write_section(text)


if __name__ == "__main__":
    main()
