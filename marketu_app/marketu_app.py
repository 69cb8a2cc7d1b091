"""Wiring only: the Reflex app, its pages, the operator API and start-up work."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.document import lang_head_script
from marketu_app.components.pwa import pwa_head
from marketu_app.components.ui import route_param
from marketu_app.db.eta_delays import delay_watcher
from marketu_app.db.eta_source import stats_refresher
from marketu_app.ems.dictionary import dictionary_loop
from marketu_app.ems.poller import poller_loop
from marketu_app.first_paint import serve_form_answer, serve_parcel_shell
from marketu_app.live.watcher import watch_changes
from marketu_app.notify.routes import router as notify_router
from marketu_app.notify.worker import notify_loop
from marketu_app.pages.login import login_page
from marketu_app.pages.notifications import notifications_page
from marketu_app.pages.parcel import parcel_page
from marketu_app.pages.parcels import parcels_page
from marketu_app.pages.password import password_page
from marketu_app.pages.reset import forgot_page, reset_page
from marketu_app.pages.statuses import statuses_page
from marketu_app.startup import prepare_database
from marketu_app.state.login import LoginState
from marketu_app.state.notifications import NotificationsState
from marketu_app.state.parcel import ParcelState
from marketu_app.state.parcels import ParcelsState
from marketu_app.state.password import PasswordState
from marketu_app.state.reset import ForgotState, ResetState
from marketu_app.state.session import SessionGuard
from marketu_app.state.statuses import StatusesState
from marketu_app.web import logs
from marketu_app.web.documents import serve_first_cards
from marketu_app.web.site import guard_site, site_api

prepare_database()

api = site_api()  # the operator API and the sign-in, sign-out and password endpoints
api.include_router(notify_router)  # unsubscribe, push subscriptions, Telegram webhook

app = rx.App(
    # The parcel route's prerendered shell and the sign-in page with its error, for a browser whose
    # scripts have not run, in front of everything (marketu_app/first_paint.py); before them, a signed-in
    # customer's first cards in the page (marketu_app/first_cards.py).
    # Outermost, security headers and socket limits: every response and socket passes them.
    api_transformer=[api, serve_parcel_shell, serve_form_answer, serve_first_cards, guard_site],
    stylesheets=["/styles.css"],
    html_lang="ru",
    head_components=[
        lang_head_script(),
        rx.el.link(rel="icon", href="/favicon.ico"),
        rx.el.link(rel="apple-touch-icon", href="/apple-touch-icon.png"),
        rx.el.meta(name="description", content="Marketu: где сейчас каждый ваш заказ"),
        *pwa_head(),
    ],
)
app.add_middleware(SessionGuard())  # a tab's states never outlive the session they were loaded for
app.add_page(parcels_page, route=routes.PARCELS, title="Мои посылки · Marketu", on_load=ParcelsState.on_load)
# The tab names the parcel (from the address, so even the prerendered shell does).
app.add_page(parcel_page, route=routes.PARCEL, on_load=ParcelState.on_load,
             title=ParcelState.t["parcel"] + " " + route_param("number") + " · Marketu")
app.add_page(login_page, route=routes.LOGIN, title="Вход · Marketu", on_load=LoginState.on_load)
app.add_page(password_page, route=routes.PASSWORD, title="Смена пароля · Marketu", on_load=PasswordState.on_load)
app.add_page(forgot_page, route=routes.FORGOT, title="Восстановление пароля · Marketu", on_load=ForgotState.on_load)
app.add_page(reset_page, route=routes.RESET, title="Новый пароль · Marketu", on_load=ResetState.on_load)
app.add_page(notifications_page, route=routes.NOTIFICATIONS, title="Уведомления · Marketu",
             on_load=NotificationsState.on_load)
app.add_page(statuses_page, route=routes.STATUSES, title="Статусы заказов · Marketu", on_load=StatusesState.on_load)

# Background work; every worker runs these, the database decides who does what.
app.register_lifespan_task(poller_loop)
app.register_lifespan_task(dictionary_loop)
app.register_lifespan_task(stats_refresher)
app.register_lifespan_task(delay_watcher)
app.register_lifespan_task(watch_changes)
app.register_lifespan_task(notify_loop)
app.register_lifespan_task(logs.keep_installed)  # the server's own log handlers exist only by now
