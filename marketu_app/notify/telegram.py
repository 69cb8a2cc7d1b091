"""Telegram's Bot API over plain httpx: send a message, read updates, with Telegram's limits.

Requests go to `<MARKETU_TELEGRAM_API_URL>/bot<token>/<method>` exactly as Telegram's, so a local
Bot-API-compatible server stands in for it in tests and in the demo.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httpx

GLOBAL_PER_SECOND = 25  # Telegram: about 30 messages/s per bot; we stay under it
PER_CHAT_SECONDS = 1.0  # and one message a second per chat


class TelegramError(Exception):
    """A failure worth retrying later (network, 5xx, an unexpected answer)."""


class RetryAfter(TelegramError):
    def __init__(self, seconds: float):
        super().__init__(f"429: retry after {seconds} s")
        self.seconds = seconds


class Blocked(Exception):
    """403: the customer blocked the bot (or the chat is gone): the link is dead."""


class Rejected(Exception):
    """400: Telegram will never accept this message as it is."""


class RateLimiter:
    """At most `per_second` sends overall and one per chat every `per_chat` seconds (one process)."""

    def __init__(self, per_second: int = GLOBAL_PER_SECOND, per_chat: float = PER_CHAT_SECONDS):
        self.per_second, self.per_chat = per_second, per_chat
        self._recent: deque[float] = deque()
        self._chat_last: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._recent and now - self._recent[0] >= 1.0:
                    self._recent.popleft()
                delay = 0.0
                if len(self._recent) >= self.per_second:
                    delay = 1.0 - (now - self._recent[0])
                last = self._chat_last.get(chat_id)
                if last is not None:
                    delay = max(delay, self.per_chat - (now - last))
                if delay <= 0:
                    self._recent.append(now)
                    self._chat_last[chat_id] = now
                    if len(self._chat_last) > 10_000:  # forget chats idle for long
                        self._chat_last = {c: t for c, t in self._chat_last.items() if now - t < self.per_chat}
                    return
                await asyncio.sleep(delay)


class TelegramClient:
    def __init__(self, api_url: str, token: str, limiter: RateLimiter | None = None,
                 client: httpx.AsyncClient | None = None):
        self._base = f"{api_url.rstrip('/')}/bot{token}"
        self._http = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=40.0))
        self.limiter = limiter or RateLimiter()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, payload: dict, timeout: float | None = None) -> dict:
        try:
            response = await self._http.post(f"{self._base}/{method}", json=payload,
                                             **({"timeout": timeout} if timeout else {}))
        except httpx.HTTPError as exc:
            raise TelegramError(f"{method}: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 429 or answer.get("error_code") == 429:
            raise RetryAfter(float((answer.get("parameters") or {}).get("retry_after") or 1))
        if response.status_code == 403:
            raise Blocked(answer.get("description") or "forbidden")
        if response.status_code == 400:
            raise Rejected(answer.get("description") or "bad request")
        if response.status_code >= 300 or not answer.get("ok"):
            raise TelegramError(f"{method}: HTTP {response.status_code}")
        return answer

    async def send_message(self, chat_id: int, text: str, url: str | None = None,
                           button: str | None = None, paced: bool = True) -> None:
        """Sends within the rate limits (`paced=False`: the caller has waited on `limiter` already);
        raises RetryAfter, Blocked, Rejected or TelegramError."""
        if paced:
            await self.limiter.wait(chat_id)
        payload: dict = {"chat_id": chat_id, "text": text[:4096], "disable_web_page_preview": True}
        if url and button and url.startswith("https://"):  # Telegram refuses buttons to plain http
            payload["reply_markup"] = {"inline_keyboard": [[{"text": button, "url": url}]]}
        await self._call("sendMessage", payload)

    async def get_updates(self, offset: int, timeout: int = 25) -> list[dict]:
        answer = await self._call("getUpdates", {"offset": offset, "timeout": timeout,
                                                 "allowed_updates": ["message"]}, timeout=timeout + 10)
        return list(answer.get("result") or [])
