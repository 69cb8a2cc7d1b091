"""Live pushes with many DIFFERENT customers (issue 16 §2): 200 customers, one open tab each.

    .venv/bin/python bench/live_many.py                       # 200 customers, both cases
    .venv/bin/python bench/live_many.py --write-docs          # "## Live updates, many customers" in docs/benchmarks.md
    .venv/bin/python bench/live_many.py --profile out.txt     # py-spy the server workers during case (b)

The app runs as in bench/live_push.py (prod, PostgreSQL + Redis, 2*cores+1 Granian workers, EMS poller
off) on a fresh database with N customers, each with one pickup parcel of 5 orders, a session of its
own and one parcels tab ("/") open through the same minimal socket.io client (the CONNECT packet
captured once from a real Chromium tab, each client with its own session token).

(a) one customer's order changes (POST /api/v1/orders/{n}/events) while the others idle: that tab's
    latency from the API's answer to the delta with its new live_toast_seq; no other tab may get one.
(b) a container arrives: one order of every customer in ONE back-office batch (POST /api/v1/events):
    each tab's latency from the batch's answer; how many never got it within --push-timeout.
Memory per open tab: server RSS (summed over the process tree) and Redis used_memory, with N tabs
minus with none, / N.

Load-independent figures of case (b): the server processes' CPU time (user + system, /proc) from the
batch request to the last tab updated, in total and per tab, and how it spread over the workers (the
busiest process's share; the live partitions' leaders, from the lease table). With --profile, py-spy
runs on every server process over the whole of the last round and a summary of where the busy samples
went is printed (and written with --write-docs).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx  # noqa: E402
from _common import (  # noqa: E402
    POSTGRES_URL,
    REDIS_URL,
    ROOT,
    RunningApp,
    app_env,
    load,
    machine,
    median,
    percentile,
    project_copy,
    write_section,
)
from live_push import Tab, capture_connect, log, redis_used_mb  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from marketu_app.auth import sessions  # noqa: E402
from marketu_app.auth.passwords import hash_password  # noqa: E402
from marketu_app.db.engine import make_engine  # noqa: E402
from marketu_app.db.models import Customer, Order, OrderStatusEvent, Parcel  # noqa: E402

SECTION = "## Live updates, many customers"
TOKEN = "bench-operator-token-" + uuid.uuid4().hex[:12]
STATUSES = ["at_china_warehouse", "shipped_from_china", "at_almaty_warehouse", "packed"]


def seed(engine, n: int) -> list[dict]:
    """N customers with one pickup parcel of 5 orders each (bulk inserts: the set-up is not measured)."""
    password_hash = hash_password("bench-password-0")
    at = datetime.now(timezone.utc) - timedelta(days=3)
    with Session(engine) as s:
        conn = s.connection()
        conn.execute(insert(Customer.__table__), [
            dict(external_id=f"bench-{i:04d}", name=f"Клиент {i}", phone=f"+7701{i:07d}", locale="ru",
                 password_hash=password_hash, created_at=at, updated_at=at) for i in range(n)])
        ids = dict(conn.execute(text("SELECT external_id, id FROM customer WHERE external_id LIKE 'bench-%'")).all())
        conn.execute(insert(Parcel.__table__), [
            dict(number=f"BP-{i:04d}", customer_id=ids[f"bench-{i:04d}"], delivery_method="pickup",
                 created_at=at, updated_at=at, last_activity_at=at) for i in range(n)])
        parcels = dict(conn.execute(text("SELECT number, id FROM parcel WHERE number LIKE 'BP-%'")).all())
        conn.execute(insert(Order.__table__), [
            dict(number=f"BM-{i:04d}-{k}", customer_id=ids[f"bench-{i:04d}"], parcel_id=parcels[f"BP-{i:04d}"],
                 title=f"Товар {k} клиента {i}", marketplace="taobao", quantity=1, status="paid", status_at=at,
                 created_at=at, updated_at=at) for i in range(n) for k in range(5)])
        orders = dict(conn.execute(text("SELECT number, id FROM order_item WHERE number LIKE 'BM-%'")).all())
        conn.execute(insert(OrderStatusEvent.__table__), [
            dict(order_id=oid, status="paid", at=at, recorded_at=at) for oid in orders.values()])
        people = [{"ext": f"bench-{i:04d}", "id": ids[f"bench-{i:04d}"], "order": f"BM-{i:04d}-0"} for i in range(n)]
        for p in people:
            p["token"] = sessions.create_session(s, p["id"])
        s.commit()
    return people


async def wait_all(tabs: list[Tab], before: list[int], t0: float, timeout: float) -> tuple[list[float], int]:
    deadline = t0 + timeout
    for tab, n in zip(tabs, before):
        while len(tab.push_times) <= n and time.perf_counter() < deadline:
            tab.push_event.clear()
            try:
                await asyncio.wait_for(tab.push_event.wait(), max(0.0, deadline - time.perf_counter()))
            except asyncio.TimeoutError:
                break
    lat = [tab.push_times[n] - t0 for tab, n in zip(tabs, before) if len(tab.push_times) > n]
    return lat, len(tabs) - len(lat)


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds so far of each process (those still alive)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return out


def leaders(db_url: str) -> dict[str, str]:
    """Who leads each live partition now (the lease table)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT name, owner FROM lease WHERE name LIKE 'live-watcher%' "
                                     "AND until > now() ORDER BY name")).all()
        return {name: owner for name, owner in rows}
    finally:
        engine.dispose()


async def scenario(base: str, app: RunningApp, db_url: str, people: list[dict], ns: str, auth: dict,
                   template: str, a_posts: int, b_rounds: int, push_timeout: float, profile: str | None) -> dict:
    auth_json = json.dumps(auth, ensure_ascii=False)
    await asyncio.sleep(3)
    rss0, nproc = app.rss_mb()
    redis0 = redis_used_mb(REDIS_URL)
    tabs = [Tab(i, ns, auth_json, template, p["token"]) for i, p in enumerate(people)]
    sem = asyncio.Semaphore(20)
    t0 = time.perf_counter()

    async def connect(tab: Tab):
        async with sem:
            try:
                await tab.connect(base, 90)
            except Exception as e:  # noqa: BLE001
                tab.error = tab.error or repr(e)[:200]

    await asyncio.gather(*(connect(t) for t in tabs))
    connect_s = time.perf_counter() - t0
    failed = [t for t in tabs if t.error or not t.loaded.is_set()]
    log(f"{len(tabs) - len(failed)} of {len(tabs)} tabs loaded in {connect_s:.1f} s"
        + (f"; first failure {failed[0].error}" if failed else ""))
    await asyncio.gather(*(t.close() for t in failed))
    people = [p for p, t in zip(people, tabs) if t not in failed]  # measured: the tabs that loaded
    tabs = [t for t in tabs if t not in failed]
    await asyncio.sleep(3)
    rss, _ = app.rss_mb()
    redis_mb = redis_used_mb(REDIS_URL)
    out = {"tabs": len(tabs), "failed": len(failed), "connect_s": connect_s, "rss0": rss0, "rss": rss,
           "processes": nproc, "redis0": redis0, "redis": redis_mb,
           "rss_per_tab_kb": 1024 * (rss - rss0) / len(tabs),
           "redis_per_tab_kb": 1024 * (redis_mb - redis0) / len(tabs)}
    log(f"memory: RSS {rss0:.0f} -> {rss:.0f} MB, Redis {redis0:.1f} -> {redis_mb:.1f} MB; "
        f"{out['rss_per_tab_kb']:.0f} KB RSS and {out['redis_per_tab_kb']:.1f} KB Redis per tab")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    stamp = [0]

    def at() -> str:
        stamp[0] += 1
        return (datetime.now(timezone.utc) - timedelta(hours=1) + timedelta(seconds=stamp[0])).isoformat()

    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as http:
        a_lat, a_missing, a_others = [], 0, 0
        for k in range(a_posts):
            i = (k * 37) % len(tabs)
            before = [len(t.push_times) for t in tabs]
            r = await http.post(f"/api/v1/orders/{people[i]['order']}/events",
                                json={"status": STATUSES[k % len(STATUSES)], "at": at()})
            t_resp = time.perf_counter()
            if r.status_code not in (200, 201):
                raise RuntimeError(f"API {r.status_code}: {r.text[:300]}")
            lat, missing = await wait_all([tabs[i]], [before[i]], t_resp, push_timeout)
            await asyncio.sleep(0.5)  # a stray push to another tab would have come by now
            a_others += sum(len(t.push_times) - b for j, (t, b) in enumerate(zip(tabs, before)) if j != i)
            a_lat += lat
            a_missing += missing
        out["a"] = {"samples": len(a_lat), "missing": a_missing, "others": a_others, "p50": median(a_lat),
                    "p95": percentile(a_lat, 95), "max": max(a_lat, default=float("nan"))}
        log(f"(a) {out['a']}")
        rounds = []
        for k in range(b_rounds):
            before = [len(t.push_times) for t in tabs]
            when = at()
            events = [{"type": "order_event", "order_number": p["order"], "status": STATUSES[(k + 1) % 4],
                       "at": when} for p in people]
            spy = None
            if profile and k == b_rounds - 1:
                spy = start_profile(app, f"{profile}")
            pids = app.pids()
            cpu0 = cpu_seconds(pids)
            t_req = time.perf_counter()
            r = await http.post("/api/v1/events", json={"events": events})
            t_resp = time.perf_counter()
            if r.status_code != 200:
                raise RuntimeError(f"batch API {r.status_code}: {r.text[:300]}")
            lat, missing = await wait_all(tabs, before, t_resp, push_timeout)
            cpu1 = cpu_seconds(pids)
            if spy:
                stop_profile(spy)
            used = sorted((cpu1[pid] - cpu0[pid] for pid in cpu1 if pid in cpu0), reverse=True)
            rounds.append({"api_s": t_resp - t_req, "samples": len(lat), "missing": missing, "p50": median(lat),
                           "p95": percentile(lat, 95), "max": max(lat, default=float("nan")),
                           "cpu_s": sum(used), "cpu_ms_per_tab": 1000 * sum(used) / len(tabs),
                           "cpu_by_process": [round(x, 2) for x in used],
                           "leaders": await asyncio.to_thread(leaders, db_url)})
            log(f"(b) round {k + 1}: {rounds[-1]}")
            await asyncio.sleep(2)
        out["b"] = rounds
    await asyncio.gather(*(t.close() for t in tabs))
    return out


def start_profile(app: RunningApp, path: str) -> list[subprocess.Popen]:
    """py-spy on every server process until stop_profile (one raw file per process: PATH.PID)."""
    spy = str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        raise SystemExit("--profile needs py-spy in the venv: pip install -e '.[test]'")
    procs = [subprocess.Popen([spy, "record", "-r", "50", "-f", "raw", "-o", f"{path}.{pid}", "-p", str(pid)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in app.pids()]
    time.sleep(1)  # attached before the round starts
    return procs


def stop_profile(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGINT)  # py-spy writes its file and exits
    for p in procs:
        p.wait(timeout=60)


# Frames that say where a busy sample went (the first part in this list with a frame in the stack).
PARTS = [
    ("page apply (live/registry pages)", ("_apply_live",)),
    ("cursor and lease (stream/cursor, live/lease)", ("stream/cursor.py", "live/lease.py")),
    ("tabs, sessions (live/tabs, live_session_owners)", ("tabs_of", "live_session_owners", "tab_connected")),
    ("Reflex state load/save/delta (modify_state)", ("modify_state", "get_state", "_get_resolved_delta",
                                                     "set_state", "get_delta", "_serialize")),
    ("socket emit / relay", ("emit", "socketio", "engineio")),
    ("batch endpoint: record_change", ("record_change",)),
    ("batch endpoint: other", ("post_event_batch", "record_event_items")),
    ("Redis", ("redis",)),
]
# Innermost frames of a thread that waits (an idle pool thread, a lock, the event loop's select, a
# database or Redis answer; PushBatch.page as the innermost frame is a tab waiting for the page another
# tab computes): not CPU, left out.
IDLE_LEAVES = ("", "_worker", "Condition.wait", "Event.wait", "Queue.get", "EpollSelector.select",
               "Connection.wait", "lock.acquire", "time.sleep", "Popen.poll", "PushBatch.page")


def summarize_profile(prefix: str) -> str:
    """Busy samples per process and the share of each part (innermost matching frame), from PREFIX.*."""
    lines = []
    for path in sorted(Path(prefix).parent.glob(Path(prefix).name + ".*")):
        if not path.suffix[1:].isdigit():
            continue
        busy, parts = 0, {}
        for line in path.read_text().splitlines():
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")
            if frames[-1].split(" (")[0] in IDLE_LEAVES:
                continue
            busy += int(n)
            part = "other (framework, SQL outside the above)"
            for name, needles in PARTS:
                if any(needle in stack for needle in needles):
                    part = name
                    break
            parts[part] = parts.get(part, 0) + int(n)
        if busy:
            shares = ", ".join(f"{name} {100 * k / busy:.0f} %" for name, k in
                               sorted(parts.items(), key=lambda kv: -kv[1]))
            lines.append(f"- process {path.suffix[1:]}: {busy} busy samples ({busy / 50:.1f} s at 50 Hz): {shares}")
    return "\n".join(lines)


def run(n: int, a_posts: int, b_rounds: int, push_timeout: float, profile: str | None, keep: bool) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-many-"))
    copy = project_copy(tmp / "project")
    dbname = f"marketu_many_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    db_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{dbname}"
    app = None
    try:
        env = app_env(db_url, copy, REFLEX_REDIS_URL=REDIS_URL, MARKETU_DEMO="1", MARKETU_EMS_POLLER="0",
                      MARKETU_NOTIFY_WORKER="0", MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2",
                      MARKETU_OPERATOR_TOKEN=TOKEN)
        app = RunningApp(env, tmp / "app.log", cwd=copy).start(timeout=300)
        rss, nproc = app.rss_mb()
        log(f"app up at {app.url}: {nproc} processes, {rss:.0f} MB")
        engine = make_engine(db_url)
        t0 = time.perf_counter()
        people = seed(engine, n)
        log(f"{n} customers seeded in {time.perf_counter() - t0:.1f} s")
        engine.dispose()
        ns, auth = capture_connect(app.url, people[0]["token"])
        template = people[0]["token"]
        out = asyncio.run(scenario(app.url, app, db_url, people, ns, auth, template, a_posts, b_rounds,
                                   push_timeout, profile))
        out["workers"] = nproc
        return out
    finally:
        if app:
            app.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()
        if not keep:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log(f"kept {tmp}")


def busy_note(uptime_before: str) -> str:
    """Says the figures are noisy only when the load average says the machine was busy."""
    try:
        load1 = max(float(uptime_before.rsplit("load average:", 1)[1].split(",")[0]),
                    float(load().rsplit("load average:", 1)[1].split(",")[0]))
    except (IndexError, ValueError):
        return ""
    if load1 > (os.cpu_count() or 1):
        return (f"**Load average up to {load1:.0f} on {os.cpu_count()} cores (other work on the machine): "
                "latencies are noisy; the CPU per tab is the steadier figure.** ")
    return ""


def report(out: dict, cmd: str, wall: float, uptime_before: str) -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    a = out["a"]
    rows = [f"| (a) one customer's order, {out['tabs'] - 1} tabs idle ({a['samples']} posts) | {a['p50']:.3f} "
            f"| {a['p95']:.3f} | {a['max']:.3f} | {a['missing']} (other tabs updated: {a['others']}) | - | - | - |"]
    for k, b in enumerate(out["b"]):
        rows.append(f"| (b) one order of every customer in one batch, round {k + 1} | {b['p50']:.3f} | {b['p95']:.3f} "
                    f"| {b['max']:.3f} | {b['missing']} | {b['api_s']:.2f} | {b['cpu_s']:.2f} "
                    f"({b['cpu_ms_per_tab']:.1f} ms per tab; by process {', '.join(map(str, b['cpu_by_process']))}) "
                    f"| {len(b['leaders'])} partitions led by {len(set(b['leaders'].values()))} workers |")
    return (
        f"{SECTION}\n\nCommand: `{cmd}` (bench/live_many.py; {wall:.0f} s wall; app of commit {commit} plus the "
        f"working tree). Prod app on a fresh PostgreSQL database with Redis, {out['workers']} server processes; "
        f"{out['tabs']} DIFFERENT customers, each with one pickup parcel of 5 orders, its own session and one "
        f"parcels tab (the minimal socket.io client of bench/live_push.py; {out['failed']} failed to load). "
        "Latency per tab from the API's answer to the delta with its new toast. The clients run on the same "
        f"machine as the server ({os.cpu_count()} cores). " + busy_note(uptime_before) +
        f"`uptime` before the run: {uptime_before}; after: {load()}.\n\n" + machine(browser=False) + "\n"
        "| case | p50 s | p95 s | max s | tabs missing after the timeout | batch API s "
        "| server CPU s, request to last tab | live leaders |\n"
        "|---|---|---|---|---|---|---|---|\n"
        + "\n".join(rows) + "\n\n"
        f"Memory per open tab: server RSS {out['rss_per_tab_kb']:.0f} KB ({out['rss0']:.0f} -> {out['rss']:.0f} MB "
        f"over {out['processes']} processes), Redis {out['redis_per_tab_kb']:.1f} KB "
        f"({out['redis0']:.1f} -> {out['redis']:.1f} MB).\n"
        + (f"\nWhere the busy samples went in the last round (py-spy 50 Hz on every server process from the "
           f"request to the last tab; idle threads left out):\n\n{out['profile']}\n" if out.get("profile") else ""))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=200)
    p.add_argument("--a-posts", type=int, default=10)
    p.add_argument("--b-rounds", type=int, default=3)
    p.add_argument("--push-timeout", type=float, default=30)
    p.add_argument("--profile", help="py-spy output prefix (raw collapsed stacks, one file per process)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    before = load()
    t0 = time.perf_counter()
    out = run(a.customers, a.a_posts, a.b_rounds, a.push_timeout, a.profile, a.keep)
    if a.profile:
        out["profile"] = summarize_profile(a.profile)
    wall = time.perf_counter() - t0
    print(json.dumps(out, default=str, indent=1))
    cmd = "python bench/live_many.py " + " ".join(x for x in sys.argv[1:] if x != "--write-docs")
    body = report(out, cmd.strip(), wall, before)
    print(body)
    if a.write_docs:
        write_section(SECTION, body)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
