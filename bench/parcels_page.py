"""Parcels page benchmark (issue 4): a big account, the prod build, Chromium.

    .venv/bin/python bench/parcels_page.py                   # SQLite, 300 parcels / 3,000 orders
    .venv/bin/python bench/parcels_page.py --db postgresql   # a fresh PostgreSQL database (dropped after)
    .venv/bin/python bench/parcels_page.py --write-docs      # update "## Parcels page" in docs/benchmarks.md
    .venv/bin/python bench/parcels_page.py --profile         # also a pyinstrument profile of the load path

The app runs with `reflex run --env prod` from a copy of the project in a temporary directory
(its own .web build). The account is created before the start through marketu_app.db.writes
(the demo loader's `_load_customer`, i.e. the operator API's write path; no SQL for domain data).

Measures
- first cards: wall time from `page.goto("/")` in a new tab of the signed-in context (signed in once
  through the login form) to the first real card visible (`.parcel-card:not(.skeleton)`), median
  over --navigations after one warm-up;
- state sent for the first page: bytes of the websocket frames received during one such load
  (from the goto until the cards show and 1 s more), and the largest frame;
- server time of the load handler in-process: `queries.parcel_page` + `views.parcel_card` for the
  customer, N times, median (plus the session lookup + tab record that on_load also does).

Goals: first cards < 1.0 s median, state < 150 KB, handler < 50 ms median.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    POSTGRES_URL,
    RunningApp,
    app_env,
    machine,
    median,
    percentile,
    project_copy,
    write_section,
)
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from marketu_app.auth import sessions  # noqa: E402
from marketu_app.db import eta_source, queries  # noqa: E402
from marketu_app.db.engine import make_engine, migrate, session_scope  # noqa: E402
from marketu_app.db.models import Customer, Order, OrderStatusEvent, Parcel  # noqa: E402
from marketu_app.demo.seed import DemoOrder, DemoParcel, _load_customer, ems_track  # noqa: E402
from marketu_app.domain.statuses import JOURNEY, OrderStatus  # noqa: E402
from marketu_app.domain.timeutil import utcnow  # noqa: E402
from marketu_app.live.tabs import remember_tab  # noqa: E402
from marketu_app.views import parcel_card  # noqa: E402

BIG = ("c-bench-big", "Бенч Большой", ("+77010000001", "big@bench.kz", "bench-password-1"))
SMALL = ("c-bench-small", "Бенч Малый", ("+77010000002", "small@bench.kz", "bench-password-2"))
SECTION = "## Parcels page"
CARD = ".parcel-card:not(.skeleton)"  # the page shows 6 skeleton cards (.parcel-card.skeleton) while loading
TITLES = ["Кроссовки Li-Ning Wade 808, 42 размер", "Пуховик женский оверсайз, бежевый, M",
          "Термос из нержавеющей стали, 500 мл", "Беспроводные наушники Baseus Bowie E9",
          "Чехол для iPhone 15 Pro, прозрачный силикон", "Рюкзак городской Xiaomi, 20 л, серый",
          "Набор кухонных ножей, 6 предметов", "Светодиодная лента 10 м с пультом",
          "Power bank Xiaomi 20000 мАч", "Игровая мышь Logitech G102"]
MARKETS = ["taobao", "1688", "pinduoduo", "poizon"]
CITIES = ["Караганда", "Шымкент", "Астана", "Павлодар", "Актобе"]


def make_parcels(prefix: str, n_parcels: int, orders_per: int, rng: random.Random) -> list[DemoParcel]:
    """Parcels of every delivery method with orders at every stage (histories of 1-7 events)."""
    statuses = [s for s in JOURNEY if JOURNEY.index(s) <= JOURNEY.index(OrderStatus.SENT_TO_RECIPIENT)]
    out = []
    for i in range(n_parcels):
        method = ("pickup", "almaty", "kazakhstan")[i % 3]
        track = ems_track(70_000_000 + i) if method == "kazakhstan" and i % 2 == 0 else None
        base_days = rng.uniform(0.1, 60)
        orders = []
        for _j in range(orders_per):
            roll = rng.random()
            if roll < 0.05:
                o = DemoOrder(rng.choice(TITLES), rng.choice(MARKETS), "99.00", "CNY", OrderStatus.CANCELLED,
                              base_days, cancelled_after=rng.choice(statuses[:4]))
            elif roll < 0.25:
                o = DemoOrder(rng.choice(TITLES), rng.choice(MARKETS), "149.00", "CNY", OrderStatus.DELIVERED,
                              base_days)
            else:
                o = DemoOrder(rng.choice(TITLES), rng.choice(MARKETS), f"{rng.randint(10, 900)}.00", "CNY",
                              rng.choice(statuses[:7]), base_days + rng.uniform(0, 0.5), rng.randint(1, 3))
            orders.append(o)
        out.append(DemoParcel(f"{prefix}-{i:05d}", method, None if method == "pickup" else rng.choice(CITIES),
                              orders, track=track, weight="1.5"))
    return out


def seed(engine, parcels: int, orders: int) -> dict:
    rng = random.Random(4)
    now = utcnow()
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        _load_customer(s, BIG[0], BIG[1], BIG[2], make_parcels("PB", parcels, orders // parcels, rng), now, rng)
        _load_customer(s, SMALL[0], SMALL[1], SMALL[2], make_parcels("PS", 3, 2, rng), now, rng)
    with Session(engine) as s:
        big = s.exec(select(Customer).where(Customer.external_id == BIG[0])).one()
        counts = {
            "parcels": len(s.exec(select(Parcel.id).where(Parcel.customer_id == big.id)).all()),
            "orders": len(s.exec(select(Order.id).where(Order.customer_id == big.id)).all()),
            "events": len(s.exec(select(OrderStatusEvent.id).join(Order).where(Order.customer_id == big.id)).all()),
        }
    counts["seed_s"] = time.perf_counter() - t0
    counts["customer_id"] = big.id
    if engine.dialect.name == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them in a running database; right after a bulk
        # load PostgreSQL plans the page query blind (48 ms instead of 6 ms).
        from sqlalchemy import text

        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    return counts


def server_time(engine, customer_id: int, n: int, profile: bool) -> dict:
    """The load handler's work in-process: the first page's query and its cards."""
    eta_source.refresh_stats(engine)  # as the app's stats_refresher does at start
    with Session(engine) as s:
        token = sessions.create_session(s, customer_id)
        s.commit()

    def page_and_cards():
        with session_scope(engine) as db:
            page = queries.parcel_page(db, customer_id, "all", "")
        return page, [parcel_card(row, "ru") for row in page.rows]

    def full_on_load():  # what ParcelsState.on_load does besides the page: session lookup, tab record
        with session_scope(engine) as db:
            sessions.resolve_session(db, token)
        with session_scope(engine) as db:
            remember_tab(db, "bench-tab-" + uuid.uuid4().hex[:6], customer_id, "parcels")
        return page_and_cards()


    cold = []  # with the estimate cache emptied first: the first visit after a statistics refresh
    for _ in range(max(5, n // 5)):
        eta_source.current_stats()._estimates.clear()
        t0 = time.perf_counter()
        page_and_cards()
        cold.append(1000 * (time.perf_counter() - t0))
    for _ in range(3):
        page_and_cards()
    times, full = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        page, cards = page_and_cards()
        times.append(1000 * (time.perf_counter() - t0))
    for _ in range(max(10, n // 5)):
        t0 = time.perf_counter()
        full_on_load()
        full.append(1000 * (time.perf_counter() - t0))
    q = []
    for _ in range(max(10, n // 2)):
        with session_scope(engine) as db:
            t0 = time.perf_counter()
            queries.parcel_page(db, customer_id, "all", "")
            q.append(1000 * (time.perf_counter() - t0))
    cards_json = json.dumps([asdict(c) for c in cards], ensure_ascii=False)
    out = {"handler_ms_median": median(times), "handler_ms_p95": percentile(times, 95),
           "handler_cold_ms_median": median(cold),
           "query_ms_median": median(q), "on_load_ms_median": median(full),
           "cards": len(cards), "cards_json_bytes": len(cards_json.encode()), "total": page.total}
    if profile:
        try:
            sys.path.insert(0, "/tmp/bench-pyinstrument")
            from pyinstrument import Profiler
        except ImportError:
            print("pyinstrument not importable (pip install --target /tmp/bench-pyinstrument pyinstrument)")
        else:
            prof = Profiler(interval=0.0005)
            prof.start()
            for _ in range(20):
                page_and_cards()
            prof.stop()
            print(prof.output_text(unicode=True, color=False, show_all=False))
    return out


def browser_measure(base: str, navigations: int) -> dict:
    """Each navigation opens the page in a NEW tab of the signed-in context (warm HTTP cache, new client
    token, so fresh page state). Reloading in the same tab would first show the previous load's cards
    from the tab's saved state (hydrate), which is not the time to fresh cards."""
    from playwright.sync_api import sync_playwright

    frames: list[tuple[int, float, int]] = []  # (navigation, time, bytes)
    nav = {"i": -1}

    def on_ws(ws):
        if "/_event" not in ws.url:
            return
        ws.on("framereceived", lambda payload: frames.append(
            (nav["i"], time.perf_counter(),
             len(payload.encode("utf-8")) if isinstance(payload, str) else len(payload))))

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ru-RU",
                                  extra_http_headers={"X-Forwarded-For": "10.9.9.9"})
        page = ctx.new_page()
        # Sign in once through the form.
        page.goto(base + "/")
        page.wait_for_url("**/login**")
        page.fill("#identifier", BIG[2][0])
        page.fill("#password", BIG[2][2])
        page.click("button[type=submit]")
        page.wait_for_selector(CARD, state="visible", timeout=60_000)
        page.close()
        results = []
        for i in range(navigations + 1):  # the first is a warm-up (reported apart)
            nav["i"] = i
            page = ctx.new_page()
            page.on("websocket", on_ws)
            t0 = time.perf_counter()
            page.goto(base + "/", wait_until="commit")
            page.wait_for_selector(CARD, state="visible", timeout=30_000)
            t1 = time.perf_counter()
            n_cards = page.locator(CARD).count()
            page.wait_for_timeout(1000)  # let the rest of the load's frames arrive
            mine = [(t, b) for k, t, b in frames if k == i]
            results.append({"first_cards_s": t1 - t0, "cards": n_cards, "frames": len(mine),
                            "bytes": sum(b for _, b in mine), "largest": max((b for _, b in mine), default=0),
                            "bytes_before_cards": sum(b for t, b in mine if t <= t1)})
            page.close()
        ctx.close()
        browser.close()
    warm = results[1:]
    return {"cold_first_cards_s": results[0]["first_cards_s"],
            "first_cards_s_median": median([r["first_cards_s"] for r in warm]),
            "first_cards_s_max": max(r["first_cards_s"] for r in warm),
            "cards_shown": warm[-1]["cards"],
            "state_bytes_median": median([r["bytes"] for r in warm]),
            "state_bytes_before_cards_median": median([r["bytes_before_cards"] for r in warm]),
            "largest_frame_bytes": max(r["largest"] for r in warm),
            "frames_per_load": median([r["frames"] for r in warm]),
            "navigations": len(warm)}


def run(db: str, parcels: int, orders: int, navigations: int, n: int, profile: bool, keep: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-parcels-"))
    copy = project_copy(tmp / "project")
    admin = cleanup = None
    if db == "sqlite":
        url = f"sqlite:///{copy / '.data' / 'bench.db'}"
    else:
        name = f"marketu_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"

        def cleanup():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    app = None
    try:
        engine = make_engine(url)
        migrate(engine)
        counts = seed(engine, parcels, orders)
        print(f"seeded {counts}", flush=True)
        server = server_time(engine, counts["customer_id"], n, profile)
        print(f"server {server}", flush=True)
        engine.dispose()
        t0 = time.perf_counter()
        env = app_env(url, copy, MARKETU_DEMO="0", MARKETU_EMS_POLLER="0",
                      MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2")  # never called: the poller is off
        app = RunningApp(env, tmp / "app.log", cwd=copy).start()
        start_s = time.perf_counter() - t0
        print(f"app up in {start_s:.1f} s at {app.url}", flush=True)
        browser = browser_measure(app.url, navigations)
        print(f"browser {browser}", flush=True)
        return {"db": db, **counts, "app_start_s": start_s, **server, **browser}
    finally:
        if app:
            app.stop()
        if cleanup:
            cleanup()
        if not keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def ok(value: float, goal: float) -> str:
    return "met" if value < goal else "**missed**"


def report(results: list[dict], cmd: str) -> str:
    rows = []
    for r in results:
        rows.append(
            f"| {r['db']} | {r['parcels']} / {r['orders']} / {r['events']} | {r['first_cards_s_median']:.3f} "
            f"({ok(r['first_cards_s_median'], 1.0)}) | {r['first_cards_s_max']:.3f} | {r['cold_first_cards_s']:.3f} "
            f"| {r['state_bytes_median'] / 1024:.1f} ({ok(r['state_bytes_median'], 150 * 1024)}) "
            f"| {r['largest_frame_bytes'] / 1024:.1f} "
            f"| {r['handler_ms_median']:.1f} ({ok(r['handler_ms_median'], 50)}) "
            f"| {r['handler_ms_p95']:.1f} | {r['handler_cold_ms_median']:.1f} | {r['query_ms_median']:.1f} "
            f"| {r['on_load_ms_median']:.1f} |")
    return (
        f"{SECTION}\n\nCommand: `{cmd}` (bench/parcels_page.py). `reflex run --env prod` from a copy of the "
        "project (its own .web build), EMS poller off. The account is created before the start through "
        "the write path (marketu_app.db.writes via the demo loader; no SQL for domain data): one customer with "
        "300 parcels (pickup / Almaty / Kazakhstan, half of the latter with an EMS track) of 10 orders each, "
        "orders at every stage with their status histories, 5 % cancelled; and a second customer with 3 "
        "parcels. The page shows the first 12 cards (queries.PAGE_SIZE), then \"more\".\n\n"
        + machine() + "\n"
        "- first cards: Chromium (Playwright, 1280x800), signed in once through the login form, then for each "
        "navigation a new tab of that context (warm HTTP cache, fresh page state) and `page.goto('/')` until "
        "the first real card (`.parcel-card:not(.skeleton)`; the 6 skeleton cards "
        "shown while loading do not count) is visible; median and max of "
        f"{results[0]['navigations']} navigations after a warm-up (reported apart as cold). A reload of a tab "
        "that already showed the page is not measured: hydrate restores its cards at once and on_load "
        "replaces them with fresh ones, with no skeleton in between.\n"
        "- state: bytes of all websocket frames received on `/_event` from the goto until the cards show "
        "and 1 s more (hydrate + on_load deltas), median over the navigations; largest single frame.\n"
        "- handler: in-process, the same code path as `ParcelsState._load` (`queries.parcel_page(...)` + "
        "`views.parcel_card` for each row) on the same database, N=50 after 3 warm-ups, ETA statistics "
        "learned first (as the app's refresher does); also the query alone and the whole on_load "
        "(session lookup + tab record + page).\n\n"
        "| DB | parcels / orders / events | first cards s, median (goal < 1.0) | max | cold | state KB (goal < 150) "
        "| largest frame KB | handler ms median (goal < 50) | p95 | cold handler ms (empty ETA cache) "
        "| query alone ms | on_load ms |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    p.add_argument("--parcels", type=int, default=300)
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--navigations", type=int, default=10)
    p.add_argument("-n", type=int, default=50, help="in-process handler runs")
    p.add_argument("--profile", action="store_true", help="print a pyinstrument profile of the load path")
    p.add_argument("--keep", action="store_true", help="keep the temporary project copy (app.log)")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    results = []
    for db in a.db:
        r = run(db, a.parcels, a.orders, a.navigations, a.n, a.profile, a.keep)
        results.append(r)
        print(json.dumps(r, ensure_ascii=False, default=str), flush=True)
    text_ = report(results, "python bench/parcels_page.py " + " ".join(sys.argv[1:]).replace(" --write-docs", "")
                   .replace("--write-docs", "").strip())
    print(text_)
    if a.write_docs:
        write_section(SECTION, text_)


if __name__ == "__main__":
    main()
