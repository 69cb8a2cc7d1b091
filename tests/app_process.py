"""The app as a real process, for the browser tests and the benchmarks.

`reflex run --env prod` builds into the project's .web; a second app at the same time (another
port, another database) must run from a copy of the project (`project_copy`) with its own build.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
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


def app_env(db_url: str, copy: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of an offline prod run on `db_url`; MARKETU_* settings come in `extra`."""
    env = dict(os.environ)
    env.update({
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
        "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(ROOT / ".reflex"), "REFLEX_BUN_PATH": str(ROOT / ".tools/node_modules/.bin/bun"),
        "BUN_INSTALL_CACHE_DIR": str(ROOT / ".tools" / "bun-cache"),
        "NPM_CONFIG_REGISTRY": env.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/"),
        "REFLEX_DB_URL": db_url, "MARKETU_TRUST_PROXY": "1", "PYTHONUNBUFFERED": "1",
    })
    if copy is not None:
        env["PYTHONPATH"] = str(copy)  # the copy's marketu_app, not the installed one
    env.pop("REFLEX_REDIS_URL", None)
    env.update(extra)
    return env


class RunningApp:
    """`reflex run --env prod` in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path, *, cwd: Path = ROOT, port: int | None = None,
                 extra_args: list[str] | None = None):
        self.env, self.log_path, self.cwd = env, log_path, cwd
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 300, ready_path: str = "/statuses") -> "RunningApp":
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--backend-port", str(self.port),
             "--loglevel", "warning", *self.extra_args],
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
