"""The password change page."""

from __future__ import annotations

import reflex as rx

from marketu_app import routes
from marketu_app.components.form_card import form_card, labelled_input
from marketu_app.components.layout import shell
from marketu_app.state.password import PasswordState


def password_page() -> rx.Component:
    t = PasswordState.t
    return shell(
        form_card(
            t["password_title"],
            labelled_input(t["current_password"], "current_password", "current-password", input_type="password"),
            labelled_input(t["new_password"], "new_password", "new-password", input_type="password"),
            labelled_input(t["repeat_password"], "repeat_password", "new-password", input_type="password"),
            error=PasswordState.error, error_class="password-error", submit_label=t["save_password"],
            action=routes.AUTH_PASSWORD,
            extra=rx.cond(PasswordState.done,
                          rx.callout(t["password_changed"], icon="check", color_scheme="grass", role="status",
                                     width="100%", class_name="password-done")),
        ),
    )
