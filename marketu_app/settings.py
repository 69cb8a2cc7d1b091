"""Every MARKETU_* / REFLEX_* setting, read in one place.

Settings are read from the environment each time `get_settings()` is called
without a cache hit; tests call `get_settings.cache_clear()` after changing it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / '.data' / 'marketu.db'}"
KAZPOST_API_URL = "https://track.kazpost.kz/api/v2"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    db_url: str
    redis_url: str | None
    operator_token: str | None
    demo: bool
    ems_api_url: str
    ems_poller_enabled: bool
    ems_concurrency: int
    support_url: str
    session_days: int
    trust_proxy: bool
    kazpost_page_url: str = "https://post.kz/services/postal/{barcode}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        db_url=os.environ.get("REFLEX_DB_URL") or DEFAULT_DB_URL,
        redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
        operator_token=os.environ.get("MARKETU_OPERATOR_TOKEN") or None,
        demo=_flag("MARKETU_DEMO"),
        ems_api_url=(os.environ.get("MARKETU_EMS_API_URL") or KAZPOST_API_URL).rstrip("/"),
        ems_poller_enabled=_flag("MARKETU_EMS_POLLER", default=True),
        ems_concurrency=int(os.environ.get("MARKETU_EMS_CONCURRENCY", "4")),
        support_url=os.environ.get("MARKETU_SUPPORT_URL") or "https://marketu.userecho.com/",
        session_days=int(os.environ.get("MARKETU_SESSION_DAYS", "30")),
        trust_proxy=_flag("MARKETU_TRUST_PROXY"),
    )
