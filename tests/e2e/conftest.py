"""End-to-end: the prod build served by `reflex run --env prod`, driven in Debian Chromium.

One app per test session (the build takes ~30 s), demo data in a fresh SQLite file, EMS from
the Kazpost simulator on loopback.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from marketu_app.ems.simulator import KazpostSimulator
from tests.servers import serve

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OPERATOR_TOKEN = "e2e-operator-token-0123456789"
DEMO_PHONE, DEMO_PASSWORD = "+77011234567", "marketu-demo"
SECOND_PHONE, SECOND_PASSWORD = "+77771234567", "marketu-demo2"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(db_url: str, ems_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PATH": f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:{env.get('PATH', '')}",
        "REFLEX_TELEMETRY_ENABLED": "false", "REFLEX_CHECK_LATEST_VERSION": "false",
        "REFLEX_DIR": str(ROOT / ".reflex"), "REFLEX_BUN_PATH": str(ROOT / ".tools/node_modules/.bin/bun"),
        "BUN_INSTALL_CACHE_DIR": str(ROOT / ".tools" / "bun-cache"),
        "NPM_CONFIG_REGISTRY": env.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org/"),
        "REFLEX_DB_URL": db_url, "MARKETU_DEMO": "1", "MARKETU_OPERATOR_TOKEN": OPERATOR_TOKEN,
        "MARKETU_EMS_API_URL": ems_url, "MARKETU_TRUST_PROXY": "1", "PYTHONUNBUFFERED": "1",
        "MARKETU_SESSION_SWEEP_SECONDS": "2",
    })
    env.pop("REFLEX_REDIS_URL", None)
    env.update(extra)
    return env


class RunningApp:
    """`reflex run --env prod` in its own process group."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path, cwd: Path = ROOT,
                 extra_args: list[str] | None = None):
        self.port, self.env, self.log_path, self.cwd = port, env, log_path, cwd
        self.extra_args = extra_args or []
        self.url = f"http://127.0.0.1:{port}"
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
        raise RuntimeError(f"app did not start in {timeout}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture(scope="session")
def simulator():
    sim = KazpostSimulator(step_seconds=0, not_found=False)
    with serve(sim.app) as url:
        yield sim, f"{url}/api/v2"


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, simulator):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's Chromium is missing at /usr/bin/chromium (scripts/test.sh installs it)")
    data = tmp_path_factory.mktemp("app")
    env = app_env(f"sqlite:///{data / 'e2e.db'}", simulator[1])
    app = RunningApp(env, free_port(), data / "app.log").start()
    yield app
    app.stop()


@pytest.fixture(scope="session")
def db_url(app_server) -> str:
    return app_server.env["REFLEX_DB_URL"]


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


_client_seq = iter(range(1, 10_000))


def new_context(browser: Browser, viewport: dict | None = None, **kw) -> BrowserContext:
    # Each context looks like its own client to the sign-in rate limit (the app trusts X-Forwarded-For here).
    ip = f"10.{next(_client_seq) // 250}.{next(_client_seq) % 250}.7"
    return browser.new_context(viewport=viewport or DESKTOP, locale="ru-RU",
                               extra_http_headers={"X-Forwarded-For": ip}, **kw)


@pytest.fixture
def context(browser):
    ctx = new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context) -> Page:
    return context.new_page()


def sign_in(page: Page, base: str, identifier: str = DEMO_PHONE, password: str = DEMO_PASSWORD,
            path: str = "/") -> None:
    page.goto(base + path)
    page.wait_for_url("**/login**")
    page.fill("#identifier", identifier)
    page.fill("#password", password)
    page.click("button[type=submit]")


def wait_for_cards(page: Page) -> None:
    page.wait_for_selector(".parcel-card", timeout=40_000)


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
