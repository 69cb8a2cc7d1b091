"""The "Забыли пароль?" pages: ask for a link, then set the new password (plain posts, state/reset.py)."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.form_card import form_card, labelled_input
from marketu_app.components.layout import shell
from marketu_app.state.reset import ForgotState, ResetState


def forgot_page() -> rx.Component:
    t = ForgotState.t
    return shell(
        form_card(
            t["forgot_title"],
            labelled_input(t["identifier"], "identifier", "username", placeholder=t["sign_in_hint"]),
            error=ForgotState.error, error_class="forgot-error", submit_label=t["forgot_send"],
            action=routes.AUTH_FORGOT,
            notice=rx.cond(ForgotState.sent, t["forgot_sent"], ""), notice_class="forgot-sent",
        ),
    )


def reset_page() -> rx.Component:
    t = ResetState.t
    return shell(
        form_card(
            t["reset_title_page"],
            labelled_input(t["new_password"], "new_password", "new-password", input_type="password"),
            labelled_input(t["repeat_password"], "repeat_password", "new-password", input_type="password"),
            rx.el.input(type="hidden", name="code", value=ResetState.code),
            error=ResetState.error, error_class="reset-error", submit_label=t["reset_save"],
            action=routes.AUTH_RESET,
        ),
    )
