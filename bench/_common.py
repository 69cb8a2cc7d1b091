"""Shared helpers of the app benchmarks (bench/parcels_page.py, bench/live_push.py).

The app always runs from a COPY of the project (its own .web build), never from the
working tree, so a benchmark does not disturb /work/main/.web or a running scripts/run.sh.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
POSTGRES_URL = os.environ.get("MARKETU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MARKETU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
DOCS = ROOT / "docs" / "benchmarks.md"
DATE = "2026-11-26"
COPY_ITEMS = ("marketu_app", "assets", "rxconfig.py", "alembic.ini", "pyproject.toml")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(target: Path) -> Path:
    """A copy of the app's sources in `target` (the app builds its own .web there)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in COPY_ITEMS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target / name)
    return target


def app_env(copy: Path, db_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
        "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(ROOT / ".reflex"), "REFLEX_BUN_PATH": str(ROOT / ".tools/node_modules/.bin/bun"),
        "BUN_INSTALL_CACHE_DIR": str(ROOT / ".tools" / "bun-cache"),
        "NPM_CONFIG_REGISTRY": env.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/"),
        "REFLEX_DB_URL": db_url, "MARKETU_DEMO": "0", "MARKETU_EMS_POLLER": "0",
        "MARKETU_EMS_API_URL": "http://127.0.0.1:9/api/v2",  # never called: the poller is off
        "MARKETU_TRUST_PROXY": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(copy),
    })
    env.pop("REFLEX_REDIS_URL", None)
    env.update(extra)
    return env


class RunningApp:
    """`reflex run --env prod` from a project copy, in its own process group."""

    def __init__(self, env: dict[str, str], cwd: Path, log_path: Path, port: int | None = None):
        self.env, self.cwd, self.log_path = env, cwd, log_path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300, ready_path: str = "/statuses") -> "RunningApp":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(self.port),
             "--loglevel", "warning"],
            cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited early; see {self.log_path}:\n{self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}{ready_path}", timeout=2, follow_redirects=True).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"app did not start in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def pids(self) -> list[int]:
        """The server process and all its descendants (Granian workers)."""
        if not self.proc:
            return []
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def rss_mb(self) -> tuple[float, int]:
        """(sum of VmRSS over the process tree in MB, number of processes)."""
        total, n = 0, 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        n += 1
            except OSError:
                pass
        return total / 1024, n


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


def machine() -> str:
    mem = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout.rstrip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (f"Machine: `nproc` = {nproc}, Python {platform.python_version()}, {platform.system()} "
            f"{platform.machine()}, {chromium_version()}; date {DATE}.\n\n```\n$ free -g\n{mem}\n```\n")


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
