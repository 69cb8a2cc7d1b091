"""Expected arrival in Almaty (ETA): learned stage durations, conditioned on time already spent.

Method
------
The journey to Almaty is five stages, each lasting from the first event of its status to the
first event of a later one: paid -> processing -> to_china_warehouse -> at_china_warehouse ->
shipped_from_china -> (at_almaty_warehouse). `learn_stats` takes the recent history (stages
that started within `window_days`, default 120) and estimates each stage's duration
distribution with the Kaplan-Meier product-limit estimator, so stages still in progress count
as censored observations instead of biasing the result towards fast orders. A skipped stage
(no event of its own between an earlier and a later one) is a duration of 0, so sums stay
right. Cancelled orders are left out. Each stage is learned per marketplace when it has at
least `MIN_MARKETPLACE_SAMPLES` completed observations, else pooled over all marketplaces,
else (fewer than `MIN_POOLED_SAMPLES`) the defaults below.

Chinese public holidays pause the four stages in China (buying, sellers, the warehouse), not
the transit to Almaty: those four are measured in "working days" (holiday time removed) both
when learning and when predicting, and predictions are mapped back to the calendar.

`estimate` conditions on the time already spent in the current stage (the empirical
conditional distribution of the remaining time: durations longer than the elapsed time, minus
it), then combines it with the later stages by exact convolution of the distributions on a
grid of 3 hours (deterministic, no sampling). Past the stage's 95th percentile the history
says little, so the order is taken to be at that percentile: its remaining time is that of the
slowest 5% there, and its dates move forward day by day. Dates are never before today.

Result: `expected` is the median arrival date, `earliest`..`latest` the P10-P90 range, all
Almaty calendar days. Each end of the range is the day holding P10 (P90) or its inner
neighbour, whichever keeps the probability outside closer to 10%: taking whole days holding
them would widen the 80% range to about 90%. `late` ("задерживается") is true when today is
past the P90 date of the estimate made, unconditionally, at the start of the current stage:
the order has outlived the range it was promised when it entered this stage (`promised` is that
range's end; db/eta_delays.py records a "delay" change once per parcel and such range). Orders that
reached Almaty have `arrived` (the date of their first event at or past at_almaty_warehouse;
expected, earliest and latest equal it). Unpaid orders get
the estimate "if paid now" (the paid stage starting now, never late), so that every order on
its way has a date, as the product spec asks. Cancelled orders have no ETA.

Defaults (public, typical figures; used where history is thin), uniform in days:
paid 0.2-1.0 and processing 0.8-2.0 (buying: 1-3 days together), seller to the China warehouse
2-7, warehouse check and consolidation 1-5, China to Almaty 6-18 (the fast and the slow lines).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from typing import Iterable, Sequence

import numpy

from marketu_app.domain.statuses import JOURNEY, OrderStatus, journey_index
from marketu_app.domain.timeutil import ALMATY, almaty_date, to_utc

S = OrderStatus
STAGES: tuple[OrderStatus, ...] = (S.PAID, S.PROCESSING, S.TO_CHINA_WAREHOUSE, S.AT_CHINA_WAREHOUSE,
                                   S.SHIPPED_FROM_CHINA)
ARRIVAL = S.AT_ALMATY_WAREHOUSE
PAUSED_BY_HOLIDAYS = frozenset(STAGES[:4])  # the stages in China; the line to Almaty keeps going
SHIP = len(STAGES) - 1  # index of the transit stage

DEFAULT_STAGE_DAYS: dict[OrderStatus, tuple[float, float]] = {
    S.PAID: (0.2, 1.0),
    S.PROCESSING: (0.8, 2.0),
    S.TO_CHINA_WAREHOUSE: (2.0, 7.0),
    S.AT_CHINA_WAREHOUSE: (1.0, 5.0),
    S.SHIPPED_FROM_CHINA: (6.0, 18.0),
}
DEFAULT_WINDOW_DAYS = 120
RECENT_DAYS: float | None = None  # a recent period that follows changes of regime (see learn_stats); off
RECENT_WEIGHT = 0.5
MIN_MARKETPLACE_SAMPLES = 40
MIN_POOLED_SAMPLES = 20
TAIL_MASS = 0.05  # past the P95 of a stage, the order is treated as being at its P95
LOW_Q, MID_Q, HIGH_Q = 0.10, 0.50, 0.90
STEP = 0.125  # grid of the convolutions, in days (3 hours)
POOLED = "*"

# China's official public holidays (Spring Festival, Labour Day, National Day "Golden Week"),
# inclusive dates, China time. 2027's Spring Festival dates are the expected ones.
CHINA_HOLIDAYS: tuple[tuple[date, date], ...] = (
    (date(2024, 2, 10), date(2024, 2, 17)), (date(2024, 5, 1), date(2024, 5, 5)),
    (date(2024, 10, 1), date(2024, 10, 7)),
    (date(2025, 1, 28), date(2025, 2, 4)), (date(2025, 5, 1), date(2025, 5, 5)),
    (date(2025, 10, 1), date(2025, 10, 8)),
    (date(2026, 2, 15), date(2026, 2, 23)), (date(2026, 5, 1), date(2026, 5, 5)),
    (date(2026, 10, 1), date(2026, 10, 7)),
    (date(2027, 2, 5), date(2027, 2, 11)), (date(2027, 5, 1), date(2027, 5, 5)),
    (date(2027, 10, 1), date(2027, 10, 7)),
)
_CHINA_UTC_OFFSET_DAYS = 8 / 24
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------- time as float days (UTC)

def to_days(value: datetime) -> float:
    return (to_utc(value) - _EPOCH).total_seconds() / 86400.0


def from_days(value: float) -> datetime:
    return _EPOCH + timedelta(days=value)


def holiday_spans(holidays: Iterable[tuple[date, date]] = CHINA_HOLIDAYS) -> tuple[tuple[float, float], ...]:
    """Holidays as [start, end) in float days UTC, from midnight to midnight China time."""
    def midnight(d: date) -> float:
        return (d - date(1970, 1, 1)).days - _CHINA_UTC_OFFSET_DAYS
    return tuple(sorted((midnight(a), midnight(b) + 1.0) for a, b in holidays))


HOLIDAY_SPANS = holiday_spans()


def working_days(a: float, b: float, spans=HOLIDAY_SPANS) -> float:
    """Time from a to b (float days) with holiday time removed."""
    if b <= a:
        return 0.0
    total = b - a
    for hs, he in spans:
        if he > a and hs < b:
            total -= min(b, he) - max(a, hs)
    return total


def advance_working(start: float, work: float, spans=HOLIDAY_SPANS) -> float:
    """The moment (float days) when `work` working days have passed since `start`."""
    t, left = start, work
    for hs, he in spans:
        if he <= t:
            continue
        if hs <= t:  # inside a holiday: nothing happens until it ends
            t = he
            continue
        if t + left <= hs:
            return t + left
        left -= hs - t
        t = he
    return t + left


def _stage_time(stage: int, a: float, b: float) -> float:
    return working_days(a, b) if STAGES[stage] in PAUSED_BY_HOLIDAYS else max(0.0, b - a)


# ---------------------------------------------------------------- distributions

@dataclass(frozen=True)
class StageDist:
    """A discrete distribution of a stage's duration in days (working days in China)."""

    values: tuple[float, ...]  # sorted
    weights: tuple[float, ...]  # sum to 1
    n: int  # completed observations behind it (0: a default)
    source: str  # the marketplace, "*" (pooled) or "default"

    def quantile(self, q: float) -> float:
        acc = 0.0
        for v, w in zip(self.values, self.weights):
            acc += w
            if acc >= q - 1e-12:
                return v
        return self.values[-1]

    @cached_property
    def _arrays(self) -> tuple[numpy.ndarray, numpy.ndarray]:
        return numpy.asarray(self.values, float), numpy.asarray(self.weights, float)

    def remaining_bins(self, elapsed: float, origin: float | None = None) -> list[float]:
        """`remaining` binned on the grid (as `_bins` would), with numpy: learned stages have thousands of values."""
        e = min(max(elapsed, 0.0), self.elapsed_cap())
        o = e if origin is None else min(max(origin, 0.0), e)
        values, weights = self._arrays
        keep = values > e
        if not keep.any():
            return [1.0]
        out = numpy.bincount(numpy.rint((values[keep] - o) / STEP).astype(int), weights=weights[keep])
        return (out / weights[keep].sum()).tolist()

    @cached_property
    def _cap(self) -> float:
        cap = self.quantile(1.0 - TAIL_MASS)
        positive = [v for v in self.values if v > 0]
        if len(positive) >= 4:
            cap = min(cap, positive[-4])
        return max(0.0, cap - 1e-9)

    def elapsed_cap(self) -> float:
        """Elapsed time beyond which the history says little: P95, and at least 3 values above it."""
        return self._cap

    def remaining(self, elapsed: float, origin: float | None = None) -> list[tuple[float, float]]:
        """The conditional distribution of the time left given `elapsed`: [(days, weight)].

        Times are counted from `origin` (default: `elapsed`), a moment at most `elapsed`.
        """
        e = min(max(elapsed, 0.0), self.elapsed_cap())
        o = e if origin is None else min(max(origin, 0.0), e)
        kept = [(v - o, w) for v, w in zip(self.values, self.weights) if v > e]
        if not kept:  # cannot happen after the cap, but never divide by zero
            kept = [(0.0, 1.0)]
        total = sum(w for _, w in kept)
        return [(v, w / total) for v, w in kept]


def kaplan_meier(observations: Sequence[tuple[float, bool]], source: str) -> StageDist | None:
    """Product-limit estimate from (duration, completed) pairs; censored ones are still running."""
    if not observations:
        return None
    obs = sorted(observations, key=lambda o: (o[0], not o[1]))  # events before censorings at a tie
    at_risk = len(obs)
    survival = 1.0
    masses: dict[float, float] = {}
    i = 0
    while i < len(obs):
        t = obs[i][0]
        done = censored = 0
        while i < len(obs) and obs[i][0] == t:
            done += obs[i][1]
            censored += not obs[i][1]
            i += 1
        if done:
            mass = survival * done / at_risk
            masses[t] = masses.get(t, 0.0) + mass
            survival -= mass
        at_risk -= done + censored
    completed = sum(1 for o in obs if o[1])
    if not completed:
        return None
    if survival > 1e-9:  # still running beyond every completion: put that mass past the last one
        masses[max(obs[-1][0], max(masses)) * 1.25] = survival
    values = tuple(sorted(masses))
    return StageDist(values, tuple(masses[v] for v in values), completed, source)


def kaplan_meier_recent(observations: Sequence[tuple[float, bool, float]], source: str) -> StageDist | None:
    """Product-limit estimate of what the recent period shows ("period analysis"): (duration, completed, entry).

    An observation is at risk only from `entry` (its duration when the period began) on, and one
    that ended before the period is left out: the hazard at each duration is the one seen lately.
    """
    obs = [(d, c, e) for d, c, e in observations if d >= e]
    if not obs:
        return None
    dur = numpy.array([o[0] for o in obs])
    done = numpy.array([o[1] for o in obs], bool)
    entry = numpy.sort(numpy.array([o[2] for o in obs]))
    if not done.any():
        return None
    times, deaths = numpy.unique(dur[done], return_counts=True)
    at_risk = numpy.searchsorted(entry, times, side="right") - numpy.searchsorted(numpy.sort(dur), times, side="left")
    hazard = numpy.minimum(1.0, deaths / numpy.maximum(at_risk, 1))
    survival = numpy.concatenate(([1.0], numpy.cumprod(1.0 - hazard)))
    masses = survival[:-1] * hazard
    values, weights = times.tolist(), masses.tolist()
    if survival[-1] > 1e-9:  # still running beyond every completion: past the last one
        values.append(max(float(dur.max()), values[-1]) * 1.25)
        weights.append(float(survival[-1]))
    return StageDist(tuple(values), tuple(weights), int(done.sum()), source)


def mix(a: StageDist, b: StageDist, weight_a: float) -> StageDist:
    """The mixture `weight_a` a + (1 - weight_a) b (n and source of a)."""
    masses: dict[float, float] = {}
    for d, w in ((a, weight_a), (b, 1.0 - weight_a)):
        for v, p in zip(d.values, d.weights):
            masses[v] = masses.get(v, 0.0) + w * p
    values = tuple(sorted(masses))
    return StageDist(values, tuple(masses[v] for v in values), a.n, a.source)


def default_dist(stage: OrderStatus, points: int = 24) -> StageDist:
    low, high = DEFAULT_STAGE_DAYS[stage]
    values = tuple(low + (high - low) * (i + 0.5) / points for i in range(points))
    return StageDist(values, tuple(1.0 / points for _ in values), 0, "default")


# ---------------------------------------------------------------- binned arithmetic

def _bins(pairs: Iterable[tuple[float, float]]) -> list[float]:
    pairs = list(pairs)
    values = numpy.fromiter((v for v, _ in pairs), float, len(pairs))
    weights = numpy.fromiter((w for _, w in pairs), float, len(pairs))
    # Python's round() halves to even; rint does too, so the bins are the same as before.
    return numpy.bincount(numpy.rint(values / STEP).astype(int), weights=weights).tolist()


def _convolve(a: list[float], b: list[float]) -> list[float]:
    # The hot path of every estimate: numpy does it ~10x faster than a Python loop.
    return numpy.convolve(a, b).tolist()


class Spread:
    """The binned distribution of the time to arrival (days from a base moment)."""

    def __init__(self, dist: list[float]) -> None:
        total = sum(dist)
        self.dist = [p / total for p in dist]
        self.cum, acc = [], 0.0
        for p in self.dist:
            acc += p
            self.cum.append(acc)

    def quantile(self, q: float) -> float:
        """Interpolated within a bin (bin i covers [(i - 0.5) STEP, (i + 0.5) STEP))."""
        i = min(bisect.bisect_left(self.cum, q - 1e-12), len(self.cum) - 1)
        below = self.cum[i - 1] if i else 0.0
        frac = (q - below) / self.dist[i] if self.dist[i] > 0 else 0.5
        return max(0.0, (i - 0.5 + min(max(frac, 0.0), 1.0)) * STEP)

    def quantiles(self, qs: numpy.ndarray) -> numpy.ndarray:
        """`quantile` for many q at once."""
        cum, dist = numpy.asarray(self.cum), numpy.asarray(self.dist)
        i = numpy.minimum(numpy.searchsorted(cum, qs - 1e-12, side="left"), len(cum) - 1)
        below = numpy.where(i > 0, cum[numpy.maximum(i - 1, 0)], 0.0)
        p = dist[i]
        frac = numpy.where(p > 0, (qs - below) / numpy.where(p > 0, p, 1.0), 0.5)
        return numpy.maximum(0.0, (i - 0.5 + numpy.clip(frac, 0.0, 1.0)) * STEP)

    def cdf(self, x: float) -> float:
        pos = x / STEP + 0.5
        i = math.floor(pos)
        if i < 0:
            return 0.0
        if i >= len(self.dist):
            return 1.0
        return (self.cum[i - 1] if i else 0.0) + (pos - i) * self.dist[i]


@dataclass
class Profile:
    """A marketplace's five stage distributions and their precomputed sums."""

    stages: tuple[StageDist, ...]
    entered: list[list[float]] = field(default_factory=list)  # stage k given it was entered (no skips)
    pause_tail: list[list[float]] = field(default_factory=list)  # China stages k..3 summed
    tail: list[list[float]] = field(default_factory=list)  # stages k..4 summed
    full: list[Spread] = field(default_factory=list)  # entered k + tail k+1

    def __post_init__(self) -> None:
        binned = [_bins(zip(d.values, d.weights)) for d in self.stages]
        self.entered = [d.remaining_bins(0.0) for d in self.stages]
        self.pause_tail = [[1.0] for _ in range(len(STAGES) + 1)]
        for k in range(SHIP - 1, -1, -1):
            self.pause_tail[k] = _convolve(binned[k], self.pause_tail[k + 1])
        ship = binned[SHIP]
        self.tail = [_convolve(self.pause_tail[k], ship) for k in range(SHIP)] + [ship, [1.0]]
        self.full = [Spread(_convolve(self.entered[k], self.tail[k + 1])) for k in range(len(STAGES))]


@dataclass
class EtaStats:
    """What was learned: per group (marketplace or pooled) and stage, a duration distribution."""

    learned_at: datetime | None
    window_days: int
    dists: dict[str, tuple[StageDist, ...]]  # POOLED always present
    _profiles: dict[str, Profile] = field(default_factory=dict, repr=False, compare=False)
    # Estimates made with these statistics, per (journey, 3-hour step of now): pages read the same
    # orders again and again (reloads, live pushes, other tabs), and an estimate moves in 3-hour steps.
    _estimates: dict = field(default_factory=dict, repr=False, compare=False)

    def profile(self, marketplace: str | None) -> Profile:
        key = (marketplace or "").strip().lower()
        if key not in self.dists:
            key = POOLED
        if key not in self._profiles:
            self._profiles[key] = Profile(self.dists[key])
        return self._profiles[key]

    def summary(self) -> dict[str, dict[str, tuple[str, int, float]]]:
        """Per group and stage: (source, completed samples, median days). For logs and tests."""
        return {g: {STAGES[k].value: (d.source, d.n, d.quantile(0.5)) for k, d in enumerate(ds)}
                for g, ds in self.dists.items()}


def default_stats() -> EtaStats:
    return EtaStats(None, DEFAULT_WINDOW_DAYS, {POOLED: tuple(default_dist(s) for s in STAGES)})


# ---------------------------------------------------------------- journeys and learning

@dataclass(frozen=True)
class Journey:
    """One order as the estimator sees it: its marketplace and its status events (any order)."""

    marketplace: str
    events: tuple[tuple[str, datetime], ...]
    status: str | None = None  # the current status; by default the latest event's


def _sorted_events(journey: Journey) -> list[tuple[int, float]]:
    """(journey index, float days) by time; cancelled events dropped; a stable sort keeps ties."""
    events = [(journey_index(s), to_days(at)) for s, at in journey.events]
    return sorted(((i, t) for i, t in events if i >= 0), key=lambda e: e[1])


def _current(journey: Journey) -> OrderStatus | None:
    if journey.status:
        return OrderStatus(journey.status)
    if not journey.events:
        return None
    latest = max(range(len(journey.events)), key=lambda i: (to_days(journey.events[i][1]), i))
    return OrderStatus(journey.events[latest][0])


def _reach(events: list[tuple[int, float]], index: int) -> float | None:
    """When the order first reached this journey position or a later one."""
    times = [t for i, t in events if i >= index]
    return min(times) if times else None


_INDEX = {s.value: journey_index(s) for s in OrderStatus}


def stage_observations(journey: Journey, now: float, since: float) -> list[tuple[int, float, bool]]:
    """(stage, duration, completed) of the stages that started in [since, now)."""
    return [o[:3] for o in _observations(journey, now, since, now)]


def _observations(journey: Journey, now: float, since: float, recent: float) -> list[tuple[int, float, bool, float]]:
    """(stage, duration, completed, entry): `entry` is how far into the stage it was at `recent` (0 if later)."""
    # Each event's time converted once: this runs for every order at every refresh.
    visible = [(_INDEX[s], t) for s, t in ((s, to_days(at)) for s, at in journey.events) if t <= now]
    if not visible:
        return []
    latest = max(range(len(visible)), key=lambda i: (visible[i][1], i))  # ties: the later-listed one
    if visible[latest][0] < 0:  # cancelled
        return []
    reach = [math.inf] * (len(JOURNEY) + 1)  # reach[i]: first time at journey position i or later
    for i, t in visible:
        if i >= 0 and t < reach[i]:
            reach[i] = t
    known = [i for i, _ in visible if i >= 0]
    if not known:
        return []
    first = min(known)
    for i in range(len(JOURNEY) - 1, -1, -1):
        reach[i] = min(reach[i], reach[i + 1])
    out = []
    for k, stage in enumerate(STAGES):
        index = JOURNEY.index(stage)
        if first > index:  # entered the history past this stage: its start is unknown
            continue
        start, end = reach[index], reach[index + 1]
        if start == math.inf or not since <= start < now:
            continue
        entry = _stage_time(k, start, recent) if start < recent else 0.0
        if end != math.inf:
            out.append((k, _stage_time(k, start, end), True, entry))
        else:
            out.append((k, _stage_time(k, start, now), False, entry))
    return out


def learn_stats(journeys: Iterable[Journey], now: datetime, window_days: int = DEFAULT_WINDOW_DAYS,
                min_marketplace: int = MIN_MARKETPLACE_SAMPLES,
                min_pooled: int = MIN_POOLED_SAMPLES, recent_days: float | None = RECENT_DAYS,
                recent_weight: float = RECENT_WEIGHT) -> EtaStats:
    """Stage distributions from the window; where the last `recent_days` hold enough completions, from them.

    The recent period ("period analysis", `kaplan_meier_recent`) follows a change of regime (a
    slower customs, a sale's backlog) within days, where the whole window would take months.
    """
    t_now = to_days(now)
    since = t_now - window_days
    recent = t_now - recent_days if recent_days else t_now
    per_group: dict[str, list[list[tuple[float, bool, float]]]] = {}
    pooled: list[list[tuple[float, bool, float]]] = [[] for _ in STAGES]
    for journey in journeys:
        group = (journey.marketplace or "").strip().lower()
        for k, duration, done, entry in _observations(journey, t_now, since, recent):
            per_group.setdefault(group, [[] for _ in STAGES])[k].append((duration, done, entry))
            pooled[k].append((duration, done, entry))

    def learn(obs: list[tuple[float, bool, float]], source: str, minimum: int,
              lately_only: bool = False) -> StageDist | None:
        window = kaplan_meier([(duration, done) for duration, done, _ in obs], source)
        if recent_days:
            lately = kaplan_meier_recent(obs, source)
            if lately is not None and lately.n >= minimum:
                return lately if recent_weight >= 1 or window is None else mix(lately, window, recent_weight)
        if lately_only:
            return None
        return window if window is not None and window.n >= minimum else None

    pooled_dists, pooled_lately = [], []
    for k, stage in enumerate(STAGES):
        lately = learn(pooled[k], POOLED, min_pooled, lately_only=True)
        d = lately or learn(pooled[k], POOLED, min_pooled)
        pooled_dists.append(d if d is not None else default_dist(stage))
        pooled_lately.append(lately is not None)
    dists: dict[str, tuple[StageDist, ...]] = {POOLED: tuple(pooled_dists)}
    for group, stages in per_group.items():
        own = []
        for k in range(len(STAGES)):
            # A marketplace's own recent history, else everybody's recent one (a change of regime
            # matters more than a marketplace's habits), else its own window, else everybody's.
            d = learn(stages[k], group, min_marketplace, lately_only=pooled_lately[k])
            own.append(d if d is not None else pooled_dists[k])
        if any(d.source == group for d in own):
            dists[group] = tuple(own)
    return EtaStats(from_days(t_now), window_days, dists)


# ---------------------------------------------------------------- estimating

@dataclass(frozen=True)
class Eta:
    expected: date
    earliest: date
    latest: date
    late: bool
    arrived: date | None = None  # set for orders already in Almaty (then the dates equal it)
    promised: date | None = None  # when late: the end (P90 day) of the range it has outlived


def _spread(profile: Profile, k: int, base: float, elapsed: float | None, origin: float = 0.0) -> Spread:
    """The time (calendar days) from `base` to arrival; elapsed None: at the stage's start.

    `base` is the moment when `origin` (<= elapsed) of the stage had passed.
    """
    if elapsed is None:
        rem = profile.entered[k]
    else:
        rem = profile.stages[k].remaining_bins(elapsed, origin)
    if k == SHIP:
        return Spread(rem)
    pause = _convolve(rem, profile.pause_tail[k + 1])
    horizon = base + len(pause) * STEP
    if not any(he > base and hs < horizon for hs, he in HOLIDAY_SPANS):
        return profile.full[k] if elapsed is None else Spread(_convolve(rem, profile.tail[k + 1]))
    # Holidays ahead: map the China part from working days to the calendar, then add the transit.
    calendar: dict[int, float] = {}
    for b, p in enumerate(pause):
        if p > 1e-12:
            c = int(round((advance_working(base, b * STEP) - base) / STEP))
            calendar[c] = calendar.get(c, 0.0) + p
    mapped = [0.0] * (max(calendar) + 1)
    for c, p in calendar.items():
        mapped[c] = p
    return Spread(_convolve(mapped, profile.tail[SHIP]))


def _dates(base: float, spread: Spread, today: date) -> tuple[date, date, date]:
    """Earliest, expected, latest Almaty dates; never before today.

    The median's day is the expected date. Each end of the range is the day holding P10 (P90)
    or its neighbour inside the range, whichever leaves the probability outside the range closer
    to 10%: always taking the days holding them would widen the 80% range to about 90%.
    """
    def day(offset: float) -> date:
        return almaty_date(from_days(base + offset))

    def before(d: date) -> float:  # probability of arriving before day d (Almaty)
        return spread.cdf(to_days(datetime(d.year, d.month, d.day, tzinfo=ALMATY)) - base)

    one = timedelta(days=1)
    expected = max(today, day(spread.quantile(MID_Q)))
    low = day(spread.quantile(LOW_Q))
    if LOW_Q - before(low) > before(low + one) - LOW_Q:
        low += one
    high = day(spread.quantile(HIGH_Q))
    if before(high + one) - HIGH_Q > HIGH_Q - before(high):
        high -= one
    earliest = max(today, min(low, expected))
    return earliest, expected, max(high, expected)


ESTIMATE_CACHE_SIZE = 50_000


def estimate(stats: EtaStats, journey: Journey, now: datetime) -> Eta | None:
    """The ETA of one order at `now`, remembered for the current 3-hour step (see EtaStats)."""
    key = (journey, math.floor(to_days(now) / STEP), almaty_date(now))
    cache = stats._estimates
    if key not in cache:
        if len(cache) >= ESTIMATE_CACHE_SIZE:
            cache.clear()
        cache[key] = _estimate(stats, journey, now)
    return cache[key]


@dataclass(frozen=True)
class Arrival:
    """When an order reaches Almaty: `spread` days after `base` (float days), or at `base` if `spread` is None."""

    base: float
    spread: Spread | None
    stage_start: float | None = None  # when the current stage began (None: not paid or arrived)


def arrival(stats: EtaStats, journey: Journey, now: datetime, promise: bool = False) -> Arrival | None:
    """The distribution of the order's arrival in Almaty seen at `now` (None: cancelled).

    `promise`: as it was estimated, unconditionally, at the start of the current stage.
    """
    current = _current(journey)
    if current is None or current is S.CANCELLED:
        return None
    events = _sorted_events(journey)
    if journey_index(current) >= JOURNEY.index(ARRIVAL):
        reached = _reach(events, JOURNEY.index(ARRIVAL))
        return None if reached is None else Arrival(reached, None)
    t_now = to_days(now)
    profile = stats.profile(journey.marketplace)
    if current is S.NOT_PAID:  # "if paid now"
        return Arrival(t_now, _spread(profile, 0, t_now, None))
    k = STAGES.index(current)
    start = _reach(events, JOURNEY.index(current))
    start = t_now if start is None else start
    if start >= t_now or promise:  # an event a little in the future: predict from it
        return Arrival(start, _spread(profile, k, start, None), start)
    # Counted from the last 3-hour step since the stage began, so that the dates do not
    # flicker between two reads seconds apart (bins are aligned with the stage's start).
    elapsed = _stage_time(k, start, t_now)
    origin = math.floor(elapsed / STEP) * STEP
    base = t_now - (elapsed - origin)
    return Arrival(base, _spread(profile, k, base, elapsed, origin), start)


def _estimate(stats: EtaStats, journey: Journey, now: datetime) -> Eta | None:
    """The ETA of one order at `now` (pure: everything it needs is in `stats` and `journey`)."""
    seen = arrival(stats, journey, now)
    if seen is None:
        return None
    if seen.spread is None:
        day = almaty_date(from_days(seen.base))
        return Eta(day, day, day, False, arrived=day)
    t_now, today = to_days(now), almaty_date(now)
    earliest, expected, latest = _dates(seen.base, seen.spread, today)
    late, promised_end = False, None
    if seen.stage_start is not None and seen.stage_start < t_now:
        promised = arrival(stats, journey, now, promise=True)
        promised_end = _dates(promised.base, promised.spread, almaty_date(from_days(promised.base)))[2]
        late = today > promised_end
    return Eta(expected, earliest, latest, late, promised=promised_end if late else None)


def parcel_eta(etas: Iterable[Eta | None]) -> Eta | None:
    """A parcel arrives with its last order: the latest of its orders' ETAs (None: cancelled).

    It has `arrived` only when every order has arrived; otherwise the orders still on their
    way decide (each date the latest of theirs; late if any is late).
    """
    known = [e for e in etas if e is not None]
    if not known:
        return None
    waiting = [e for e in known if e.arrived is None]
    if not waiting:
        day = max(e.arrived for e in known)
        return Eta(day, day, day, False, arrived=day)
    late = [e.promised for e in waiting if e.late and e.promised]
    return Eta(max(e.expected for e in waiting), max(e.earliest for e in waiting),
               max(e.latest for e in waiting), any(e.late for e in waiting), promised=max(late, default=None))
