"""Sign-in page: a plain form post to /auth/login."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.form_card import form_card, labelled_input
from marketu_app.components.layout import shell
from marketu_app.components.ui import LINK, link
from marketu_app.state.login import LoginState


def login_page() -> rx.Component:
    t = LoginState.t
    return shell(
        # The browser's session ended while no page saw it: assets/offline.js wipes on this notice.
        rx.cond(LoginState.stale_session, rx.el.span(class_name="session-ended", hidden=True)),
        form_card(
            t["sign_in_title"],
            labelled_input(t["identifier"], "identifier", "username", placeholder=t["sign_in_hint"]),
            labelled_input(t["password"], "password", "current-password", input_type="password"),
            rx.el.input(type="hidden", name="next", value=LoginState.next_path),
            error=LoginState.error, error_class="login-error", submit_label=t["sign_in"],
            action=routes.AUTH_LOGIN, notice=LoginState.notice, notice_class="login-notice",
            extra=link(t["forgot_link"], href=routes.FORGOT, class_name=f"{LINK} forgot-link"),
        ),
    )
