"""A small centred card with one form: sign-in and password change."""

from __future__ import annotations

import reflex as rx


def labelled_input(label, name: str, autocomplete: str, input_type: str = "text", placeholder="") -> rx.Component:
    return rx.fragment(
        rx.el.label(label, html_for=name),
        rx.input(id=name, name=name, type=input_type, auto_complete=autocomplete, placeholder=placeholder,
                 size="3", width="100%", required=True),
    )


def form_card(title, *fields: rx.Component, error, error_class: str, submit_label, on_submit,
              reset_on_submit: bool, extra: rx.Component | None = None) -> rx.Component:
    return rx.center(
        rx.card(
            rx.form(
                rx.vstack(
                    rx.heading(title, as_="h1", size="6"),
                    *fields,
                    rx.cond(error != "", rx.callout(error, icon="triangle-alert", color_scheme="red", role="alert",
                                                    width="100%", class_name=error_class)),
                    extra if extra is not None else rx.fragment(),
                    rx.button(submit_label, type="submit", size="3", width="100%", min_height="44px"),
                    spacing="3",
                    width="100%",
                ),
                on_submit=on_submit,
                reset_on_submit=reset_on_submit,
                width="100%",
            ),
            width="100%",
            max_width="420px",
            size="3",
        ),
        padding_y="2em",
    )
