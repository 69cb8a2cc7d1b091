"""Back office in bulk (issue 16 §3): 2,000 status events in batches of 500, until every open tab has them.

    .venv/bin/python bench/batch_events.py                  # SQLite, then PostgreSQL
    .venv/bin/python bench/batch_events.py --write-docs     # also update "## Operator API batches" in docs

Setup per database: `reflex run --env prod` from a copy of the project (one worker, no Redis), EMS
poller off; 200 customers with 2 parcels of 2 orders each (operator API); one signed-in parcels tab
per customer (the socket.io clients of bench/live_push.py). Then --events order events (10 per
customer, spread over its 4 orders, all new) go to POST /api/v1/events in batches of --batch, one
after the other, a customer's events all in one batch. Measured: each batch's response time, and for
each tab the time from the first batch's start until the delta of its change arrived; "all tabs" is
the last of them. The same batches sent again must all come back `already_there`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from event_loop import EventTab, seed  # noqa: E402
from live_push import capture_connect, log  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from marketu_app.auth import sessions  # noqa: E402
from marketu_app.db.engine import make_engine  # noqa: E402
from marketu_app.db.models import Customer  # noqa: E402

SECTION = "## Operator API batches"
TOKEN = "bench-operator-token-" + uuid.uuid4().hex[:12]
STATUSES = ["at_almaty_warehouse", "packed", "shipped_from_china"]


def events_for(customers: int, per_customer: int) -> list[dict]:
    """`per_customer` new events for each customer's 4 orders (BO-i-k-j), at distinct past times."""
    base = datetime.now(timezone.utc) - timedelta(hours=2)
    out = []
    for i in range(customers):
        for n in range(per_customer):
            k, j = (n // 2) % 2, n % 2
            out.append({"type": "order_event", "order_number": f"BO-{i}-{k}-{j}",
                        "status": STATUSES[n % len(STATUSES)],
                        "at": (base + timedelta(seconds=i * per_customer + n)).isoformat()})
    return out


async def scenario(base: str, db_url: str, a, ns: str, auth: dict, template: str) -> dict:
    auth_json = json.dumps(auth, ensure_ascii=False)
    engine = make_engine(db_url)
    with Session(engine) as s:
        ids = s.exec(select(Customer.id).where(Customer.external_id.like("b-%")).order_by(Customer.id)).all()
        tokens = [sessions.create_session(s, cid) for cid in ids]
        s.commit()
    engine.dispose()
    tabs = [EventTab(i, ns, auth_json, template, tok) for i, tok in enumerate(tokens)]
    sem = asyncio.Semaphore(20)

    async def open_one(tab: EventTab) -> None:
        async with sem:
            await tab.connect(base, a.timeout)

    t0 = time.perf_counter()
    await asyncio.gather(*(open_one(t) for t in tabs))
    log(f"{len(tabs)} tabs loaded in {time.perf_counter() - t0:.1f} s")
    await asyncio.sleep(2)
    events = events_for(len(tabs), a.events // len(tabs))
    batches = [events[i:i + a.batch] for i in range(0, len(events), a.batch)]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    before = [len(t.push_times) for t in tabs]
    batch_s, counts = [], {"recorded": 0, "already_there": 0, "rejected": 0}
    async with httpx.AsyncClient(timeout=300) as http:
        start = time.perf_counter()
        for batch in batches:
            t = time.perf_counter()
            r = await http.post(f"{base}/api/v1/events", json={"events": batch}, headers=headers)
            batch_s.append(time.perf_counter() - t)
            r.raise_for_status()
            for key in counts:
                counts[key] += r.json()[key]
        posted = time.perf_counter() - start
        deadline = time.perf_counter() + a.timeout
        while time.perf_counter() < deadline and any(len(t.push_times) == n for t, n in zip(tabs, before)):
            await asyncio.sleep(0.05)
        reached = [t.push_times[n] - start for t, n in zip(tabs, before) if len(t.push_times) > n]
        missing = sum(len(t.push_times) == n for t, n in zip(tabs, before))
        again_t = time.perf_counter()
        again = {"recorded": 0, "already_there": 0, "rejected": 0}
        for batch in batches:
            r = await http.post(f"{base}/api/v1/events", json={"events": batch}, headers=headers)
            for key in again:
                again[key] += r.json()[key]
        again_s = time.perf_counter() - again_t
    await asyncio.gather(*(t.close() for t in tabs))
    log(f"posted {len(events)} events in {posted:.2f} s ({[round(x, 2) for x in batch_s]}); all tabs in "
        f"{max(reached, default=float('nan')):.2f} s, missing {missing}; counts {counts}; again {again} "
        f"in {again_s:.2f} s")
    return {"tabs": len(tabs), "events": len(events), "batches": len(batches), "batch_s": batch_s,
            "posted_s": posted, "reached": reached, "missing": missing, "counts": counts, "again": again,
            "again_s": again_s}


def run_on(db: str, a) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    copy = project_copy(tmp / "project")
    admin = dbname = None
    if db == "postgresql":
        dbname = f"marketu_batch_{uuid.uuid4().hex[:8]}"
        admin = make_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}"'))
        db_url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{dbname}"
    else:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    app = None
    try:
        env = app_env(db_url, copy, MARKETU_DEMO="0", MARKETU_EMS_POLLER="0",
                      MARKETU_EMS_API_URL="http://127.0.0.1:9/api/v2", MARKETU_OPERATOR_TOKEN=TOKEN)
        app = RunningApp(env, tmp / "app.log", cwd=copy).start(timeout=400)
        engine = make_engine(db_url)

        async def seeding():
            async with httpx.AsyncClient(timeout=120) as http:
                await seed(app.url, a.tabs, http, engine, TOKEN)

        asyncio.run(seeding())
        with Session(engine) as s:
            cid = s.exec(select(Customer.id).where(Customer.external_id == "b-0")).one()
            template = sessions.create_session(s, cid)
            s.commit()
        engine.dispose()
        ns, auth = capture_connect(app.url, template)
        out = asyncio.run(scenario(app.url, db_url, a, ns, auth, template))
        out["db"] = db
        return out
    except Exception:
        log_path = tmp / "app.log"
        print(log_path.read_text()[-6000:] if log_path.exists() else "no app log", file=sys.stderr)
        raise
    finally:
        if app:
            app.stop()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
            admin.dispose()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def report(results: list[dict], cmd: str, started_load: str, commit: str) -> str:
    rows = "".join(
        f"| {r['db']} | {r['tabs']} | {r['events']} in {r['batches']} | "
        f"{' / '.join(f'{x:.2f}' for x in r['batch_s'])} | {r['posted_s']:.2f} "
        f"| {median(r['reached']):.2f} / {percentile(r['reached'], 95):.2f} / {max(r['reached'], default=0):.2f} "
        f"| {r['missing']} | {r['counts']['recorded']} / {r['counts']['already_there']} / {r['counts']['rejected']} "
        f"| {r['again']['already_there']} of {r['events']} in {r['again_s']:.2f} |\n" for r in results)
    return (f"{SECTION}\n\n`{cmd}` (bench/batch_events.py, app of commit {commit}; `uptime` at the start: "
            f"{started_load}). " + __doc__.split("\n\n", 2)[2].strip() + "\n\n" + machine(browser=True) + "\n"
            "| DB | tabs | events in batches | each batch s | all posted s | tab has it: p50 / p95 / all s "
            "| tabs missing | recorded / already / rejected | sent again: already_there |\n"
            "|---|---|---|---|---|---|---|---|---|\n" + rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite", "postgresql"])
    p.add_argument("--tabs", type=int, default=200)
    p.add_argument("--events", type=int, default=2000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    started = load()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    results = [run_on(db, a) for db in a.db]
    cmd = "python bench/batch_events.py " + " ".join(x for x in sys.argv[1:] if x != "--write-docs")
    text_ = report(results, cmd.strip(), started, commit)
    print(text_)
    if a.write_docs:
        write_section(SECTION, text_)


if __name__ == "__main__":
    main()
