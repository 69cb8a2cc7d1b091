"""Navigation for a signed-in customer: parcels, password, sign out."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.layout import bottom_item, nav_link
from marketu_app.components.ui import icon, icon_button
from marketu_app.state.session import SessionState


def account_nav() -> rx.Component:
    t = SessionState.t
    return rx.fragment(
        nav_link(t["nav_parcels"], routes.PARCELS, "package"),
        nav_link(t["nav_password"], routes.PASSWORD, "key-round"),
        icon_button(icon("log-out", 18), label=t["nav_sign_out"], on_click=SessionState.sign_out,
                    class_name="sign-out"),
    )


def account_mobile_items() -> list[rx.Component]:
    t = SessionState.t
    return [
        bottom_item(t["nav_parcels"], "package", routes.PARCELS),
        bottom_item(t["nav_password"], "key-round", routes.PASSWORD),
        bottom_item(t["nav_sign_out"], "log-out", on_click=SessionState.sign_out),
    ]
