"""Shared fixtures: a fresh migrated database per test, real PostgreSQL/Redis when present."""

from __future__ import annotations

import os
import socket

import pytest

from marketu_app.db.engine import make_engine, migrate
from tests.databases import fresh_pg_schema

REDIS_URL = os.environ.get("MARKETU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# .ci/run sets this: there a missing PostgreSQL or Redis is a failure, not a skip.
REQUIRE_SERVICES = os.environ.get("MARKETU_REQUIRE_SERVICES", "") == "1"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    if not _port_open(host, port):
        message = f"{name} is not reachable on {host}:{port}"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (MARKETU_REQUIRE_SERVICES=1: it must be there)")
        pytest.skip(message)


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_engine():
    """A fresh schema in the real PostgreSQL, dropped afterwards."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    with fresh_pg_schema() as engine:
        yield engine


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request):
    """Runs a test on the embedded SQLite and on the real PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_engine" if request.param == "sqlite" else "pg_engine")


@pytest.fixture
def redis_url():
    need_service("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def empty_eta_cache(monkeypatch):
    """The ETA statistics cache empty, and kept so (no lazy refresh in the background)."""
    from marketu_app.db import eta_source

    monkeypatch.setattr(eta_source, "lazy_refresh", False)
    eta_source.clear_cache()
    yield
    eta_source.clear_cache()
