"""A local Telegram Bot API stand-in, for tests and the offline demo.

Speaks `<base>/bot<token>/<method>` like Telegram: `sendMessage` (recorded per chat),
`getUpdates` (long polling of updates queued with `POST /_standin/updates`). Faults on demand
(`POST /_standin/faults`): `{"429": n, "retry_after": s}` answers the next n sendMessage calls
with 429, `{"blocked": [chat_id]}` answers 403 for those chats, `{"delay": s}` makes each
sendMessage take s seconds (a client gone meanwhile, e.g. killed, sends nothing). `GET /` shows every chat's
messages: in the demo, what the demo customer's Telegram would show.

Run standalone: `python -m marketu_app.notify.standin --port 8702 --token demo-token`.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import threading
import time

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route


class BotApi:
    def __init__(self, token: str):
        self.token = token
        self.sent: list[dict] = []  # every accepted sendMessage: chat_id, text, at (monotonic)
        self.updates: list[dict] = []
        self.next_update_id = 1
        self.fail_429 = 0
        self.retry_after = 1
        self.blocked: set[int] = set()
        self.delay = 0.0  # seconds each sendMessage takes; a caller gone meanwhile sends nothing
        self.calls: list[tuple[str, int, float]] = []  # (method, status, monotonic time)
        self._lock = threading.Lock()

    def add_update(self, chat_id: int, text: str, language_code: str = "ru") -> None:
        with self._lock:
            self.updates.append({"update_id": self.next_update_id, "message": {
                "message_id": self.next_update_id, "date": int(time.time()), "text": text,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": chat_id, "is_bot": False, "first_name": "Demo", "language_code": language_code}}})
            self.next_update_id += 1

    def messages_to(self, chat_id: int) -> list[str]:
        with self._lock:
            return [m["text"] for m in self.sent if m["chat_id"] == chat_id]

    def app(self) -> Starlette:
        async def method(request: Request):
            if request.path_params["token"] != self.token:
                return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
            try:
                body = await request.json()
            except ValueError:
                body = dict(request.query_params)
            except ClientDisconnect:  # the caller died mid-request (a killed worker): nothing arrived
                return JSONResponse({"ok": False}, 499)
            name = request.path_params["method"]
            if name == "sendMessage":
                if self.delay:
                    await asyncio.sleep(self.delay)
                    if await request.is_disconnected():
                        return JSONResponse({"ok": False}, 499)
                return self._send(body)
            if name == "getUpdates":
                return await self._get_updates(body)
            if name == "getMe":
                return JSONResponse({"ok": True, "result": {"id": 1, "is_bot": True, "username": "marketu_demo_bot"}})
            return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

        async def add_updates(request: Request):
            body = await request.json()
            self.add_update(int(body["chat_id"]), str(body["text"]), body.get("language_code", "ru"))
            return JSONResponse({"ok": True})

        async def faults(request: Request):
            body = await request.json()
            with self._lock:
                self.fail_429 = int(body.get("429", 0))
                self.retry_after = int(body.get("retry_after", 1))
                self.blocked = {int(c) for c in body.get("blocked", [])}
                self.delay = float(body.get("delay", 0))
            return JSONResponse({"ok": True})

        async def page(_request: Request):
            with self._lock:
                rows = "".join(
                    f"<li><b>chat {m['chat_id']}</b> · {time.strftime('%H:%M:%S', time.localtime(m['wall']))}"
                    f"<pre>{html.escape(m['text'])}</pre></li>" for m in reversed(self.sent[-200:]))
            return HTMLResponse(
                "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=3>"
                "<title>Telegram (local stand-in)</title><h1>Messages the bot sent</h1>"
                f"<p>Newest first; refreshes every 3 s.</p><ul>{rows or '<li>none yet</li>'}</ul>")

        return Starlette(routes=[
            Route("/bot{token}/{method}", method, methods=["GET", "POST"]),
            Route("/_standin/updates", add_updates, methods=["POST"]),
            Route("/_standin/faults", faults, methods=["POST"]),
            Route("/", page),
        ])

    def _send(self, body: dict) -> JSONResponse:
        chat = body.get("chat_id")
        now = time.monotonic()
        with self._lock:
            if self.fail_429 > 0:
                self.fail_429 -= 1
                self.calls.append(("sendMessage", 429, now))
                return JSONResponse({"ok": False, "error_code": 429, "description": "Too Many Requests",
                                     "parameters": {"retry_after": self.retry_after}}, 429)
            if chat in self.blocked:
                self.calls.append(("sendMessage", 403, now))
                return JSONResponse({"ok": False, "error_code": 403,
                                     "description": "Forbidden: bot was blocked by the user"}, 403)
            if not isinstance(chat, int) or not body.get("text"):
                return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request"}, 400)
            self.calls.append(("sendMessage", 200, now))
            self.sent.append({"chat_id": chat, "text": body["text"], "at": now, "wall": time.time(),
                              "reply_markup": body.get("reply_markup")})
            message_id = len(self.sent)
        return JSONResponse({"ok": True, "result": {"message_id": message_id, "chat": {"id": chat}}})

    async def _get_updates(self, body: dict) -> JSONResponse:
        offset = int(body.get("offset") or 0)
        timeout = min(float(body.get("timeout") or 0), 2.0)  # short polls: tests and demo stay lively
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed ones go
                ready = list(self.updates)
            if ready or time.monotonic() >= deadline:
                return JSONResponse({"ok": True, "result": ready})
            await asyncio.sleep(0.05)


def main() -> None:
    from marketu_app.ems.simulator import serve  # Granian, which Reflex brings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8702)
    parser.add_argument("--token", default="demo-token")
    args = parser.parse_args()
    serve(BotApi(args.token).app(), args.port)


if __name__ == "__main__":
    main()
