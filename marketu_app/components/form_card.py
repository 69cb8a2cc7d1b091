"""A small centred card with one form: sign-in, password change, the forgotten password.

The form is a plain HTML post to an HTTP endpoint (no event handler): it works the same before the
page's scripts have loaded, and the password never goes into a URL or a state.
"""

from __future__ import annotations

import functools

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML


class PostForm(BaseHTML):
    """A plain <form method="post">: rx.el.form always adds a submit handler that prevents the post."""

    tag = "form"
    method: rx.Var[str]
    action: rx.Var[str]


def post_form(*children, action: str, **props) -> rx.Component:
    return PostForm.create(*children, method="post", action=action, **props)


def labelled_input(label, name: str, autocomplete: str, input_type: str = "text", placeholder="") -> rx.Component:
    return rx.fragment(
        rx.el.label(label, html_for=name),
        rx.input(id=name, name=name, type=input_type, auto_complete=autocomplete, placeholder=placeholder,
                 size="3", width="100%", required=True),
    )


def form_card(title, *fields: rx.Component, error, error_class: str, submit_label, action: str | None = None,
              on_submit=None, reset_on_submit: bool = False, extra: rx.Component | None = None,
              notice="", notice_class: str = "form-notice") -> rx.Component:
    """`action`: a plain post to that endpoint; else `on_submit`, a Reflex event. `error` and `notice`
    (text vars, "" for none) show the last post's answer."""
    form = (functools.partial(post_form, action=action) if action is not None else
            functools.partial(rx.form, on_submit=on_submit, reset_on_submit=reset_on_submit))
    return rx.center(
        rx.card(
            form(
                rx.vstack(
                    rx.heading(title, as_="h1", size="6"),
                    *fields,
                    rx.cond(error != "", rx.callout(error, icon="triangle-alert", color_scheme="red", role="alert",
                                                    width="100%", class_name=error_class)),
                    rx.cond(notice != "", rx.callout(notice, icon="circle-check", color_scheme="green", role="status",
                                                     width="100%", class_name=notice_class)),
                    extra if extra is not None else rx.fragment(),
                    rx.button(submit_label, type="submit", size="3", width="100%", min_height="44px"),
                    spacing="3",
                    width="100%",
                ),
                width="100%",
            ),
            width="100%",
            max_width="420px",
            size="3",
        ),
        padding_y="2em",
    )
