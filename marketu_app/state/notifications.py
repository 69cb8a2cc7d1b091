"""The settings page "Уведомления": channels, kinds of events, quiet hours, the last messages."""

from __future__ import annotations

import asyncio

import reflex as rx

from marketu_app.db.engine import session_scope
from marketu_app.domain.notify import KINDS
from marketu_app.i18n.texts import register, text
from marketu_app.notify import prefs
from marketu_app.notify.view import settings_view
from marketu_app.state.session import SessionState

register({
    "nav_notifications": ("Уведомления", "Хабарламалар", "Notifications"),
    "nf_title": ("Уведомления", "Хабарламалар", "Notifications"),
    "nf_channels": ("Куда сообщать", "Қайда хабарлау", "Where to tell you"),
    "nf_kinds": ("О чём сообщать", "Не туралы хабарлау", "What to tell you about"),
    "nf_quiet": ("Тихие часы (время Алматы)", "Тыныш сағаттар (Алматы уақыты)", "Quiet hours (Almaty time)"),
    "nf_quiet_hint": ("Например 22:00-09:00, или off. Сообщения подождут и придут одним письмом после.",
                      "Мысалы 22:00-09:00 немесе off. Хабарламалар күтіп, кейін бірге келеді.",
                      "For example 22:00-09:00, or off. Messages wait and come together afterwards."),
    "nf_quiet_bad": ("Время в виде 22:00-09:00 или off", "Уақыт 22:00-09:00 түрінде немесе off",
                     "Use the form 22:00-09:00, or off"),
    "nf_save": ("Сохранить", "Сақтау", "Save"),
    "nf_saved": ("Сохранено", "Сақталды", "Saved"),
    "nf_history": ("Последние сообщения", "Соңғы хабарламалар", "Recent messages"),
    "nf_history_empty": ("Сообщений пока не было", "Әзірге хабарлама болған жоқ", "No messages yet"),
    "nf_turn_on": ("Включить", "Қосу", "Turn on"),
    "nf_turn_off": ("Выключить", "Өшіру", "Turn off"),
    "nf_link": ("Привязать", "Байланыстыру", "Link"),
    "nf_unlink": ("Отвязать", "Ажырату", "Unlink"),
    "nf_push_this": ("Включить на этом устройстве", "Осы құрылғыда қосу", "Turn on for this device"),
    "nf_push_denied": ("Браузер не разрешил уведомления", "Браузер хабарламаға рұқсат бермеді",
                       "The browser did not allow notifications"),
    "nf_push_offline": ("Нет соединения. Подписка завершится сама, когда связь вернётся.",
                        "Байланыс жоқ. Байланыс қалпына келгенде жазылу өздігінен аяқталады.",
                        "You are offline. The subscription completes by itself when you are back online."),
    "nf_ios": ("На iPhone и iPad push-уведомления работают только в установленном приложении: "
               "«Поделиться» → «На экран „Домой“».",
               "iPhone мен iPad-та push тек орнатылған қолданбада жұмыс істейді: «Бөлісу» → «Басты экранға».",
               "On iPhone and iPad, push works only in the installed app: Share → Add to Home Screen."),
    "nf_telegram_hint": ("Откроется Telegram: нажмите «Старт» в чате с ботом. Ссылка действует 15 минут.",
                         "Telegram ашылады: ботпен чатта «Старт» басыңыз. Сілтеме 15 минут жарамды.",
                         "Telegram opens: press Start in the bot's chat. The link works for 15 minutes."),
})

_EMPTY: dict = {"email_state": "", "email_label": "", "email_address": "", "email_failing": "", "telegram_state": "",
                "telegram_label": "", "push_state": "", "push_label": "", "push_devices": 0, "kinds": [],
                "quiet_hours": "", "history": []}


class NotificationsState(SessionState):
    view: dict = _EMPTY
    quiet_error: str = ""
    saved: bool = False
    push_problem: str = ""

    async def _load(self) -> bool:
        customer = await asyncio.to_thread(self._current_customer)
        if customer is None:
            return False
        self.customer_name = customer.name
        lang = self.lang

        def build():
            with session_scope() as db:
                return settings_view(db, customer, lang)

        self.view = await asyncio.to_thread(build)
        return True

    async def _change(self, change) -> object:
        """Applies `change(db, customer_id)` for the signed-in customer, then shows the new state."""
        customer = await asyncio.to_thread(self._current_customer)
        if customer is None:
            return self._to_sign_in()

        def apply():
            with session_scope() as db:
                return change(db, customer.id)

        result = await asyncio.to_thread(apply)
        await self._load()
        return result

    @rx.event
    async def on_load(self):
        self.quiet_error, self.saved, self.push_problem = "", False, ""
        if not await self._load():
            return self._to_sign_in()

    @rx.event
    async def toggle_kind(self, kind: str):
        if kind not in KINDS:
            return
        current = {k["key"] for k in self.view.get("kinds", []) if k["on"]}
        chosen = current ^ {kind}
        await self._change(lambda db, cid: prefs.save_choices(db, cid, kinds=chosen))

    @rx.event
    async def toggle_channel(self, channel: str):
        if channel not in ("email", "push"):
            return
        on = self.view.get(f"{channel}_state") != "linked"
        await self._change(lambda db, cid: prefs.save_choices(db, cid, channels={channel: on}))

    @rx.event
    async def save_quiet(self, form: dict):
        value = str(form.get("quiet_hours", ""))[:20]
        try:
            await self._change(lambda db, cid: prefs.save_choices(db, cid, quiet_hours=value))
        except ValueError:
            self.quiet_error, self.saved = text("nf_quiet_bad", self.lang), False
            return
        self.quiet_error, self.saved = "", True

    @rx.event
    async def link_telegram(self):
        url = await self._change(prefs.telegram_link_url)
        if isinstance(url, str):  # same tab (another host: Reflex assigns window.location): t.me opens Telegram
            return rx.redirect(url)
        return url

    @rx.event
    async def unlink_telegram(self):
        await self._change(lambda db, cid: prefs.unlink_chat(db, customer_id=cid))

    @rx.event
    async def push_done(self, status):
        self.push_problem = "" if str(status) in ("201", "200") else text("nf_push_denied", self.lang)
        await self._load()
