"""The password change page."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.account_nav import account_mobile_items, account_nav
from marketu_app.components.layout import shell
from marketu_app.state.password import PasswordState


def _field(label, name: str, autocomplete: str) -> rx.Component:
    return rx.fragment(
        rx.el.label(label, html_for=name),
        rx.input(id=name, name=name, type="password", auto_complete=autocomplete, size="3", width="100%",
                 required=True),
    )


def password_page() -> rx.Component:
    t = PasswordState.t
    return shell(
        rx.center(
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading(t["password_title"], as_="h1", size="6"),
                        _field(t["current_password"], "current_password", "current-password"),
                        _field(t["new_password"], "new_password", "new-password"),
                        _field(t["repeat_password"], "repeat_password", "new-password"),
                        rx.cond(PasswordState.error != "",
                                rx.callout(PasswordState.error, icon="triangle-alert", color_scheme="red",
                                           role="alert", width="100%", class_name="password-error")),
                        rx.cond(PasswordState.done,
                                rx.callout(t["password_changed"], icon="check", color_scheme="grass",
                                           role="status", width="100%", class_name="password-done")),
                        rx.button(t["save_password"], type="submit", size="3", width="100%", min_height="44px"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=PasswordState.submit,
                    reset_on_submit=True,
                    width="100%",
                ),
                width="100%",
                max_width="420px",
                size="3",
            ),
            padding_y="2em",
        ),
        extra_nav=account_nav(),
        mobile_items=account_mobile_items(),
    )
