"""Sign-in page."""

from __future__ import annotations

import reflex as rx

from marketu_app.components.layout import shell
from marketu_app.state.login import LoginState


def login_page() -> rx.Component:
    t = LoginState.t
    return shell(
        rx.center(
            rx.card(
                rx.form(
                    rx.vstack(
                        rx.heading(t["sign_in_title"], as_="h1", size="6"),
                        rx.el.label(t["identifier"], html_for="identifier"),
                        rx.input(id="identifier", name="identifier", placeholder=t["sign_in_hint"],
                                 auto_complete="username", size="3", width="100%", required=True),
                        rx.el.label(t["password"], html_for="password"),
                        rx.input(id="password", name="password", type="password", auto_complete="current-password",
                                 size="3", width="100%", required=True),
                        rx.cond(
                            LoginState.error != "",
                            rx.callout(LoginState.error, icon="triangle-alert", color_scheme="red", role="alert",
                                       width="100%", class_name="login-error"),
                        ),
                        rx.button(t["sign_in"], type="submit", size="3", width="100%", min_height="44px"),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=LoginState.submit,
                    reset_on_submit=False,
                    width="100%",
                ),
                width="100%",
                max_width="420px",
                size="3",
            ),
            padding_y="2em",
        ),
    )
