"""HTTP endpoints of notifications: one-click unsubscribe, Web Push subscriptions, Telegram webhook.

- `POST /api/notify/unsubscribe?t=<token>` (RFC 8058 one-click, no sign-in: the token from the
  email is the authority) turns email off; `GET` shows a page with the button (mail scanners
  follow GET links, so GET changes nothing).
- `POST /api/push/subscriptions` with `PushSubscription.toJSON()`, `DELETE` with `{"endpoint"}`:
  same origin, authenticated by the session cookie (401 without one).
- `GET /api/push/key`: the VAPID public key for `pushManager.subscribe()` (404 when Web Push is off).
- `POST /api/telegram/webhook`: updates, checked against `X-Telegram-Bot-Api-Secret-Token`; the
  reply goes back in the response (Telegram's "reply to a webhook" form).
"""

from __future__ import annotations

import hmac
import html
import ipaddress
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import HTMLResponse, JSONResponse, Response

from marketu_app.auth import sessions
from marketu_app.db.engine import session_scope
from marketu_app.i18n.texts import register, text
from marketu_app.notify import bot, prefs
from marketu_app.notify.webpush import public_key
from marketu_app.settings import get_settings

router = APIRouter(include_in_schema=False)
SESSION_COOKIE = "marketu_session"

register({
    "unsub_question": ("Отписаться от писем Marketu о посылках?", "Marketu хаттарынан бас тарту керек пе?",
                       "Stop Marketu's emails about your parcels?"),
    "unsub_button": ("Отписаться", "Бас тарту", "Unsubscribe"),
    "unsub_done": ("Готово: писем больше не будет. Включить их снова можно в разделе «Уведомления».",
                   "Дайын: хаттар енді келмейді. Оларды «Хабарламалар» бөлімінде қайта қосуға болады.",
                   "Done: no more emails. You can turn them back on under “Notifications”."),
    "unsub_bad": ("Ссылка недействительна или устарела.", "Сілтеме жарамсыз немесе ескірген.",
                  "This link is not valid or has expired."),
})


def _page(message: str, form: str = "", status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        '<!doctype html><html lang="ru"><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f'<title>Marketu</title><body style="font-family:system-ui;max-width:32rem;margin:3rem auto;padding:0 1rem">'
        f"<p>{html.escape(message)}</p>{form}</body></html>", status_code=status)


def _token(request: Request) -> str:
    return str(request.query_params.get("t", ""))[:64]


@router.get("/api/notify/unsubscribe")
def unsubscribe_page(request: Request):
    token = _token(request)
    with session_scope() as db:
        valid = prefs.take_code(db, token, "unsubscribe", single_use=False) is not None
    if not valid:
        return _page(text("unsub_bad", "ru"), status=404)
    form = (f'<form method="post" action="/api/notify/unsubscribe?t={html.escape(token)}">'
            '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
            f'<button type="submit">{html.escape(text("unsub_button", "ru"))}</button></form>')
    return _page(text("unsub_question", "ru"), form)


@router.post("/api/notify/unsubscribe")
def unsubscribe(request: Request):
    with session_scope() as db:
        customer_id = prefs.take_code(db, _token(request), "unsubscribe", single_use=False)
        if customer_id is not None:
            prefs.save_choices(db, customer_id, channels={"email": False})
    if customer_id is None:
        return _page(text("unsub_bad", "ru"), status=404)
    return _page(text("unsub_done", "ru"))


class Keys(BaseModel):
    model_config = ConfigDict(extra="ignore")
    p256dh: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_=-]+$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_=-]+$")


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=10, max_length=1000)
    keys: Keys


class EndpointIn(BaseModel):
    endpoint: str = Field(min_length=1, max_length=1000)


def _allowed_endpoint(url: str) -> bool:
    """Push services are https; plain http only to loopback while the site itself is local (demo, tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    site = urlsplit(get_settings().public_url).hostname or ""
    try:
        loopback = parts.scheme == "http" and ipaddress.ip_address(parts.hostname or "").is_loopback
    except ValueError:
        return False
    return loopback and site in ("127.0.0.1", "localhost")


def _customer_id(request: Request) -> int | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    with session_scope() as db:
        customer = sessions.resolve_session(db, token)
        return customer.id if customer else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is None or urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()


@router.post("/api/push/subscriptions", status_code=201)
def subscribe(body: SubscriptionIn, request: Request):
    if not _same_origin(request):
        return JSONResponse({"detail": "cross-origin request"}, status_code=403)
    customer_id = _customer_id(request)
    if customer_id is None:
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    if not get_settings().push_enabled:
        return JSONResponse({"detail": "Web Push is not available"}, status_code=404)
    if not _allowed_endpoint(body.endpoint):
        return JSONResponse({"detail": [{"loc": ["body", "endpoint"], "msg": "must be an https URL"}]},
                            status_code=422)
    with session_scope() as db:
        prefs.save_subscription(db, customer_id, body.endpoint, body.keys.p256dh, body.keys.auth)
    return {"ok": True}


@router.delete("/api/push/subscriptions", status_code=204)
def unsubscribe_device(body: EndpointIn, request: Request):
    if not _same_origin(request):
        return JSONResponse({"detail": "cross-origin request"}, status_code=403)
    customer_id = _customer_id(request)
    if customer_id is None:
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    with session_scope() as db:
        prefs.drop_subscription(db, customer_id, body.endpoint)
    return Response(status_code=204)


@router.get("/api/push/key")
def vapid_public_key():
    settings = get_settings()
    if not settings.push_enabled:
        return JSONResponse({"detail": "Web Push is not available"}, status_code=404)
    return {"publicKey": public_key(settings.vapid_private_key)}


@router.post("/api/telegram/webhook")
async def telegram_webhook(request: Request):
    secret = get_settings().telegram_webhook_secret
    given = request.headers.get("x-telegram-bot-api-secret-token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        return JSONResponse({"detail": "forbidden"}, status_code=403)
    try:
        update = await request.json()
    except ValueError:
        return JSONResponse({"detail": "not JSON"}, status_code=400)
    if not isinstance(update, dict):
        return JSONResponse({"detail": "not an update"}, status_code=400)
    import asyncio

    answer = await asyncio.to_thread(_webhook_update, update)
    if answer is None:
        return {"ok": True}
    chat, reply = answer
    return {"method": "sendMessage", "chat_id": chat, "text": reply}


def _webhook_update(update: dict):
    update_id = update.get("update_id")
    with session_scope() as db:
        # Telegram repeats an update until it gets a 200: one already handled is ignored.
        if isinstance(update_id, int) and update_id < bot.stored_offset(db):
            return None
        answer = bot.handle_update(db, update)
        if isinstance(update_id, int):
            bot.store_offset(db, update_id + 1)
    return answer
