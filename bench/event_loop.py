"""Event-loop benchmark (issue 16 §1): does a worker stay responsive while many customers act at once?

    .venv/bin/python bench/event_loop.py                 # 200 tabs, 4 sign-ins/s + 20 page loads/s for 30 s
    .venv/bin/python bench/event_loop.py --write-docs    # also update "## Event loop under load" in docs

Setup: `reflex run --env prod` from a copy of the project on a fresh PostgreSQL database (created and
dropped here), no Redis, so ONE backend worker; EMS poller off. 200 customers, each with 2 parcels of
2 orders, created through the operator API (their password hash is written once and shared: seeding
is not measured). 200 signed-in tabs, one per customer (the socket.io clients of bench/live_push.py,
with the session both as the cookie of the websocket's handshake and in the captured hydrate packet).

Load for --seconds: --sign-ins per second (each a real sign-in with the real argon2 settings: the
HTTP form post of /auth/login when the app has it, else the sign-in page's Reflex event), and
--loads per second (a new signed-in tab of a random customer opening the parcels page until its
cards arrive, then closing). Meanwhile another tab sends a small event (switching the language,
no database) every --probe-every seconds; its round trip (send to delta) is the figure.
Goal: probe p95 <= 100 ms and max <= 300 ms. The same probe with no load is measured first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import httpx  # noqa: E402
from _common import (  # noqa: E402
    DOCS,
    POSTGRES_URL,
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
from live_push import Tab, capture_connect, log  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from marketu_app.auth import sessions  # noqa: E402
from marketu_app.auth.passwords import hash_password  # noqa: E402
from marketu_app.db.engine import make_engine  # noqa: E402
from marketu_app.db.models import Customer  # noqa: E402

SECTION = "## Event loop under load"
TOKEN = "bench-operator-token-" + uuid.uuid4().hex[:12]
PASSWORD = "bench-password-0123"
COOKIE = "marketu_session"


class EventTab(Tab):
    """A Tab that also sends events and times the delta that answers each one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.deltas = 0
        self.delta_event = asyncio.Event()
        self.redirected = asyncio.Event()

    def _on_packet(self, msg: str, t: float) -> None:
        super()._on_packet(msg, t)
        if msg.startswith(f"42{self.ns},"):
            name, data = json.loads(msg[len(self.ns) + 3:])[:2]
            if name == "event" and (data or {}).get("delta"):
                self.deltas += 1
                self.delta_event.set()
            if name == "event" and any("redirect" in str(e.get("name", "")) or "redirect" in json.dumps(e)[:200]
                                       for e in (data or {}).get("events") or []):
                self.redirected.set()

    def send_event(self, name: str, payload: dict, path: str = "/") -> None:
        event = {"name": name, "payload": payload,
                 "router_data": {"pathname": path, "query": {}, "asPath": path}}
        self._send(f"42{self.ns}," + json.dumps(["event", event], ensure_ascii=False))


async def seed(base: str, customers: int, http: httpx.AsyncClient, engine, token: str = TOKEN) -> None:
    """`customers` customers b-i (bench-i@example.kz, one shared password hash), 2 parcels of 2 orders each."""
    sem = asyncio.Semaphore(8)
    headers = {"Authorization": f"Bearer {token}"}

    async def put(path: str, body: dict) -> None:
        async with sem:
            r = await http.put(f"{base}/api/v1/{path}", json=body, headers=headers)
            if r.status_code not in (200, 201):
                raise RuntimeError(f"PUT {path}: {r.status_code} {r.text[:300]}")

    # One password hash for all, written directly: the operator API would hash 200 times (not measured).
    await put("customers/b-0", {"name": "Bench 0", "email": "bench-0@example.kz", "password": PASSWORD})
    with Session(engine) as s:
        shared = s.exec(select(Customer.password_hash).where(Customer.external_id == "b-0")).one()
        s.add_all(Customer(external_id=f"b-{i}", name=f"Bench {i}", email=f"bench-{i}@example.kz",
                           password_hash=shared) for i in range(1, customers))
        s.commit()
    await asyncio.gather(*(put(f"parcels/BP-{i}-{k}", {"customer_id": f"b-{i}", "delivery_method": "pickup"})
                           for i in range(customers) for k in range(2)))
    await asyncio.gather(*(put(f"orders/BO-{i}-{k}-{j}", {
        "customer_id": f"b-{i}", "parcel_number": f"BP-{i}-{k}", "title": f"Товар {j} для посылки {k}",
        "marketplace": "taobao", "status": "shipped_from_china", "status_at": "2026-11-20T10:00:00+05:00"})
        for i in range(customers) for k in range(2) for j in range(2)))


def has_http_sign_in(base: str) -> bool:
    r = httpx.post(f"{base}/auth/login", data={}, follow_redirects=False, timeout=30)
    return r.status_code not in (404, 405)


async def sign_in_http(http: httpx.AsyncClient, base: str, email: str) -> bool:
    r = await http.post(f"{base}/auth/login", data={"identifier": email, "password": PASSWORD},
                        headers={"x-forwarded-for": f"10.9.{random.randrange(250)}.{random.randrange(250)}"},
                        follow_redirects=False)
    return r.status_code == 303 and COOKIE in r.headers.get("set-cookie", "")


async def sign_in_event(base: str, ns: str, auth_json: str, template: str, email: str, login_event: str,
                        timeout: float) -> bool:
    """The pre-HTTP sign-in: a tab (not signed in) sends the sign-in page's submit event."""
    tab = EventTab(random.randrange(10**6), ns, auth_json, template, "")
    tab.loaded.set()  # not signed in: no cards will come
    try:
        await tab.connect(base, timeout)
        await asyncio.wait_for(tab.redirected.wait(), timeout)  # the parcels page sends it to sign-in
        tab.redirected.clear()
        tab.send_event(login_event, {"form": {"identifier": email, "password": PASSWORD}}, "/login")
        await asyncio.wait_for(tab.redirected.wait(), timeout)
        return True
    except Exception:  # noqa: BLE001
        return False
    finally:
        await tab.close()


async def probe_once(tab: EventTab, locale_event: str, k: int, timeout: float) -> float | None:
    tab.delta_event.clear()
    seen = tab.deltas
    t0 = time.perf_counter()
    tab.send_event(locale_event, {"locale": "kk" if k % 2 else "ru"})
    try:
        while tab.deltas == seen:
            await asyncio.wait_for(tab.delta_event.wait(), timeout)
            tab.delta_event.clear()
    except TimeoutError:
        return None
    return time.perf_counter() - t0


async def probe_for(tab: EventTab, locale_event: str, seconds: float, every: float, timeout: float,
                    out: list, lost: list) -> None:
    end = time.perf_counter() + seconds
    k = 0
    while time.perf_counter() < end:
        t = await probe_once(tab, locale_event, k, timeout)
        if t is None:
            lost.append(k)
        else:
            out.append(t)
        k += 1
        await asyncio.sleep(max(0.0, every - (t or 0)))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` (all its threads) so far."""
    return cpu_seconds_of(Path(f"/proc/{pid}/stat"))


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of each thread of process `pid`, by thread id (py-spy's --threads names them)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = cpu_seconds_of(task / "stat")
        except (OSError, ValueError):
            pass
    return out


def cpu_seconds_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_pid(app: RunningApp) -> int:
    """The backend worker: the app's process that has used the most CPU (it served the seeding)."""
    best, most = app.proc.pid, -1.0
    for pid in app.pids():
        try:
            cpu = cpu_seconds(pid)
        except OSError:
            continue
        if cpu > most:
            best, most = pid, cpu
    return best


def start_profile(pid: int, path: str, seconds: float) -> subprocess.Popen | None:
    """py-spy sampling the worker (all threads, 50 Hz, folded stacks) for `seconds`, if py-spy is installed."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        log("py-spy not installed: no profile (pip install py-spy)")
        return None
    return subprocess.Popen([spy, "record", "-p", str(pid), "-r", "50", "--threads", "--nonblocking",
                             "--format", "raw", "-d", str(int(seconds)), "-o", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def scenario(base: str, db_url: str, a, ns: str, auth: dict, template: str, worker: int) -> dict:
    from marketu_app.state.base import LocaleState
    from marketu_app.state.login import LoginState

    locale_event = f"{LocaleState.get_full_name()}.set_locale"
    login_event = f"{LoginState.get_full_name()}.submit"
    auth_json = json.dumps(auth, ensure_ascii=False)
    engine = make_engine(db_url)
    with Session(engine) as s:
        ids = s.exec(select(Customer.id).where(Customer.external_id.like("b-%")).order_by(Customer.id)).all()
        tokens = [sessions.create_session(s, cid) for cid in ids]
        probe_token = sessions.create_session(s, ids[0])
        s.commit()
    engine.dispose()

    def new_tab(i: int, token: str) -> EventTab:
        return EventTab(i, ns, auth_json, template, token)

    tabs = [new_tab(i, tok) for i, tok in enumerate(tokens[: a.tabs])]
    sem = asyncio.Semaphore(20)
    failed = []

    async def open_one(tab: EventTab) -> None:
        async with sem:
            try:
                await tab.connect(base, a.timeout)
            except Exception as e:  # noqa: BLE001
                failed.append(repr(e)[:200])

    t0 = time.perf_counter()
    await asyncio.gather(*(open_one(t) for t in tabs))
    log(f"{len(tabs) - len(failed)} of {len(tabs)} tabs loaded in {time.perf_counter() - t0:.1f} s"
        + (f"; first failure {failed[0]}" if failed else ""))
    probe = new_tab(10**6, probe_token)
    await probe.connect(base, a.timeout)
    await asyncio.sleep(2)

    idle, idle_lost = [], []
    await probe_for(probe, locale_event, a.idle_seconds, a.probe_every, a.timeout, idle, idle_lost)
    log(f"idle probe: p50 {1000 * median(idle):.1f} ms, p95 {1000 * percentile(idle, 95):.1f} ms, "
        f"max {1000 * max(idle, default=float('nan')):.1f} ms")

    http_mode = await asyncio.to_thread(has_http_sign_in, base)
    sign_ins, loads, pending = [], [], set()
    sign_in_fail, load_fail = [0], [0]
    rng = random.Random(1)
    async with httpx.AsyncClient(timeout=a.timeout, limits=httpx.Limits(max_connections=50)) as http:

        async def one_sign_in(email: str) -> None:
            t = time.perf_counter()
            try:
                ok = await (sign_in_http(http, base, email) if http_mode else
                            sign_in_event(base, ns, auth_json, template, email, login_event, a.timeout))
            except httpx.HTTPError:  # a timeout: counted as failed
                ok = False
            (sign_ins.append(time.perf_counter() - t) if ok else sign_in_fail.__setitem__(0, sign_in_fail[0] + 1))

        async def one_load(k: int) -> None:
            tab = new_tab(2 * 10**6 + k, tokens[rng.randrange(len(tokens))])
            t = time.perf_counter()
            try:
                await tab.connect(base, a.timeout)
                loads.append(time.perf_counter() - t)
            except Exception:  # noqa: BLE001
                load_fail[0] += 1
            finally:
                await tab.close()

        async def drive(rate: float, make) -> None:
            start, k = time.perf_counter(), 0
            while (now := time.perf_counter()) < start + a.seconds:
                due = start + k / rate
                if due > now:
                    await asyncio.sleep(due - now)
                task = asyncio.create_task(make(k))
                pending.add(task)
                task.add_done_callback(pending.discard)
                k += 1

        # What one page load and one sign-in cost the worker in CPU, one at a time (load-independent).
        costs = {}
        for what, n, one in (("page_load", a.cost_samples, lambda k: one_load(10**5 + k)),
                             ("sign_in", max(1, a.cost_samples // 5),
                              lambda k: one_sign_in(f"bench-{k % len(tokens)}@example.kz"))):
            spy = start_profile(worker, f"{a.profile}.{what}", 600) if a.profile else None
            if spy:
                await asyncio.sleep(1.0)  # py-spy attaches
            cpu0, client0, threads0 = cpu_seconds(worker), time.process_time(), thread_cpu(worker)
            for k in range(n):
                await one(k)
            if spy:
                spy.send_signal(signal.SIGINT)  # py-spy writes what it has and ends
                await asyncio.to_thread(spy.wait)
            costs[what] = ((cpu_seconds(worker) - cpu0) / n, (time.process_time() - client0) / n)
            if a.profile:  # per thread, to read with the profile's thread ids
                threads1 = thread_cpu(worker)
                Path(f"{a.profile}.{what}.threads.json").write_text(json.dumps(
                    {tid: round((cpu - threads0.get(tid, 0.0)) / n * 1000, 2) for tid, cpu in threads1.items()
                     if cpu > threads0.get(tid, 0.0)}))
            log(f"one {what.replace('_', ' ')}: worker CPU {1000 * costs[what][0]:.1f} ms, "
                f"this client's CPU {1000 * costs[what][1]:.1f} ms (mean of {n}, one at a time)")
        loads.clear()
        sign_ins.clear()
        load_fail[0] = sign_in_fail[0] = 0

        loaded, lost = [], []
        spy = start_profile(worker, a.profile, 3600) if a.profile else None  # ended with the load, below
        cpu0, client0 = cpu_seconds(worker), time.process_time()
        t0 = time.perf_counter()
        await asyncio.gather(
            drive(a.sign_ins, lambda k: one_sign_in(f"bench-{k % len(tokens)}@example.kz")),
            drive(a.loads, one_load),
            probe_for(probe, locale_event, a.seconds, a.probe_every, a.timeout, loaded, lost))
        if pending:
            await asyncio.wait(pending, timeout=a.timeout)
        wall = time.perf_counter() - t0
        worker_cpu, client_cpu = cpu_seconds(worker) - cpu0, time.process_time() - client0
    if spy:
        spy.send_signal(signal.SIGINT)  # py-spy writes what it has and ends
        await asyncio.to_thread(spy.wait)
        log(f"profile of the worker (pid {worker}) in {a.profile}")
    log(f"CPU while loaded ({wall:.1f} s): worker {worker_cpu:.1f} s, this client {client_cpu:.1f} s")
    log(f"under load: probe p50 {1000 * median(loaded):.1f} ms, p95 {1000 * percentile(loaded, 95):.1f} ms, "
        f"max {1000 * max(loaded, default=float('nan')):.1f} ms, lost {len(lost)}; sign-ins {len(sign_ins)} "
        f"(failed {sign_in_fail[0]}), loads {len(loads)} (failed {load_fail[0]})")
    await asyncio.gather(*(t.close() for t in tabs), probe.close())
    return {"tabs": len(tabs) - len(failed), "tab_failures": len(failed), "idle": idle, "idle_lost": len(idle_lost),
            "loaded": loaded, "lost": len(lost), "sign_ins": sign_ins, "sign_in_failures": sign_in_fail[0],
            "loads": loads, "load_failures": load_fail[0], "sign_in_mode": "HTTP" if http_mode else "Reflex event",
            "wall": wall, "worker_cpu": worker_cpu, "client_cpu": client_cpu,
            "load_cpu_ms": 1000 * costs["page_load"][0], "load_client_cpu_ms": 1000 * costs["page_load"][1],
            "sign_in_cpu_ms": 1000 * costs["sign_in"][0]}


def run(a) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-loop-"))
    copy = project_copy(tmp / "project")
    dbname = f"marketu_loop_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    db_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{dbname}"
    app = None
    try:
        env = app_env(db_url, copy, MARKETU_DEMO="0", MARKETU_EMS_POLLER="0",
                      MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2", MARKETU_OPERATOR_TOKEN=TOKEN)
        app = RunningApp(env, tmp / "app.log", cwd=copy).start(timeout=400)
        rss, nproc = app.rss_mb()
        log(f"app up at {app.url}: {nproc} processes, {rss:.0f} MB")
        t0 = time.perf_counter()
        engine = make_engine(db_url)
        asyncio.run(_seed(app.url, a.tabs, engine))
        with Session(engine) as s:
            template_cid = s.exec(select(Customer.id).where(Customer.external_id == "b-0")).one()
            template = sessions.create_session(s, template_cid)
            s.commit()
        engine.dispose()
        log(f"seeded {a.tabs} customers in {time.perf_counter() - t0:.1f} s; password check of "
            f"hash_password cost in this process: {_argon2_ms():.0f} ms")
        ns, auth = capture_connect(app.url, template)
        out = asyncio.run(scenario(app.url, db_url, a, ns, auth, template, worker_pid(app)))
        out["processes"] = nproc
        return out
    finally:
        if app:
            app.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        admin.dispose()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


async def _seed(base: str, customers: int, engine) -> None:
    async with httpx.AsyncClient(timeout=120) as http:
        await seed(base, customers, http, engine)


def _argon2_ms() -> float:
    from marketu_app.auth.passwords import verify_password

    h = hash_password(PASSWORD)
    t0 = time.perf_counter()
    verify_password(PASSWORD, h)
    return 1000 * (time.perf_counter() - t0)


def ms(xs) -> str:
    return f"{1000 * percentile(xs, 50):.0f} / {1000 * percentile(xs, 95):.0f} / {1000 * max(xs, default=0):.0f}"


def report(out: dict, cmd: str, load: str, commit: str) -> str:
    p95, top = 1000 * percentile(out["loaded"], 95), 1000 * max(out["loaded"], default=float("nan"))
    goal = "met" if p95 <= 100 and top <= 300 and not out["lost"] else "**missed**"
    return (
        f"### {commit}\n\n"
        f"`{cmd}`; `uptime` before the run: {load}. {out['tabs']} signed-in tabs of {out['tabs']} customers "
        f"({out['tab_failures']} failed to load); sign-ins by {out['sign_in_mode']}.\n\n"
        "| | probe p50 / p95 / max ms | probes lost | sign-ins done (failed) | sign-in p50 / p95 / max ms "
        "| page loads done (failed) | page load p50 / p95 / max ms |\n|---|---|---|---|---|---|---|\n"
        f"| idle | {ms(out['idle'])} | {out['idle_lost']} | | | | |\n"
        f"| under load ({goal}: p95 <= 100, max <= 300) | {ms(out['loaded'])} | {out['lost']} "
        f"| {len(out['sign_ins'])} ({out['sign_in_failures']}) | {ms(out['sign_ins'])} "
        f"| {len(out['loads'])} ({out['load_failures']}) | {ms(out['loads'])} |\n\n"
        f"CPU of the worker process (all its threads, from /proc), one at a time before the load: "
        f"{out['load_cpu_ms']:.0f} ms per page load, {out['sign_in_cpu_ms']:.0f} ms per sign-in (the benchmark "
        f"client: {out['load_client_cpu_ms']:.0f} ms per page load). While loaded ({out['wall']:.0f} s until the "
        f"last load ended): worker {out['worker_cpu']:.1f} s, client {out['client_cpu']:.1f} s.\n")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tabs", type=int, default=200)
    p.add_argument("--sign-ins", type=float, default=4.0, help="per second")
    p.add_argument("--loads", type=float, default=20.0, help="page loads per second")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--idle-seconds", type=float, default=10.0)
    p.add_argument("--probe-every", type=float, default=0.1)
    p.add_argument("--timeout", type=float, default=60.0)
    p.add_argument("--cost-samples", type=int, default=50, help="page loads one at a time, for their CPU cost")
    p.add_argument("--profile", metavar="FILE", help="py-spy the worker while loaded (folded stacks to FILE)")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    started = load()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()  # the app's sources are copied at the start
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "marketu_app", "rxconfig.py"],
                           cwd=ROOT, capture_output=True, text=True).stdout.strip()
    out = run(a)
    summary = {k: v for k, v in out.items() if not isinstance(v, list)}
    print(json.dumps(summary, indent=1))
    cmd = "python bench/event_loop.py " + " ".join(x for x in sys.argv[1:] if x != "--write-docs")
    label = f"commit {commit}" + (" with uncommitted changes to the app" if dirty else "")
    text_ = report(out, cmd.strip(), started, label)
    print(text_)
    if a.write_docs:
        write_latest(f"{LATEST}\n\nApp: {label}. {machine(browser=False)}\n" + text_.split("\n", 2)[2])


LATEST = "### Latest run (written by `bench/event_loop.py --write-docs`)"


def write_latest(body: str) -> None:
    """Replaces (or adds) the LATEST subsection of SECTION; the section's other runs and prose stay."""
    old = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    section = re.search(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", old, re.S | re.M)
    if section is None:
        intro = f"{SECTION}\n\n" + __doc__.split("\n\n", 2)[2].strip() + "\n\n"
        write_section(SECTION, intro + body)
        return
    text_ = section.group(0)
    latest = re.compile(rf"^{re.escape(LATEST)}\n.*?(?=^### |\Z)", re.S | re.M)
    if latest.search(text_):
        text_ = latest.sub(lambda _: body.rstrip() + "\n\n", text_)
    else:
        first_run = re.search(r"^### ", text_, re.M)
        at = first_run.start() if first_run else len(text_)
        text_ = text_[:at].rstrip() + "\n\n" + body.rstrip() + "\n\n" + text_[at:]
    DOCS.write_text(old[:section.start()] + text_.rstrip() + "\n\n" + old[section.end():].lstrip())


if __name__ == "__main__":
    main()
