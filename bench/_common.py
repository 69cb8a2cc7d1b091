"""Shared helpers of the app benchmarks (bench/parcels_page.py, bench/live_push.py).

The app always runs from a COPY of the project (its own .web build), never from the
working tree, so a benchmark does not disturb /work/main/.web or a running scripts/run.sh.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.app_process import (  # noqa: E402,F401  (re-exported for the benchmarks)
    CHROMIUM,
    CHROMIUM_ARGS,
    RunningApp,
    app_env,
    free_port,
    project_copy,
)

POSTGRES_URL = os.environ.get("MARKETU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MARKETU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DOCS = ROOT / "docs" / "benchmarks.md"
DATE = datetime.now(timezone.utc).date().isoformat()  # the day of the run, written with its figures


def median(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


def percentile(xs, p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def chromium_version() -> str:
    try:
        return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception:  # noqa: BLE001
        return "unknown"


def load() -> str:
    """`uptime` now: the machine is shared, its load goes with every figure."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def machine(browser: bool = True) -> str:
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    chromium = f", {chromium_version()}" if browser else ""
    return (f"Machine: `nproc` = {nproc}, Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}{chromium}; date {DATE}; `uptime` when written: {load()}.\n\n"
            f"```\n$ free -g\n{mem}\n```\n")


def write_section(section: str, body: str) -> None:
    """Replaces (or appends) `section` ("## Title") of docs/benchmarks.md, leaving the others alone."""
    if not body.startswith(section):
        body = f"{section}\n\n{body}"
    old = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: body.rstrip() + "\n\n", old) if pattern.search(old) \
        else old.rstrip() + "\n\n" + body.rstrip() + "\n"
    DOCS.parent.mkdir(exist_ok=True)
    DOCS.write_text(new.rstrip() + "\n")
