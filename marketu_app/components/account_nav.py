"""The account menu of a signed-in customer: notifications, password, sign out (a disclosure, no script needed)."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.form_card import post_form
from marketu_app.components.ui import icon, link
from marketu_app.state.session import SessionState


def sign_out_form(*children: rx.Component, class_name: str) -> rx.Component:
    """Sign-out is a form post to /auth/logout: it clears the HttpOnly cookie (no script can), and a
    cross-site link cannot trigger it."""
    return post_form(rx.el.button(*children, type="submit", class_name=class_name),
                     action=routes.AUTH_LOGOUT, class_name="sign-out-form")


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
            sign_out_form(icon("log-out", 18), rx.el.span(t["nav_sign_out"]), class_name="menu-item sign-out"),
            class_name="account-menu-list",
        ),
        # Kept in the layout while signed out (hidden), so the header does not shift when the session arrives.
        class_name=rx.cond(SessionState.signed_in, "account-menu", "account-menu is-hidden"),
    )
