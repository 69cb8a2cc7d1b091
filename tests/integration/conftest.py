"""The operator API served over real HTTP, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import httpx
import pytest

from marketu_app.api.router import create_api
from marketu_app.db.engine import reset_engine
from marketu_app.settings import get_settings
from tests.servers import serve

TOKEN = "test-operator-token-0123456789"


def use_database(monkeypatch, engine) -> None:
    """Points the app's settings and engine at `engine`'s database."""
    monkeypatch.setenv("REFLEX_DB_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    reset_engine()


@pytest.fixture
def api_url(any_engine, monkeypatch):
    use_database(monkeypatch, any_engine)
    monkeypatch.setenv("MARKETU_OPERATOR_TOKEN", TOKEN)
    get_settings.cache_clear()
    with serve(create_api()) as url:
        yield url
    reset_engine()
    get_settings.cache_clear()


@pytest.fixture
def api(api_url):
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        yield client
