"""Wiring only: the Reflex app, its pages, the operator API and start-up work."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.api.router import create_api
from marketu_app.pages.statuses import statuses_page
from marketu_app.startup import prepare_database

prepare_database()

app = rx.App(
    api_transformer=create_api(),
    head_components=[
        rx.el.link(rel="icon", href="/favicon.ico"),
        rx.el.meta(name="description", content="Marketu: где сейчас каждый ваш заказ"),
    ],
)
app.add_page(statuses_page, route=routes.STATUSES, title="Статусы заказов · Marketu")
