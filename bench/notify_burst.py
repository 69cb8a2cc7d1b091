"""Notifications benchmark: a container arrives at the Almaty warehouse.

    flock /tmp/marketu-bench.lock .venv/bin/python bench/notify_burst.py --customers 500 --spread 60
    ... --write-docs        # also replace "## Notifications: a container arrives" in docs/benchmarks.md

Setup: a fresh PostgreSQL schema; N customers, each with an email address, a linked Telegram chat and
one parcel of 4 orders shipped from China. Channels are real local servers in this process: the
Bot-API stand-in (marketu_app.notify.standin, Telegram's limits honoured by the app: 25/s, 1/s per chat)
and an aiosmtpd SMTP server. The operator API runs in its own process (uvicorn, the app's FastAPI
router), and two notification workers as separate processes (bench/notify_worker.py: the app's own
lifespan task), as two Granian workers would.

The burst: the back office posts the 4 orders of each customer arriving (`at_almaty_warehouse`) to
`POST /api/v1/events`, one batch every --batch-seconds (a customer's 4 orders in one batch), spread
over --spread seconds (2,000 orders of 500 customers within a minute). Halfway through, one worker is
killed (SIGKILL) and a new one started: the forced restart.

Measured: per customer and channel, how many messages arrived (exactly one expected: the 4 orders
collapsed), the time from the batch holding the customer's orders being answered to its message, the
first message after the first batch was sent and the last one after the last batch was answered;
duplicates, missing, and messages left "unknown" (a Telegram request under way when its worker was
killed: never repeated). Idle cost: SQL statements per second of both workers together, with no
changes, before and after the burst.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import func  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from bench._common import load, machine, write_section  # noqa: E402
from marketu_app.db.models import (  # noqa: E402
    ChangeCursor,
    ChangeLog,
    Customer,
    NotifyMessage,
    Order,
    Parcel,
    TelegramLink,
)
from marketu_app.domain.timeutil import utcnow  # noqa: E402
from marketu_app.notify.standin import BotApi  # noqa: E402
from tests.app_process import free_port  # noqa: E402
from tests.databases import fresh_pg_schema  # noqa: E402
from tests.notify_standins import smtp_server  # noqa: E402
from tests.servers import serve  # noqa: E402

TOKEN = "1:bench"
OPERATOR_TOKEN = "bench-operator-token"
SECTION = "## Notifications: a container arrives"


class OperatorApi:
    """The app's operator API (its FastAPI router) served by uvicorn in its own process."""

    def __init__(self, env: dict):
        self.url = f"http://127.0.0.1:{free_port()}"
        port = self.url.rsplit(":", 1)[1]
        self.proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "marketu_app.api.router:create_api",
                                      "--host", "127.0.0.1", "--port", port, "--log-level", "warning"],
                                     env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/api/v1/openapi.json", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("the operator API did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def seed(engine, n: int) -> None:
    """Rows added directly (the set-up is not what is measured)."""
    shipped = utcnow() - timedelta(days=3)
    with Session(engine) as s:
        customers = [Customer(external_id=f"b{i}", name=f"Покупатель {i}", email=f"c{i}@bench.kz", locale="ru",
                              password_hash="not-a-real-hash") for i in range(n)]
        s.add_all(customers)
        s.flush()
        parcels = [Parcel(number=f"P-b{i}", customer_id=c.id, delivery_method="pickup")
                   for i, c in enumerate(customers)]
        s.add_all(parcels)
        s.flush()
        s.add_all([Order(number=f"M-b{i}-{k}", customer_id=c.id, parcel_id=parcels[i].id, title=f"Товар {k}",
                         marketplace="taobao", status="shipped_from_china", status_at=shipped)
                   for i, c in enumerate(customers) for k in range(4)])
        s.add_all([TelegramLink(customer_id=c.id, chat_id=100_000 + i) for i, c in enumerate(customers)])
        s.add(ChangeCursor(consumer="notify", last_id=s.exec(select(func.max(ChangeLog.id))).one() or 0))
        s.commit()


class Worker:
    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "notify_worker.py")], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        self.queries = -1  # until its first report
        import threading

        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            if line.startswith("q ") and line.split()[1].isdigit():
                self.queries = int(line.split()[1])

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)


def idle_rate(workers: list[Worker], seconds: float) -> float:
    before = sum(w.queries for w in workers)
    time.sleep(seconds)
    return (sum(w.queries for w in workers) - before) / seconds


def main() -> None:
    import signal

    # A timeout's SIGTERM unwinds normally, so the schema is dropped and the workers killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    p = argparse.ArgumentParser()
    p.add_argument("--customers", type=int, default=500)
    p.add_argument("--spread", type=float, default=60.0)
    p.add_argument("--idle-seconds", type=float, default=10.0)
    p.add_argument("--timeout", type=float, default=240.0)
    p.add_argument("--batch-seconds", type=float, default=2.0, help="the back office posts a batch this often")
    p.add_argument("--write-docs", action="store_true")
    a = p.parse_args()
    uptime_start = load()
    n = a.customers
    bot = BotApi(TOKEN)
    with fresh_pg_schema("nb") as engine, serve(bot.app()) as bot_url, smtp_server() as (smtp_url, smtp):
        t0 = time.monotonic()
        seed(engine, n)
        print(f"seeded {n} customers in {time.monotonic() - t0:.1f} s", flush=True)
        env = dict(os.environ, REFLEX_DB_URL=engine.url.render_as_string(hide_password=False),
                   MARKETU_TELEGRAM_BOT_TOKEN=TOKEN, MARKETU_TELEGRAM_BOT_NAME="bench_bot",
                   MARKETU_TELEGRAM_API_URL=bot_url, MARKETU_SMTP_URL=smtp_url, MARKETU_QUIET_HOURS="off",
                   MARKETU_PUBLIC_URL="https://track.example.kz", PYTHONPATH=str(ROOT),
                   MARKETU_OPERATOR_TOKEN=OPERATOR_TOKEN, MARKETU_NOTIFY_WORKER="1")
        api = OperatorApi(dict(env, MARKETU_NOTIFY_WORKER="0", MARKETU_EMS_POLLER="0"))
        workers = [Worker(env), Worker(env)]
        try:
            while any(w.queries < 0 for w in workers):
                time.sleep(0.1)
            time.sleep(3)  # both running, one leads
            print("workers up", flush=True)
            idle_before = idle_rate(workers, a.idle_seconds)

            commits: dict[int, float] = {}
            n_batches = max(1, round(a.spread / a.batch_seconds))
            chunks = [list(range(n * b // n_batches, n * (b + 1) // n_batches)) for b in range(n_batches)]
            batch_seconds: list[float] = []
            recorded = 0
            start = time.monotonic()
            restarted = False
            with httpx.Client(base_url=api.url, timeout=120,
                              headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"}) as client:
                for b, chunk in enumerate(chunks):
                    due = start + a.batch_seconds * b
                    if time.monotonic() < due:
                        time.sleep(due - time.monotonic())
                    if not restarted and b >= n_batches // 2:
                        workers[0].kill()  # the forced restart: SIGKILL, then a new worker
                        workers.append(Worker(env))
                        restarted = True
                        print(f"killed a worker at {time.monotonic() - start:.1f} s", flush=True)
                    at = utcnow().isoformat()
                    events = [{"type": "order_event", "order_number": f"M-b{i}-{k}", "status": "at_almaty_warehouse",
                               "at": at} for i in chunk for k in range(4)]
                    sent = time.monotonic()
                    answer = client.post("/api/v1/events", json={"events": events})
                    answer.raise_for_status()
                    recorded += answer.json()["recorded"]
                    batch_seconds.append(time.monotonic() - sent)
                    for i in chunk:
                        commits[100_000 + i] = time.monotonic()
            writes_end = time.monotonic()
            print(f"writes done in {writes_end - start:.1f} s", flush=True)

            def arrived() -> tuple[int, int]:
                chats = {m["chat_id"] for m in list(bot.sent)}
                mails = {str(m["To"]) for m in list(smtp.messages)}
                return len(chats), len(mails)

            deadline = time.monotonic() + a.timeout
            while arrived() != (n, n) and time.monotonic() < deadline:
                time.sleep(0.2)
            done = time.monotonic()
            time.sleep(3)  # anything late (a duplicate) still arrives
            with Session(engine) as s:
                states = Counter(s.exec(select(NotifyMessage.channel, NotifyMessage.state)).all())
            alive = [w for w in workers if w.proc.poll() is None]
            idle_after = idle_rate(alive, a.idle_seconds)
        finally:
            api.stop()
            for w in workers:
                if w.proc.poll() is None:
                    w.kill()

    tg = Counter(m["chat_id"] for m in bot.sent)
    mails = Counter(str(m["To"]) for m in smtp.messages)
    mail_ids = Counter(str(m["Message-ID"]) for m in smtp.messages)
    tg_latency = sorted(min(x["at"] for x in bot.sent if x["chat_id"] == c) - commits[c] for c in tg)
    first = min(x["at"] for x in bot.sent) - start if bot.sent else float("nan")
    last = max(x["at"] for x in bot.sent) - writes_end if bot.sent else float("nan")
    batch_seconds.sort()
    result = {
        "customers": n, "orders": 4 * n, "recorded": recorded, "writes_seconds": round(writes_end - start, 1),
        "batches": len(batch_seconds), "batch_response_s": {
            "p50": round(batch_seconds[len(batch_seconds) // 2], 2),
            "max": round(batch_seconds[-1], 2)},
        "telegram": {"customers_reached": len(tg), "duplicates": sum(v - 1 for v in tg.values() if v > 1),
                     "missing": n - len(tg)},
        "email": {"customers_reached": len(mails), "duplicates": sum(v - 1 for v in mails.values() if v > 1),
                  "duplicate_message_ids": sum(v - 1 for v in mail_ids.values() if v > 1), "missing": n - len(mails)},
        "outbox_states": {f"{c}:{s}": v for (c, s), v in sorted(states.items())},
        "telegram_latency_after_customer_write_s": {
            "p50": round(tg_latency[len(tg_latency) // 2], 2) if tg_latency else None,
            "p95": round(tg_latency[int(len(tg_latency) * 0.95) - 1], 2) if tg_latency else None,
            "max": round(tg_latency[-1], 2) if tg_latency else None},
        "first_message_after_first_write_s": round(first, 2),
        "last_message_after_last_write_s": round(last, 2),
        "all_arrived_after_last_write_s": round(done - writes_end, 2),
        "idle_statements_per_s_before": round(idle_before, 1), "idle_statements_per_s_after": round(idle_after, 1),
        "uptime_start": uptime_start, "uptime_end": load(),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if a.write_docs:
        write_docs(result, a)


def write_docs(r: dict, a) -> None:
    """The section with this run's figures only (the machine, date and load with them)."""
    tg, em, lat = r["telegram"], r["email"], r["telegram_latency_after_customer_write_s"]
    once = all(x["duplicates"] == 0 and x["missing"] == 0 for x in (tg, em))
    goals = [
        (f"writes within {a.spread:g} s", r["writes_seconds"] <= a.spread + a.batch_seconds),
        ("exactly one message per customer and channel", once),
        ("first message within 5 s of the first write", r["first_message_after_first_write_s"] <= 5),
        ("last message within 60 s of the last write", r["last_message_after_last_write_s"] <= 60),
    ]
    rows = [
        ("customers / orders", f"{r['customers']} / {r['orders']}"),
        ("batches (response p50 / max)", f"{r['batches']} ({r['batch_response_s']['p50']} / "
                                         f"{r['batch_response_s']['max']} s)"),
        ("writes took (first batch sent to last answered)", f"{r['writes_seconds']} s"),
        ("events recorded", r["recorded"]),
        ("Telegram: reached / duplicates / missing", f"{tg['customers_reached']} / {tg['duplicates']} / "
                                                     f"{tg['missing']}"),
        ("email: reached / duplicates / missing", f"{em['customers_reached']} / {em['duplicates']} / {em['missing']}"),
        ("Telegram per customer after its batch (p50 / p95 / max)", f"{lat['p50']} / {lat['p95']} / {lat['max']} s"),
        ("first message after the first write", f"{r['first_message_after_first_write_s']} s"),
        ("last message after the last write", f"{r['last_message_after_last_write_s']} s"),
        ("outbox states at the end", ", ".join(f"{k} {v}" for k, v in r["outbox_states"].items())),
        ("idle SQL statements/s, both workers (before / after)",
         f"{r['idle_statements_per_s_before']} / {r['idle_statements_per_s_after']}"),
    ]
    doc = __doc__.split("Setup:", 1)[1].strip()
    body = "\n".join([
        SECTION, "",
        f"`flock /tmp/marketu-bench.lock .venv/bin/python bench/notify_burst.py --customers {a.customers} "
        f"--spread {a.spread:g} --batch-seconds {a.batch_seconds:g}` (bench/notify_burst.py). Setup: {doc}", "",
        machine(browser=False),
        f"`uptime` at the start: {r['uptime_start']}; at the end: {r['uptime_end']}.", "",
        "| figure | this run |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), "",
        "The issue's goals in this run: " + "; ".join(f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals) + ".",
    ])
    write_section(SECTION, body)
    print(f"wrote {SECTION!r} to docs/benchmarks.md")


if __name__ == "__main__":
    main()
