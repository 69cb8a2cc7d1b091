"""The README's run command on a fresh clone, as a newcomer runs it: no test extras installed.

A clone of the committed HEAD gets its own .venv from `./scripts/run.sh` (pip's cache is reused,
and bun's download cache), then the demo must show EMS events for every demo EMS parcel: the
Kazpost-format simulator has to run with the app's own dependencies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx

from marketu_app.demo.seed import DEMO_PARCELS, SECOND_PARCELS
from tests.app_process import ROOT, free_port

DEMO_TRACKS = {p.track for p in DEMO_PARCELS + SECOND_PARCELS if p.track}


def _clean_env(port: int, sim_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REFLEX_", "MARKETU_", "VIRTUAL_ENV", "PYTHON"))}
    # Nothing of this checkout's virtualenv may leak into the clone's.
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    env.update(PORT=str(port), MARKETU_SIMULATOR_PORT=str(sim_port),
               BUN_INSTALL_CACHE_DIR=str(ROOT / ".tools" / "bun-cache"))
    return env


def _query(db: Path, sql: str) -> list[tuple]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []


def _tracks_with_events(db: Path) -> set[str]:
    return {r[0] for r in _query(db, "SELECT DISTINCT track_number FROM ems_event")}


def test_run_command_on_a_fresh_clone_shows_the_demo_ems_events(tmp_path):
    clone = tmp_path / "clone"
    ref = os.environ.get("MARKETU_FRESH_CLONE_REF") or subprocess.check_output(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], text=True).strip()
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", ref], check=True)
    port, sim_port = free_port(), free_port()
    log = tmp_path / "run.log"
    proc = subprocess.Popen(["./scripts/run.sh"], cwd=clone, env=_clean_env(port, sim_port),
                            stdout=log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    sim_log = clone / ".data" / "simulator.log"
    seen: set[str] = set()
    app_up_at = None
    try:
        deadline = time.monotonic() + 900  # a cold pip install and the first build
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"run.sh exited {proc.returncode}:\n{log.read_text()[-3000:]}"
            if sim_log.exists() and "Traceback" in sim_log.read_text():
                raise AssertionError(f"the EMS simulator died:\n{sim_log.read_text()[-2000:]}")
            if app_up_at is None:  # the backend may poll before the frontend is built: wait for both
                try:
                    answer = httpx.get(f"http://127.0.0.1:{port}/statuses", timeout=2, follow_redirects=True)
                    if answer.status_code == 200:
                        app_up_at = time.monotonic()
                except httpx.HTTPError:
                    pass
            seen = _tracks_with_events(clone / ".data" / "marketu.db")
            if DEMO_TRACKS <= seen and app_up_at is not None:
                break
            # Once the app answers, the poller's first cycle comes within seconds.
            if app_up_at is not None and time.monotonic() - app_up_at > 120:
                break
            time.sleep(2)
        assert app_up_at is not None, f"the app never answered:\n{log.read_text()[-3000:]}"
        assert DEMO_TRACKS <= seen, (f"EMS events only for {sorted(seen)} of {sorted(DEMO_TRACKS)}; simulator log:\n"
                                     f"{sim_log.read_text()[-2000:] if sim_log.exists() else '(none)'}")
        # The demo parcel whose orders are all delivered says so on EMS too (not "accepted today").
        delivered_track = next(p.track for p in DEMO_PARCELS if p.number == "P-240107")
        codes = {r[0] for r in _query(clone / ".data" / "marketu.db",
                                      f"SELECT code FROM ems_event WHERE track_number = '{delivered_track}'")}
        assert codes & {"ISSPAY", "DPAY"}, codes
        extras = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", "import pytest"], capture_output=True)
        assert extras.returncode != 0, "the fresh clone got the test extras: this check would prove nothing"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
