"""Kazpost tracking API client: one pooled httpx.AsyncClient, typed results and failures.

A refresh needs ONE request: `GET {base}/{barcode}/events` carries the whole history,
which is all the timeline uses. The summary (`GET {base}/{barcode}`) only repeats the
latest status plus recipient/office details we do not show, so the poller never calls it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from marketu_app.domain.ems import (
    ParsedEvents,
    StatusTitle,
    is_not_found,
    parse_events,
    parse_status_dictionary,
)
from marketu_app.settings import get_settings

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=3.0, pool=30.0)
DEFAULT_RETRY_AFTER = 60.0
MAX_RETRY_AFTER = 6 * 3600.0


class EmsError(Exception):
    """Base of the client's failures; `str()` is short enough for EmsTrack.last_error."""


class NotRegistered(EmsError):
    """Kazpost does not know the item (yet): normal for a freshly sent item."""


class RateLimited(EmsError):
    def __init__(self, retry_after: float):
        super().__init__(f"rate limited, retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class Unavailable(EmsError):
    """5xx, timeout, connection error, or an answer that is not the expected JSON."""


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """`Retry-After` as seconds (delta-seconds or an HTTP date), bounded; 60 s when absent."""
    if not value:
        return DEFAULT_RETRY_AFTER
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


@dataclass
class EmsClient:
    """Wraps one `httpx.AsyncClient` (connection pool) for the process; use `async with`."""

    base_url: str
    timeout: httpx.Timeout | float | None = None  # None: DEFAULT_TIMEOUT
    max_connections: int = 16
    _http: httpx.AsyncClient | None = field(default=None, repr=False)
    # Kazpost's health as this process sees it: the global pause every poll honours.
    paused_until: datetime | None = None
    consecutive_failures: int = 0

    def pause(self, until: datetime) -> None:
        if self.paused_until is None or until > self.paused_until:
            self.paused_until = until

    def paused(self, now: datetime) -> bool:
        return self.paused_until is not None and now < self.paused_until

    def pause_remaining(self, now: datetime) -> float:
        return max((self.paused_until - now).total_seconds(), 0.0) if self.paused_until else 0.0

    @classmethod
    def from_settings(cls, **kw) -> "EmsClient":
        s = get_settings()
        kw.setdefault("max_connections", max(s.ems_concurrency * 2, 4))
        return cls(base_url=s.ems_api_url, **kw)

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url.rstrip("/") + "/",
                timeout=DEFAULT_TIMEOUT if self.timeout is None else self.timeout,
                limits=httpx.Limits(max_connections=self.max_connections,
                                    max_keepalive_connections=self.max_connections),
                headers={"Accept": "application/json", "User-Agent": "MarketuTracker/1.0"},
                follow_redirects=False,
            )
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> "EmsClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _get_json(self, path: str, shapes: tuple[type, ...] = (dict,)) -> Any:
        try:
            resp = await self.http.get(path)
        except httpx.TimeoutException as e:
            raise Unavailable(f"timeout ({type(e).__name__})") from e
        except httpx.HTTPError as e:  # connection refused/reset, protocol errors
            raise Unavailable(f"connection error ({type(e).__name__})") from e
        if resp.status_code == 429:
            raise RateLimited(retry_after_seconds(resp.headers.get("Retry-After")))
        if resp.status_code >= 500:
            raise Unavailable(f"HTTP {resp.status_code}")
        try:
            payload = json.loads(resp.content)
        except (ValueError, UnicodeDecodeError) as e:
            kind = "HTML" if b"<html" in resp.content[:512].lower() else "malformed JSON"
            raise Unavailable(f"{kind} instead of JSON (HTTP {resp.status_code})") from e
        if is_not_found(payload):
            raise NotRegistered(str(payload.get("error"))[:200])
        if resp.status_code >= 400 or not isinstance(payload, shapes):
            raise Unavailable(f"unexpected answer (HTTP {resp.status_code})")
        return payload

    async def events(self, barcode: str) -> ParsedEvents:
        """The item's whole history, chronological. Raises NotRegistered / RateLimited / Unavailable."""
        return parse_events(await self._get_json(f"{barcode}/events"))

    async def status_dictionary(self) -> dict[str, StatusTitle]:
        """Kazpost's names of its status codes. Raises Unavailable (also for an empty dictionary)."""
        titles = parse_status_dictionary(await self._get_json("status_mappings/index.json", (dict, list)))
        if not titles:
            raise Unavailable("empty status dictionary")
        return titles

    async def summary(self, barcode: str) -> dict:
        """The item's summary (not used by the poller; see the module docstring)."""
        return await self._get_json(barcode)
