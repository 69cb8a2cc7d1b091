"""Expected delivery to the door: a P10-P90 range of the day the recipient gets the parcel.

Method
------
A parcel moves as one after its last order reaches Almaty. Its door date is the Almaty arrival
(marketu_app.domain.eta, per order; the parcel waits for the latest, taken as comonotone like
`eta.parcel_eta`) followed by stages learned from the app's own history:

    pack      the last order in Almaty -> every order packed
    send      packed -> sent to the recipient (courier or EMS has it)
    handover  EMS only: sent -> Kazpost's first event (accepted)
    transit   EMS only: accepted -> delivered, per destination (marketu_app.domain.destinations)
    courier   Almaty courier: sent (or handed to the courier) -> delivered

Pickup parcels are ready at the office once packed: their date is the pack stage's end.
Each stage is learned like the Almaty ones (Kaplan-Meier, running stages censored, a window
of recent history). A destination with few EMS histories mixes its own with a prior from
Kazpost's road times, widened (one day earlier, two later: the published figures are typical
ones, and late deliveries are the ones that happen); the prior weighs as PRIOR_WEIGHT parcels.

Conditional on what has happened: the current stage counts only its remaining time given the
time already spent in it (past its P95: as if at its P95), later stages in full; dates are
never before today. `late_days` counts the days past the P90 date promised when the parcel
entered its current stage (before Almaty: when its orders entered theirs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable, Sequence

import numpy

from marketu_app.domain import destinations
from marketu_app.domain.eta import (
    STEP,
    EtaStats,
    Journey,
    Spread,
    StageDist,
    _bins,
    _convolve,
    _dates,
    arrival,
    from_days,
    kaplan_meier,
    mix,
    to_days,
)
from marketu_app.domain.statuses import DeliveryMethod, OrderStatus, journey_index
from marketu_app.domain.timeutil import almaty_date

S = OrderStatus
M = DeliveryMethod
PACK, SEND, HANDOVER, COURIER, TRANSIT = "pack", "send", "handover", "courier", "transit"
DEFAULT_DAYS: dict[str, tuple[float, float]] = {
    PACK: (0.3, 2.0), SEND: (0.1, 1.0), HANDOVER: (0.0, 0.5), COURIER: (0.2, 1.5),
}
WIDEN = (1.0, 2.0)  # the prior from road times: this much earlier and later
MIN_SAMPLES = 20  # completed observations for a stage to be learned rather than the default
PRIOR_WEIGHT = 8  # a destination's prior counts as this many parcels
WINDOW_DAYS = 120
QUANTILES = 200  # the comonotone maximum of the orders' arrivals, on this many quantiles
POOLED = "*"


def chain(method: str, dest: str) -> tuple[str, ...]:
    if method == M.PICKUP.value:
        return (PACK,)
    if method == M.ALMATY.value:
        return (PACK, SEND, COURIER)
    return (PACK, SEND, HANDOVER, f"{TRANSIT}:{dest}")


def _uniform(low: float, high: float, source: str, points: int = 24) -> StageDist:
    low = max(0.0, low)
    values = tuple(low + (high - low) * (i + 0.5) / points for i in range(points))
    return StageDist(values, tuple(1.0 / points for _ in values), 0, source)


def prior(dest: str) -> StageDist:
    low, high = destinations.road_days(dest)
    return _uniform(low - WIDEN[0], high + WIDEN[1], "prior")


# ---------------------------------------------------------------- what has happened to a parcel

@dataclass(frozen=True)
class DoorFacts:
    """A parcel's milestones after China (float days UTC; None: not yet)."""

    method: str
    dest: str  # destinations.destination(city)
    journeys: tuple[Journey, ...]  # its orders not cancelled
    arrived: float | None  # the last of them in Almaty
    packed: float | None
    sent: float | None
    leg_start: float | None  # EMS accepted it / the courier has it
    delivered: float | None
    returned: bool = False


_INDEX = {st.value: journey_index(st) for st in OrderStatus}
_AT = {st: journey_index(st) for st in (S.AT_ALMATY_WAREHOUSE, S.PACKED, S.SENT_TO_RECIPIENT, S.DELIVERED)}


def _milestones(j: Journey) -> dict[OrderStatus, float | None] | None:
    """When the order first reached Almaty, packed, sent, delivered (or later); None: cancelled or empty."""
    timed = [(_INDEX[s], to_days(at)) for s, at in j.events]
    if not timed:
        return None
    if j.status:
        current = _INDEX[j.status]
    else:
        current = max(range(len(timed)), key=lambda i: (timed[i][1], i))
        current = timed[current][0]
    if current < 0:
        return None
    return {st: min((t for i, t in timed if i >= index), default=None) for st, index in _AT.items()}


def _all(values: list[float | None]) -> float | None:
    return max(values) if values and all(v is not None for v in values) else None


def _earliest(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def parcel_facts(method: str, city: str | None, journeys: Iterable[Journey],
                 courier: Sequence[tuple[str, datetime]] = (), ems: Sequence[tuple[str, datetime]] = (),
                 now: datetime | None = None) -> DoorFacts:
    """Milestones from the orders' statuses, courier events (code, at) and EMS events (group, at).

    `now`: only what was visible then (for learning from the past); EMS events are normalised ones.
    """
    cut = to_days(now) if now is not None else math.inf

    def seen(events):
        return tuple((c, at) for c, at in events if to_days(at) <= cut)

    orders = [Journey(j.marketplace, seen(j.events)) if now is not None else j for j in journeys]
    reached = [(j, _milestones(j)) for j in orders]
    reached = [(j, m) for j, m in reached if m is not None]
    live = tuple(j for j, _ in reached)
    courier, ems = seen(courier), seen(ems)
    arrived, packed, sent, delivered = (_all([m[st] for _, m in reached]) for st in _AT)
    returned = False
    leg_start = None
    if method == M.KAZAKHSTAN.value:
        leg_start = _earliest(*(to_days(at) for g, at in ems))
        delivered = _earliest(delivered, *(to_days(at) for g, at in ems if g == "delivered"))
        returned = any(g == "returned" for g, _ in ems)
    elif method == M.ALMATY.value:
        handed = [to_days(at) for c, at in courier if c in ("handed_to_courier", "out_for_delivery")]
        leg_start = _earliest(sent, *handed)
        delivered = _earliest(delivered, *(to_days(at) for c, at in courier if c == "delivered"))
    sent = _earliest(sent, leg_start)
    packed = _earliest(packed, sent)  # a skipped milestone took no time
    arrived = _earliest(arrived, packed)
    if not live:
        arrived = packed = sent = leg_start = delivered = None
    return DoorFacts(method, destinations.destination(city) if method == M.KAZAKHSTAN.value else "",
                     live, arrived, packed, sent, leg_start, delivered, returned)


def _stage_spans(f: DoorFacts) -> list[tuple[str, float, float | None]]:
    """(stage, start, end or None) of the stages the parcel has entered."""
    if f.arrived is None:
        return []
    stages = chain(f.method, f.dest)
    ends = [f.packed, f.sent, f.leg_start if f.method == M.KAZAKHSTAN.value else f.delivered, f.delivered]
    out, start = [], f.arrived
    for stage, end in zip(stages, ends):
        out.append((stage, start, end))
        if end is None:
            break
        start = end
    return out


# ---------------------------------------------------------------- learning

@dataclass
class DoorStats:
    dists: dict[str, StageDist]  # pack, send, handover, courier, "transit:<dest>", "transit:*"
    learned_at: datetime | None = None
    _priors: dict[str, StageDist] = field(default_factory=dict, repr=False, compare=False)
    _tails: dict[tuple[str, ...], list[float]] = field(default_factory=dict, repr=False, compare=False)
    _estimates: dict = field(default_factory=dict, repr=False, compare=False)

    def stage(self, key: str) -> StageDist:
        if key in self.dists:
            return self.dists[key]
        if key.startswith(TRANSIT + ":"):
            dest = key.split(":", 1)[1]
            pooled = self.dists.get(f"{TRANSIT}:{POOLED}")
            if dest not in destinations.CITIES and pooled is not None:
                return pooled  # nowhere we know: how EMS does on average
            if key not in self._priors:
                self._priors[key] = prior(dest)
            return self._priors[key]
        low, high = DEFAULT_DAYS[key]
        return _uniform(low, high, "default")

    def summary(self) -> dict[str, tuple[str, int, float]]:
        return {k: (d.source, d.n, d.quantile(0.5)) for k, d in sorted(self.dists.items())}


def default_door_stats() -> DoorStats:
    return DoorStats({})


def learn_door_stats(parcels: Iterable[DoorFacts], now: datetime, window_days: int = WINDOW_DAYS,
                     min_samples: int = MIN_SAMPLES) -> DoorStats:
    """Per stage (and per destination for the EMS transit) a duration distribution."""
    t_now = to_days(now)
    since = t_now - window_days
    obs: dict[str, list[tuple[float, bool]]] = {}
    for f in parcels:
        for stage, start, end in _stage_spans(f):
            if not since <= start < t_now or f.returned and stage.startswith(TRANSIT):
                continue
            done = end is not None and end <= t_now
            obs.setdefault(stage, []).append((max(0.0, (end if done else t_now) - start), done))
            if stage.startswith(TRANSIT + ":"):
                obs.setdefault(f"{TRANSIT}:{POOLED}", []).append(obs[stage][-1])
    dists: dict[str, StageDist] = {}
    for stage, pairs in obs.items():
        d = kaplan_meier(pairs, stage)
        if d is None:
            continue
        dest = stage.split(":", 1)[1] if stage.startswith(TRANSIT + ":") else None
        if dest is not None and dest != POOLED and d.n < min_samples:
            # Few parcels there yet: their own times, weighed against the road-time prior.
            mixed = mix(d, prior(dest), d.n / (d.n + PRIOR_WEIGHT))
            dists[stage] = StageDist(mixed.values, mixed.weights, d.n, "mixed")
        elif d.n >= min_samples or dest is not None and dest != POOLED:
            dists[stage] = d
    return DoorStats(dists, from_days(t_now))


# ---------------------------------------------------------------- estimating

@dataclass(frozen=True)
class DoorEta:
    method: str
    dest: str
    expected: date
    earliest: date
    latest: date
    late_days: int = 0  # days past the P90 date promised at the start of the current stage
    delivered: date | None = None  # then the dates equal it
    ready: date | None = None  # pickup: ready at the office (then the dates equal it)


def _later(stats: DoorStats, stages: Sequence[str]) -> list[float]:
    """The binned sum of these stages' durations (remembered: the same chains come again and again)."""
    key = tuple(stages)
    if key not in stats._tails:
        out = [1.0]
        for s in stages:
            d = stats.stage(s)
            out = _convolve(out, _bins(zip(d.values, d.weights)))
        stats._tails[key] = out
    return stats._tails[key]


def _arrival_dist(stats, journeys: Sequence[Journey], now: datetime, base: float, promise: bool) -> list[float]:
    """The parcel's Almaty arrival (its last order's), binned from `base`: comonotone maximum."""
    seen = [arrival(stats, j, now, promise) for j in journeys]
    seen = [a for a in seen if a is not None]
    qs = (numpy.arange(QUANTILES) + 0.5) / QUANTILES
    t = numpy.max([a.base + (a.spread.quantiles(qs) if a.spread is not None else 0.0) + 0 * qs for a in seen], axis=0)
    b = numpy.maximum(0, numpy.rint((t - base) / STEP).astype(int))
    return (numpy.bincount(b) / QUANTILES).tolist()


def _current(f: DoorFacts) -> tuple[int, float] | None:
    """(index in the chain, start) of the stage the parcel is in; None: not all in Almaty yet."""
    spans = _stage_spans(f)
    if not spans:
        return None
    stage, start, _ = spans[-1]
    return chain(f.method, f.dest).index(stage), start


def estimate_door(door: DoorStats, almaty: EtaStats, f: DoorFacts, now: datetime) -> DoorEta | None:
    """The door date of one parcel at `now`, remembered for the current 3-hour step."""
    key = (f, math.floor(to_days(now) / STEP), almaty_date(now), id(almaty))
    cache = door._estimates
    if key not in cache:
        if len(cache) >= 20_000:
            cache.clear()
        cache[key] = _estimate_door(door, almaty, f, now)
    return cache[key]


def _estimate_door(door: DoorStats, almaty: EtaStats, f: DoorFacts, now: datetime) -> DoorEta | None:
    if f.returned or not f.journeys:
        return None
    if f.delivered is not None:
        day = almaty_date(from_days(f.delivered))
        return DoorEta(f.method, f.dest, day, day, day, delivered=day)
    if f.method == M.PICKUP.value and f.packed is not None:
        day = almaty_date(from_days(f.packed))
        return DoorEta(f.method, f.dest, day, day, day, ready=day)
    stages = chain(f.method, f.dest)
    t_now, today = to_days(now), almaty_date(now)
    current = _current(f)
    if current is None:  # some orders are still on their way to Almaty
        dist = _convolve(_arrival_dist(almaty, f.journeys, now, t_now, False), _later(door, stages))
        earliest, expected, latest = _dates(t_now, Spread(dist), today)
        first = min(a.stage_start or t_now for a in (arrival(almaty, j, now) for j in f.journeys) if a)
        promised = _convolve(_arrival_dist(almaty, f.journeys, now, first, True), _later(door, stages))
        promised_latest = _dates(first, Spread(promised), almaty_date(from_days(first)))[2]
    else:
        k, start = current
        d = door.stage(stages[k])
        later = _later(door, stages[k + 1:])
        elapsed = max(0.0, t_now - start)
        origin = math.floor(elapsed / STEP) * STEP  # 3-hour steps, as for the Almaty ETA
        base = t_now - (elapsed - origin)
        dist = _convolve(d.remaining_bins(elapsed, origin), later)
        earliest, expected, latest = _dates(base, Spread(dist), today)
        promised = _convolve(d.remaining_bins(0.0), later)
        promised_latest = _dates(start, Spread(promised), almaty_date(from_days(start)))[2]
    late_days = max(0, (today - promised_latest).days)
    return DoorEta(f.method, f.dest, expected, earliest, latest, late_days)
