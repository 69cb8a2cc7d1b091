"""The settings object: defaults, parsing, and a bad value stopping the app at start, named."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketu_app.settings import DEFAULT_DB_URL, KAZPOST_API_URL, SettingsError, get_settings

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = ("REFLEX_DB_URL", "REFLEX_REDIS_URL", "MARKETU_OPERATOR_TOKEN", "MARKETU_DEMO", "MARKETU_EMS_API_URL",
             "MARKETU_EMS_POLLER", "MARKETU_EMS_CONCURRENCY", "MARKETU_SUPPORT_URL", "MARKETU_SESSION_DAYS",
             "MARKETU_TRUST_PROXY", "MARKETU_SESSION_SWEEP_SECONDS")


@pytest.fixture
def env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_defaults(env):
    s = get_settings()
    assert s.db_url == DEFAULT_DB_URL and s.redis_url is None and s.operator_token is None
    assert s.ems_api_url == KAZPOST_API_URL and s.ems_poller_enabled and not s.demo and not s.trust_proxy
    assert (s.ems_concurrency, s.session_days, s.session_sweep_seconds) == (4, 30, 30.0)


def test_values_are_parsed(env):
    env.setenv("MARKETU_DEMO", "1")
    env.setenv("MARKETU_EMS_POLLER", "off")
    env.setenv("MARKETU_EMS_CONCURRENCY", "8")
    env.setenv("MARKETU_EMS_API_URL", "http://127.0.0.1:9/api/v2/")
    env.setenv("MARKETU_OPERATOR_TOKEN", "")  # empty reads as unset: the API stays closed
    env.setenv("MARKETU_SESSION_SWEEP_SECONDS", "2")
    s = get_settings()
    assert s.demo and not s.ems_poller_enabled and s.ems_concurrency == 8
    assert s.ems_api_url == "http://127.0.0.1:9/api/v2" and s.operator_token is None
    assert s.session_sweep_seconds == 2.0


@pytest.mark.parametrize(("name", "value"), [
    ("MARKETU_EMS_CONCURRENCY", "four"),
    ("MARKETU_EMS_CONCURRENCY", "0"),
    ("MARKETU_SESSION_DAYS", "-1"),
    ("MARKETU_DEMO", "maybe"),
    ("MARKETU_SESSION_SWEEP_SECONDS", "0"),
    ("MARKETU_EMS_API_URL", "track.kazpost.kz"),
    ("REFLEX_DB_URL", "mysql://x"),
    ("REFLEX_REDIS_URL", "localhost:6379"),
])
def test_a_bad_value_names_its_variable(env, name, value):
    env.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        get_settings()


def test_a_bad_value_stops_the_app_at_start():
    """rxconfig.py is the first thing `reflex run` loads: it fails there, saying which variable."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env["MARKETU_EMS_CONCURRENCY"] = "many"
    done = subprocess.run([sys.executable, "-c", "import rxconfig"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "MARKETU_EMS_CONCURRENCY='many'" in done.stderr and "valid integer" in done.stderr
