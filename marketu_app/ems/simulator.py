"""A Kazpost-format tracking API for development, tests and benchmarks.

Any valid S10 track moves, deterministically (seeded by the track number), from acceptance
in Almaty to delivery in another city, over `step_seconds` of wall time per step since the
simulator first saw the track (0: the whole history at once, back-dated). Some tracks
answer "not found" for their first poll(s). Faults are switched on per track (or for all
with track "*") through `set_mode` or `POST /_sim/modes`:

    timeout (sleep `delay` s, then answer), 500, 429 (Retry-After: `retry_after`),
    malformed (truncated JSON), html (an HTML error page with 200), not_found  -- each for
    `times` requests (None: until reset); and content modes that change the history:
    empty (no events), unknown (a code in no dictionary), novel (a code only Kazpost's dictionary
    names), hidden (codes Kazpost hides on its site: one in transit, one a milestone), undo (a wrong DLV
    then DLV_UNDO). `GET /api/v2/status_mappings/index.json` serves Kazpost's status dictionary.

A track with a `Story` (the demo: `--demo-stories` reads each demo EMS parcel's own dates from
the app's database) is anchored on those dates instead: accepted soon after the parcel was sent,
handed over just before the orders were marked delivered, the same after every restart.

Run standalone: `python -m marketu_app.ems.simulator --port 8701`, then
MARKETU_EMS_API_URL=http://127.0.0.1:8701/api/v2. It is served by Granian (Reflex's own server),
so it runs with the app's dependencies alone.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from marketu_app.domain.s10 import is_valid_s10
from marketu_app.domain.timeutil import ALMATY

FAULTS = ("timeout", "500", "429", "malformed", "html", "not_found")
CONTENT = ("empty", "unknown", "novel", "hidden", "undo")
UNKNOWN_CODE = "XDELAYWX"  # not in any dictionary: must show as "other", in generic words
NOVEL_CODE = "ZZZNEW"  # unknown to our groups, named only by Kazpost's dictionary
HIDDEN_CODES = ("TRANSITSND", "BAT")  # onsite 0: the first hidden from customers, the second a milestone

# Kazpost's dictionary as the simulator serves it: code -> (title_ru, title_kz, onsite, group).
DICTIONARY: dict[str, tuple[str, str, int, str]] = {
    "RCPOPS": ("Принято в отделении связи", "Байланыс бөлімшесінде қабылданды", 1, "accepted"),
    "RCP": ("Принято", "Қабылданды", 1, "accepted"),
    "BAT": ("Включено в партию", "Топтамаға енгізілді", 0, "accepted"),
    "SRTRPOREG": ("Регистрация в сортировочном центре", "Сұрыптау орталығында тіркелді", 1, "sorting"),
    "SRTSND": ("Отправлено из сортировочного центра", "Сұрыптау орталығынан жіберілді", 1, "sorting"),
    "TRNSRT": ("Сортировка", "Сұрыптау", 1, "sorting"),
    "TRANSITRCV": ("Прибыло в транзитный пункт", "Транзиттік пунктке келді", 1, "transit"),
    "TRANSITSND": ("Отправлено из транзитного пункта", "Транзиттік пункттен жіберілді", 0, "transit"),
    "AVIASND": ("Отправлено авиатранспортом", "Әуе көлігімен жіберілді", 1, "transit"),
    "TRNRPO": ("Прибыло в отделение доставки", "Жеткізу бөлімшесіне келді", 1, "delivery_office"),
    "DLV": ("Ожидает клиента", "Клиентті күтуде", 1, "courier"),
    "STR": ("На хранении", "Сақтауда", 1, "storage"),
    "NONDLV": ("Неудачная попытка вручения", "Табыс ету әрекеті сәтсіз", 1, "failed"),
    "ISSPAY": ("Вручено адресату", "Алушыға табыс етілді", 1, "delivered"),
    "DPAY": ("Вручено", "Табыс етілді", 1, "delivered"),
    "ISSSC": ("Вручено курьером", "Курьер табыс етті", 1, "delivered"),
    "RET": ("Возврат отправителю", "Жіберушіге қайтару", 1, "returned"),
    NOVEL_CODE: ("Передано партнёру для доставки", "Жеткізу үшін серіктеске берілді", 1, "other"),
}
CITIES = ("Астана", "Шымкент", "Караганда", "Актобе", "Павлодар", "Усть-Каменогорск", "Атырау",
          "Костанай", "Кызылорда", "Уральск", "Петропавловск", "Тараз", "Семей", "Туркестан")
STREETS = ("ул. Абая", "пр. Республики", "ул. Ауэзова", "ул. Сейфуллина", "пр. Назарбаева", "ул. Жибек Жолы")


@dataclass
class Mode:
    name: str
    times: int | None = None  # None: until reset
    delay: float = 5.0
    retry_after: int = 30


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    city: str
    offset: float  # seconds after first seen (wall time) when it becomes visible
    reason: str | None = None


@dataclass(frozen=True)
class Story:
    """What the parcel's own history says about its EMS leg."""

    sent_at: datetime  # the orders were sent to the recipient
    delivered_at: datetime | None = None  # the orders were marked delivered (None: still on the way)


STORY_DAYS = (2.5, 5.0)  # how long an EMS leg takes when the orders say nothing yet (min, max)


def _story_times(track: str, story: Story, n: int, seed: str) -> list[datetime]:
    """When each of `n` steps happens: deterministic per track, between sending and delivery."""
    rng = random.Random(f"{seed}:story:{track}")
    start = story.sent_at + timedelta(hours=rng.uniform(1.0, 3.0))
    if story.delivered_at is not None:
        end = max(story.delivered_at - timedelta(minutes=rng.uniform(20, 90)), start + timedelta(hours=n))
    else:
        end = start + timedelta(days=rng.uniform(*STORY_DAYS))
    # Accepted, registered and sent on from the sorting centre within hours; the rest over days.
    weights = [rng.uniform(0.6, 1.4) * (0.1 if i < 2 else 1.0) for i in range(n - 1)]
    total = sum(weights) or 1.0
    times, t = [start], start
    for w in weights:
        t += (end - start) * (w / total)
        times.append(t)
    return [x.replace(second=0, microsecond=0) for x in times]


def _plan(track: str, step_seconds: float, seed: str) -> tuple[int, list[Step]]:
    """(not-found polls, the steps) of one track; the same for the same track and seed."""
    rng = random.Random(f"{seed}:{track}")
    dest = rng.choice(CITIES)
    office = f"Отделение связи №{rng.randint(1, 60)} г. {dest}"
    office_addr = f"г. {dest}, {rng.choice(STREETS)}, {rng.randint(1, 200)}"
    almaty_office = f"Отделение связи №{rng.randint(1, 90)} г. Алматы"
    almaty_addr = f"г. Алматы, {rng.choice(STREETS)}, {rng.randint(1, 300)}"
    psc = ("Алматинский почтово-сортировочный центр", "г. Алматы, Илийское шоссе 12")
    steps = [("RCPOPS", almaty_office, almaty_addr, None),
             ("SRTRPOREG", *psc, None),
             ("SRTSND", *psc, None),
             ("TRANSITRCV", f"Сортировочный центр г. {dest}", f"г. {dest}", None),
             ("TRNRPO", office, office_addr, None),
             ("DLV", office, office_addr, None)]
    if rng.random() < 0.15:
        steps += [("NONDLV", office, office_addr, rng.choice(("Адресат отсутствует", "Неверный адрес"))),
                  ("DLV", office, office_addr, None)]
    steps.append((rng.choice(("ISSPAY", "DPAY")), office, office_addr, None))
    offset, out = 0.0, []
    for i, (code, name, city, reason) in enumerate(steps):
        if i:
            offset += step_seconds * rng.uniform(0.6, 1.4)
        out.append(Step(code, name, city, offset, reason))
    not_found = rng.randint(1, 2) if rng.random() < 0.25 else 0
    return not_found, out


def _activity(code: str, at: datetime, name: str, city: str, reason: str | None = None) -> dict:
    local = at.astimezone(ALMATY)
    return {"_at": at, "date": local.strftime("%d.%m.%Y"), "time": local.strftime("%H:%M"),
            "zip": "050000", "city": city, "name": name, "x_dep_id": "000000", "status": [code],
            "dep_code": "059900/01", "nondlv_reason": reason, "return_reason": None, "forward_reason": None}


def _by_day(trackid: str, activities: list[dict]) -> dict:
    """Kazpost's shape: days newest first, each day's activities newest first."""
    order = sorted(range(len(activities)), key=lambda i: (activities[i]["_at"], i), reverse=True)
    days: list[dict] = []
    for a in (activities[i] for i in order):
        a.pop("_at")
        if not days or days[-1]["date"] != a["date"]:
            days.append({"date": a["date"], "activity": []})
        days[-1]["activity"].append({k: v for k, v in a.items() if k != "date"})
    return {"trackid": trackid, "timestamp": time.strftime("%H:%M:%S %d.%m.%Y"), "events": days}


class KazpostSimulator:
    def __init__(self, step_seconds: float = 60.0, seed: str = "marketu", clock=time.time,
                 not_found: bool = True, stories: Callable[[str], Story | None] | None = None):
        self.step_seconds = step_seconds
        self.stories = stories  # track -> its Story, or None: the first-seen plan below
        self.seed = seed
        self.clock = clock
        self.not_found = not_found  # False: no track starts with "not found" polls
        self.first_seen: dict[str, float] = {}
        self.requests: Counter[str] = Counter()
        self.modes: dict[str, dict[str, Mode]] = {}
        self._lock = threading.Lock()  # tests call set_mode from another thread
        self.app = Starlette(routes=[
            Route("/api/v2/status_mappings/index.json", self._dictionary),
            Route("/api/v2/{barcode}/events", self._events),
            Route("/api/v2/{barcode}", self._summary),
            Route("/_sim/modes", self._admin_mode, methods=["POST"]),
            Route("/_sim/stats", self._admin_stats),
            Route("/_sim/reset", self._admin_reset, methods=["POST"]),
        ])

    # --- test hooks ---
    def set_mode(self, track: str, mode: str, times: int | None = None, **kw) -> None:
        if mode not in FAULTS + CONTENT:
            raise ValueError(f"unknown mode {mode!r}")
        with self._lock:
            self.modes.setdefault(track, {})[mode] = Mode(mode, times, **kw)

    def clear_modes(self, track: str | None = None) -> None:
        with self._lock:
            self.modes.clear() if track is None else self.modes.pop(track, None)

    def reset(self) -> None:
        with self._lock:
            self.modes.clear()
            self.requests.clear()
            self.first_seen.clear()

    # --- the history ---
    def _active(self, track: str) -> dict[str, Mode]:
        return {**self.modes.get("*", {}), **self.modes.get(track, {})}

    def _take_fault(self, track: str) -> Mode | None:
        """The first fault switched on for this track, counting one use of it."""
        with self._lock:
            for key in (track, "*"):
                for mode in self.modes.get(key, {}).values():
                    if mode.name in FAULTS and (mode.times is None or mode.times > 0):
                        if mode.times is not None:
                            mode.times -= 1
                        return mode
        return None

    def history(self, track: str, now: float | None = None) -> dict:
        now = self.clock() if now is None else now
        first = self.first_seen.setdefault(track, now)
        modes = self._active(track)
        _, steps = _plan(track, self.step_seconds, self.seed)
        if "empty" in modes:
            return {"trackid": track, "timestamp": time.strftime("%H:%M:%S %d.%m.%Y"), "events": []}
        base = datetime.fromtimestamp(first, timezone.utc).replace(second=0, microsecond=0)
        story = self._story(track)
        if story is not None:
            at_now = datetime.fromtimestamp(now, timezone.utc)
            planned = _story_times(track, story, len(steps), self.seed)
            pairs = [(s, at) for s, at in zip(steps, planned) if at <= at_now]
            visible, times = [s for s, _ in pairs], [at for _, at in pairs]
        elif self.step_seconds <= 0:  # instant: the whole history, back-dated over a few days
            rng = random.Random(f"{self.seed}:times:{track}")
            gaps = [rng.uniform(3, 9) * 3600 for _ in steps]
            t, times = base - timedelta(seconds=sum(gaps)), []
            for gap in gaps:
                t += timedelta(seconds=gap)
                times.append(t)
            visible = steps
        else:
            visible = [s for s in steps if first + s.offset <= now]
            times = [base + timedelta(seconds=s.offset) for s in visible]
        acts = [_activity(s.code, at.replace(second=0, microsecond=0), s.name, s.city, s.reason)
                for s, at in zip(visible, times)]
        if acts and "unknown" in modes:
            a0 = acts[0]
            acts.append(_activity(UNKNOWN_CODE, a0["_at"] + timedelta(minutes=20), a0["name"], a0["city"]))
            acts[-1]["forward_reason"] = "Задержка рейса по погодным условиям"
        if acts and "novel" in modes:
            a0 = acts[0]
            acts.append(_activity(NOVEL_CODE, a0["_at"] + timedelta(minutes=25), a0["name"], a0["city"]))
        if acts and "hidden" in modes:
            a0 = acts[0]
            for i, code in enumerate(HIDDEN_CODES):
                acts.append(_activity(code, a0["_at"] + timedelta(minutes=30 + i), a0["name"], a0["city"]))
        if acts and "undo" in modes:
            a0 = acts[0]
            acts.append(_activity("DLV", a0["_at"] + timedelta(minutes=5), a0["name"], a0["city"]))
            acts.append(_activity("DLV_UNDO", a0["_at"] + timedelta(minutes=10), a0["name"], a0["city"]))
        return _by_day(track, acts)

    def _story(self, track: str) -> Story | None:
        if self.stories is None:
            return None
        try:
            return self.stories(track)
        except Exception:  # the app's database not ready yet: the plain plan for now
            return None

    def _not_found_now(self, track: str) -> bool:
        if not self.not_found or self._story(track) is not None:
            return False
        polls, _ = _plan(track, self.step_seconds, self.seed)
        return self.requests[track] <= polls

    async def _answer(self, request: Request, events: bool) -> Response:
        track = request.path_params["barcode"].strip().upper()
        with self._lock:
            self.requests[track] += 1
        fault = self._take_fault(track)
        if fault is not None:
            if fault.name == "timeout":
                await asyncio.sleep(fault.delay)
            elif fault.name == "500":
                return PlainTextResponse("Internal Server Error", status_code=500)
            elif fault.name == "429":
                return PlainTextResponse("Too Many Requests", status_code=429,
                                         headers={"Retry-After": str(fault.retry_after)})
            elif fault.name == "malformed":
                return Response('{"trackid": "%s", "events": [{"date": "01.0' % track,
                                media_type="application/json")
            elif fault.name == "html":
                return Response("<!DOCTYPE html><html><head><title>502</title></head><body>"
                                "<h1>Сервис временно недоступен</h1></body></html>", media_type="text/html")
        if fault is not None and fault.name == "not_found" or not is_valid_s10(track) \
                or self._not_found_now(track):
            return JSONResponse({"trackid": track, "timestamp": time.strftime("%H:%M:%S %d.%m.%Y"),
                                 "exectime": 0.01, "api": "main",
                                 "error": f"Информация о почтовом отправлении {track} не найдена"})
        payload = self.history(track)
        if events:
            return JSONResponse(payload)
        last = payload["events"][0]["activity"][0] if payload["events"] else None
        return JSONResponse({"trackid": track, "timestamp": payload["timestamp"], "direction": "DOMESTIC",
                             "status_code": last["status"][0] if last else None,
                             "last": {"date": payload["events"][0]["date"], "dep_name": last["name"]} if last else None,
                             "category": "EMS", "delivery_method": "Авиа"})

    async def _dictionary(self, request: Request) -> Response:
        with self._lock:
            self.requests["status_mappings"] += 1
        fault = self._take_fault("status_mappings")
        if fault is not None and fault.name in ("500", "timeout"):
            return PlainTextResponse("Internal Server Error", status_code=500)
        return JSONResponse({code: {"title_ru": ru, "title_kz": kz, "onsite": onsite, "group": group}
                             for code, (ru, kz, onsite, group) in DICTIONARY.items()})

    async def _events(self, request: Request) -> Response:
        return await self._answer(request, events=True)

    async def _summary(self, request: Request) -> Response:
        return await self._answer(request, events=False)

    async def _admin_mode(self, request: Request) -> Response:
        body = await request.json()
        try:
            extra = {k: body[k] for k in ("delay", "retry_after") if k in body}
            self.set_mode(body["track"], body["mode"], body.get("times"), **extra)
        except (KeyError, ValueError, TypeError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return JSONResponse({"ok": True})

    async def _admin_stats(self, request: Request) -> Response:
        with self._lock:
            return JSONResponse({"total": sum(self.requests.values()), "tracks": len(self.requests),
                                 "max_per_track": max(self.requests.values(), default=0),
                                 "requests": dict(self.requests) if "full" in request.query_params else None})

    async def _admin_reset(self, request: Request) -> Response:
        self.reset()
        return JSONResponse({"ok": True})


class RunningSimulator:
    """The simulator served by uvicorn in a background thread (tests, run scripts)."""

    def __init__(self, sim: KazpostSimulator, port: int = 0):
        import uvicorn

        self.sim = sim
        config = uvicorn.Config(sim.app, host="127.0.0.1", port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="kazpost-simulator", daemon=True)

    def start(self) -> "RunningSimulator":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the simulator did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        return self.server.servers[0].sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v2"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> "RunningSimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(app, port: int, log_level: str = "warning") -> None:
    """Serves `app` on 127.0.0.1 with Granian's embedded server until interrupted."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    server = Server(app, address="127.0.0.1", port=port, interface=Interfaces.ASGI,
                    log_level=LogLevels(log_level), log_access=False)
    try:
        asyncio.run(server.serve())
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Kazpost-format tracking API simulator (127.0.0.1 only)")
    p.add_argument("--port", type=int, default=8701)
    p.add_argument("--step-seconds", type=float, default=60.0,
                   help="wall seconds per tracking step (0: whole history at once)")
    p.add_argument("--no-not-found", action="store_true", help="no track starts with 'not found' polls")
    p.add_argument("--seed", default="marketu")
    p.add_argument("--demo-stories", action="store_true",
                   help="anchor each demo EMS parcel's history on its own dates (read from the app's database)")
    p.add_argument("--log-level", default="warning")
    a = p.parse_args(argv)
    stories = None
    if a.demo_stories:
        from marketu_app.demo.ems_stories import stories_from_database

        stories = stories_from_database()
    sim = KazpostSimulator(step_seconds=a.step_seconds, seed=a.seed, not_found=not a.no_not_found, stories=stories)
    print(f"Kazpost simulator: MARKETU_EMS_API_URL=http://127.0.0.1:{a.port}/api/v2", flush=True)
    serve(sim.app, a.port, a.log_level)


if __name__ == "__main__":
    main()
