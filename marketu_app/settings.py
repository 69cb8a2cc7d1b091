"""Every MARKETU_* / REFLEX_* setting, read and validated in one place.

`get_settings()` reads the environment once and caches the result; tests call
`get_settings.cache_clear()` after changing it. A bad value raises `SettingsError` naming the
variable; rxconfig.py reads the settings, so a bad value stops the app at start.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = f"sqlite:///{PROJECT_ROOT / '.data' / 'marketu.db'}"
KAZPOST_API_URL = "https://track.kazpost.kz/api/v2"


class SettingsError(ValueError):
    """A MARKETU_* / REFLEX_* variable holds a value the app cannot use."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, env_ignore_empty=True, case_sensitive=True, extra="ignore")

    db_url: str = Field(DEFAULT_DB_URL, validation_alias="REFLEX_DB_URL")
    redis_url: str | None = Field(None, validation_alias="REFLEX_REDIS_URL")
    operator_token: str | None = Field(None, validation_alias="MARKETU_OPERATOR_TOKEN")
    demo: bool = Field(False, validation_alias="MARKETU_DEMO")
    ems_api_url: str = Field(KAZPOST_API_URL, validation_alias="MARKETU_EMS_API_URL")
    ems_poller_enabled: bool = Field(True, validation_alias="MARKETU_EMS_POLLER")
    ems_concurrency: int = Field(4, ge=1, le=64, validation_alias="MARKETU_EMS_CONCURRENCY")
    support_url: str = Field("https://marketu.userecho.com/", validation_alias="MARKETU_SUPPORT_URL")
    session_days: int = Field(30, ge=1, le=3650, validation_alias="MARKETU_SESSION_DAYS")
    trust_proxy: bool = Field(False, validation_alias="MARKETU_TRUST_PROXY")
    max_sockets_per_client: int = Field(50, ge=1, le=100000, validation_alias="MARKETU_MAX_SOCKETS_PER_CLIENT")
    session_sweep_seconds: float = Field(30.0, gt=0, le=3600, validation_alias="MARKETU_SESSION_SWEEP_SECONDS")
    # Live pushes are split by customer into this many parts, each led by one worker (spreads the work).
    live_partitions: int = Field(4, ge=1, le=64, validation_alias="MARKETU_LIVE_PARTITIONS")
    # Notifications (shared/spec/notifications.md): a channel without its settings is off.
    public_url: str = Field("http://127.0.0.1:8000", validation_alias="MARKETU_PUBLIC_URL")
    telegram_bot_token: str | None = Field(None, validation_alias="MARKETU_TELEGRAM_BOT_TOKEN")
    telegram_bot_name: str | None = Field(None, validation_alias="MARKETU_TELEGRAM_BOT_NAME")
    telegram_api_url: str = Field("https://api.telegram.org", validation_alias="MARKETU_TELEGRAM_API_URL")
    telegram_webhook_secret: str | None = Field(None, validation_alias="MARKETU_TELEGRAM_WEBHOOK_SECRET")
    smtp_url: str | None = Field(None, validation_alias="MARKETU_SMTP_URL")
    mail_from: str = Field("Marketu <track@marketu.kz>", validation_alias="MARKETU_MAIL_FROM")
    vapid_private_key: str | None = Field(None, validation_alias="MARKETU_VAPID_PRIVATE_KEY")
    vapid_subject: str | None = Field(None, validation_alias="MARKETU_VAPID_SUBJECT")
    quiet_hours: str = Field("22:00-09:00", validation_alias="MARKETU_QUIET_HOURS")
    notify_worker: bool = Field(True, validation_alias="MARKETU_NOTIFY_WORKER")

    # Each field reads exactly the variable named in validation_alias (errors name it too).
    kazpost_page_url: ClassVar[str] = "https://post.kz/services/postal/{barcode}"

    @field_validator("ems_api_url", "support_url", "public_url", "telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("ems_api_url", "public_url", "telegram_api_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("telegram_bot_name")
    @classmethod
    def _bot_name(cls, value: str | None) -> str | None:
        return value.lstrip("@") or None if value else None

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must be smtp://user:pass@host:port or smtps://...")
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _vapid_subject(cls, value: str | None) -> str | None:
        # Apple's push service rejects anything but a mailto: or https: subject.
        if value is not None and not value.startswith(("mailto:", "https://")):
            raise ValueError("must start with mailto: or https://")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from marketu_app.domain.notify import parse_quiet_hours

        parse_quiet_hours(value)
        return value.strip().lower()

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_bot_name)

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_url)

    @property
    def push_enabled(self) -> bool:
        return bool(self.vapid_private_key and self.vapid_subject)

    @field_validator("db_url")
    @classmethod
    def _db_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis:// URL")
        return value


def _explain(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "settings"
        lines.append(f"{name}={item.get('input')!r}: {item['msg']}")
    return "invalid setting: " + "; ".join(lines)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(_explain(error)) from None
