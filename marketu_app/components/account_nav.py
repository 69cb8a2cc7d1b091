"""The account menu of a signed-in customer: notifications, password, sign out (a disclosure, no script needed)."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.ui import icon, link
from marketu_app.state.session import SessionState


def account_menu() -> rx.Component:
    t = SessionState.t
    return rx.el.details(
        rx.el.summary(
            icon("circle-user-round", 22),
            rx.el.span(t["nav_account"], class_name="account-label"),
            class_name="account-summary",
        ),
        rx.el.div(
            link(icon("bell", 18), rx.el.span(t["nav_notifications"]), href=routes.NOTIFICATIONS,
                 class_name="menu-item"),
            link(icon("key-round", 18), rx.el.span(t["nav_password"]), href=routes.PASSWORD, class_name="menu-item"),
            rx.el.button(icon("log-out", 18), rx.el.span(t["nav_sign_out"]), type="button",
                         on_click=SessionState.sign_out, class_name="menu-item sign-out"),
            class_name="account-menu-list",
        ),
        # Kept in the layout while signed out (hidden), so the header does not shift when the session arrives.
        class_name=rx.cond(SessionState.signed_in, "account-menu", "account-menu is-hidden"),
    )
