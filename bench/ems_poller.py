"""EMS poller benchmark: N active tracks, one full cycle against the simulator on loopback.

    .venv/bin/python bench/ems_poller.py                       # 10,000 tracks, SQLite, cap 4
    .venv/bin/python bench/ems_poller.py --concurrency 4 16    # several caps, fresh data each
    .venv/bin/python bench/ems_poller.py --db postgresql        # the real PostgreSQL too
    .venv/bin/python bench/ems_poller.py --write-docs           # update docs/benchmarks.md

The simulator runs as a separate process (instant histories, no "not found"), so the CPU
measured here is the poller's alone. A cycle is cut at --max-seconds (reported as such).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketu_app.db import writes  # noqa: E402
from marketu_app.db.engine import make_engine, migrate  # noqa: E402
from marketu_app.db.inputs import CustomerIn, ParcelIn, Recipient  # noqa: E402
from marketu_app.db.models import EmsEvent, EmsTrack  # noqa: E402
from marketu_app.domain.s10 import check_digit  # noqa: E402
from marketu_app.ems.client import EmsClient  # noqa: E402
from marketu_app.ems.poller import run_cycle  # noqa: E402
from tests.databases import fresh_pg_schema  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from _common import machine, write_section  # noqa: E402

SECTION = "## EMS poller"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "marketu_app.ems.simulator", "--port", str(port),
                             "--step-seconds", "0", "--no-not-found"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the simulator did not start")


def track(n: int) -> str:
    serial = f"{n:08d}"
    return f"EE{serial}{check_digit(serial)}KZ"


@contextlib.contextmanager
def engine_for(db: str, tmp: Path):
    """A migrated database: an SQLite file in `tmp`, or a fresh PostgreSQL schema (dropped after)."""
    if db == "postgresql":
        with fresh_pg_schema("bench") as engine:
            yield engine
        return
    engine = make_engine(f"sqlite:///{tmp / 'bench.db'}")
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def seed(engine, n: int) -> float:
    """n kazakhstan parcels with a track each, through the write path."""
    t0 = time.perf_counter()
    recipient = Recipient(name="Получатель", phone="+77011234567", city="Астана", address="ул. Абая 1")
    with Session(engine) as s:
        writes.upsert_customer(s, "BENCH", CustomerIn(name="Bench", phone="+77011234567",
                                                      password="bench-password-123"))
        for i in range(n):
            writes.upsert_parcel(s, f"B-{i}", ParcelIn(customer_id="BENCH", delivery_method="kazakhstan",
                                                       ems_track_number=track(i + 1), recipient=recipient))
            if i % 1000 == 999:
                s.commit()
        s.commit()
    return time.perf_counter() - t0


async def one_cycle(engine, base: str, concurrency: int, max_seconds: float):
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    timer = loop.call_later(max_seconds, stop.set)
    async with EmsClient(base_url=f"{base}/api/v2", max_connections=concurrency * 2) as client:
        cpu0, t0 = time.process_time(), time.perf_counter()
        stats = await run_cycle(engine, client, owner="bench", concurrency=concurrency, stop=stop)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    timer.cancel()
    return stats, wall, cpu, stop.is_set()


def measure(db: str, n: int, concurrency: int, max_seconds: float) -> dict:
    proc, base = start_simulator()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            with engine_for(db, Path(tmp)) as engine:
                seed_s = seed(engine, n)
                stats, wall, cpu, cut = asyncio.run(one_cycle(engine, base, concurrency, max_seconds))
                sim = httpx.get(f"{base}/_sim/stats", params={"full": "1"}).json()
                with Session(engine) as s:
                    rows = s.exec(select(func.count()).select_from(EmsEvent)).one()
                    distinct = s.exec(select(func.count()).select_from(
                        select(EmsEvent.track_number, EmsEvent.code, EmsEvent.at, EmsEvent.place)
                        .distinct().subquery())).one()
                    leased = s.exec(select(func.count()).select_from(EmsTrack)
                                    .where(EmsTrack.lease_owner.is_not(None))).one()
    finally:
        proc.terminate()
        proc.wait(10)
    polls = max(stats.requests, 1)
    return dict(db=db, tracks=n, concurrency=concurrency, seed_s=seed_s, wall_s=wall, cpu_s=cpu,
                cpu_ms_per_poll=1000 * cpu / polls, polls=stats.requests, polls_per_s=stats.requests / wall,
                requests=sim["total"], req_per_track=sim["total"] / max(sim["tracks"], 1),
                max_req_per_track=sim["max_per_track"], tracks_polled=sim["tracks"], rows=rows,
                duplicates=rows - distinct, failures=stats.failures, leased_after=leased, cut=cut)


def table(results: list[dict]) -> str:
    head = ("| DB | tracks | cap | seed s | cycle wall s | polls/s | CPU ms/poll | poller cores | requests/track "
            "| max req/track | rows added | duplicates | failures | leases left | complete |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    return head + "".join(
        f"| {r['db']} | {r['tracks']} | {r['concurrency']} | {r['seed_s']:.0f} | {r['wall_s']:.1f} "
        f"| {r['polls_per_s']:.0f} | {r['cpu_ms_per_poll']:.2f} | {r['cpu_s'] / r['wall_s']:.2f} "
        f"| {r['req_per_track']:.2f} | {r['max_req_per_track']} | {r['rows']} | {r['duplicates']} "
        f"| {r['failures']} | {r['leased_after']} | {'no (cut)' if r['cut'] else 'yes'} |\n" for r in results)


def write_docs(results: list[dict], cmd: str) -> None:
    """Only what was measured: the table, and the CPU an hourly poll of each DB's tracks would take
    at the measured cost per poll (arithmetic on the table, no assumed latency)."""
    hourly = "; ".join(f"{r['db']} (cap {r['concurrency']}): {r['tracks']} tracks polled once an hour "
                       f"= {r['tracks'] / 3600:.1f} polls/s x {r['cpu_ms_per_poll']:.1f} ms "
                       f"= {r['tracks'] / 3600 * r['cpu_ms_per_poll'] / 10:.1f} % of one core" for r in results)
    body = (f"{SECTION}\n\n`{cmd}` (bench/ems_poller.py): one full poll cycle over N active tracks against "
            "the Kazpost simulator running as a separate process on 127.0.0.1 (instant histories of 7-9 "
            "events each, no \"not found\"), a fresh database seeded through the write path (seed s, not "
            "in the cycle). CPU is the poller process's CPU time (HTTP client, parsing, database) divided "
            "by polls; poller cores is that CPU time over the cycle's wall time. The simulator's CPU is not "
            "included but it shares the same cores.\n\n"
            + machine(browser=False) + "\n" + table(results) + "\n" + f"At the measured cost per poll: {hourly}.\n")
    write_section(SECTION, body)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tracks", type=int, default=10_000)
    p.add_argument("--concurrency", type=int, nargs="+", default=[4])
    p.add_argument("--db", nargs="+", choices=["sqlite", "postgresql"], default=["sqlite"])
    p.add_argument("--max-seconds", type=float, default=240.0, help="cut a cycle after this long")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    results = []
    for db in a.db:
        for cap in a.concurrency:
            r = measure(db, a.tracks, cap, a.max_seconds)
            print(" ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()),
                  flush=True)
            results.append(r)
    print(table(results))
    if a.write_docs:
        write_docs(results, "python bench/ems_poller.py " + " ".join(sys.argv[1:]).replace(" --write-docs", ""))


if __name__ == "__main__":
    main()
